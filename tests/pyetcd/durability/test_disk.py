"""Failed disk writes, for real: a tmpfs that fills up (ENOSPC) and an ext4 that fails (EIO).

A failed write answers error 300 with Go's error text, leaves the store as it was, and makes
``/health`` answer 503 ``{"health":"false"}`` as etcd does; once the disk takes writes again
the server turns healthy by itself. Nothing acknowledged is lost, nothing failed appears.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import time
from pathlib import Path

import pytest

from tests.pyetcd.durability.helpers import call, ext4_image, get, put
from tests.support import procs

pytestmark = pytest.mark.e2e
EXT4_IOC_SHUTDOWN = 0x8004587D  # _IOR('X', 125, __u32): the file system fails every I/O
EXT4_GOING_FLAGS_NOLOGFLUSH = 2


def health(url: str) -> tuple[int, str]:
    answer = call(url, "GET", "/health")
    return answer.status, answer.body.get("health", "")


def wait_for_health(url: str, timeout: float = 10.0) -> None:
    """The disk probe runs every second in the server; poll its verdict, bounded."""
    deadline = time.monotonic() + timeout
    while health(url) != (200, "true"):
        assert time.monotonic() < deadline, "never turned healthy"
        time.sleep(0.1)


def fill(mnt: Path, leave: int) -> Path:
    filler = mnt / "filler"
    st = os.statvfs(mnt)
    with filler.open("wb") as f:
        f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


def assert_raft_internal_error(answer: object, errno_text: str) -> None:
    assert answer.status == 500  # type: ignore[attr-defined]
    body = answer.body  # type: ignore[attr-defined]
    assert (body["errorCode"], body["message"], body["index"]) == (300, "Raft Internal Error", 0)
    assert re.fullmatch(rf"(write|sync|open) /\S+: {errno_text}", body["cause"]), body["cause"]


def test_a_full_disk_fails_the_write_and_the_server_recovers_when_space_returns(
        tmp_path: Path, tmpfs: Path) -> None:
    extra = ["--data-dir", str(tmpfs / "full.etcd")]  # the data on the small disk, logs not
    with procs.pyetcd(tmp_path, "full", extra) as server:
        assert put(server.url, "/before", "x").status == 201
        filler = fill(tmpfs, leave=48 << 10)
        big, stored, failed = "x" * 20_000, [], None
        for i in range(20):
            answer = put(server.url, f"/big{i}", big)
            if answer.status != 201:
                failed = (f"/big{i}", answer)
                break
            stored.append(f"/big{i}")
        assert failed is not None, "the disk never filled up"
        key, answer = failed
        assert_raft_internal_error(answer, "no space left on device")
        assert get(server.url, key).status == 404  # the store is unchanged
        assert get(server.url, "/before").body["node"]["value"] == "x"  # reads go on
        assert health(server.url) == (503, "false")
        assert "etcd_server_proposals_failed_total 1" in call(server.url, "GET", "/metrics").body["raw"]
        filler.unlink()  # space again: the probe writes, /health turns true by itself
        wait_for_health(server.url)
        assert put(server.url, "/after", "y").status == 201
        assert server.stop(signal.SIGTERM) == 0
    with procs.pyetcd(tmp_path, "full", extra) as server:
        for k in ["/before", *stored, "/after"]:
            assert get(server.url, k).status == 200, k
        assert get(server.url, key).status == 404  # the failed write did not come back


def test_an_io_error_fails_the_write_and_keeps_the_server_unhealthy(tmp_path: Path) -> None:
    with ext4_image(tmp_path) as mnt:
        extra = ["--data-dir", str(mnt / "eio.etcd")]
        with procs.pyetcd(tmp_path, "eio", extra) as server:
            assert put(server.url, "/a", "1").status == 201
            fd = os.open(mnt, os.O_RDONLY)
            try:  # from now on every write to this file system fails with EIO
                fcntl.ioctl(fd, EXT4_IOC_SHUTDOWN, struct.pack("I", EXT4_GOING_FLAGS_NOLOGFLUSH))
            finally:
                os.close(fd)
            assert_raft_internal_error(put(server.url, "/b", "2"), "input/output error")
            assert get(server.url, "/b").status == 404
            assert get(server.url, "/a").body["node"]["value"] == "1"
            assert health(server.url) == (503, "false")
            assert server.stop(signal.SIGTERM) == 0
    with ext4_image(tmp_path) as mnt:  # mounted again: the journal is replayed
        with procs.pyetcd(tmp_path, "eio", ["--data-dir", str(mnt / "eio.etcd")]) as server:
            assert get(server.url, "/a").body["node"]["value"] == "1"
            assert get(server.url, "/b").status == 404
            assert health(server.url) == (200, "true")
