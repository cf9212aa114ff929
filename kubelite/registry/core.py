"""Strategies of the simpler core and group kinds: nodes, endpoints, events, config maps,
secrets, service accounts and leases."""

from __future__ import annotations

from typing import Any

from kubelite.api.validation import FieldError
from kubelite.api.validation import kinds as validate
from kubelite.registry.strategy import Context, Strategy

Obj = dict[str, Any]
EVENT_TTL_SECONDS = 3600  # kube-apiserver --event-ttl default


class NodeStrategy(Strategy):
    """Nodes keep the status they are created with (the kubelet registers with one)."""

    has_status = True

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        status = obj.get("status")
        super().prepare_for_create(obj, ctx)
        if status is not None:
            obj["status"] = status

    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.node(obj)

    def fields(self, obj: Obj) -> dict[str, str]:
        out = super().fields(obj)
        out["spec.unschedulable"] = "true" if (obj.get("spec") or {}).get("unschedulable") else "false"
        return out


class EndpointsStrategy(Strategy):
    allow_create_on_update = True

    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.endpoints(obj)


class EventStrategy(Strategy):
    allow_create_on_update = True
    ttl_seconds = EVENT_TTL_SECONDS

    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.event(obj)

    def fields(self, obj: Obj) -> dict[str, str]:
        out = super().fields(obj)
        inv = obj.get("involvedObject") or {}
        for fld in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
                    "fieldPath"):
            out[f"involvedObject.{fld}"] = str(inv.get(fld, ""))
        out["reason"] = obj.get("reason", "")
        out["reportingComponent"] = obj.get("reportingComponent", "")
        out["source"] = (obj.get("source") or {}).get("component", "")
        out["type"] = obj.get("type", "")
        return out


class ConfigMapStrategy(Strategy):
    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.configmap(obj)


class SecretStrategy(Strategy):
    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.secret(obj)

    def fields(self, obj: Obj) -> dict[str, str]:
        out = super().fields(obj)
        out["type"] = obj.get("type", "")
        return out


class LeaseStrategy(Strategy):
    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.lease(obj)


class ServiceAccountStrategy(Strategy):
    pass
