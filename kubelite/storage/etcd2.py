"""EtcdStorage: API objects as JSON values in the etcd v2 keys API.

Owns the mapping between objects and keys (kube's ``etcd_helper.go`` of the etcd v2 days):

* an object is stored as compact JSON at ``<prefix>/<resource>/<namespace>/<name>`` (or
  ``<prefix>/<resource>/<name>`` when cluster scoped) without ``resourceVersion``;
* ``metadata.resourceVersion`` is the key's ``modifiedIndex``, a list's is ``X-Etcd-Index``;
* every write is a compare-and-swap: creates use ``prevExist=false``, updates go through
  :meth:`EtcdStorage.guaranteed_update` (``prevIndex=<modifiedIndex>``, retried when another
  writer won), deletes use ``prevIndex`` too. There is no check-then-put anywhere.

etcd errors are translated in exactly one function, :func:`translate_etcd_error`. The
storage works unchanged against pyetcd and a real etcd 3.4 with ``--enable-v2``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from kubelite.storage.errors import StorageError, StorageErrorCode
from kubelite.storage.watch import RawEvent
from pyetcd import errors as etcd_errors
from pyetcd.client import ClusterUnavailable, EtcdClient
from pyetcd.errors import EtcdError

log = logging.getLogger(__name__)

Obj = dict[str, Any]
T = TypeVar("T")

# etcd's default --max-request-bytes is 1.5 MiB; an object must fit in one request.
MAX_OBJECT_BYTES = 1536 * 1024
# Conflicting writers are retried; a bound keeps a livelock from spinning forever.
MAX_UPDATE_ATTEMPTS = 64
# A watch whose etcd went away retries after 0.2 s, 0.4 s ... at most 2 s apart: quick to
# resume after a restart, a handful of connection attempts a second at worst.
WATCH_RETRY_FIRST = 0.1
WATCH_RETRY_MAX = 2.0


class _NoChange:
    def __repr__(self) -> str:
        return "NO_CHANGE"


NO_CHANGE = _NoChange()
TryUpdate = Callable[[Obj | None], Obj | _NoChange]


def translate_etcd_error(err: BaseException, key: str) -> StorageError:
    """The one place etcd v2 errors (and an unreachable cluster) are interpreted."""
    if isinstance(err, ClusterUnavailable):
        return StorageError(StorageErrorCode.UNREACHABLE, key, str(err))
    if not isinstance(err, EtcdError):
        return StorageError(StorageErrorCode.INTERNAL, key, str(err))
    table = {
        etcd_errors.KEY_NOT_FOUND: StorageErrorCode.KEY_NOT_FOUND,
        etcd_errors.NODE_EXIST: StorageErrorCode.KEY_EXISTS,
        etcd_errors.TEST_FAILED: StorageErrorCode.CONFLICT,
        etcd_errors.EVENT_INDEX_CLEARED: StorageErrorCode.EXPIRED,
    }
    code = table.get(err.code, StorageErrorCode.INTERNAL)
    if code is StorageErrorCode.EXPIRED:
        # etcd's cause reads "the requested history has been cleared [oldest/asked]".
        return StorageError(code, key, err.cause or err.message, index=err.index)
    return StorageError(code, key, f"etcd: {err}", index=err.index)


def encode(obj: Obj) -> str:
    """The stored form: compact JSON without ``resourceVersion`` (etcd supplies it)."""
    meta = obj.get("metadata") or {}
    if "resourceVersion" in meta or "selfLink" in meta:
        obj = dict(obj)
        obj["metadata"] = {k: v for k, v in meta.items() if k not in ("resourceVersion", "selfLink")}
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def decode(value: str, index: int) -> Obj:
    obj: Obj = json.loads(value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(index)
    return obj


def decode_or_none(key: str, value: str, index: int) -> Obj | None:
    """:func:`decode` for lists, which skip (and log) a value that is not an object."""
    try:
        obj = decode(value, index)
    except (ValueError, AttributeError):
        log.error("skipping undecodable value key=%s", key)
        return None
    return obj


class EtcdStorage:
    """CRUD, list and watch of JSON objects under ``prefix`` through an :class:`EtcdClient`.

    :param client: the shared etcd v2 client (endpoint failover happens there).
    :param prefix: etcd directory of everything, kube-apiserver's ``--etcd-prefix``.
    :param watch_clients: makes the client a watch long-polls with; by default one per watch
        with ``client``'s endpoints, so watches never queue behind the shared client's
        connection limit (each pending long poll holds a connection for as long as it waits).
    """

    def __init__(self, client: EtcdClient, prefix: str = "/registry",
                 watch_clients: Callable[[], EtcdClient] | None = None,
                 max_object_bytes: int = MAX_OBJECT_BYTES):
        self.client = client
        self.watch_clients = watch_clients or (lambda: EtcdClient(client.endpoints))
        self.prefix = "/" + prefix.strip("/")
        self.max_object_bytes = max_object_bytes

    def key(self, resource_dir: str, namespace: str | None, name: str | None = None) -> str:
        """``<prefix>/<dir>[/<namespace>][/<name>]``; a missing name gives the directory."""
        parts = [self.prefix, resource_dir]
        if namespace:
            parts.append(namespace)
        if name:
            parts.append(name)
        return "/".join(parts)

    async def _call(self, key: str, op: Awaitable[T]) -> T:
        try:
            return await op
        except (EtcdError, ClusterUnavailable) as err:
            raise translate_etcd_error(err, key) from err

    def _checked(self, key: str, obj: Obj) -> str:
        data = encode(obj)
        if len(data.encode()) > self.max_object_bytes:
            raise StorageError(
                StorageErrorCode.TOO_LARGE, key,
                f"Request entity too large: limit is {self.max_object_bytes}",
            )
        return data

    async def _read(self, key: str) -> tuple[str, int]:
        """The stored text and ``modifiedIndex`` of ``key``; a directory is not an object."""
        resp = await self._call(key, self.client.get(key))
        if resp.node is None or resp.node.dir or resp.node.value is None:
            raise StorageError(StorageErrorCode.KEY_NOT_FOUND, key, index=resp.etcd_index)
        return resp.node.value, resp.node.modified_index

    async def get(self, key: str) -> Obj:
        return decode(*await self._read(key))

    async def list_raw(self, dir_key: str) -> tuple[list[tuple[str, str, int]], int]:
        """Every value below ``dir_key`` as ``(key relative to dir_key, stored text,
        modifiedIndex)`` in byte order of the keys (kube's list order; etcd v2's ``sorted``
        is tree order, which differs when one namespace name prefixes another), and the etcd
        index of the read. Values are not decoded: a chunked list decodes only its page."""
        try:
            resp = await self._call(dir_key, self.client.get(dir_key, recursive=True))
        except StorageError as err:
            if err.code is StorageErrorCode.KEY_NOT_FOUND:
                return [], err.index
            raise
        assert resp.node is not None
        start = len(dir_key) + 1
        found = [(leaf.key[start:], leaf.value, leaf.modified_index)
                 for leaf in resp.node.leaves()
                 if leaf.value is not None and leaf.key.startswith(dir_key + "/")]
        found.sort(key=lambda e: e[0])
        return found, resp.etcd_index

    async def current_index(self) -> int:
        """etcd's index now (what a list would report)."""
        try:
            resp = await self._call(self.prefix, self.client.get(self.prefix))
        except StorageError as err:
            if err.code is StorageErrorCode.KEY_NOT_FOUND:
                return err.index
            raise
        return resp.etcd_index

    async def create(self, key: str, obj: Obj, ttl: int | None = None) -> Obj:
        data = self._checked(key, obj)
        resp = await self._call(key, self.client.create(key, data, ttl=ttl))
        assert resp.node is not None
        return decode(data, resp.node.modified_index)

    async def guaranteed_update(self, key: str, try_update: TryUpdate, *,
                                ignore_not_found: bool = False, ttl: int | None = None) -> Obj:
        """Read, apply the pure ``try_update(current)``, compare-and-swap; retry on races.

        ``try_update`` gets a private copy of the current object (``None`` when absent and
        ``ignore_not_found``) and returns the new object or :data:`NO_CHANGE`; it raises to
        abort. Nothing is written when the encoded object did not change.
        """
        for _ in range(MAX_UPDATE_ATTEMPTS):
            current: Obj | None = None
            raw: str | None = None
            index = 0
            try:
                raw, index = await self._read(key)
                current = decode(raw, index)
            except StorageError as err:
                if err.code is not StorageErrorCode.KEY_NOT_FOUND or not ignore_not_found:
                    raise
            new = try_update(copy.deepcopy(current) if current is not None else None)
            if isinstance(new, _NoChange):
                if current is None:
                    raise StorageError(StorageErrorCode.KEY_NOT_FOUND, key)
                return current
            data = self._checked(key, new)
            if current is not None and data == raw and ttl is None:
                return current
            try:
                if current is None:
                    resp = await self._call(key, self.client.create(key, data, ttl=ttl))
                else:
                    resp = await self._call(key, self.client.set(key, data, ttl=ttl,
                                                                 prev_index=index))
            except StorageError as err:
                if err.code in (StorageErrorCode.CONFLICT, StorageErrorCode.KEY_EXISTS,
                                StorageErrorCode.KEY_NOT_FOUND):
                    continue  # another writer won the race: read again and retry
                raise
            assert resp.node is not None
            return decode(data, resp.node.modified_index)
        raise StorageError(StorageErrorCode.CONFLICT, key, "too many conflicting writers")

    async def delete(self, key: str, precondition: Callable[[Obj], None] | None = None) -> Obj:
        """Delete with a compare on ``modifiedIndex``; returns the last stored object.

        ``precondition(current)`` raises to refuse (uid or resourceVersion mismatch).
        """
        for _ in range(MAX_UPDATE_ATTEMPTS):
            raw, index = await self._read(key)
            current = decode(raw, index)
            if precondition is not None:
                precondition(current)
            try:
                deleted = await self._call(key, self.client.delete(key, prev_index=index))
            except StorageError as err:
                if err.code is StorageErrorCode.CONFLICT:
                    continue
                raise
            assert deleted.node is not None
            current["metadata"]["resourceVersion"] = str(deleted.node.modified_index)
            return current
        raise StorageError(StorageErrorCode.CONFLICT, key, "too many conflicting writers")

    async def watch(self, dir_key: str, since: int) -> AsyncIterator[RawEvent]:
        """Events on leaf keys below ``dir_key`` with an index greater than ``since``.

        An unreachable etcd does not end the watch: the long poll is retried from the same
        index with a growing pause (up to :data:`WATCH_RETRY_MAX` seconds), so a watcher
        sees no gap when etcd comes back. Raises :class:`StorageError` ``EXPIRED`` when
        etcd's history (1000 events, and none from before an etcd restart) no longer
        reaches back to ``since + 1``; the client then lists and watches again.
        """
        wait_index = since + 1
        failures = 0
        async with self.watch_clients() as watcher:
            while True:
                try:
                    resp = await self._call(dir_key, watcher.watch(
                        dir_key, wait_index=wait_index, recursive=True))
                except StorageError as err:
                    if err.code is not StorageErrorCode.UNREACHABLE:
                        raise
                    failures += 1
                    if failures == 1:
                        log.warning("watch waiting for etcd key=%s index=%d: %s", dir_key,
                                    wait_index, err.message)
                    await asyncio.sleep(min(WATCH_RETRY_FIRST * 2 ** failures, WATCH_RETRY_MAX))
                    continue
                if failures:
                    log.info("watch resumed key=%s index=%d", dir_key, wait_index)
                    failures = 0
                node = resp.node
                if node is None:
                    continue
                wait_index = node.modified_index + 1
                if node.dir:
                    continue
                prev = resp.prev_node
                yield RawEvent(
                    action=resp.action, key=node.key, index=node.modified_index,
                    value=node.value,
                    prev_value=prev.value if prev is not None else None,
                    prev_index=prev.modified_index if prev is not None else 0,
                )
