"""The forked snapshot child: it holds none of the server's files, and failures are reported."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path
from typing import Any

from pyetcd.snapfile import SnapMeta, SnapshotDone, Snapshotter, read_snapshot
from pyetcd.store import Store


class FdStore:
    """Stands in for a Store: its snapshot is the list of the child's open descriptors."""

    index = 0

    def snapshot(self) -> dict[str, Any]:
        return {"fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd"))}


class FailingStore:
    index = 0

    def snapshot(self) -> dict[str, Any]:
        raise RuntimeError("boom")


async def take(tmp_path: Path, store: object) -> SnapshotDone:
    done: asyncio.Future[SnapshotDone] = asyncio.get_running_loop().create_future()
    snapshotter = Snapshotter(tmp_path, done.set_result)
    snapshotter.start(store, SnapMeta(5, 9, 0))  # type: ignore[arg-type]
    assert snapshotter.running and snapshotter.fork_seconds >= 0
    result = await asyncio.wait_for(done, 30)
    assert not snapshotter.running
    return result


async def test_the_child_holds_no_socket_lock_or_file_of_the_server(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    lock = os.open(tmp_path / "lock", os.O_RDWR | os.O_CREAT)
    try:
        done = await take(tmp_path, FdStore())
    finally:
        listener.close()
        os.close(lock)
    assert done.ok and done.meta.lsn == 5
    _, data = read_snapshot(done.path)
    assert set(data["fds"]) <= {0, 1, 2, 3}  # stdio, and the listing's own directory


async def test_a_failed_child_is_reported_and_leaves_no_file(tmp_path: Path) -> None:
    done = await take(tmp_path, FailingStore())
    assert not done.ok
    assert list(tmp_path.iterdir()) == []


async def test_a_real_store_round_trips(tmp_path: Path) -> None:
    store = Store()
    store.set("/a", False, "1", None, False, 0)
    done = await take(tmp_path, store)
    meta, data = read_snapshot(done.path)
    assert (meta.lsn, meta.raft_index) == (5, 9)
    assert Store.restore(data).snapshot() == store.snapshot()
