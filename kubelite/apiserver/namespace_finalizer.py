"""Finishes namespace deletion (kube's namespace controller, run inside the apiserver).

For every namespace with a ``deletionTimestamp``: delete every namespaced object in it
(pods gracefully, as any client would), and once nothing is left remove the ``kubernetes``
finalizer through ``finalize``, which removes the namespace. One task per namespace;
restarts resume from the stored state (the watch starts with every namespace).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kubelite.api import errors
from kubelite.api.resources import RESOURCES
from kubelite.registry.catalog import Catalog
from kubelite.registry.converting import ConvertingStore
from kubelite.registry.generic import DeleteOptions
from kubelite.registry.mirror import MirrorStore
from kubelite.registry.namespaces import FINALIZER
from kubelite.registry.strategy import Context
from kubelite.storage.watch import EventType

log = logging.getLogger(__name__)
MAX_BACKOFF = 5.0


class NamespaceFinalizer:
    def __init__(self, catalog: Catalog, ctx_factory: Callable[[str], Context]):
        self.catalog = catalog
        self.ctx = ctx_factory
        self.tasks: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        delay = 0.1
        while True:
            try:
                async for event in self.catalog.namespaces.watch(None, None):
                    delay = 0.1
                    m = event.object["metadata"]
                    if event.type is not EventType.DELETED and m.get("deletionTimestamp"):
                        self.kick(m["name"])
            except errors.StatusError as err:
                log.info("namespace watch ended reason=%s", err.reason)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    def kick(self, name: str) -> None:
        task = self.tasks.get(name)
        if task is None or task.done():
            self.tasks[name] = asyncio.create_task(self.finalize(name), name=f"ns-finalize-{name}")

    async def empty(self, name: str) -> bool:
        """Delete what is left in the namespace; True when nothing was left."""
        left = 0
        for res in RESOURCES:
            if not res.namespaced or (res.group, res.plural) not in self.catalog.stores:
                continue
            store = self.catalog.store(res)
            if isinstance(store, ConvertingStore | MirrorStore):
                continue  # another version of objects another store already deletes
            items, _ = await store.list(name)
            left += len(items)
            for item in items:
                if item["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    await store.delete(name, item["metadata"]["name"], DeleteOptions(),
                                       self.ctx(name))
                except errors.StatusError as err:
                    if err.code not in (404, 409):
                        raise
        return left == 0

    async def finalize(self, name: str) -> None:
        delay = 0.05
        while True:
            try:
                if await self.empty(name):
                    ns = await self.catalog.namespaces.get(None, name)
                    rest = [f for f in (ns.get("spec") or {}).get("finalizers") or []
                            if f != FINALIZER]
                    await self.catalog.namespaces.finalize(
                        name, {"spec": {"finalizers": rest}}, self.ctx(""))
                    log.info("namespace finalized name=%s", name)
                    return
            except errors.StatusError as err:
                if err.code == 404:
                    return
                log.warning("namespace cleanup failed name=%s reason=%s", name, err.message)
            except Exception:  # noqa: BLE001 - one namespace's failure must not stop retries
                log.exception("namespace cleanup failed name=%s", name)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)
