"""serve(): every --listen-client-urls URL answers, the data dir is made, stop is orderly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from pyetcd.config import Config
from pyetcd.server import serve
from tests.support.procs import free_port


async def test_serves_every_listen_url_and_stops(tmp_path: Path) -> None:
    ports = [free_port(), free_port()]
    urls = tuple(f"http://127.0.0.1:{p}" for p in ports)
    config = Config(name="two", data_dir=tmp_path / "d" / "two.etcd", listen_client_urls=urls,
                    advertise_client_urls=urls)
    stop = asyncio.Event()
    ready = asyncio.Event()
    task = asyncio.create_task(serve(config, stop, ready=lambda bound: ready.set()))
    await asyncio.wait_for(ready.wait(), 10)
    assert (tmp_path / "d" / "two.etcd").is_dir()
    async with aiohttp.ClientSession() as session:
        async with session.put(urls[0] + "/v2/keys/k", data={"value": "v"}) as resp:
            assert resp.status == 201
        async with session.get(urls[1] + "/v2/keys/k") as resp:
            assert (await resp.json())["node"]["value"] == "v"  # one store behind both
        async with session.get(urls[1] + "/v2/machines") as resp:
            assert await resp.text() == ", ".join(urls)
    stop.set()
    await asyncio.wait_for(task, 10)
