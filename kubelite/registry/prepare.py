"""Preparation: the pure half of every write (kube's ``rest.BeforeCreate``/``BeforeUpdate``).

What an object becomes before it is stored: strict decoding (unknown and mistyped fields),
system metadata, defaults, the strategy's changes, validation, preconditions and field
ownership. No storage and no clock of its own (``ctx.now``); :class:`Store` adds the I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from kubelite.api import errors, managedfields, meta, schema
from kubelite.api.resources import Resource
from kubelite.api.validation import FieldError, to_causes
from kubelite.registry.strategy import SYSTEM_META, Context, Strategy

Obj = dict[str, Any]


class Preparation:
    strategy: Strategy
    resource: Resource

    def _typed(self, obj: Obj) -> Obj:
        """A shallow copy with this kind's ``apiVersion`` and ``kind`` first (as kube
        serialises them); ``obj`` itself is left alone."""
        rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        return {"apiVersion": self.resource.api_version, "kind": self.resource.kind, **rest}

    def _invalid(self, obj: Obj, errs: list[FieldError]) -> errors.StatusError:
        name = (obj.get("metadata") or {}).get("name", "")
        return errors.invalid(self.resource.kind, self.resource.group, name, to_causes(errs))

    def check_fields(self, obj: Obj, ctx: Context) -> None:
        """Type errors always fail; unknown fields per ``fieldValidation``."""
        if self.strategy.type_name is None:
            return
        report = schema.check_fields(obj, self.strategy.type_name)
        kind, version = self.resource.kind, self.resource.api_version
        prefix = f'{kind} in version "{version}" cannot be handled as a {kind}: '
        if report.type_errors:
            raise errors.bad_request(prefix + report.type_errors[0])
        if not report.unknown or ctx.field_validation == "Ignore":
            return
        texts = [f'unknown field "{path}"' for path in report.unknown]
        if ctx.field_validation == "Strict":
            raise errors.bad_request(prefix + "strict decoding error: " + ", ".join(texts))
        ctx.warnings.extend(texts)

    def prune(self, obj: Obj) -> None:
        """Drop unknown fields (after ``check_fields`` accepted them), as kube's decoder,
        and write numeric quantities as strings, as kube's encoder."""
        if self.strategy.type_name is not None:
            schema.prune(obj, self.strategy.type_name)
            schema.normalize_quantities(obj, self.strategy.type_name)

    def _record(self, new: Obj, old: Obj | None, ctx: Context, subresource: str = "",
                base: list[Obj] | None = None) -> None:
        managedfields.record_update(new, old, ctx.manager, self.resource.api_version,
                                    meta.fmt_time(ctx.now), self.strategy.type_name, subresource,
                                    base)

    def prepare_create(self, obj: Obj, ctx: Context, track: bool = True) -> Obj:
        """Pure part of a create: system metadata, defaults, strategy, validation.

        ``track=False`` keeps the ``managedFields`` the caller computed (server-side apply).
        """
        self.check_fields(obj, ctx)
        obj = copy.deepcopy(obj)
        self.prune(obj)
        m = meta.meta(obj)
        given = managedfields.given_entries(obj) if track else None
        if track:
            m.pop("managedFields", None)
        for fld in SYSTEM_META:
            m.pop(fld, None)
        m.pop("resourceVersion", None)
        if self.resource.namespaced:
            m["namespace"] = ctx.namespace
        else:
            m.pop("namespace", None)
        if not m.get("name") and m.get("generateName"):
            m["name"] = meta.generate_name(m["generateName"], ctx.rng)
        m["uid"] = meta.new_uid(ctx.rng)
        m["creationTimestamp"] = meta.fmt_time(ctx.now)
        self.strategy.default(obj)
        self.strategy.prepare_for_create(obj, ctx)
        errs = self.strategy.validate(obj)
        if errs:
            raise self._invalid(obj, errs)
        if track:
            self._record(obj, None, ctx, base=given)
        return self._typed(obj)

    def _preconditions(self, new: Obj, old: Obj) -> None:
        nm, om = new.get("metadata") or {}, old["metadata"]
        name = om.get("name", "")
        rv = nm.get("resourceVersion")
        if rv and rv != om.get("resourceVersion"):
            raise errors.stale(self.resource.plural, self.resource.group, name)
        uid = nm.get("uid")
        if uid and uid != om.get("uid"):
            raise errors.conflict(
                self.resource.plural, self.resource.group, name,
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                f"{om.get('uid')}")

    def prepare_update(self, new: Obj, old: Obj, ctx: Context, track: bool = True) -> Obj:
        """Pure part of an update of the main resource (``track`` as in create)."""
        self._preconditions(new, old)
        self.check_fields(new, ctx)
        new = copy.deepcopy(new)
        self.prune(new)
        m, om = meta.meta(new), old["metadata"]
        if m.get("name", om["name"]) != om["name"]:
            raise errors.bad_request(
                f"the name of the object ({m.get('name')}) does not match the name on the URL "
                f"({om['name']})")
        for fld in SYSTEM_META:
            if fld in om:
                m[fld] = om[fld]
            else:
                m.pop(fld, None)
        m["name"] = om["name"]
        if self.resource.namespaced:
            m["namespace"] = om.get("namespace", ctx.namespace)
        self.strategy.default(new)
        self.strategy.prepare_for_update(new, old, ctx)
        errs = self.strategy.validate_update(new, old)
        if errs:
            raise self._invalid(new, errs)
        if track:
            given = managedfields.given_entries(new)
            m["managedFields"] = om.get("managedFields") or []
            self._record(new, old, ctx, base=given)
            if not m["managedFields"]:
                del m["managedFields"]
        return self._typed(new)

    def _apply_conflict(self, name: str,
                        conflicts: Sequence[managedfields.Conflict]) -> errors.StatusError:
        causes = tuple(errors.Cause("FieldManagerConflict",
                                    f'conflict with "{c.manager}" using {self.resource.api_version}',
                                    managedfields.describe(c.path)) for c in conflicts)
        if len(causes) == 1:
            text = f"Apply failed with 1 conflict: {causes[0].message}: {causes[0].field}"
        else:
            text = f"Apply failed with {len(causes)} conflicts: " + "\n".join(
                f"{c.message}: {c.field}" for c in causes)
        return errors.StatusError("Conflict", text, code=409, causes=causes)
