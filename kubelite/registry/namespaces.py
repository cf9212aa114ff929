"""Namespaces: ``Active`` on create, ``Terminating`` on delete until finalized.

A namespace carries ``spec.finalizers: [kubernetes]``. Deleting it sets
``deletionTimestamp`` and ``status.phase: Terminating``; the namespace finalizer (a loop
in the apiserver, :mod:`kubelite.apiserver.namespace_finalizer`) deletes what is inside
and then removes the finalizer through ``PUT namespaces/<name>/finalize``, after which the
namespace disappears. Only ``finalize`` changes ``spec.finalizers``.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import errors
from kubelite.api.validation import FieldError
from kubelite.api.validation import kinds as validate
from kubelite.registry.generic import DeleteOptions, Store
from kubelite.registry.strategy import Context, Strategy

Obj = dict[str, Any]
FINALIZER = "kubernetes"
IMMORTAL = ("default", "kube-system", "kube-public")


class NamespaceStrategy(Strategy):
    has_status = True

    def initial_status(self, obj: Obj) -> Obj:
        return {"phase": "Active"}

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        super().prepare_for_create(obj, ctx)
        finalizers = list((obj.get("spec") or {}).get("finalizers") or [])
        if FINALIZER not in finalizers:
            finalizers.append(FINALIZER)
        obj["spec"] = {"finalizers": finalizers}

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        super().prepare_for_update(new, old, ctx)
        new["spec"] = copy.deepcopy(old.get("spec") or {})

    def validate(self, obj: Obj) -> list[FieldError]:
        return validate.namespace(obj)

    def finalize_on_delete(self, obj: Obj) -> bool:
        return bool(obj["metadata"].get("finalizers")) or bool(
            (obj.get("spec") or {}).get("finalizers"))

    def mark_deleting(self, obj: Obj, ctx: Context, grace: int) -> None:
        obj.setdefault("status", {})["phase"] = "Terminating"

    def fields(self, obj: Obj) -> dict[str, str]:
        out = super().fields(obj)
        out["status.phase"] = (obj.get("status") or {}).get("phase", "")
        return out


class NamespaceStore(Store):
    async def delete(self, namespace: str | None, name: str, opts: DeleteOptions,
                     ctx: Context) -> tuple[Obj, bool]:
        """kube's NamespaceLifecycle admission: the immortal namespaces stay (403), also in
        a collection delete, where kube's per-object check would not catch them."""
        if name in IMMORTAL:
            raise errors.forbidden("namespaces", "", name, "this namespace may not be deleted")
        return await super().delete(namespace, name, opts, ctx)

    async def finalize(self, name: str, body: Obj, ctx: Context) -> Obj:
        """``PUT namespaces/<name>/finalize``: set ``spec.finalizers`` from ``body``."""
        wanted = list((body.get("spec") or {}).get("finalizers") or [])

        def mutate(current: Obj | None) -> Obj:
            assert current is not None
            self._preconditions(body, current)
            current.setdefault("spec", {})["finalizers"] = wanted
            return current

        obj, _ = await self._write(None, name, mutate, ctx)
        return obj

    async def require_active(self, namespace: str, resource: str, group: str, name: str) -> None:
        """Creation inside ``namespace`` needs it to exist and not be terminating."""
        try:
            ns = await self.get(None, namespace)
        except errors.StatusError as err:
            if err.code == 404:
                raise errors.not_found("namespaces", "", namespace) from err
            raise
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.forbidden(
                resource, group, name,
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated")
