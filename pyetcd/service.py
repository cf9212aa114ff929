"""EtcdService: the one entry point a transport calls (etcd's ``EtcdServer.Do`` plus metrics).

::

    result = service.handle(method, target, body, content_type, now, respond)
    if result is None:      # a durable write: respond(result) is called once it is on disk
        ...
    else:                   # a read, an error or any other endpoint: answer now
        ...

Reads (and watches) are executed at once against the store, which only ever holds what is
on disk. Writes (PUT, POST, DELETE and the expiry SYNC) are encoded as WAL entries and go
through :class:`~pyetcd.durable.Durable`; ``respond`` is called from the event loop after
the batch holding the write was fsynced and applied, in log order. Without a data dir
(``durable=None``, the in-process test tier) writes are applied at once.

A failed disk write answers error 300 "Raft Internal Error" with Go's error text as the
cause and index 0, HTTP 500: what etcd's v2 handler sends for an error that is not a store
error (``writeKeyError``). The store is unchanged.

Metrics follow etcd 3.4's v2 handler: ``etcd_http_received_total{method}`` for every parsed
non-watch request (GET with quorum counts as ``QGET``), ``etcd_http_failed_total{method,code}``
with the HTTP status of a failed one, ``etcd_http_successful_duration_seconds{method}`` from
the start of the request to its answer (for a write, including the fsync).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from pyetcd import ETCD_CLUSTER_VERSION, ETCD_VERSION, entries, errors
from pyetcd.api import AuthCall, KeyCall, Reply, V2Api, WatchReply
from pyetcd.apply import apply
from pyetcd.auth import NO_CREDENTIALS, Credentials
from pyetcd.commit import resolve
from pyetcd.durable import Durable
from pyetcd.errors import EtcdError
from pyetcd.metrics import REGISTRY, Counter, Gauge, Histogram, exponential_buckets
from pyetcd.readcache import ReadCache
from pyetcd.request import KeyRequest, Method, sync_request
from pyetcd.wal import WalWriteError

Result = Reply | WatchReply
Respond = Callable[[Result], None]
# What the WAL carries: a client request (answered), a v2 auth change (answered, logged as
# one group), a SYNC, an internal write, a no-op.
Item = KeyCall | AuthCall | KeyRequest | entries.Internal | entries.Noop

HTTP_RECEIVED = REGISTRY.add(Counter(
    "etcd_http_received_total",
    "Counter of requests received into the system (successfully parsed and authd).",
    ("method",)))
HTTP_FAILED = REGISTRY.add(Counter(
    "etcd_http_failed_total",
    "Counter of handle failures of requests (non-watches), by method (GET/PUT etc.) "
    "and code (400, 500 etc.).", ("method", "code")))
HTTP_DURATION = REGISTRY.add(Histogram(
    "etcd_http_successful_duration_seconds",
    "Bucketed histogram of processing time (s) of successfully handled requests "
    "(non-watches), by method (GET/PUT etc.).", exponential_buckets(0.0005, 2, 13), ("method",)))
WATCH_REQUESTS = REGISTRY.add(Counter(
    "etcd_debugging_store_watch_requests_total",
    "Total number of incoming watch requests (new or reestablished)."))
HEALTH_OK = REGISTRY.add(Counter(
    "etcd_server_health_success", "The total number of successful health checks"))
HEALTH_FAILED = REGISTRY.add(Counter(
    "etcd_server_health_failures", "The total number of failed health checks"))
for _metric in (
    Gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.",
          source=lambda: 1),
    Gauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.",
          source=lambda: 1),
    Gauge("etcd_server_version", "Which version is running. 1 for 'server_version' label with "
          "current version.", ("server_version",), source=lambda: [((ETCD_VERSION,), 1)]),
    Gauge("etcd_cluster_version", "Which version is running. 1 for 'cluster_version' label with "
          "current cluster version", ("cluster_version",),
          source=lambda: [((ETCD_CLUSTER_VERSION,), 1)]),
):
    REGISTRY.add(_metric)

# The store's operation counters (kept in StoreStats for /v2/stats/store) by etcd's action names.
_WRITE_ACTIONS = (("set", "sets"), ("create", "create"), ("update", "update"),
                  ("compareAndSwap", "cas"), ("delete", "delete"), ("compareAndDelete", "cad"))


@dataclass(slots=True)
class _RecursiveReads:
    success: int = 0
    fail: int = 0


class EtcdService:
    def __init__(self, api: V2Api, durable: Durable[Item, Result | None] | None = None) -> None:
        self.api = api
        self.durable = durable
        self._recursive = _RecursiveReads()
        self._baseline = dataclasses.replace(api.store.stats)  # metrics count from here
        self._sync_pending = False
        self._reads = ReadCache()
        api.health_check = self.health
        api.metrics_text = REGISTRY.render
        self._bind_gauges()

    # ---- the entry point ---------------------------------------------------------------

    def handle(self, method: str, target: str, body: bytes, content_type: str | None,
               now: int, respond: Respond,
               creds: Credentials = NO_CREDENTIALS) -> Result | None:
        """Answer now (a :class:`Reply` or :class:`WatchReply`), or None and ``respond`` later."""
        start = time.perf_counter()
        api = self.api
        cacheable = method == "GET" and creds is NO_CREDENTIALS
        if cacheable:
            hit = self._reads.get(target, api.store.index, api.raft_index)
            if hit is not None:
                reply, recursive = hit
                api.store.stats.gets_success += 1
                HTTP_RECEIVED.labels("GET").inc()
                if recursive:
                    self._recursive.success += 1
                HTTP_DURATION.labels("GET").observe(time.perf_counter() - start)
                return reply
        routed = api.route(method, target, body, content_type, now, creds)
        if isinstance(routed, AuthCall):
            if self.durable is None:
                return self.api.execute(routed)
            self.durable.submit(entries.encode(auth_group(routed)), routed,
                                lambda r: respond(r) if r is not None else None)
            return None
        if type(routed) is not KeyCall:
            return routed  # type: ignore[return-value]
        req = routed.request
        label = _method_label(req)
        if not req.wait:
            HTTP_RECEIVED.labels(label).inc()
        if self.durable is not None and req.method is not Method.GET and req.method is not Method.HEAD:
            self._submit(routed, entries.encode_request(req), start, label, respond)
            return None
        result = api.execute(routed)
        self._observe(req, result, start, label)
        if cacheable and type(result) is Reply and not req.quorum and not req.wait:
            self._reads.put(target, api.store.index, api.raft_index, result, req.recursive)
        return result

    def handle_write(self, method: str, path: str, req: KeyRequest, entry: bytes,
                     respond: Respond, creds: Credentials = NO_CREDENTIALS) -> Result | None:
        """:meth:`handle` for a ``/v2/keys`` write already parsed by
        :func:`pyetcd.api.parse_key_write` (in a ``--workers`` front), with its WAL entry
        (``entries.encode_request(req)``): the same checks, metrics and answers from here on."""
        start = time.perf_counter()
        denied = self.api.authorize_keys(method, path, req, creds)
        if denied is not None:
            return denied
        call = KeyCall(req)
        label = req.method.value
        HTTP_RECEIVED.labels(label).inc()
        if self.durable is None:
            result = self.api.execute(call)
            self._observe(req, result, start, label)
            return result
        self._submit(call, entry, start, label, respond)
        return None

    def _submit(self, call: KeyCall, entry: bytes, start: float, label: str,
                respond: Respond) -> None:
        req = call.request

        def done(result: Result | None) -> None:
            assert result is not None
            self._observe(req, result, start, label)
            respond(result)

        assert self.durable is not None
        self.durable.submit(entry, call, done)

    async def handle_async(self, method: str, target: str, body: bytes,
                           content_type: str | None, now: int,
                           creds: Credentials = NO_CREDENTIALS) -> Result:
        """:meth:`handle` for transports that prefer to await."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        result = self.handle(method, target, body, content_type, now, partial(resolve, future),
                             creds)
        return result if result is not None else await future

    def sync(self, now: int) -> None:
        """The leader's expiry tick: log and apply a SYNC when a TTL is due at ``now``."""
        next_expiry = self.api.store.ttl_heap.next_expiry()
        if next_expiry is None or next_expiry > now or self._sync_pending:
            return
        req = sync_request(now)
        if self.durable is None:
            self.apply_item(req)
            return
        self._sync_pending = True

        def done(_: Result | None) -> None:
            self._sync_pending = False

        self.durable.submit(entries.encode_request(req), req, done)

    async def publish_attributes(self) -> None:
        """etcd republishes its member attributes at every restart: one internal write."""
        key = f"/0/members/{self.api.cluster.member_hex}/attributes"
        item = entries.Internal(key)
        if self.durable is None:
            self.apply_item(item)
        else:
            await self.durable.write(entries.encode(item), item)

    async def close(self) -> None:
        """Finish the writes in flight and close the WAL (after the transport stopped)."""
        if self.durable is not None:
            await self.durable.close()

    def health(self) -> bool:
        healthy = self.durable is None or self.durable.healthy
        (HEALTH_OK if healthy else HEALTH_FAILED).inc()
        return healthy

    # ---- what the committer calls (in log order, after the fsync; must not raise) ------

    def apply_item(self, item: Item) -> Result | None:
        if type(item) is KeyCall or isinstance(item, AuthCall):
            return self.api.execute(item)
        if isinstance(item, KeyRequest):
            assert item.method is Method.SYNC
            apply(self.api.store, item)
            self.api.raft_index += 1
        elif isinstance(item, entries.Internal):
            entries.apply_internal(self.api.store, item)
            self.api.raft_index += 1
        return None

    def fail_item(self, item: Item, err: WalWriteError) -> Result | None:
        if type(item) is KeyCall or isinstance(item, AuthCall):
            return self.api.error_reply(EtcdError(errors.RAFT_INTERNAL, str(err), 0))
        return None

    # ---- metrics -----------------------------------------------------------------------

    def _observe(self, req: KeyRequest, result: Result, start: float, method: str) -> None:
        if type(result) is WatchReply:
            WATCH_REQUESTS.inc()
            return
        assert type(result) is Reply
        if result.status < 300:
            HTTP_DURATION.labels(method).observe(time.perf_counter() - start)
        else:
            HTTP_FAILED.labels(method, str(result.status)).inc()
        if req.recursive and not req.is_write:
            if result.status < 300:
                self._recursive.success += 1
            else:
                self._recursive.fail += 1

    def _bind_gauges(self) -> None:
        store, base, rec = self.api.store, self._baseline, self._recursive

        def reads(success: bool) -> list[tuple[tuple[str, ...], float]]:
            gets = (store.stats.gets_success - base.gets_success if success
                    else store.stats.gets_fail - base.gets_fail)
            recursive = rec.success if success else rec.fail
            return [(("get",), gets - recursive), (("getRecursive",), recursive)]

        def writes(suffix: str) -> list[tuple[tuple[str, ...], float]]:
            return [((action,), getattr(store.stats, f"{field}_{suffix}")
                     - getattr(base, f"{field}_{suffix}")) for action, field in _WRITE_ACTIONS]

        for metric in (
            Gauge("etcd_debugging_store_watchers", "Count of currently active watchers.",
                  source=lambda: store.hub.count),
            Gauge("etcd_debugging_store_reads_total", "Total number of reads action by "
                  "(get/getRecursive), local to this member.", ("action",),
                  source=lambda: reads(True)),
            Gauge("etcd_debugging_store_reads_failed_total", "Failed read actions by "
                  "(get/getRecursive), local to this member.", ("action",),
                  source=lambda: reads(False)),
            Gauge("etcd_debugging_store_writes_total", "Total number of writes (e.g. "
                  "set/compareAndDelete) seen by this member.", ("action",),
                  source=lambda: writes("success")),
            Gauge("etcd_debugging_store_writes_failed_total", "Failed write actions (e.g. "
                  "set/compareAndDelete), seen by this member.", ("action",),
                  source=lambda: writes("fail")),
            Gauge("etcd_debugging_store_expires_total", "Total number of expired keys.",
                  source=lambda: store.stats.expire_count - base.expire_count),
            Gauge("etcd_server_id", "Server or member ID in hexadecimal format. 1 for "
                  "'server_id' label with current ID.", ("server_id",),
                  source=lambda: [((self.api.cluster.member_hex,), 1)]),
        ):
            if metric.name != "etcd_debugging_store_watchers" and metric.name != "etcd_server_id":
                metric.kind = "counter"  # counters computed from the store's own counts
            REGISTRY.add(metric)


def auth_group(call: AuthCall) -> entries.Group:
    """An auth change as one WAL entry: its writes, each with the error codes after which
    ``V2Api.execute`` goes on (``on_error`` answers of None); any other error ends it there,
    live and in a replay alike."""
    return entries.Group(tuple(
        (w.request, frozenset(code for code, answer in w.on_error if answer is None))
        for w in call.plan.writes))


def _method_label(req: KeyRequest) -> str:
    if req.quorum and req.method is Method.GET:
        return "QGET"
    return req.method.value
