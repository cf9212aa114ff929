"""Snapshot files: the whole store on disk, written atomically and checked on reading.

Files: ``<data-dir>/pyetcd/snap/<lsn>.snap`` (16 hex digits): the state after applying every
WAL entry up to and including ``lsn``. Layout::

    pyetcd-snapshot 1\\n                    magic and format version
    {"lsn":..,"raft_index":..,"index":..,"length":..,"crc32":..}\\n   metadata, one JSON line
    <length bytes>                         Store.snapshot() as JSON (pyetcd.snapshot format)

Written as etcd writes its snapshots: to ``<name>.tmp``, fsync, rename, fsync the directory;
so a file with the final name is always complete, and a crash leaves at most a ``.tmp``
file, removed at the next start. The CRC-32 covers the body, so bit rot is caught: a
damaged newest snapshot stops start-up with its path rather than silently falling back to an
older state.

:class:`Snapshotter` takes snapshots in a forked child process. ``fork()`` gives the child a
copy-on-write image of the store as it is at that instant, so the server stalls only for the
``fork()`` itself (page tables, about 10 ms per GB of heap) while the child spends seconds on
JSON and the disk. The child touches only the store, ``json`` and files, and leaves with
``os._exit``; the parent never waits for it on the event loop (a pidfd tells it when the child
is done).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import re
import signal
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pyetcd.store import Store
from pyetcd.wal import fsync_dir, q

log = logging.getLogger(__name__)

MAGIC = b"pyetcd-snapshot 1\n"
_NAME = re.compile(r"^([0-9a-f]{16})\.snap$")


class SnapshotError(Exception):
    """A snapshot file is damaged or unreadable; start-up must stop."""


@dataclass(frozen=True, slots=True)
class SnapMeta:
    lsn: int  # the last WAL entry the snapshot includes
    raft_index: int
    index: int  # the store's etcd index (for people reading the file)
    length: int = 0
    crc32: int = 0


def snapshot_name(lsn: int) -> str:
    return f"{lsn:016x}.snap"


def list_snapshots(snap_dir: Path) -> list[tuple[int, Path]]:
    """(lsn, path) of every snapshot file, oldest first."""
    out = []
    for path in snap_dir.iterdir():
        m = _NAME.match(path.name)
        if m:
            out.append((int(m.group(1), 16), path))
    out.sort()
    return out


def encode_body(store: Store) -> bytes:
    """The snapshot body: ``Store.snapshot()`` as compact JSON."""
    return json.dumps(store.snapshot(), separators=(",", ":")).encode()


def write_snapshot(snap_dir: Path, meta: SnapMeta, body: bytes) -> tuple[Path, float]:
    """Write atomically; returns the path and the seconds spent in fsync."""
    meta = SnapMeta(meta.lsn, meta.raft_index, meta.index, len(body), zlib.crc32(body))
    path = snap_dir / snapshot_name(meta.lsn)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        header = MAGIC + json.dumps(asdict(meta), separators=(",", ":")).encode() + b"\n"
        for chunk in (header, body):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
        t0 = time.perf_counter()
        os.fsync(fd)
        synced = time.perf_counter() - t0
    finally:
        os.close(fd)
    os.rename(tmp, path)
    t0 = time.perf_counter()
    fsync_dir(snap_dir)
    return path, synced + time.perf_counter() - t0


def read_snapshot(path: Path) -> tuple[SnapMeta, dict[str, Any]]:
    """The metadata and the store data of a snapshot file; :class:`SnapshotError` if damaged."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise SnapshotError(f"snapshot: cannot read {path}: {err}") from err
    if not data.startswith(MAGIC):
        raise SnapshotError(f"snapshot: {path} is not a pyetcd snapshot (bad magic)")
    line_end = data.find(b"\n", len(MAGIC))
    try:
        meta = SnapMeta(**json.loads(data[len(MAGIC):line_end]))
    except (ValueError, TypeError) as err:
        raise SnapshotError(f"snapshot: {path} has a damaged header: {err}") from err
    body = memoryview(data)[line_end + 1:]
    if len(body) != meta.length:
        raise SnapshotError(f"snapshot: {path} is truncated or too long "
                            f"(body {len(body)} bytes, header says {meta.length})")
    if zlib.crc32(body) != meta.crc32:
        raise SnapshotError(f"snapshot: checksum mismatch in {path}")
    return meta, json.loads(body.tobytes())


def remove_temp_files(snap_dir: Path) -> None:
    for path in snap_dir.glob("*.snap.tmp"):
        log.info('msg="removing unfinished snapshot" file=%s', q(path))
        path.unlink()


# ---- taking snapshots in the background ------------------------------------------------


def _child(snap_dir: Path, store: Store, meta: SnapMeta) -> None:
    """The forked child: no logging, no event loop, no collector; leaves with ``_exit``."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)  # the loop's wake-up socket is shared with the parent
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        # Hold none of the parent's files: if the parent dies, its clients must see their
        # connections close, its port must be free and its data-dir lock released at once.
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        gc.disable()  # a collection would touch (and so copy) every object of the parent
        write_snapshot(snap_dir, meta, encode_body(store))
        code = 0
    finally:
        os._exit(code)


@dataclass(frozen=True, slots=True)
class SnapshotDone:
    meta: SnapMeta
    path: Path
    ok: bool
    seconds: float  # from fork to the child's exit
    fork_seconds: float  # how long the server stood still


class Snapshotter:
    """Forks a child that writes a snapshot; calls ``on_done`` on the loop when it exits."""

    def __init__(self, snap_dir: Path, on_done: Callable[[SnapshotDone], None]) -> None:
        self.snap_dir = snap_dir
        self.on_done = on_done
        self.pid: int | None = None
        self._meta: SnapMeta | None = None
        self._started = 0.0
        self.fork_seconds = 0.0
        self._pidfd: int | None = None
        self._exited = asyncio.Event()

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(self, store: Store, meta: SnapMeta) -> None:
        """Fork now: the child sees the store exactly as it is at this call."""
        assert self.pid is None, "one snapshot at a time"
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            _child(self.snap_dir, store, meta)
        self.fork_seconds = time.perf_counter() - t0
        self.pid, self._meta, self._started = pid, meta, t0
        self._exited.clear()
        self._pidfd = os.pidfd_open(pid)
        loop.add_reader(self._pidfd, self._reap)

    async def wait(self, timeout: float | None = None) -> None:
        """Wait for a running child; kill it after ``timeout`` seconds."""
        if self.pid is None:
            return
        try:
            await asyncio.wait_for(self._exited.wait(), timeout)
        except TimeoutError:
            log.warning('msg="snapshot still running at shutdown, stopping it" pid=%d', self.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 9)
            await self._exited.wait()

    def _reap(self) -> None:
        assert self.pid is not None and self._pidfd is not None and self._meta is not None
        _, status = os.waitpid(self.pid, 0)
        asyncio.get_running_loop().remove_reader(self._pidfd)
        os.close(self._pidfd)
        meta = self._meta
        done = SnapshotDone(meta, self.snap_dir / snapshot_name(meta.lsn),
                            os.waitstatus_to_exitcode(status) == 0,
                            time.perf_counter() - self._started, self.fork_seconds)
        self.pid = self._pidfd = self._meta = None
        self._exited.set()
        if not done.ok:
            with contextlib.suppress(OSError):
                done.path.with_name(done.path.name + ".tmp").unlink()
        self.on_done(done)
