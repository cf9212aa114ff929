"""Server wiring: the data dir, the store, its API, the expiry ticker, an HTTP listener per URL.

Start-up: lock the data dir, recover the store (newest snapshot + WAL replay; or bootstrap a
fresh member), republish the member attributes as etcd does at every restart (+1 index),
expire what expired while the server was down, then listen.

Everything runs under one ``asyncio.TaskGroup``: a crash in any part stops the whole
server, and SIGTERM/SIGINT shut it down in order: stop accepting, end watches, let in-flight
requests (and their WAL writes) finish, close the WAL, exit.

The expiry ticker is etcd's leader loop: every 500 ms, while any node has a TTL, it
proposes a SYNC with the current time, which removes every node due by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Callable

from aiohttp import web

from pyetcd.api import V2Api
from pyetcd.cluster import ClusterInfo
from pyetcd.config import Config
from pyetcd.datadir import DataDir
from pyetcd.durable import Durable
from pyetcd.entries import Noop, encode_request
from pyetcd.http import Handler
from pyetcd.metrics import REGISTRY, add_process_metrics
from pyetcd.request import sync_request
from pyetcd.service import EtcdService, Item, Result
from pyetcd.store import Store
from pyetcd.wal import q

log = logging.getLogger(__name__)
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
    api = V2Api(Store(), cluster_info(config, now))
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
    api = V2Api(rec.store, cluster, raft_index=rec.raft_index)
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


def build_server(handler: Handler) -> web.Server:
    # handler_cancellation: a client that goes away cancels its handler, which is how
    # a waiting watch learns that nobody listens any more (etcd: CloseNotify).
    return web.Server(handler, handler_cancellation=True, access_log=None)


async def expiry_ticker(service: EtcdService, interval: float,
                        clock: Callable[[], int] = time.time_ns) -> None:
    while True:
        await asyncio.sleep(interval)
        service.sync(clock())  # logs a SYNC only when some TTL is due


async def serve(config: Config, stop: asyncio.Event | None = None,
                ready: Callable[[list[str]], None] | None = None) -> None:
    """Run until ``stop`` is set (or SIGTERM/SIGINT when ``stop`` is None)."""
    data_dir = config.effective_data_dir
    data_dir.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    service = await open_service(config, time.time_ns())
    api = service.api
    add_process_metrics(REGISTRY)
    handler = Handler(service)
    runner = web.ServerRunner(build_server(handler), handle_signals=False,
                              shutdown_timeout=SHUTDOWN_TIMEOUT)
    bound: list[str] = []
    try:
        await runner.setup()
        for url in config.listen_urls():
            site = web.TCPSite(runner, url.host, url.port, reuse_address=True, backlog=1024)
            await site.start()
            bound.append(f"{url.host}:{url.port}")
            log.info("serving client requests url=http://%s:%d", url.host, url.port)
        log.info("ready name=%s member_id=%s cluster_id=%s data_dir=%s",
                 config.name, api.cluster.member_hex, api.cluster.cluster_hex, data_dir)
        if ready is not None:
            ready(bound)
        stop = stop or _signal_event()
        async with asyncio.TaskGroup() as tasks:
            ticker = tasks.create_task(expiry_ticker(service, config.sync_interval))
            await stop.wait()
            ticker.cancel()
    finally:
        log.info("shutting down")
        for listener in list(runner.sites):
            await listener.stop()  # stop accepting first: no new watch can slip in
        handler.close_watches()
        await runner.cleanup()  # waits for in-flight requests, writes included
        await service.close()
        log.info('msg="stopped" index=%d', api.store.index)


def _signal_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
