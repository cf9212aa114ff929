"""Stopping: a write whose fsync is under way when the stop comes is finished and answered."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import pytest

from pyetcd.config import Config
from pyetcd.server import open_service, serve
from pyetcd.wal import AppendResult, WalWriter
from tests.support.procs import free_port


class _OnShutdown(logging.Handler):
    def __init__(self, event: threading.Event) -> None:
        super().__init__()
        self.event = event

    def emit(self, record: logging.LogRecord) -> None:
        if "shutting down" in record.getMessage():
            self.event.set()


async def test_a_write_in_flight_at_stop_is_finished_and_answered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    real_append = WalWriter.append

    def slow_append(self: WalWriter, entries: Sequence[bytes]) -> AppendResult:
        if any(b'"/slow"' in e for e in entries):
            entered.set()
            release.wait(10)  # a slow disk: this fsync outlasts the stop signal
        return real_append(self, entries)

    monkeypatch.setattr(WalWriter, "append", slow_append)
    handler = _OnShutdown(release)  # the disk finishes only once shutdown has begun
    server_log = logging.getLogger("pyetcd.server")
    server_log.addHandler(handler)
    monkeypatch.setattr(server_log, "level", logging.INFO)
    url = f"http://127.0.0.1:{free_port()}"
    config = Config(name="s", data_dir=tmp_path / "s.etcd", listen_client_urls=(url,),
                    advertise_client_urls=(url,))
    stop, ready = asyncio.Event(), asyncio.Event()
    try:
        server = asyncio.create_task(serve(config, stop, ready=lambda _: ready.set()))
        await asyncio.wait_for(ready.wait(), 10)
        async with aiohttp.ClientSession() as session:
            put = asyncio.create_task(session.put(url + "/v2/keys/slow", data={"value": "v"}))
            await asyncio.to_thread(entered.wait, 10)
            stop.set()
            started = time.monotonic()
            async with await asyncio.wait_for(put, 10) as resp:
                assert resp.status == 201
                assert (await resp.json())["node"]["value"] == "v"
        await asyncio.wait_for(server, 10)
        assert time.monotonic() - started < 5  # not the shutdown timeout
    finally:
        server_log.removeHandler(handler)
        release.set()
    service = await open_service(config, time.time_ns())
    try:
        assert service.api.store.get("/slow", False, False, 0).node.value == "v"
    finally:
        await service.close()
