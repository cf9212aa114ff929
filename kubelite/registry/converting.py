"""A Store that serves another version of a kind stored by an inner Store.

Used for ``events.k8s.io/v1`` events over the ``v1`` event store: request bodies are checked
against the external schema and converted in, every returned object is converted out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

from kubelite.api import fieldselectors, pagination
from kubelite.registry.generic import FRESHNESS, NO_FILTER, DeleteOptions, Filter, Freshness, Store
from kubelite.registry.strategy import Context, Strategy
from kubelite.storage.watch import WatchEvent

Obj = dict[str, Any]
Convert = Callable[[Obj], Obj]


class ConvertingStore(Store):
    def __init__(self, strategy: Strategy, inner: Store, inbound: Convert, outbound: Convert,
                 field_labels: dict[str, str]):
        super().__init__(strategy, inner.storage)
        self.inner = inner
        self.inbound = inbound
        self.outbound = outbound
        self.field_labels = field_labels

    def _in(self, obj: Obj, ctx: Context) -> Obj:
        self.check_fields(obj, ctx)
        return self.inbound(obj)

    def _filter(self, flt: Filter) -> Filter:
        reqs = tuple(fieldselectors.FieldRequirement(self.field_labels.get(r.field, r.field),
                                                     r.value, r.negate)
                     for r in flt.fields.requirements)
        return Filter(flt.labels, fieldselectors.FieldSelector(reqs))

    async def get(self, namespace: str | None, name: str) -> Obj:
        return self.outbound(await self.inner.get(namespace, name))

    async def entries(self, namespace: str | None,
                      flt: Filter = NO_FILTER) -> tuple[pagination.Entries, int]:
        found, rv = await self.inner.entries(namespace, self._filter(flt))

        def load(i: int) -> Obj | None:
            obj = found.load(i)
            return self.outbound(obj) if obj is not None else None

        return pagination.Entries(found.keys, load), rv

    async def list_page(self, namespace: str | None, flt: Filter, opts: pagination.ListOptions,
                        window: int = pagination.HISTORY_EVENTS,
                        fresh: Freshness = FRESHNESS) -> pagination.Page:
        """The inner store's page (its keys, its field labels), converted out."""
        page = await self.inner.list_page(namespace, self._filter(flt), opts, window, fresh)
        return dataclasses.replace(page, items=[self.outbound(i) for i in page.items])

    async def create(self, obj: Obj, ctx: Context) -> Obj:
        return self.outbound(await self.inner.create(self._in(obj, ctx), ctx))

    async def update(self, namespace: str | None, name: str, body: Obj,
                     ctx: Context) -> tuple[Obj, bool]:
        obj, created = await self.inner.update(namespace, name, self._in(body, ctx), ctx)
        return self.outbound(obj), created

    async def patch(self, namespace: str | None, name: str, compute: Callable[[Obj | None], Obj],
                    ctx: Context, create_ok: bool = False) -> tuple[Obj, bool]:
        def inner_compute(current: Obj | None) -> Obj:
            external = self.outbound(current) if current is not None else None
            return self._in(compute(external), ctx)

        obj, created = await self.inner.patch(namespace, name, inner_compute, ctx, create_ok)
        return self.outbound(obj), created

    async def apply(self, namespace: str | None, name: str, config: Obj, ctx: Context,
                    force: bool) -> tuple[Obj, bool]:
        obj, created = await self.inner.apply(namespace, name, self._in(config, ctx), ctx, force)
        return self.outbound(obj), created

    async def delete(self, namespace: str | None, name: str, opts: DeleteOptions,
                     ctx: Context) -> tuple[Obj, bool]:
        obj, gone = await self.inner.delete(namespace, name, opts, ctx)
        return self.outbound(obj), gone

    async def watch(self, namespace: str | None, since: int | None,
                    flt: Filter = NO_FILTER) -> AsyncIterator[WatchEvent]:
        async for event in self.inner.watch(namespace, since, self._filter(flt)):
            yield WatchEvent(event.type, self.outbound(event.object))
