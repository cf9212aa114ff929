"""A read-only Store of objects derived from another kind's objects.

Serves ``discovery.k8s.io/v1`` EndpointSlices mirrored from ``v1`` Endpoints (what kube's
EndpointSliceMirroring controller writes), so ``kubectl describe service`` (which reads
slices in 1.32) shows the endpoints whoever maintains Endpoints wrote. Writes are 405.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from kubelite.api import errors, pagination
from kubelite.registry.generic import NO_FILTER, DeleteOptions, Filter, Store
from kubelite.registry.strategy import Context, Strategy
from kubelite.storage.watch import EventType, WatchEvent

Obj = dict[str, Any]
Derive = Callable[[Obj], list[Obj]]


class MirrorStore(Store):
    def __init__(self, strategy: Strategy, inner: Store, derive: Derive):
        super().__init__(strategy, inner.storage)
        self.inner = inner
        self.derive = derive

    def _read_only(self) -> errors.StatusError:
        return errors.method_not_allowed(
            f"{self.resource.qualified} are mirrored from {self.inner.resource.plural} and "
            f"read-only in kubelite; write the {self.inner.resource.plural} instead")

    async def get(self, namespace: str | None, name: str) -> Obj:
        candidates = [name]
        m = re.fullmatch(r"(.+)-(\d+)", name)
        if m:
            candidates.append(m.group(1))
        for source in candidates:
            try:
                derived = self.derive(await self.inner.get(namespace, source))
            except errors.StatusError as err:
                if err.code != 404:
                    raise
                continue
            for obj in derived:
                if obj["metadata"]["name"] == name:
                    return obj
        raise errors.not_found(self.resource.plural, self.resource.group, name)

    async def entries(self, namespace: str | None,
                      flt: Filter = NO_FILTER) -> tuple[pagination.Entries, int]:
        """The derived objects in their own key order (slices of one Endpoints need not sit
        together); the source is read whole, as its fields are not the derived ones."""
        sources, rv = await self.inner.entries(namespace)
        derived = [d for item in sources.objects() for d in self.derive(item)]
        return pagination.sort_entries(derived, self.across_namespaces(namespace)), rv

    async def watch(self, namespace: str | None, since: int | None,
                    flt: Filter = NO_FILTER) -> AsyncIterator[WatchEvent]:
        matches = self.matcher(flt)
        async for event in self.inner.watch(namespace, since):
            for derived in self.derive(event.object):
                if matches(derived) or event.type is EventType.DELETED:
                    yield WatchEvent(event.type, derived)

    async def create(self, obj: Obj, ctx: Context) -> Obj:
        raise self._read_only()

    async def update(self, namespace: str | None, name: str, body: Obj,
                     ctx: Context) -> tuple[Obj, bool]:
        raise self._read_only()

    async def patch(self, namespace: str | None, name: str, compute: Callable[[Obj | None], Obj],
                    ctx: Context, create_ok: bool = False) -> tuple[Obj, bool]:
        raise self._read_only()

    async def apply(self, namespace: str | None, name: str, config: Obj, ctx: Context,
                    force: bool) -> tuple[Obj, bool]:
        raise self._read_only()

    async def delete(self, namespace: str | None, name: str, opts: DeleteOptions,
                     ctx: Context) -> tuple[Obj, bool]:
        raise self._read_only()
