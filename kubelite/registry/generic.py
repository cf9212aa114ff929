"""Store: the generic registry of one resource (kube's ``registry/generic/registry.Store``).

Create, get, list, update (PUT), patch, status writes, delete (graceful, with finalizers)
and watch for any kind, parametrised by its :class:`Strategy`. Every write goes through
:meth:`EtcdStorage.guaranteed_update` or a ``prevExist=false`` create, so concurrent
writers never lose updates; a client's stale ``resourceVersion`` is a 409 Conflict.

Storage errors become ``Status`` errors in :meth:`Store._storage` via
:func:`kubelite.api.errors.interpret_storage_error`; nothing else catches them.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kubelite.api import errors, fieldselectors, labels, listrv, managedfields, meta, pagination
from kubelite.registry.prepare import Preparation
from kubelite.registry.strategy import Context, Strategy
from kubelite.storage.errors import StorageError, StorageErrorCode
from kubelite.storage.etcd2 import NO_CHANGE, EtcdStorage, _NoChange, decode_or_none
from kubelite.storage.watch import WatchEvent, translate

Obj = dict[str, Any]
T = TypeVar("T")
Mutation = Callable[[Obj | None], Obj]


@dataclass(frozen=True, slots=True)
class DeleteOptions:
    """What a DELETE asks for. ``propagation`` is validated and kept, but no garbage
    collector acts on it yet: kubelite behaves like kube-apiserver with
    ``--enable-garbage-collector=false`` (dependents are left alone, no GC finalizers)."""

    grace_period: int | None = None
    propagation: str = ""
    uid: str | None = None
    resource_version: str | None = None
    dry_run: bool = False
    orphan_dependents: bool | None = None  # the deprecated form of ``propagation``


@dataclass(frozen=True, slots=True)
class Filter:
    labels: labels.Selector = labels.EVERYTHING
    fields: fieldselectors.FieldSelector = fieldselectors.FieldSelector()


NO_FILTER = Filter()


async def _pause() -> None:
    await asyncio.sleep(0.05)  # between index reads while a list waits for its resourceVersion


@dataclass(frozen=True, slots=True)
class Freshness:
    """How long a "not older than N" list waits for etcd's index to reach N (kube's watch
    cache waits 3 s), and what it does between two reads of the index (tests inject an
    awaitable here to sequence a write inside the wait)."""

    timeout: float = listrv.BLOCK_TIMEOUT  # seconds
    pause: Callable[[], Awaitable[None]] = _pause


FRESHNESS = Freshness()


class Store(Preparation):
    def __init__(self, strategy: Strategy, storage: EtcdStorage):
        self.strategy = strategy
        self.resource = strategy.resource
        self.storage = storage

    # -- keys and errors ------------------------------------------------------------------
    def key(self, namespace: str | None, name: str | None = None) -> str:
        ns = namespace if self.resource.namespaced else None
        return self.storage.key(self.resource.directory, ns, name)

    async def _storage(self, name: str, op: Awaitable[T]) -> T:
        try:
            return await op
        except StorageError as err:
            raise errors.interpret_storage_error(
                err, self.resource.plural, self.resource.group, name) from err

    def matcher(self, flt: Filter) -> Callable[[Obj], bool]:
        """The filter as a predicate; a field the kind does not publish is a 400."""
        try:
            flt.fields.check_supported(set(self.strategy.fields({"metadata": {}})))
        except labels.SelectorError as exc:
            raise errors.bad_request(str(exc)) from exc

        def matches(obj: Obj) -> bool:
            if not flt.labels.matches((obj.get("metadata") or {}).get("labels")):
                return False
            return flt.fields.empty() or flt.fields.matches(self.strategy.fields(obj))
        return matches

    # -- read -----------------------------------------------------------------------------
    async def get(self, namespace: str | None, name: str) -> Obj:
        obj = await self._storage(name, self.storage.get(self.key(namespace, name)))
        return self._typed(obj)

    async def entries(self, namespace: str | None,
                      flt: Filter = NO_FILTER) -> tuple[pagination.Entries, int]:
        """Every object under the list's key prefix, matching ``flt`` or not, in key order
        (decoded when read), and the etcd index of the read. The filter only narrows the
        read: an exact ``metadata.name`` reads that one key."""
        name = flt.fields.exact("metadata.name")
        if name is not None and (namespace or not self.resource.namespaced):
            try:
                items = [await self.get(namespace, name)]
            except errors.StatusError as err:
                if err.code != 404:
                    raise
                items = []
            rv = await self._storage("", self.storage.current_index())
            return pagination.sort_entries(items, self.across_namespaces(namespace)), rv
        dir_key = self.key(namespace)
        found, rv = await self._storage("", self.storage.list_raw(dir_key))

        def load(i: int) -> Obj | None:
            key, value, index = found[i]
            obj = decode_or_none(f"{dir_key}/{key}", value, index)
            return self._typed(obj) if obj is not None else None

        return pagination.Entries([key for key, _, _ in found], load), rv

    def across_namespaces(self, namespace: str | None) -> bool:
        return self.resource.namespaced and not namespace

    async def list(self, namespace: str | None, flt: Filter = NO_FILTER) -> tuple[list[Obj], int]:
        """Every matching object, in key order, and the list's resourceVersion."""
        page = await self.list_page(namespace, flt, pagination.ListOptions())
        return page.items, page.resource_version

    async def list_page(self, namespace: str | None, flt: Filter, opts: pagination.ListOptions,
                        window: int = pagination.HISTORY_EVENTS,
                        fresh: Freshness = FRESHNESS) -> pagination.Page:
        """One chunk of the list (all of it without ``limit``); see :mod:`pagination`, and
        :mod:`listrv` for what the list's resourceVersion asks of the read."""
        matches = self.matcher(flt)
        entries, rv = await self.entries(namespace, flt)
        if rv < opts.read.minimum:
            await self._wait_for_index(opts.read, rv, fresh)
            entries, rv = await self.entries(namespace, flt)
        return pagination.cut(entries, rv, opts, matches,
                              flt.labels.empty() and flt.fields.empty(), window)

    async def _wait_for_index(self, read: listrv.ReadAt, current: int, fresh: Freshness) -> None:
        """Re-read etcd's index until it reaches ``read.minimum``; 504 after the timeout."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while listrv.must_wait(read, current, loop.time() - start, fresh.timeout):
            await fresh.pause()
            current = await self._storage("", self.storage.current_index())

    # -- create ---------------------------------------------------------------------------
    async def create(self, obj: Obj, ctx: Context) -> Obj:
        requested_rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        obj = self.prepare_create(obj, ctx)
        name = obj["metadata"]["name"]
        if ctx.dry_run:
            return obj
        if requested_rv.isdigit() and int(requested_rv) > 0:
            # kube's storage refuses it (a copied object, probably): a 500 without reason,
            # after validation and, as kube's dry-run storage skips the check, not in dry run
            raise errors.StatusError("", "resourceVersion should not be set on objects to be "
                                     "created", code=500)
        stored = await self._storage(name, self.storage.create(
            self.key(ctx.namespace, name), obj, ttl=self.strategy.ttl(obj)))
        return self._typed(stored)

    # -- update ---------------------------------------------------------------------------
    async def _write(self, namespace: str | None, name: str, mutate: Mutation, ctx: Context,
                     create_ok: bool = False) -> tuple[Obj, bool]:
        """Run ``mutate(current)`` under compare-and-swap; returns (object, created)."""
        key = self.key(namespace, name)
        created = False

        def try_update(current: Obj | None) -> Obj | _NoChange:
            nonlocal created
            created = current is None
            return mutate(current)

        if ctx.dry_run:
            try:
                current: Obj | None = await self._storage(name, self.storage.get(key))
            except errors.StatusError as err:
                if err.code != 404 or not create_ok:
                    raise
                current = None
            result = try_update(current)
            return self._typed(result if isinstance(result, dict) else current or {}), created
        obj = await self._storage(name, self.storage.guaranteed_update(
            key, try_update, ignore_not_found=create_ok, ttl=self.strategy.ttl_seconds))
        obj = await self._finish_deletion_if_done(namespace, obj)
        return self._typed(obj), created

    async def update(self, namespace: str | None, name: str, body: Obj, ctx: Context) -> tuple[Obj, bool]:
        """PUT: replace the object (create it if the kind allows); rv mismatch is a 409."""
        def mutate(current: Obj | None) -> Obj:
            if current is None:
                body_meta = meta.meta(copy.deepcopy(body))
                if body_meta.get("resourceVersion"):
                    raise errors.not_found(self.resource.plural, self.resource.group, name)
                return self.prepare_create(body, ctx)
            return self.prepare_update(body, current, ctx)

        return await self._write(namespace, name, mutate, ctx,
                                 create_ok=self.strategy.allow_create_on_update)

    async def patch(self, namespace: str | None, name: str,
                    compute: Callable[[Obj | None], Obj], ctx: Context,
                    create_ok: bool = False) -> tuple[Obj, bool]:
        """PATCH: ``compute(current)`` gives the new object, which is then admitted."""
        def mutate(current: Obj | None) -> Obj:
            new = compute(self._typed(current) if current is not None else None)
            if current is None:
                return self.prepare_create(new, ctx)
            return self.prepare_update(new, current, ctx)

        return await self._write(namespace, name, mutate, ctx, create_ok=create_ok)

    async def apply(self, namespace: str | None, name: str, config: Obj, ctx: Context,
                    force: bool) -> tuple[Obj, bool]:
        """Server-side apply: merge ``config`` owned by ``ctx.manager``; create if absent."""
        self.check_fields(config, ctx)
        config = copy.deepcopy(config)
        self.prune(config)

        def mutate(current: Obj | None) -> Obj:
            merged, conflicts = managedfields.apply(
                current, config, ctx.manager, self.resource.api_version, meta.fmt_time(ctx.now),
                self.strategy.type_name, force)
            if conflicts and not force:
                raise self._apply_conflict(name, conflicts)
            if current is None:
                return self.prepare_create(merged, ctx, track=False)
            merged["metadata"]["resourceVersion"] = (config.get("metadata") or {}).get(
                "resourceVersion") or current["metadata"]["resourceVersion"]
            return self.prepare_update(merged, current, ctx, track=False)

        return await self._write(namespace, name, mutate, ctx, create_ok=True)

    async def write_status(self, namespace: str | None, name: str,
                           compute: Callable[[Obj], Obj], ctx: Context) -> Obj:
        """PUT/PATCH of ``/status``: only ``status`` changes (preconditions still apply)."""
        def mutate(current: Obj | None) -> Obj:
            assert current is not None
            new = compute(self._typed(copy.deepcopy(current)))
            self._preconditions(new, current)
            self.check_fields(new, ctx)
            self.prune(new)
            result = self.strategy.prepare_for_status_update(new, current, ctx)
            errs = self.strategy.validate_status_update(result, current)
            if errs:
                raise self._invalid(result, errs)
            self._record(result, current, ctx, "status")
            return self._typed(result)

        obj, _ = await self._write(namespace, name, mutate, ctx)
        return obj

    # -- delete ---------------------------------------------------------------------------
    def _check_delete_preconditions(self, opts: DeleteOptions) -> Callable[[Obj], None]:
        def check(current: Obj) -> None:
            m = current["metadata"]
            if opts.uid is not None and opts.uid != m.get("uid"):
                raise errors.conflict(
                    self.resource.plural, self.resource.group, m.get("name", ""),
                    f"Precondition failed: UID in precondition: {opts.uid}, UID in object meta: "
                    f"{m.get('uid')}")
            if (opts.resource_version is not None
                    and opts.resource_version != m.get("resourceVersion")):
                raise errors.conflict(
                    self.resource.plural, self.resource.group, m.get("name", ""),
                    f"Precondition failed: ResourceVersion in precondition: "
                    f"{opts.resource_version}, ResourceVersion in object meta: "
                    f"{m.get('resourceVersion')}")
        return check

    def _before_delete(self, current: Obj, opts: DeleteOptions) -> None:
        """The early precondition check of kube's ``rest.BeforeDelete`` (its wording names
        the kind, not the resource); the same check inside the CAS speaks as storage."""
        m = current["metadata"]
        kind = self.resource.kind + (f".{self.resource.group}" if self.resource.group else "")
        for what, want, have, tail in (
                ("UID", opts.uid, m.get("uid"), "deleted and then recreated"),
                ("ResourceVersion", opts.resource_version, m.get("resourceVersion"), "modified")):
            if want is not None and want != have:
                raise errors.StatusError(
                    "Conflict", f'Operation cannot be fulfilled on {kind} "{m.get("name", "")}": '
                    f"the {what} in the precondition ({want}) does not match the {what} in "
                    f"record ({have}). The object might have been {tail}",
                    name=m.get("name", ""), group=self.resource.group, kind=self.resource.kind)

    async def delete(self, namespace: str | None, name: str, opts: DeleteOptions,
                     ctx: Context) -> tuple[Obj, bool]:
        """Delete now, or start a graceful / finalizer-held deletion; returns (obj, gone)."""
        key = self.key(namespace, name)
        check = self._check_delete_preconditions(opts)
        current = await self._storage(name, self.storage.get(key))
        self._before_delete(current, opts)
        check(current)
        grace = self.strategy.grace_period(current, opts.grace_period)
        if grace > 0 or self.strategy.finalize_on_delete(current):
            obj = await self._mark_deleting(namespace, name, grace, check, ctx)
            if obj is not None:
                return obj, False
        if ctx.dry_run:
            return self._typed(current), True
        deleted = await self._storage(name, self.storage.delete(key, check))
        await self.after_delete(deleted)
        return self._typed(deleted), True

    async def _mark_deleting(self, namespace: str | None, name: str, grace: int,
                             check: Callable[[Obj], None], ctx: Context) -> Obj | None:
        """Set ``deletionTimestamp``; ``None`` when the object may go right away instead."""
        ready_to_go = False

        def mutate(current: Obj | None) -> Obj:
            nonlocal ready_to_go
            assert current is not None
            check(current)
            m = current["metadata"]
            if self.strategy.graceful and grace == 0 and not self.strategy.finalize_on_delete(current):
                ready_to_go = True
                return current
            when = ctx.now + dt.timedelta(seconds=grace)
            if m.get("deletionTimestamp"):
                # Already deleting: only a shorter grace period changes anything.
                old_grace = m.get("deletionGracePeriodSeconds")
                if old_grace is not None and grace < old_grace:
                    m["deletionTimestamp"] = meta.fmt_time(when)
                    m["deletionGracePeriodSeconds"] = grace
                return current
            m["deletionTimestamp"] = meta.fmt_time(when)
            m["deletionGracePeriodSeconds"] = grace
            self.strategy.mark_deleting(current, ctx, grace)
            return current

        obj, _ = await self._write(namespace, name, mutate, ctx)
        return None if ready_to_go else obj

    async def _finish_deletion_if_done(self, namespace: str | None, obj: Obj) -> Obj:
        """After an update: an object being deleted whose holds are all gone is removed."""
        m = obj["metadata"]
        if not m.get("deletionTimestamp") or self.strategy.finalize_on_delete(obj):
            return obj
        if self.strategy.graceful and m.get("deletionGracePeriodSeconds", 0) > 0:
            return obj
        key = self.key(namespace, m["name"])
        uid = m.get("uid")

        def same(current: Obj) -> None:
            if current["metadata"].get("uid") != uid:
                raise StorageError(StorageErrorCode.CONFLICT, key)

        try:
            deleted = await self.storage.delete(key, same)
        except StorageError:
            return obj  # someone else already finished (or replaced) it
        await self.after_delete(deleted)
        return deleted

    async def after_delete(self, obj: Obj) -> None:
        """Hook: release what the object held (service IPs and ports)."""

    # -- watch ----------------------------------------------------------------------------
    async def watch(self, namespace: str | None, since: int | None,
                    flt: Filter = NO_FILTER) -> AsyncIterator[WatchEvent]:
        """Events after ``since``; with ``None``, ADDED for what exists now, then changes.

        A ``since`` older than etcd's history raises a 410 Expired :class:`StatusError`.
        """
        from kubelite.storage.watch import EventType

        matches = self.matcher(flt)
        if since is None:
            items, since = await self.list(namespace, flt)
            for item in items:
                yield WatchEvent(EventType.ADDED, item)
        try:
            async for raw in self.storage.watch(self.key(namespace), since):
                event = translate(raw, matches)
                if event is not None:
                    yield WatchEvent(event.type, self._typed(event.object))
        except StorageError as err:
            if err.code is StorageErrorCode.EXPIRED:
                raise errors.expired(f"too old resource version: {since} ({err.index})") from err
            raise errors.interpret_storage_error(err, self.resource.plural,
                                                 self.resource.group, "") from err


__all__ = ["NO_CHANGE", "DeleteOptions", "Filter", "Store", "Context"]
