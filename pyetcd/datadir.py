"""DataDir: pyetcd's files in ``--data-dir``, the lock on them, and recovery at start-up.

Layout::

    <data-dir>/pyetcd/lock          flock()ed while a server uses the directory
    <data-dir>/pyetcd/snap/*.snap   snapshots (pyetcd.snapfile)
    <data-dir>/pyetcd/wal/*.wal     WAL segments (pyetcd.wal)

Recovery = the newest snapshot + every WAL entry after it, applied in order. A directory
with neither is fresh: the store is bootstrapped as a new etcd member's is and that state is
written as snapshot 0 at once, so a restart never bootstraps again. A directory holding an
etcd 3.x data dir (``member/wal``) is refused: pyetcd cannot read it, and starting empty
would look like data loss.

Old files go only after a newer snapshot is on disk: snapshots older than the newest, and
segments whose every entry the newest snapshot includes.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyetcd import entries
from pyetcd.snapfile import (
    SnapMeta,
    SnapshotError,
    encode_body,
    list_snapshots,
    read_snapshot,
    remove_temp_files,
    write_snapshot,
)
from pyetcd.store import Store
from pyetcd.wal import WalError, list_segments, replay

log = logging.getLogger(__name__)


class DataDirError(Exception):
    """The data directory cannot be used; the message says which file and why."""


@dataclass(slots=True)
class Recovered:
    store: Store
    raft_index: int
    snapshot_lsn: int
    next_lsn: int  # the LSN of the next WAL entry
    next_seq: int  # the seq of the next WAL segment
    replayed: int  # WAL entries applied on top of the snapshot
    torn_bytes: int  # bytes dropped from a torn WAL tail
    fresh: bool
    seconds: float


class DataDir:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = path / "pyetcd"
        self.wal_dir = self.root / "wal"
        self.snap_dir = self.root / "snap"
        self._lock_fd: int | None = None

    def open(self) -> None:
        """Create the directories and take the lock (one server per data dir)."""
        if (self.path / "member" / "wal").is_dir():
            raise DataDirError(f"{self.path} holds an etcd 3.x data directory (member/wal); "
                               "pyetcd cannot read it: use another --data-dir")
        for d in (self.path, self.root, self.wal_dir, self.snap_dir):
            d.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise DataDirError(f"{self.path} is in use by another pyetcd "
                                   f"(lock {self.root / 'lock'})") from err
            raise
        self._lock_fd = fd

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def recover(self, bootstrap: Callable[[], tuple[Store, int]]) -> Recovered:
        """Load the newest snapshot and replay the WAL after it (or bootstrap a fresh dir).

        ``bootstrap()`` returns a fresh store and its raft index. Raises
        :class:`DataDirError` when the files cannot be trusted.
        """
        t0 = time.perf_counter()
        remove_temp_files(self.snap_dir)
        snapshots = list_snapshots(self.snap_dir)
        if not snapshots:
            if list_segments(self.wal_dir):
                raise DataDirError(f"{self.wal_dir} has WAL segments but {self.snap_dir} has "
                                   "no snapshot: refusing to start from a partial state")
            store, raft_index = bootstrap()
            write_snapshot(self.snap_dir, SnapMeta(0, raft_index, store.index),
                           encode_body(store))
            return Recovered(store, raft_index, 0, 1, 1, 0, 0, True, time.perf_counter() - t0)
        lsn, path = snapshots[-1]
        try:
            meta, data = read_snapshot(path)
            store = Store.restore(data)
        except SnapshotError as err:
            raise DataDirError(str(err)) from err
        except (ValueError, KeyError, TypeError) as err:
            raise DataDirError(f"snapshot: {path} cannot be loaded: {err!r}") from err
        del data
        raft_index = meta.raft_index

        def on_entries(first_lsn: int, raws: list[bytes]) -> None:
            nonlocal raft_index
            try:
                decoded = entries.decode_many(raws)
            except ValueError as err:
                raise DataDirError(f"WAL entries {first_lsn}..{first_lsn + len(raws) - 1} in "
                                   f"{self.wal_dir} cannot be decoded: {err}") from err
            for entry in decoded:
                entries.replay_entry(store, entry)
            raft_index += len(decoded)

        try:
            result = replay(self.wal_dir, meta.lsn, on_entries)
        except WalError as err:
            raise DataDirError(str(err)) from err
        return Recovered(store, raft_index, meta.lsn, result.next_lsn, result.next_seq,
                         result.entries, result.torn_bytes, False, time.perf_counter() - t0)

    def remove_obsolete(self, snapshot_lsn: int) -> int:
        """Delete what the snapshot at ``snapshot_lsn`` makes unnecessary; returns files."""
        removed = 0
        for lsn, path in list_snapshots(self.snap_dir):
            if lsn < snapshot_lsn:
                path.unlink()
                removed += 1
        segments = list_segments(self.wal_dir)
        for seg, following in zip(segments, segments[1:], strict=False):
            # every entry of seg is below following.first_lsn, hence in the snapshot
            if following.first_lsn <= snapshot_lsn + 1:
                seg.path.unlink()
                removed += 1
        return removed
