"""WAL frames, segment scanning (torn tail versus corruption), replay and the writer."""

from __future__ import annotations

import errno
import os
import struct
import zlib
from pathlib import Path

import pytest

from pyetcd import wal
from pyetcd.wal import (
    HEADER_SIZE,
    MAGIC,
    Frame,
    WalError,
    WalWriteError,
    WalWriter,
    decode_frame,
    encode_frame,
    list_segments,
    replay,
    scan,
    segment_name,
)

pytestmark = pytest.mark.unit

ENTRIES = [b'{"method":"PUT","key":"/a","time":1,"value":"1"}', b'{"noop":true}']


def frames_bytes(*batches: list[bytes], first_lsn: int = 1) -> tuple[bytes, list[int]]:
    """Frames for the batches, and the offset each one starts at."""
    out, offsets, lsn = b"", [], first_lsn
    for batch in batches:
        offsets.append(len(out))
        out += encode_frame(lsn, batch)
        lsn += len(batch)
    return out, offsets


def test_frame_round_trip_and_layout() -> None:
    data = encode_frame(7, ENTRIES)
    payload = b"\n".join(ENTRIES)
    assert data[:4] == MAGIC
    length, count, lsn = struct.unpack_from("<IIQ", data, 8)
    assert (length, count, lsn) == (len(payload), 2, 7)
    assert struct.unpack_from("<I", data, 4)[0] == zlib.crc32(data[8:])
    assert len(data) == HEADER_SIZE + len(payload)
    frame = decode_frame(data, 0)
    assert frame == Frame(0, len(data), 7, ENTRIES)
    assert frame.next_lsn == 9


def test_an_empty_frame_decodes() -> None:
    frame = decode_frame(encode_frame(3, []), 0)
    assert isinstance(frame, Frame) and frame.entries == [] and frame.next_lsn == 3


@pytest.mark.parametrize("position", range(4, HEADER_SIZE + 20))
def test_any_flipped_byte_after_the_magic_is_caught(position: int) -> None:
    data = bytearray(encode_frame(1, ENTRIES))
    data[position] ^= 0x40
    assert not isinstance(decode_frame(bytes(data), 0), Frame)


@pytest.mark.parametrize(("cut", "reason"), [
    (0, "incomplete frame header"), (HEADER_SIZE - 1, "incomplete frame header"),
    (HEADER_SIZE, "incomplete frame"), (-1, "incomplete frame"),
])
def test_a_cut_frame_is_incomplete(cut: int, reason: str) -> None:
    data = encode_frame(1, ENTRIES)
    assert decode_frame(data[:cut], 0) == reason


def test_payloads_are_ascii_so_no_value_can_fake_a_frame() -> None:
    from pyetcd.entries import encode_request
    from pyetcd.request import KeyRequest, Method

    evil = MAGIC.decode("latin-1") + "\udc8a" + encode_frame(1, [b"{}"]).decode("latin-1")
    raw = encode_request(KeyRequest(Method.PUT, "/k", 1, value=evil))
    assert raw.isascii()
    assert MAGIC not in encode_frame(1, [raw])[4:]


# ---- scanning one segment --------------------------------------------------------------


def test_clean_segment_scans_to_the_end() -> None:
    data, offsets = frames_bytes(ENTRIES, [b"{}"], ENTRIES)
    frames, torn = scan(data, Path("s.wal"), last=True)
    assert [f.offset for f in frames] == offsets and torn is None
    assert [f.first_lsn for f in frames] == [1, 3, 4]


@pytest.mark.parametrize("keep", [1, 10, HEADER_SIZE, HEADER_SIZE + 5, -1])
def test_last_frame_cut_anywhere_is_a_torn_tail(keep: int) -> None:
    data, offsets = frames_bytes(ENTRIES, ENTRIES)
    last = data[offsets[1]:]
    frames, torn = scan(data[:offsets[1]] + last[:keep], Path("s.wal"), last=True)
    assert len(frames) == 1 and torn == offsets[1]


@pytest.mark.parametrize("tail", [b"\0" * 4096, b"garbage!", MAGIC])
def test_junk_after_the_last_frame_is_a_torn_tail(tail: bytes) -> None:
    data, offsets = frames_bytes(ENTRIES)
    frames, torn = scan(data + tail, Path("s.wal"), last=True)
    assert len(frames) == 1 and torn == len(data)


def test_damage_in_the_last_frame_is_a_torn_tail() -> None:
    data, offsets = frames_bytes(ENTRIES, ENTRIES)
    damaged = bytearray(data)
    damaged[offsets[1] + HEADER_SIZE + 3] ^= 1
    frames, torn = scan(bytes(damaged), Path("s.wal"), last=True)
    assert len(frames) == 1 and torn == offsets[1]


def test_damage_followed_by_a_valid_frame_is_corruption_with_file_and_offset() -> None:
    data, offsets = frames_bytes(ENTRIES, ENTRIES, ENTRIES)
    damaged = bytearray(data)
    damaged[offsets[1] + HEADER_SIZE + 3] ^= 1
    with pytest.raises(WalError) as info:
        scan(bytes(damaged), Path("/d/s.wal"), last=True)
    assert info.value.offset == offsets[1]
    assert f"in /d/s.wal at offset {offsets[1]}" in str(info.value)
    assert "checksum mismatch" in str(info.value)


def test_a_torn_frame_in_an_older_segment_is_corruption() -> None:
    data, offsets = frames_bytes(ENTRIES, ENTRIES)
    with pytest.raises(WalError, match="incomplete frame"):
        scan(data[:-3], Path("s.wal"), last=False)


# ---- replaying a directory of segments -------------------------------------------------


def write_segment(d: Path, seq: int, first_lsn: int, *batches: list[bytes]) -> Path:
    path = d / segment_name(seq, first_lsn)
    path.write_bytes(frames_bytes(*batches, first_lsn=first_lsn)[0])
    return path


def collect(d: Path, after: int) -> tuple[list[tuple[int, bytes]], wal.ReplayResult]:
    got: list[tuple[int, bytes]] = []
    result = replay(d, after, lambda first, raws: got.extend(enumerate(raws, first)))
    return got, result


def e(n: int) -> bytes:
    return b'{"n":%d}' % n


def test_replay_crosses_segments_in_order(tmp_path: Path) -> None:
    write_segment(tmp_path, 1, 1, [e(1), e(2)], [e(3)])
    write_segment(tmp_path, 2, 4, [e(4)])
    (tmp_path / segment_name(3, 5)).write_bytes(b"")  # created, then the process stopped
    got, result = collect(tmp_path, 0)
    assert got == [(n, e(n)) for n in range(1, 5)]
    assert (result.next_lsn, result.next_seq, result.entries, result.torn_bytes) == (5, 4, 4, 0)


def test_replay_skips_what_the_snapshot_holds(tmp_path: Path) -> None:
    write_segment(tmp_path, 1, 1, [e(1), e(2)], [e(3)])
    write_segment(tmp_path, 2, 4, [e(4)], [e(5)])
    got, result = collect(tmp_path, 3)
    assert [lsn for lsn, _ in got] == [4, 5] and result.next_lsn == 6
    got, _ = collect(tmp_path, 4)
    assert [lsn for lsn, _ in got] == [5]


def test_replay_refuses_a_missing_segment(tmp_path: Path) -> None:
    write_segment(tmp_path, 1, 1, [e(1)])
    write_segment(tmp_path, 3, 3, [e(3)])  # segment 2 (entry 2) is gone
    with pytest.raises(WalError, match=r"missing entries 2\.\.2"):
        collect(tmp_path, 0)


def test_replay_refuses_a_snapshot_newer_than_a_gap(tmp_path: Path) -> None:
    write_segment(tmp_path, 1, 5, [e(5)])
    with pytest.raises(WalError, match=r"missing entries 3\.\.4"):
        collect(tmp_path, 2)


def test_replay_cuts_a_torn_tail_off_the_file(tmp_path: Path) -> None:
    path = write_segment(tmp_path, 1, 1, [e(1)], [e(2), e(3)])
    good = len(encode_frame(1, [e(1)]))
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size - 2)
    got, result = collect(tmp_path, 0)
    assert [lsn for lsn, _ in got] == [1] and result.next_lsn == 2
    assert path.stat().st_size == good and result.torn_bytes > 0
    # a second start sees a clean log
    got, result = collect(tmp_path, 0)
    assert result.torn_bytes == 0 and result.next_lsn == 2


def test_other_files_in_the_wal_dir_are_ignored(tmp_path: Path) -> None:
    write_segment(tmp_path, 1, 1, [e(1)])
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "0000000000000001-0000000000000001.wal.bak").write_text("x")
    assert [s.seq for s in list_segments(tmp_path)] == [1]


# ---- the writer ------------------------------------------------------------------------


def test_writer_appends_frames_and_rotates(tmp_path: Path) -> None:
    w = WalWriter(tmp_path, next_seq=4, next_lsn=10, segment_bytes=60)  # frames: 41, 32 bytes
    r1 = w.append([e(10), e(11)])
    assert (r1.first_lsn, w.next_lsn) == (10, 12)
    w.append([e(12)])  # the segment is past 60 bytes only after this one
    w.append([e(13)])
    w.rotate()
    w.append([e(14)])
    w.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [segment_name(4, 10), segment_name(5, 13), segment_name(6, 14)]
    got, result = collect(tmp_path, 9)
    assert [lsn for lsn, _ in got] == [10, 11, 12, 13, 14] and result.next_seq == 7


def test_a_failed_write_is_undone_and_reported_as_go_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = WalWriter(tmp_path, 1, 1)
    w.append([e(1)])
    size = w.path.stat().st_size
    real_write = os.write

    def half_then_enospc(fd: int, data: bytes | memoryview) -> int:
        if len(data) > 10:
            return real_write(fd, bytes(data[:10]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wal.os, "write", half_then_enospc)
    with pytest.raises(WalWriteError) as info:
        w.append([e(2)])
    monkeypatch.setattr(wal.os, "write", real_write)
    assert str(info.value) == f"write {w.path}: no space left on device"
    assert w.path.stat().st_size == size and w.next_lsn == 2 and w.broken is None
    w.append([e(2)])  # the log goes on from a clean frame boundary
    w.close()
    got, _ = collect(tmp_path, 0)
    assert got == [(1, e(1)), (2, e(2))]


def test_a_writer_that_cannot_undo_refuses_further_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = WalWriter(tmp_path, 1, 1)
    w.append([e(1)])

    def eio(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(wal.os, "fdatasync", eio)
    monkeypatch.setattr(wal.os, "fsync", eio)
    with pytest.raises(WalWriteError, match="^sync .*: input/output error$"):
        w.append([e(2)])
    monkeypatch.undo()
    assert w.broken is not None
    with pytest.raises(WalWriteError):
        w.append([e(3)])


def test_unsafe_no_fsync_skips_the_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(wal.os, "fdatasync", calls.append)
    w = WalWriter(tmp_path, 1, 1, fsync=False)
    assert w.append([e(1)]).fsync_seconds == 0.0
    assert calls == []


def test_a_segment_that_cannot_be_created_is_retried_under_a_new_name(tmp_path: Path) -> None:
    (tmp_path / segment_name(1, 1)).write_bytes(b"")  # e.g. left by a failed attempt
    w = WalWriter(tmp_path, 1, 1)
    with pytest.raises(WalWriteError, match="^open .*: file exists$"):
        w.append([e(1)])
    w.append([e(1)])
    w.close()
    assert w.path.name == segment_name(2, 1)
    got, _ = collect(tmp_path, 0)
    assert got == [(1, e(1))]
