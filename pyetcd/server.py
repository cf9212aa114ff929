"""Server wiring: the data dir, the store, its API, the expiry ticker, an HTTP listener per URL
(:mod:`pyetcd.h1` connections), and the garbage-collector policy (:mod:`pyetcd.gcpolicy`).

Start-up: lock the data dir, recover the store (newest snapshot + WAL replay; or bootstrap a
fresh member), republish the member attributes as etcd does at every restart (+1 index),
expire what expired while the server was down, then listen (and only then tell systemd
READY=1).

Everything runs under one ``asyncio.TaskGroup``: a crash in any part stops the whole
server, and SIGTERM/SIGINT shut it down in order: stop accepting, end watches, let in-flight
requests (and their WAL writes) finish, close the WAL, exit.

The expiry ticker is etcd's leader loop: every 500 ms, while any node is due, it logs a SYNC
with the current time, which removes every node due by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from aiohttp import web

from pyetcd.api import V2Api
from pyetcd.autotls import self_signed
from pyetcd.cluster import ClusterInfo
from pyetcd.config import Config
from pyetcd.datadir import DataDir
from pyetcd.durable import Durable
from pyetcd.entries import Noop, encode_request
from pyetcd.gcpolicy import freeze_periodically
from pyetcd.h1 import H1Server
from pyetcd.http import Handler
from pyetcd.listener import Connections, Limits, Listener, server_ssl_context
from pyetcd.metrics import REGISTRY, add_process_metrics
from pyetcd.request import sync_request
from pyetcd.sdnotify import notify_ready, notify_stopping
from pyetcd.service import EtcdService, Item, Result
from pyetcd.store import Store
from pyetcd.wal import q

log = logging.getLogger(__name__)
T = TypeVar("T")
SHUTDOWN_TIMEOUT = 5.0  # seconds in-flight requests get to finish after a stop signal


def cluster_info(config: Config, now: int) -> ClusterInfo:
    return ClusterInfo(
        name=config.name,
        peer_urls=config.initial_advertise_peer_urls,
        client_urls=config.advertise_client_urls,
        token=config.initial_cluster_token,
        start_time=now,
    )


def build_api(config: Config, now: int) -> V2Api:
    """A fresh store behind the API, bootstrapped as a new etcd member would be."""
    api = V2Api(Store(), cluster_info(config, now), client_cert_auth=config.client_cert_auth)
    api.bootstrap()
    return api


async def open_service(config: Config, now: int) -> EtcdService:
    """Recover the store from ``--data-dir`` and put the WAL in front of it."""
    datadir = DataDir(config.effective_data_dir)
    datadir.open()
    try:
        cluster = cluster_info(config, now)

        def bootstrap() -> tuple[Store, int]:
            fresh = V2Api(Store(), cluster)
            fresh.bootstrap()
            return fresh.store, fresh.raft_index

        gc.disable()  # recovery creates millions of objects: no collections meanwhile (3x faster)
        try:
            rec = datadir.recover(bootstrap)
        finally:
            gc.enable()
    except BaseException:
        datadir.close()
        raise
    api = V2Api(rec.store, cluster, raft_index=rec.raft_index,
                client_cert_auth=config.client_cert_auth)
    service = EtcdService(api)
    durable: Durable[Item, Result | None] = Durable(
        datadir, rec, lambda: api.store, lambda: api.raft_index, service.apply_item,
        service.fail_item, Noop(), snapshot_count=config.snapshot_count,
        fsync=not config.unsafe_no_fsync)
    service.durable = durable
    log.info('msg="recovered" data_dir=%s fresh=%s snapshot_lsn=%d replayed=%d torn_bytes=%d '
             "index=%d seconds=%.3f", q(datadir.path), rec.fresh, rec.snapshot_lsn, rec.replayed,
             rec.torn_bytes, api.store.index, rec.seconds)
    if not rec.fresh:
        await service.publish_attributes()
    sync = sync_request(time.time_ns())
    due = api.store.ttl_heap.next_expiry()
    if due is not None and due <= sync.time:  # expired while the server was down
        await durable.write(encode_request(sync), sync)
    gc.freeze()  # the recovered tree is long-lived: keep it out of the collector's scans
    return service


def build_server(handler: Handler, idle_timeout: float = 3630.0) -> web.Server:
    # handler_cancellation: a client that goes away cancels its handler, which is how
    # a waiting watch learns that nobody listens any more (etcd: CloseNotify).
    # keepalive_timeout: how long a connection may sit idle between requests.
    return web.Server(handler, handler_cancellation=True, access_log=None,
                      keepalive_timeout=idle_timeout)


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to its end on a new event loop (uvloop's when installed)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def build_listeners(config: Config, server: Callable[[], asyncio.Protocol],
                    connections: Connections, guarded: bool = True,
                    socks: Sequence[socket.socket] = ()) -> list[Listener]:
    """One listener per ``--listen-client-urls`` URL; https ones share one TLS context.
    ``socks``: the URLs' sockets, bound already (a front process), in the same order."""
    context = None
    listeners: list[Listener] = []
    for url in config.listen_urls():
        if url.scheme == "https" and context is None:
            cert, key = config.cert_file, config.key_file
            if not (cert and key) and config.auto_tls:
                cert, key = self_signed(config.effective_data_dir / "fixtures" / "client",
                                        [u.host for u in config.listen_urls()])
            context = server_ssl_context(cert, key, config.trusted_ca_file,
                                         config.client_cert_auth)
        elif url.scheme == "http" and (config.cert_file or config.key_file):
            log.warning('msg="scheme is HTTP while key and cert files are present; ignoring '
                        'key and cert files" url=%s', url.text)
        sock = socks[len(listeners)] if socks else None
        listeners.append(Listener(url.text, url.host, url.port, server, connections,
                                  context if url.scheme == "https" else None, guarded, sock))
    return listeners


async def expiry_ticker(service: EtcdService, interval: float,
                        clock: Callable[[], int] = time.time_ns) -> None:
    while True:
        await asyncio.sleep(interval)
        service.sync(clock())  # logs a SYNC only when some TTL is due


async def background_until(stop: asyncio.Event, service: EtcdService, config: Config) -> None:
    """The store's background work until ``stop`` is set: TTL expiry and the GC freezer."""
    async with asyncio.TaskGroup() as tasks:
        ticker = tasks.create_task(expiry_ticker(service, config.sync_interval))
        freezer = tasks.create_task(freeze_periodically())
        await stop.wait()
        ticker.cancel()
        freezer.cancel()


async def serve(config: Config, stop: asyncio.Event | None = None,
                ready: Callable[[list[str]], None] | None = None) -> None:
    """Run until ``stop`` is set (or SIGTERM/SIGINT when ``stop`` is None), in this one
    process (``--workers N`` is :func:`pyetcd.workers.run_split`, which the CLI calls)."""
    data_dir = config.effective_data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    service = await open_service(config, time.time_ns())
    api = service.api
    add_process_metrics(REGISTRY)
    limits = Limits(config.max_connections, config.header_timeout, config.idle_timeout)
    connections = Connections(limits)
    h1 = H1Server(service, connections=connections, max_watchers=config.max_watchers,
                  body_timeout=config.idle_timeout)
    bound: list[str] = []
    listeners: list[Listener] = []
    stop = stop or signal_event()  # before READY=1: a stop right after it must be clean
    try:
        for listener in build_listeners(config, h1, connections, guarded=False):
            await listener.start()
            listeners.append(listener)
            bound.append(f"{listener.host}:{listener.port}")
            log.info('msg="serving client requests" url=%s', listener.url)
        log.info('msg="ready to serve client requests" name=%s member_id=%s cluster_id=%s '
                 "data_dir=%s max_connections=%d max_watchers=%d", config.name,
                 api.cluster.member_hex, api.cluster.cluster_hex, data_dir,
                 limits.max_connections, config.max_watchers)
        notify_ready()
        if ready is not None:
            ready(bound)
        await background_until(stop, service, config)
    finally:
        log.info('msg="shutting down"')
        notify_stopping()
        for listener in listeners:
            await listener.stop()  # stop accepting first: no new watch can slip in
        h1.close_watches()
        h1.close_idle()  # busy connections close once answered; nothing new is served
        try:
            await service.close()  # in-flight writes are fsynced and answered, WAL closed
        finally:
            h1.stop()
        log.info('msg="stopped" index=%d', api.store.index)


def signal_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
