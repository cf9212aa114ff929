"""Strategy: what differs between kinds in the generic create/update/delete pipeline.

kube's ``RESTCreateStrategy``/``RESTUpdateStrategy``/``RESTDeleteStrategy`` in one class.
Everything here is pure: it receives the request :class:`Context` (with ``now``) and
plain JSON objects, and never touches storage.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from kubelite.api import defaults, schema
from kubelite.api.resources import Resource
from kubelite.api.validation import FieldError
from kubelite.api.validation import kinds as validate

Obj = dict[str, Any]


@dataclass
class Context:
    """One request's inputs that are not in the body."""

    now: dt.datetime
    rng: random.Random = field(default_factory=random.Random)
    namespace: str = ""
    dry_run: bool = False
    field_manager: str = ""
    field_validation: str = "Warn"  # Strict | Warn | Ignore
    user_agent: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def manager(self) -> str:
        """The field manager of a write: ``?fieldManager=``, else the User-Agent's product."""
        if self.field_manager:
            return self.field_manager
        return (self.user_agent.split("/", 1)[0] or "unknown")[:128]


# Metadata only the server sets; a client's values are replaced by the stored ones.
SYSTEM_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
               "generation", "selfLink")


def spec_of(obj: Obj) -> Any:
    """Everything but metadata and status: what a change of bumps ``generation``."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


class Strategy:
    """The default behaviour; kinds override what differs.

    :cvar has_status: the kind has a ``status`` subresource, so main-resource writes keep
        the stored status and status writes keep everything else.
    :cvar tracks_generation: ``metadata.generation`` starts at 1 and grows on spec changes.
    :cvar allow_create_on_update: a PUT of a missing object creates it.
    :cvar graceful: deletion may be graceful (pods).
    """

    has_status = False
    tracks_generation = False
    allow_create_on_update = False
    graceful = False
    ttl_seconds: int | None = None

    def __init__(self, resource: Resource):
        self.resource = resource
        self.type_name = schema.root_type(resource.schema_root) if resource.schema_root else None
        self._default = defaults.DEFAULTERS.get(resource.plural, defaults.nothing)

    # -- create ---------------------------------------------------------------------------
    def default(self, obj: Obj) -> None:
        self._default(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        if self.has_status:
            obj.pop("status", None)
            initial = self.initial_status(obj)
            if initial is not None:
                obj["status"] = initial
        if self.tracks_generation:
            obj["metadata"]["generation"] = 1

    def initial_status(self, obj: Obj) -> Obj | None:
        return None

    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.generic(self.resource.namespaced)(obj)

    # -- update ---------------------------------------------------------------------------
    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        if self.has_status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        if self.tracks_generation:
            gen = old["metadata"].get("generation", 1)
            new["metadata"]["generation"] = gen + 1 if spec_of(new) != spec_of(old) else gen

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return validate.update_of(self.validate)(new, old)

    # -- status subresource ---------------------------------------------------------------
    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> Obj:
        """The stored object after a status write: ``old`` with ``new``'s status."""
        result = dict(old)
        result["metadata"] = dict(old["metadata"])
        if "status" in new:
            result["status"] = new["status"]
        else:
            result.pop("status", None)
        return result

    def validate_status_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return []

    # -- delete ---------------------------------------------------------------------------
    def grace_period(self, obj: Obj, requested: int | None) -> int:
        """Seconds a deletion waits (0 = remove now); only graceful kinds wait."""
        return 0

    def finalize_on_delete(self, obj: Obj) -> bool:
        """Whether deletion must wait for finalizers (kind-specific ones included)."""
        return bool(obj["metadata"].get("finalizers"))

    def mark_deleting(self, obj: Obj, ctx: Context, grace: int) -> None:
        """Kind-specific changes when deletion starts (e.g. a namespace turns Terminating)."""

    # -- selection ------------------------------------------------------------------------
    def fields(self, obj: Obj) -> dict[str, str]:
        meta = obj.get("metadata") or {}
        out = {"metadata.name": meta.get("name", "")}
        if self.resource.namespaced:
            out["metadata.namespace"] = meta.get("namespace", "")
        return out

    def ttl(self, obj: Obj) -> int | None:
        return self.ttl_seconds
