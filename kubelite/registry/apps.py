"""Workload controllers' objects: Deployments, ReplicaSets, ReplicationControllers.

All three track ``metadata.generation`` (controllers publish ``status.observedGeneration``)
and have ``status`` and ``scale`` subresources. :func:`to_scale` and :func:`replicas_from_scale`
are the pure halves of ``<resource>/<name>/scale``.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import labels
from kubelite.api.resources import Resource
from kubelite.api.validation import FieldError, Path
from kubelite.api.validation import kinds as validate
from kubelite.registry.strategy import Strategy

Obj = dict[str, Any]


class DeploymentStrategy(Strategy):
    has_status = True
    tracks_generation = True

    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.deployment(obj)

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return validate.deployment_update(new, old)


class ReplicaSetStrategy(Strategy):
    has_status = True
    tracks_generation = True

    def initial_status(self, obj: Obj) -> Obj:
        return {"replicas": 0}

    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.replicaset(obj)

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return validate.replicaset_update(new, old)

    def fields(self, obj: Obj) -> dict[str, str]:
        out = super().fields(obj)
        out["status.replicas"] = str((obj.get("status") or {}).get("replicas", 0))
        return out


class ReplicationControllerStrategy(ReplicaSetStrategy):
    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.replicationcontroller(obj)

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return validate.update_of(validate.replicationcontroller)(new, old)


def selector_string(resource: Resource, obj: Obj) -> str:
    sel = (obj.get("spec") or {}).get("selector")
    if resource.plural == "replicationcontrollers":
        return str(labels.from_map(sel))
    try:
        return str(labels.from_label_selector(sel)) if sel is not None else ""
    except labels.SelectorError:
        return ""


def to_scale(resource: Resource, obj: Obj) -> Obj:
    """The ``autoscaling/v1 Scale`` view of a workload object."""
    m = obj["metadata"]
    scale_meta = {k: m[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                    "creationTimestamp") if k in m}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                   "selector": selector_string(resource, obj)},
    }


def replicas_from_scale(scale: Obj) -> tuple[int | None, list[FieldError]]:
    replicas = (scale.get("spec") or {}).get("replicas")
    if replicas is None:
        replicas = 0
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        return None, [Path("spec").child("replicas").invalid(
            replicas, "must be greater than or equal to 0")]
    return replicas, []
