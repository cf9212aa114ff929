"""The write-ahead log: segment files of checksummed frames, one frame per group commit.

Files: ``<data-dir>/pyetcd/wal/<seq>-<first-lsn>.wal``, both 16 hex digits (``seq`` counts
segments, ``first-lsn`` is the number of the first entry the segment holds, as etcd names its
segments ``<seq>-<raft index>.wal``). A segment is append-only; a new one is started at every
start-up, after every snapshot and when a segment passes :data:`SEGMENT_BYTES`.

Frame layout (little-endian)::

    offset size  field
    0      4     magic b"\\x8aPWL"
    4      4     CRC-32 (zlib) of bytes 8 .. end of payload (the header fields and the payload)
    8      4     payload length in bytes
    12     4     number of entries in the payload
    16     8     LSN of the first entry (log sequence number: entries are numbered 1, 2, 3 ...
                 without gaps across frames and segments)
    24     n     payload: the entries, one JSON object each (ASCII only), joined by b"\\n"

Invariants:

* one frame per group commit; a frame is fsynced (``fdatasync``) before any of its entries is
  applied to the store, so nothing a client or a watcher saw can be missing after a crash;
* frames are written one at a time: the next frame is written only after the previous
  frame's fsync returned. So a damaged frame followed by a valid frame was durable once and
  was damaged later (corruption: start-up stops); a damaged frame with nothing valid after it
  in the last segment is the frame that was being written when the process died (a torn
  tail: it was never acknowledged, so it is dropped with a warning and the file is cut);
* the magic's first byte is not ASCII and payloads are ASCII JSON, so no payload can hold
  something that looks like a frame header (the resynchronising scan has no false hits);
* a failed write or fsync is undone (the file is cut back to where the frame began and synced
  again) before the error is reported; if even that fails the writer refuses all further
  writes (:attr:`WalWriter.broken`), because what is on disk is no longer known.

Blind spot, shared with every WAL (etcd's too): bit rot inside the very last frame of the last
segment looks exactly like a torn write, so that frame is dropped with a warning.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import struct
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAGIC = b"\x8aPWL"
_FIELDS = struct.Struct("<IIQ")  # payload length, entry count, first lsn
_CRC = struct.Struct("<I")
HEADER_SIZE = len(MAGIC) + _CRC.size + _FIELDS.size  # 24
MAX_PAYLOAD = 1 << 30  # a length above this is damage, not a frame (etcd bounds records too)
# etcd's segment size: big enough that rotation is rare, small enough to delete in one go.
SEGMENT_BYTES = 64 << 20
_NAME = re.compile(r"^([0-9a-f]{16})-([0-9a-f]{16})\.wal$")


class WalError(Exception):
    """The log on disk cannot be trusted; start-up must stop. Names the file and offset."""

    def __init__(self, path: Path, offset: int, reason: str) -> None:
        super().__init__(f"wal: {reason} in {path} at offset {offset}")
        self.path = path
        self.offset = offset
        self.reason = reason


class WalWriteError(OSError):
    """A failed append. ``str()`` is Go's ``*PathError`` text, e.g.
    ``write /d/pyetcd/wal/0000000000000001-0000000000000004.wal: no space left on device``."""

    def __init__(self, op: str, path: Path, cause: OSError) -> None:
        code = cause.errno or errno.EIO
        super().__init__(code, go_strerror(code))
        self.op = op
        self.path = path

    def __str__(self) -> str:
        return f"{self.op} {self.path}: {self.strerror}"


def go_strerror(code: int) -> str:
    """Go's text for an errno: the C library's message with a lower-case first letter."""
    text = os.strerror(code)
    return text[:1].lower() + text[1:]


# ---- frames ----------------------------------------------------------------------------


def encode_frame(first_lsn: int, entries: Sequence[bytes]) -> bytes:
    payload = b"\n".join(entries)
    body = _FIELDS.pack(len(payload), len(entries), first_lsn) + payload
    return MAGIC + _CRC.pack(zlib.crc32(body)) + body


@dataclass(frozen=True, slots=True)
class Frame:
    offset: int
    end: int
    first_lsn: int
    entries: list[bytes]

    @property
    def next_lsn(self) -> int:
        return self.first_lsn + len(self.entries)


def decode_frame(data: bytes, offset: int) -> Frame | str:
    """The frame at ``offset``, or why there is none (a short reason for messages)."""
    if len(data) - offset < HEADER_SIZE:
        return "incomplete frame header"
    if data[offset:offset + 4] != MAGIC:
        return "bad frame magic"
    (crc,) = _CRC.unpack_from(data, offset + 4)
    length, count, first_lsn = _FIELDS.unpack_from(data, offset + 8)
    end = offset + HEADER_SIZE + length
    if length > MAX_PAYLOAD or end > len(data):
        return "incomplete frame"
    if zlib.crc32(memoryview(data)[offset + 8:end]) != crc:
        return "checksum mismatch"
    payload = data[offset + HEADER_SIZE:end]
    entries = payload.split(b"\n") if count else []
    if len(entries) != count:
        return "entry count mismatch"
    return Frame(offset, end, first_lsn, entries)


def valid_frame_after(data: bytes, start: int) -> int | None:
    """Offset of the first valid frame that begins after ``start``, if any."""
    pos = data.find(MAGIC, start + 1)
    while pos != -1:
        if isinstance(decode_frame(data, pos), Frame):
            return pos
        pos = data.find(MAGIC, pos + 1)
    return None


# ---- segments --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    path: Path
    seq: int
    first_lsn: int


def segment_name(seq: int, first_lsn: int) -> str:
    return f"{seq:016x}-{first_lsn:016x}.wal"


def list_segments(wal_dir: Path) -> list[Segment]:
    """Our segment files in ``seq`` order; other files are left alone."""
    out = []
    for path in wal_dir.iterdir():
        m = _NAME.match(path.name)
        if m:
            out.append(Segment(path, int(m.group(1), 16), int(m.group(2), 16)))
    out.sort(key=lambda s: s.seq)
    return out


@dataclass(frozen=True, slots=True)
class ReplayResult:
    next_lsn: int  # the LSN the next entry gets
    next_seq: int  # the seq of the next segment to create
    entries: int  # entries handed to the callback
    torn_bytes: int  # bytes cut from the tail of the last segment (0: clean)


def scan(data: bytes, path: Path, last: bool) -> tuple[list[Frame], int | None]:
    """The frames of one segment's bytes, and where a torn tail begins (None: clean end).

    Raises :class:`WalError` when a damaged frame is followed by a valid one, or when a
    segment other than the last does not end on a frame boundary.
    """
    frames: list[Frame] = []
    offset = 0
    while offset < len(data):
        frame = decode_frame(data, offset)
        if isinstance(frame, Frame):
            frames.append(frame)
            offset = frame.end
            continue
        if not last or valid_frame_after(data, offset) is not None:
            raise WalError(path, offset, f"{frame} before the end of the log; "
                           "refusing to start (acknowledged entries would be lost)")
        return frames, offset
    return frames, None


def replay(wal_dir: Path, after_lsn: int,
           on_entries: Callable[[int, list[bytes]], None]) -> ReplayResult:
    """Hand every entry with LSN > ``after_lsn`` to ``on_entries(first_lsn, raws)``, in order,
    one call per frame (so a frame's entries can be decoded in one go).

    Raises :class:`WalError` on corruption before the tail or on a gap in the LSNs (a
    missing segment). A torn tail of the last segment is cut off, with a warning.
    """
    segments = list_segments(wal_dir)
    start = 0
    for i, seg in enumerate(segments):
        if seg.first_lsn <= after_lsn + 1:
            start = i  # the last segment that can hold after_lsn + 1
    expected = after_lsn + 1
    replayed = torn = 0
    for i in range(start, len(segments)):
        seg = segments[i]
        if seg.first_lsn > expected:
            raise WalError(seg.path, 0, f"missing entries {expected}..{seg.first_lsn - 1}")
        data = seg.path.read_bytes()
        frames, torn_at = scan(data, seg.path, i == len(segments) - 1)
        for frame in frames:
            if frame.next_lsn <= expected:
                continue  # already in the snapshot
            if frame.first_lsn != expected:
                raise WalError(seg.path, frame.offset,
                               f"entry {frame.first_lsn} found where {expected} was expected")
            on_entries(frame.first_lsn, frame.entries)
            replayed += len(frame.entries)
            expected = frame.next_lsn
        if torn_at is not None:
            torn = len(data) - torn_at
            reason = decode_frame(data, torn_at)
            log.warning('msg="wal torn tail dropped" file=%s offset=%d bytes=%d reason=%s',
                        q(seg.path), torn_at, torn, q(reason))
            _truncate(seg.path, torn_at)
    next_seq = segments[-1].seq + 1 if segments else 1
    return ReplayResult(expected, next_seq, replayed, torn)


def _truncate(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def q(value: object) -> str:
    """A log field value: bare when it has no space, quote or ``=``, else a quoted string."""
    text = str(value)
    if text and not any(c in text for c in ' "=\\\n\t'):
        return text
    return json.dumps(text)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---- writing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppendResult:
    first_lsn: int
    bytes: int
    fsync_seconds: float


class WalWriter:
    """Appends frames to the current segment. Not thread-safe: one caller at a time (the
    group committer's single writer thread); :meth:`rotate` only between appends.
    """

    def __init__(self, wal_dir: Path, next_seq: int, next_lsn: int, *, fsync: bool = True,
                 segment_bytes: int = SEGMENT_BYTES) -> None:
        self.wal_dir = wal_dir
        self.next_seq = next_seq
        self.next_lsn = next_lsn
        self.fsync = fsync
        self.segment_bytes = segment_bytes
        self.broken: WalWriteError | None = None
        self._fd: int | None = None
        self._path = wal_dir
        self._size = 0
        self._rotate = True  # the first append opens a fresh segment

    @property
    def path(self) -> Path:
        return self._path

    def rotate(self) -> None:
        """Start a new segment with the next append (after a snapshot)."""
        self._rotate = True

    def append(self, entries: Sequence[bytes]) -> AppendResult:
        """Write ``entries`` as one frame and fsync it; raise :class:`WalWriteError`.

        On failure the file is cut back to its previous size, so the log holds none of
        these entries and later appends follow a clean frame boundary.
        """
        if self.broken is not None:
            raise self.broken
        if self._rotate or self._size >= self.segment_bytes:
            self._open_segment()
        assert self._fd is not None
        frame = encode_frame(self.next_lsn, entries)
        start = self._size
        op = "write"
        try:
            _write_all(self._fd, frame)
            fsync_seconds = 0.0
            if self.fsync:
                op = "sync"
                t0 = time.perf_counter()
                os.fdatasync(self._fd)
                fsync_seconds = time.perf_counter() - t0
        except OSError as err:
            failure = WalWriteError(op, self._path, err)
            self._undo(start, failure)
            raise failure from err
        first = self.next_lsn
        self._size += len(frame)
        self.next_lsn += len(entries)
        return AppendResult(first, len(frame), fsync_seconds)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                if self.fsync and self.broken is None:
                    os.fdatasync(fd)
            finally:
                os.close(fd)

    def _open_segment(self) -> None:
        path = self.wal_dir / segment_name(self.next_seq, self.next_lsn)
        self.next_seq += 1  # a failed attempt leaves its name behind: the next one gets a new
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except OSError as err:
            raise WalWriteError("open", path, err) from err
        try:
            fsync_dir(self.wal_dir)  # the new name must survive a crash too
        except OSError as err:
            os.close(fd)
            _unlink_quietly(path)
            raise WalWriteError("sync", self.wal_dir, err) from err
        self.close()
        self._fd, self._path, self._size = fd, path, 0
        self._rotate = False

    def _undo(self, size: int, failure: WalWriteError) -> None:
        assert self._fd is not None
        try:
            os.ftruncate(self._fd, size)
            os.lseek(self._fd, size, os.SEEK_SET)  # a partial write moved the offset
            os.fsync(self._fd)
        except OSError as err:
            log.error('msg="wal cannot undo a failed write; refusing further writes" file=%s '
                      "error=%s", q(self._path), q(err))
            self.broken = failure


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
