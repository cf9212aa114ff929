"""``--etcd-servers`` with several endpoints: a dead first endpoint is skipped."""

from __future__ import annotations

import random

import aiohttp

from kubelite.apiserver import server
from kubelite.apiserver.config import Config
from tests.support import procs


async def test_apiserver_fails_over_to_a_live_etcd(etcd_server: procs.ServerProcess,
                                                   unique_prefix: str) -> None:
    dead = f"http://127.0.0.1:{procs.free_port()}"
    cfg = Config(etcd_servers=(dead, etcd_server.url), etcd_prefix=unique_prefix + "/registry",
                 insecure_port=0)
    running = await server.start(cfg, rng=random.Random(7))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(running.url + "/api/v1/namespaces") as resp:
                body = await resp.json()
        assert resp.status == 200
        assert {"default", "kube-system"} <= {n["metadata"]["name"] for n in body["items"]}
    finally:
        await running.stop()


async def test_unreachable_etcd_is_a_500_status() -> None:
    cfg = Config(etcd_servers=(f"http://127.0.0.1:{procs.free_port()}",), insecure_port=0)
    from kubelite.apiserver import app as app_mod
    from kubelite.apiserver.state import ApiServer
    from kubelite.registry import catalog
    from kubelite.registry.allocator import IPRange, PortRange
    from kubelite.storage.etcd2 import EtcdStorage
    from pyetcd.client import EtcdClient

    client = EtcdClient(cfg.etcd_servers)
    cat = catalog.build(EtcdStorage(client), IPRange.parse("10.0.0.0/24"),
                        PortRange.parse("30000-32767"))
    application = app_mod.make_app(ApiServer(cat))
    runner = aiohttp.web.AppRunner(application)
    await runner.setup()
    port = procs.free_port()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/api/v1/namespaces/default/pods") as resp:
                body = await resp.json()
            async with session.get(f"http://127.0.0.1:{port}/readyz") as ready:
                text = await ready.text()
            async with session.get(f"http://127.0.0.1:{port}/livez") as live:
                assert live.status == 200
        assert resp.status == 500 and body["kind"] == "Status"
        assert "etcd cluster is unavailable" in body["message"]
        assert ready.status == 500 and "etcd failed" in text
    finally:
        await runner.cleanup()
        await client.close()
