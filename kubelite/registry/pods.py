"""Pods: strategy, graceful deletion and the ``binding`` subresource.

Deletion policy (kubelite has no kubelet in the apiserver's reach, so this is explicit):

* a pod that is not bound to a node (no ``spec.nodeName``), is already terminal
  (Succeeded/Failed), or is bound to a node that has no Node object is removed at once;
* a pod bound to an existing node gets ``deletionTimestamp = now + grace`` and
  ``deletionGracePeriodSeconds`` (the request's ``gracePeriodSeconds``, else
  ``spec.terminationGracePeriodSeconds``) and stays (``Terminating``) until its kubelet
  confirms with a ``DELETE`` of grace 0, as in Kubernetes. ``--grace-period=0 --force``
  removes it at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kubelite.api import errors, meta
from kubelite.api.validation import FieldError
from kubelite.api.validation import kinds as validate
from kubelite.registry.generic import DeleteOptions, Store
from kubelite.registry.strategy import Context, Strategy

Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")


def qos_class(spec: Obj) -> str:
    """Guaranteed / Burstable / BestEffort from the containers' requests and limits."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        limits, requests = res.get("limits") or {}, res.get("requests") or {}
        if limits or requests:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in limits:
                guaranteed = False
            elif str(requests.get(r, limits[r])) != str(limits[r]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


class PodStrategy(Strategy):
    has_status = True
    graceful = True

    def initial_status(self, obj: Obj) -> Obj:
        return {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}

    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.pod(obj)

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return validate.pod_update(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> Obj:
        result = super().prepare_for_status_update(new, old, ctx)
        # the kubelet may not clear the QoS class the apiserver computed
        status = result.get("status")
        if isinstance(status, dict) and "qosClass" not in status:
            status["qosClass"] = (old.get("status") or {}).get("qosClass", "BestEffort")
        return result

    def grace_period(self, obj: Obj, requested: int | None) -> int:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if not spec.get("nodeName") or status.get("phase") in TERMINAL:
            return 0
        if requested is None:
            default = spec.get("terminationGracePeriodSeconds")
            return int(default) if isinstance(default, int) and default >= 0 else 30
        return requested if requested >= 0 else 1  # kube: a negative period means 1 s

    def fields(self, obj: Obj) -> dict[str, str]:
        out = super().fields(obj)
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        out.update({
            "spec.nodeName": spec.get("nodeName", ""),
            "spec.restartPolicy": spec.get("restartPolicy", ""),
            "spec.schedulerName": spec.get("schedulerName", ""),
            "spec.serviceAccountName": spec.get("serviceAccountName", ""),
            "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
            "status.phase": status.get("phase", ""),
            "status.podIP": status.get("podIP", ""),
            "status.nominatedNodeName": status.get("nominatedNodeName", ""),
        })
        return out


class PodStore(Store):
    """Pods, with the node-existence check of the deletion policy and ``binding``."""

    def __init__(self, strategy: Strategy, storage: Any, nodes: Store | None = None):
        super().__init__(strategy, storage)
        self.nodes = nodes

    async def delete(self, namespace: str | None, name: str, opts: DeleteOptions,
                     ctx: Context) -> tuple[Obj, bool]:
        if self.nodes is not None and opts.grace_period != 0:
            current = await self.get(namespace, name)
            node = (current.get("spec") or {}).get("nodeName")
            if node and not await self._node_exists(node):
                opts = dataclasses.replace(opts, grace_period=0)
        return await super().delete(namespace, name, opts, ctx)

    async def _node_exists(self, node: str) -> bool:
        assert self.nodes is not None
        try:
            await self.nodes.get(None, node)
        except errors.StatusError as err:
            if err.code == 404:
                return False
            raise
        return True

    async def bind(self, namespace: str, name: str, binding: Obj, ctx: Context) -> Obj:
        """``POST pods/<name>/binding``: set ``spec.nodeName`` and ``PodScheduled``."""
        target = binding.get("target") or {}
        node = target.get("name", "")
        if not node:
            raise errors.invalid("Binding", "", name, (errors.Cause(
                "FieldValueRequired", "Required value", "target.name"),))
        want_uid = (binding.get("metadata") or {}).get("uid")

        def mutate(current: Obj | None) -> Obj:
            assert current is not None
            m, spec = current["metadata"], current.setdefault("spec", {})
            if want_uid and want_uid != m.get("uid"):
                raise errors.conflict("pods", "", name, "Precondition failed: UID in "
                                      f"precondition: {want_uid}, UID in object meta: {m.get('uid')}")
            if m.get("deletionTimestamp"):
                raise errors.conflict("pods", "", name, f"pod {name} is being deleted, cannot "
                                      "be assigned to a host")
            if spec.get("nodeName"):
                raise errors.conflict("pods", "", name, f'pod {name} is already assigned to node '
                                      f'"{spec["nodeName"]}"')
            spec["nodeName"] = node
            ann = (binding.get("metadata") or {}).get("annotations") or {}
            if ann:
                m.setdefault("annotations", {}).update(ann)
            status = current.setdefault("status", {})
            conds = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
            conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                          "lastTransitionTime": meta.fmt_time(ctx.now)})
            status["conditions"] = conds
            return current

        obj, _ = await self._write(namespace, name, mutate, ctx)
        return obj
