"""Damaged files: a torn WAL tail is dropped with a warning; anything else stops start-up."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from pyetcd.snapfile import list_snapshots
from pyetcd.wal import HEADER_SIZE
from tests.pyetcd.durability.helpers import frame_offsets, get, last_segment, put
from tests.support import procs

pytestmark = pytest.mark.e2e


def write_keys(tmp_path: Path, name: str, n: int, sig: int = signal.SIGKILL) -> dict[str, int]:
    """n keys, one request (so one WAL frame) each; then the server is stopped with ``sig``."""
    with procs.pyetcd(tmp_path, name) as server:
        indices = {f"/k{i}": put(server.url, f"/k{i}", f"v{i}").body["node"]["modifiedIndex"]
                   for i in range(n)}
        server.stop(sig)
    return indices


def start_and_fail(tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    argv = procs.pyetcd_argv(name, tmp_path / f"{name}.etcd", procs.free_port())
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_a_torn_last_record_is_dropped_with_a_warning(tmp_path: Path) -> None:
    indices = write_keys(tmp_path, "torn", 5)
    segment = last_segment(tmp_path / "torn.etcd")
    last = frame_offsets(segment)[-1]
    cut = last.offset + HEADER_SIZE + 3  # the process died in the middle of this write
    with segment.open("r+b") as f:
        f.truncate(cut)
    with procs.pyetcd(tmp_path, "torn") as server:
        assert get(server.url, "/k4").status == 404  # the torn write, never acknowledged
        for i in range(4):
            assert get(server.url, f"/k{i}").body["node"]["modifiedIndex"] == indices[f"/k{i}"]
        assert (f'msg="wal torn tail dropped" file={segment} offset={last.offset} '
                f"bytes={cut - last.offset}" in server.log())
        # indices go on from the last durable write: +1 attributes, +1 this write
        assert put(server.url, "/next", "x").body["node"]["modifiedIndex"] == indices["/k3"] + 2
    assert segment.stat().st_size == last.offset  # the torn bytes were cut off the file


def test_garbage_after_the_last_record_is_a_torn_tail_too(tmp_path: Path) -> None:
    write_keys(tmp_path, "junk", 3)
    segment = last_segment(tmp_path / "junk.etcd")
    with segment.open("ab") as f:
        f.write(b"\0" * 4096)  # e.g. a file system that grew the file but not its data
    with procs.pyetcd(tmp_path, "junk") as server:
        assert get(server.url, "/k2").body["node"]["value"] == "v2"
        assert "wal torn tail dropped" in server.log()


def test_corruption_before_the_tail_stops_start_up_and_loses_nothing(tmp_path: Path) -> None:
    write_keys(tmp_path, "bad", 5, signal.SIGTERM)
    segment = last_segment(tmp_path / "bad.etcd")
    victim = frame_offsets(segment)[1]
    original = segment.read_bytes()
    damaged = bytearray(original)
    damaged[victim.offset + HEADER_SIZE + 10] ^= 0x01  # one flipped bit in the 2nd record
    segment.write_bytes(bytes(damaged))
    result = start_and_fail(tmp_path, "bad")
    assert result.returncode == 1
    assert 'msg="cannot start"' in result.stderr
    assert (f"wal: checksum mismatch before the end of the log; refusing to start "
            f"(acknowledged entries would be lost) in {segment} at offset {victim.offset}"
            in result.stderr)
    assert segment.read_bytes() == bytes(damaged)  # nothing was cut or rewritten
    segment.write_bytes(original)  # an operator restores the file: every key is there
    with procs.pyetcd(tmp_path, "bad") as server:
        assert [get(server.url, f"/k{i}").body["node"]["value"] for i in range(5)] == [
            f"v{i}" for i in range(5)]


def test_a_missing_wal_segment_stops_start_up(tmp_path: Path) -> None:
    with procs.pyetcd(tmp_path, "gap") as server:
        put(server.url, "/a", "1")
        server.stop(signal.SIGTERM)
    with procs.pyetcd(tmp_path, "gap") as server:  # a second segment
        put(server.url, "/b", "2")
        server.stop(signal.SIGTERM)
    with procs.pyetcd(tmp_path, "gap") as server:  # a third
        put(server.url, "/c", "3")
        server.stop(signal.SIGTERM)
    wal_dir = tmp_path / "gap.etcd" / "pyetcd" / "wal"
    middle = sorted(wal_dir.iterdir())[1]
    middle.unlink()
    result = start_and_fail(tmp_path, "gap")
    assert result.returncode == 1 and "missing entries" in result.stderr


def test_a_damaged_snapshot_stops_start_up(tmp_path: Path) -> None:
    write_keys(tmp_path, "snap", 1, signal.SIGTERM)
    (_, path), = list_snapshots(tmp_path / "snap.etcd" / "pyetcd" / "snap")
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x20
    path.write_bytes(bytes(data))
    result = start_and_fail(tmp_path, "snap")
    assert result.returncode == 1
    assert f"snapshot: checksum mismatch in {path}" in result.stderr


def test_an_etcd_data_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "etcd.etcd" / "member" / "wal").mkdir(parents=True)
    result = start_and_fail(tmp_path, "etcd")
    assert result.returncode == 1 and "holds an etcd 3.x data directory" in result.stderr


def test_two_servers_cannot_share_a_data_dir(tmp_path: Path) -> None:
    with procs.pyetcd(tmp_path, "twin"):
        result = start_and_fail(tmp_path, "twin")
    assert result.returncode == 1 and "in use by another pyetcd" in result.stderr


