"""Wiring: etcd clients, storage, registries, the HTTP listener and the background loops.

:class:`RunningApiServer` is used by ``main`` and, in process, by the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field

from aiohttp import web

from kubelite.api import errors
from kubelite.apiserver import bootstrap, openapi
from kubelite.apiserver.app import make_app
from kubelite.apiserver.config import Config
from kubelite.apiserver.namespace_finalizer import NamespaceFinalizer
from kubelite.apiserver.state import ApiServer
from kubelite.registry import catalog as catalog_mod
from kubelite.registry.allocator import IPRange, PortRange
from kubelite.registry.core import EventStrategy
from kubelite.storage.etcd2 import EtcdStorage
from pyetcd.client import EtcdClient

log = logging.getLogger(__name__)
BOOTSTRAP_RETRY_MAX = 5.0


@dataclass
class RunningApiServer:
    config: Config
    server: ApiServer
    runner: web.AppRunner
    clients: list[EtcdClient]
    port: int
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        host = self.config.insecure_bind_address
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.runner.cleanup()
        for client in self.clients:
            await client.close()


async def _bootstrap(server: ApiServer, config: Config, port: int) -> None:
    delay = 0.1
    while True:
        try:
            await bootstrap.run(server.catalog, server.context, port, config.advertise_address)
            return
        except errors.StatusError as err:
            log.warning("bootstrap failed, retrying reason=%s message=%s", err.reason, err.message)
        await asyncio.sleep(delay)
        delay = min(delay * 2, BOOTSTRAP_RETRY_MAX)


async def start(config: Config, rng: random.Random | None = None,
                reconcile_interval: float = bootstrap.RECONCILE_SECONDS) -> RunningApiServer:
    """Start listening and serving; returns once bootstrap objects exist.

    :param reconcile_interval: seconds between checks that the system namespaces and the
        ``kubernetes`` Service still exist (tests shorten it).
    """
    client = EtcdClient(config.etcd_servers)
    storage = EtcdStorage(client, config.etcd_prefix)
    EventStrategy.ttl_seconds = int(config.event_ttl)
    catalog = catalog_mod.build(storage, IPRange.parse(config.service_cluster_ip_range),
                                PortRange.parse(config.service_node_port_range), rng)
    index, docs = openapi.build_all()
    server = ApiServer(catalog=catalog, rng=rng or random.Random(), openapi_index=index,
                       openapi_docs=docs, kubelet_scheme="https" if config.kubelet_https else "http",
                       etcd_servers=config.etcd_servers,
                       min_request_timeout=int(config.min_request_timeout))
    app = make_app(server)
    access_log = logging.getLogger("kubelite.apiserver.access") if config.verbosity >= 2 else None
    runner = web.AppRunner(app, handler_cancellation=True, access_log=access_log)
    await runner.setup()
    site = web.TCPSite(runner, config.insecure_bind_address, config.insecure_port,
                       reuse_address=True)
    await site.start()
    addresses = runner.addresses
    port = int(addresses[0][1]) if addresses else config.insecure_port
    server.server_address = f"{config.insecure_bind_address}:{port}"
    running = RunningApiServer(config, server, runner, [client], port)
    try:
        await _bootstrap(server, config, port)
    except BaseException:
        await running.stop()
        raise
    finalizer = NamespaceFinalizer(catalog, server.context)
    running.tasks.append(asyncio.create_task(finalizer.run(), name="namespace-finalizer"))
    running.tasks.append(asyncio.create_task(
        bootstrap.reconcile_forever(catalog, server.context, port, reconcile_interval),
        name="bootstrap-reconcile"))
    log.info("serving address=%s etcd=%s prefix=%s", running.url, ",".join(config.etcd_servers),
             config.etcd_prefix)
    return running
