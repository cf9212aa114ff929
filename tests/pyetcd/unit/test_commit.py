"""GroupCommitter with a fake log writer: batching, order, failures, callbacks."""

from __future__ import annotations

import asyncio
import errno
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from pyetcd import commit
from pyetcd.commit import GroupCommitter
from pyetcd.wal import AppendResult, WalWriteError


class FakeWriter:
    """Records each batch; ``gate`` holds an append (a slow fsync); ``fail`` fails the next."""

    def __init__(self) -> None:
        self.batches: list[list[bytes]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail: OSError | None = None
        self.lsn = 1
        self.path = Path("/fake/wal")

    def append(self, entries: Sequence[bytes]) -> AppendResult:
        self.entered.set()
        self.gate.wait(5)
        if self.fail is not None:
            err, self.fail = self.fail, None
            raise WalWriteError("write", self.path, err)
        self.batches.append(list(entries))
        first, self.lsn = self.lsn, self.lsn + len(entries)
        return AppendResult(first, sum(map(len, entries)), 0.0)


class Recorder:
    def __init__(self) -> None:
        self.applied: list[str] = []
        self.failed: list[tuple[str, str]] = []
        self.answers: list[str] = []
        self.batch_sizes: list[int] = []

    def apply(self, item: str) -> str:
        self.applied.append(item)
        return "ok:" + item

    def fail(self, item: str, err: WalWriteError) -> str:
        self.failed.append((item, str(err)))
        return "err:" + item

    def done(self, answer: str) -> None:
        self.answers.append(answer)


def make() -> tuple[FakeWriter, Recorder, GroupCommitter[str, str]]:
    writer, rec = FakeWriter(), Recorder()
    committer: GroupCommitter[str, str] = GroupCommitter(
        writer, rec.apply, rec.fail,
        after_batch=lambda result, n: rec.batch_sizes.append(n))
    return writer, rec, committer


async def test_writes_of_one_loop_turn_share_one_fsync() -> None:
    writer, rec, c = make()
    for i in range(5):
        c.submit(b"e%d" % i, f"w{i}", rec.done)
    assert rec.applied == []  # nothing is applied before it is on disk
    await c.drain()
    assert writer.batches == [[b"e0", b"e1", b"e2", b"e3", b"e4"]]
    assert rec.answers == [f"ok:w{i}" for i in range(5)]
    await c.close()


async def test_writes_arriving_during_an_fsync_form_the_next_batch() -> None:
    writer, rec, c = make()
    writer.gate.clear()
    c.submit(b"a", "a", rec.done)
    await asyncio.to_thread(writer.entered.wait, 5)  # batch [a] is "fsyncing"
    for name in "bcdef":
        c.submit(name.encode(), name, rec.done)
        await asyncio.sleep(0)  # other loop turns: they still wait for the one in flight
    assert rec.applied == [] and writer.batches == []
    writer.gate.set()
    await c.drain()
    assert writer.batches == [[b"a"], [b"b", b"c", b"d", b"e", b"f"]]
    assert rec.applied == list("abcdef") and rec.batch_sizes == [1, 5]
    await c.close()


async def test_reads_see_only_what_is_on_disk() -> None:
    writer, rec, c = make()
    writer.gate.clear()
    c.submit(b"a", "a", rec.done)
    await asyncio.to_thread(writer.entered.wait, 5)
    assert c.pending == 1 and rec.applied == []  # an in-flight write is invisible
    writer.gate.set()
    await c.drain()
    assert c.pending == 0 and rec.applied == ["a"]
    await c.close()


async def test_a_failed_batch_fails_every_write_in_it_and_applies_none() -> None:
    writer, rec, c = make()
    writer.fail = OSError(errno.ENOSPC, "No space left on device")
    for name in "ab":
        c.submit(name.encode(), name, rec.done)
    await c.drain()
    assert rec.applied == [] and not c.healthy
    assert rec.failed == [("a", "write /fake/wal: no space left on device"),
                          ("b", "write /fake/wal: no space left on device")]
    assert rec.answers == ["err:a", "err:b"]
    assert await c.write(b"c", "c") == "ok:c"  # the disk has room again
    assert c.healthy and rec.applied == ["c"]
    await c.close()


async def test_a_callback_that_raises_does_not_disturb_its_batch() -> None:
    writer, rec, c = make()

    def broken(answer: str) -> None:
        raise RuntimeError("client went away")

    c.submit(b"a", "a", rec.done)
    c.submit(b"b", "b", broken)
    c.submit(b"c", "c", rec.done)
    await c.drain()
    assert rec.answers == ["ok:a", "ok:c"] and rec.applied == ["a", "b", "c"]
    await c.close()


async def test_a_cancelled_waiter_does_not_break_the_batch() -> None:
    writer, rec, c = make()
    writer.gate.clear()
    waiter = asyncio.create_task(c.write(b"a", "a"))
    await asyncio.sleep(0)  # the task submits "a"
    c.submit(b"b", "b", rec.done)
    await asyncio.to_thread(writer.entered.wait, 5)
    waiter.cancel()  # the client disconnected; its write still commits
    writer.gate.set()
    await c.drain()
    assert rec.applied == ["a", "b"] and rec.answers == ["ok:b"]
    await c.close()


async def test_batches_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commit, "MAX_BATCH_ENTRIES", 3)
    writer, rec, c = make()
    for i in range(7):
        c.submit(b"x", str(i), rec.done)
    await c.drain()
    assert [len(b) for b in writer.batches] == [3, 3, 1]
    assert rec.applied == [str(i) for i in range(7)]
    await c.close()
