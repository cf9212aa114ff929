"""No read and no watcher sees a write before its WAL record is on disk (etcd's promise)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from pyetcd.api import Reply, WatchReply
from pyetcd.config import Config
from pyetcd.server import open_service
from pyetcd.wal import AppendResult, WalWriter

CT = "application/x-www-form-urlencoded"


async def test_reads_and_watchers_see_a_write_only_after_its_fsync(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    real_append = WalWriter.append

    def gated_append(self: WalWriter, entries: Sequence[bytes]) -> AppendResult:
        if any(b'"/k"' in e for e in entries):
            entered.set()
            release.wait(10)
        return real_append(self, entries)

    monkeypatch.setattr(WalWriter, "append", gated_append)
    service = await open_service(Config(name="v", data_dir=tmp_path / "v.etcd"), time.time_ns())
    try:
        watch = service.handle("GET", "/v2/keys/k?wait=true", b"", None, time.time_ns(),
                               lambda r: None)
        assert isinstance(watch, WatchReply)
        answers: list[Reply | WatchReply] = []
        assert service.handle("PUT", "/v2/keys/k", b"value=1", CT, time.time_ns(),
                              answers.append) is None
        await asyncio.to_thread(entered.wait, 10)  # the record is being written and synced
        read = service.handle("GET", "/v2/keys/k", b"", None, time.time_ns(), answers.append)
        assert isinstance(read, Reply) and read.status == 404
        assert not watch.watcher.events and answers == []
        release.set()
        await service.durable.committer.drain()  # type: ignore[union-attr]
        assert [a.status for a in answers if isinstance(a, Reply)] == [201]
        assert [e.node.value for e in watch.watcher.events] == ["1"]
        read = service.handle("GET", "/v2/keys/k", b"", None, time.time_ns(), answers.append)
        assert isinstance(read, Reply) and read.status == 200
    finally:
        release.set()
        await service.close()
