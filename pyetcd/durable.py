"""Durable: the WAL, the group committer and the snapshot policy of one data dir, wired.

The service hands it every state change as an encoded entry plus the item to apply once the
entry is on disk (:meth:`Durable.submit`). After each batch it counts what the WAL holds
since the last snapshot and, past ``--snapshot-count`` entries or :data:`SNAPSHOT_WAL_BYTES`
bytes, starts a snapshot: the WAL moves to a new segment and a forked child writes the store
as it is at that instant (every entry up to the batch just applied, none after). Once the
child's file is on disk, older snapshots and the segments it covers are deleted.

Default ``--snapshot-count`` is etcd's own, 100,000 entries. The cost of a snapshot grows with
the store (about 5 s of a child's CPU at 1,000,000 keys on this machine, see the report), the
cost of a restart with the number of entries to replay (about 20-40 µs each): 100,000 bounds
the replay at a few seconds and the WAL at ~20 MB for small values, while a busy server
(5,000 writes/s) snapshots at most every 20 s. The byte limit keeps large values from
growing the WAL without bound between snapshots.

Health: after a failed write the log is unhealthy (``/health`` answers 503) and a no-op entry
is written every second until one gets through, so the server turns healthy by itself when
the disk has room again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from pyetcd import entries
from pyetcd.commit import GroupCommitter
from pyetcd.config import DEFAULT_SNAPSHOT_COUNT
from pyetcd.datadir import DataDir, Recovered
from pyetcd.metrics import REGISTRY, Counter, Gauge, Histogram, exponential_buckets
from pyetcd.snapfile import SnapMeta, SnapshotDone, Snapshotter
from pyetcd.store import Store
from pyetcd.wal import AppendResult, WalWriteError, WalWriter, q

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

SNAPSHOT_WAL_BYTES = 256 << 20
PROBE_INTERVAL = 1.0  # seconds between disk probes while unhealthy
SNAPSHOT_SHUTDOWN_WAIT = 10.0  # seconds a running snapshot gets at shutdown

_SECONDS_1MS = exponential_buckets(0.001, 2, 14)  # etcd: 1 ms .. 8.192 s
WAL_FSYNC = REGISTRY.add(Histogram(
    "etcd_disk_wal_fsync_duration_seconds", "The latency distributions of fsync called by WAL.",
    _SECONDS_1MS))
WAL_WRITE_BYTES = REGISTRY.add(Gauge(
    "etcd_disk_wal_write_bytes_total", "Total number of bytes written in WAL."))
SNAP_SAVE = REGISTRY.add(Histogram(
    "etcd_debugging_snap_save_total_duration_seconds",
    "The total latency distributions of save called by snapshot.", _SECONDS_1MS))
PROPOSALS_FAILED = REGISTRY.add(Counter(
    "etcd_server_proposals_failed_total", "The total number of failed proposals seen."))
BATCH_ENTRIES = REGISTRY.add(Histogram(
    "pyetcd_wal_batch_entries", "Entries written per WAL fsync (group commit batch size).",
    exponential_buckets(1, 2, 11)))
SNAP_FORK = REGISTRY.add(Histogram(
    "pyetcd_snapshot_fork_pause_seconds",
    "How long the server stood still to fork a snapshot child.",
    exponential_buckets(0.0001, 2, 14)))


class Durable(Generic[T, R]):
    def __init__(
        self,
        datadir: DataDir,
        recovered: Recovered,
        store: Callable[[], Store],
        raft_index: Callable[[], int],
        apply: Callable[[T], R],
        fail: Callable[[T, WalWriteError], R],
        noop: T,
        *,
        snapshot_count: int = DEFAULT_SNAPSHOT_COUNT,
        fsync: bool = True,
    ) -> None:
        self.datadir = datadir
        self._store = store
        self._raft_index = raft_index
        self._noop = noop
        self.snapshot_count = snapshot_count
        self.writer = WalWriter(datadir.wal_dir, recovered.next_seq, recovered.next_lsn,
                                fsync=fsync)
        self.committer: GroupCommitter[T, R] = GroupCommitter(
            self.writer, apply, fail, after_batch=self._after_batch, on_failure=self._failed)
        self.snapshotter = Snapshotter(datadir.snap_dir, self._snapshot_done)
        self.applied_lsn = recovered.next_lsn - 1
        self.snapshot_lsn = recovered.snapshot_lsn
        self._entries_since = recovered.next_lsn - 1 - recovered.snapshot_lsn
        self._bytes_since = 0
        self._probe: asyncio.Task[None] | None = None
        REGISTRY.add(Gauge("etcd_server_proposals_committed_total",
                           "The total number of consensus proposals committed.",
                           source=lambda: self.applied_lsn))
        REGISTRY.add(Gauge("etcd_server_proposals_applied_total",
                           "The total number of consensus proposals applied.",
                           source=lambda: self.applied_lsn))
        REGISTRY.add(Gauge("etcd_server_proposals_pending",
                           "The current number of pending proposals to commit.",
                           source=lambda: self.committer.pending))

    @property
    def healthy(self) -> bool:
        return self.committer.healthy

    def submit(self, raw: bytes, item: T, done: Callable[[R], None]) -> None:
        self.committer.submit(raw, item, done)

    async def write(self, raw: bytes, item: T) -> R:
        return await self.committer.write(raw, item)

    async def close(self) -> None:
        """Finish what was submitted, close the WAL, let a running snapshot end, unlock."""
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        await self.committer.close()
        await asyncio.to_thread(self.writer.close)
        await self.snapshotter.wait(SNAPSHOT_SHUTDOWN_WAIT)
        self.datadir.close()

    # ---- after each batch (event loop, between batches) --------------------------------

    def _after_batch(self, result: AppendResult, count: int) -> None:
        WAL_FSYNC.observe(result.fsync_seconds)
        WAL_WRITE_BYTES.inc(result.bytes)
        BATCH_ENTRIES.observe(count)
        self.applied_lsn = result.first_lsn + count - 1
        self._entries_since += count
        self._bytes_since += result.bytes
        if (self._entries_since >= self.snapshot_count
                or self._bytes_since >= SNAPSHOT_WAL_BYTES) and not self.snapshotter.running:
            self._snapshot()

    def _snapshot(self) -> None:
        store = self._store()
        meta = SnapMeta(self.applied_lsn, self._raft_index(), store.index)
        self.writer.rotate()  # the next batch opens a segment the snapshot does not cover
        self._entries_since = self._bytes_since = 0
        try:
            self.snapshotter.start(store, meta)
        except OSError as err:
            log.error('msg="snapshot fork failed" error=%s', q(err))
            return
        SNAP_FORK.observe(self.snapshotter.fork_seconds)
        log.info('msg="snapshot started" lsn=%d index=%d pid=%d fork_ms=%.1f', meta.lsn, meta.index,
                 self.snapshotter.pid or 0, self.snapshotter.fork_seconds * 1e3)

    def _snapshot_done(self, done: SnapshotDone) -> None:
        if not done.ok:
            log.error('msg="snapshot failed" lsn=%d file=%s', done.meta.lsn, q(done.path))
            return
        SNAP_SAVE.observe(done.seconds)
        self.snapshot_lsn = done.meta.lsn
        try:
            removed = self.datadir.remove_obsolete(done.meta.lsn)
        except OSError as err:
            log.warning('msg="cannot remove old WAL/snapshot files" error=%s', q(err))
            removed = 0
        log.info('msg="snapshot saved" lsn=%d index=%d seconds=%.2f removed_files=%d',
                 done.meta.lsn, done.meta.index, done.seconds, removed)

    # ---- failures and the disk probe ---------------------------------------------------

    def _failed(self, err: WalWriteError, count: int) -> None:
        PROPOSALS_FAILED.inc(count)
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._probe_disk())

    async def _probe_disk(self) -> None:
        while not self.committer.healthy:
            await asyncio.sleep(PROBE_INTERVAL)
            if not self.committer.healthy and not self.committer.pending:
                await self.committer.write(entries.NOOP, self._noop)
        log.info('msg="wal writes succeed again"')
