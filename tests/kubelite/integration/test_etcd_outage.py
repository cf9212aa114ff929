"""etcd briefly unavailable: requests get a 500 Status (never a crash or a hang), watches
wait and resume without a gap, and an apiserver that starts before etcd finishes its
bootstrap once etcd answers. The outage is a TCP proxy the test cuts and restores, so the
shared etcd (pyetcd or etcd 3.4) keeps running."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from kubelite.apiserver import server
from kubelite.apiserver.config import Config
from tests.support import procs

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
EVENT_WAIT = 15.0


class Proxy:
    """A loopback TCP proxy to one etcd that can be cut (listener closed, connections
    aborted) and restored on the same port."""

    def __init__(self, target: str):
        host, port = target.removeprefix("http://").rsplit(":", 1)
        self.target = (host, int(port))
        self.port = procs.free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port,
                                                 reuse_address=True)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()
        self.server = None

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links -= {writer, up_writer}


@contextlib.asynccontextmanager
async def proxied(etcd: procs.ServerProcess) -> AsyncIterator[Proxy]:
    proxy = Proxy(etcd.url)
    await proxy.restore()
    try:
        yield proxy
    finally:
        if proxy.server is not None:
            await proxy.cut()


def config(proxy: Proxy, prefix: str) -> Config:
    return Config(etcd_servers=(proxy.url,), etcd_prefix=prefix + "/registry",
                  insecure_bind_address="127.0.0.1", insecure_port=0)


def configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {"k": name}}


async def next_event(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    line = await asyncio.wait_for(resp.content.readline(), EVENT_WAIT)
    assert line, "the watch ended"
    event: dict[str, Any] = json.loads(line)
    return event


async def test_outage_gives_500s_and_watches_resume(etcd_server: procs.ServerProcess,
                                                    unique_prefix: str) -> None:
    async with proxied(etcd_server) as proxy:
        running = await server.start(config(proxy, unique_prefix), rng=random.Random(5))
        try:
            async with aiohttp.ClientSession(running.url) as http:
                async with http.get(CONFIGMAPS) as resp:
                    rv = (await resp.json())["metadata"]["resourceVersion"]
                watch = await http.get(f"{CONFIGMAPS}?watch=1&resourceVersion={rv}")
                async with http.post(CONFIGMAPS, json=configmap("before")) as resp:
                    assert resp.status == 201
                event = await next_event(watch)
                assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "before")

                await proxy.cut()
                for method, path, body in (("GET", CONFIGMAPS, None),
                                           ("GET", CONFIGMAPS + "/before", None),
                                           ("POST", CONFIGMAPS, configmap("lost")),
                                           ("DELETE", CONFIGMAPS + "/before", None)):
                    async with http.request(method, path, json=body) as resp:
                        status = await resp.json()
                    assert resp.status == 500, status
                    assert (status["kind"], status["reason"]) == ("Status", "InternalError")
                    assert "etcd cluster is unavailable" in status["message"]
                    assert status["details"]["causes"] == [
                        {"message": status["message"].removeprefix("Internal error occurred: ")}]
                async with http.get("/readyz") as resp:
                    assert resp.status == 500
                async with http.get("/livez") as resp:
                    assert resp.status == 200

                await proxy.restore()
                async with http.post(CONFIGMAPS, json=configmap("after")) as resp:
                    assert resp.status == 201, await resp.text()
                # the same watch goes on: no ERROR, no gap, nothing from the failed writes
                event = await next_event(watch)
                assert event["type"] == "ADDED", event
                assert event["object"]["metadata"]["name"] == "after"
                watch.close()
                async with http.get(CONFIGMAPS) as resp:
                    names = [i["metadata"]["name"] for i in (await resp.json())["items"]]
                assert names == ["after", "before"]
        finally:
            await running.stop()


async def test_apiserver_started_before_etcd(etcd_server: procs.ServerProcess,
                                             unique_prefix: str) -> None:
    async with proxied(etcd_server) as proxy:
        await proxy.cut()
        cfg = config(proxy, unique_prefix)
        starting = asyncio.create_task(server.start(cfg, rng=random.Random(6)))
        try:
            # bootstrap keeps retrying while etcd is away; start() has not returned
            done, _ = await asyncio.wait({starting}, timeout=0.5)
            assert not done
            await proxy.restore()
            running = await asyncio.wait_for(starting, 20)
        except BaseException:
            starting.cancel()
            with contextlib.suppress(BaseException):
                await starting
            raise
        try:
            async with aiohttp.ClientSession(running.url) as http:
                async with http.get("/api/v1/namespaces") as resp:
                    names = {n["metadata"]["name"] for n in (await resp.json())["items"]}
                assert {"default", "kube-system", "kube-node-lease"} <= names
                async with http.get("/api/v1/namespaces/default/services/kubernetes") as resp:
                    assert resp.status == 200
        finally:
            await running.stop()
