"""Helpers of the durability tier: plain HTTP calls, a concurrent write load, WAL files.

Single calls use urllib, the load aiohttp. A test restarts a server by leaving one
``procs.pyetcd(tmp, name)`` block and entering another with the same ``tmp`` and ``name``:
the data dir is ``tmp/<name>.etcd`` both times.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pyetcd import wal


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def index(self) -> int:
        return int(self.headers["X-Etcd-Index"])


def call(url: str, method: str, path: str, **form: str) -> Answer:
    data = urllib.parse.urlencode(form).encode() if form and method in ("PUT", "POST") else None
    query = "?" + urllib.parse.urlencode(form) if form and data is None else ""
    req = urllib.request.Request(url + urllib.parse.quote(path) + query, data=data,
                                 method=method)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw, status, headers = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as err:
        raw, status, headers = err.read(), err.code, dict(err.headers)
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {"raw": raw.decode(errors="replace")}
    return Answer(status, body, headers)


def put(url: str, key: str, value: str, **form: str) -> Answer:
    return call(url, "PUT", "/v2/keys" + key, value=value, **form)


def get(url: str, key: str, **form: str) -> Answer:
    return call(url, "GET", "/v2/keys" + key, **form)


def tree(url: str) -> dict[str, Any]:
    """The recursive, sorted listing of the whole key space (what a client can see)."""
    return get(url, "/", recursive="true", sorted="true").body


@dataclass
class Load:
    """Concurrent writers putting distinct keys; remembers every acknowledged write."""

    url: str
    workers: int = 32
    prefix: str = "/load"
    target: int = 0  # set ``reached`` once this many writes are acknowledged
    acked: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (value, index)
    errors: list[str] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # HTTP statuses other than 201
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, stop: asyncio.Event) -> None:
        connector = aiohttp.TCPConnector(limit=self.workers, force_close=False)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.gather(*(self._worker(session, w, stop) for w in range(self.workers)))

    async def _worker(self, session: aiohttp.ClientSession, w: int, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set():
            key, value = f"{self.prefix}/w{w}/k{n}", f"v{w}-{n}"
            n += 1
            try:
                async with session.put(self.url + "/v2/keys" + key, data={"value": value},
                                       timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    body = await resp.json(content_type=None)
                    if resp.status != 201:
                        self.failures.append(resp.status)
                        continue
                    self.acked[key] = (value, body["node"]["modifiedIndex"])
                    if len(self.acked) >= self.target:
                        self.reached.set()
            except (TimeoutError, aiohttp.ClientError, ValueError) as err:
                self.errors.append(repr(err))
                return  # the server went away: this worker is done


def last_segment(data_dir: Path) -> Path:
    segments = [s.path for s in wal.list_segments(data_dir / "pyetcd" / "wal")
                if s.path.stat().st_size]
    return segments[-1]


def frame_offsets(path: Path) -> list[wal.Frame]:
    frames, torn = wal.scan(path.read_bytes(), path, last=True)
    assert torn is None
    return frames


@contextlib.contextmanager
def ext4_image(tmp_path: Path) -> Iterator[Path]:
    """A small ext4 file system on a loop device of our own, mounted at a directory of the
    test; unmounted and detached afterwards (a shut-down ext4 may be busy for a moment)."""
    image, mnt = tmp_path / "fs.img", tmp_path / "fs"
    mnt.mkdir(exist_ok=True)
    if not image.exists():
        with image.open("wb") as f:
            f.truncate(32 << 20)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
    attach = subprocess.run(["losetup", "--find", "--show", str(image)], capture_output=True,
                            text=True)
    if attach.returncode != 0:
        pytest.skip(f"cannot attach a loop device: {attach.stderr.strip()}")
    device = attach.stdout.strip()
    try:
        result = subprocess.run(["mount", device, str(mnt)], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount an ext4 image: {result.stderr.strip()}")
        try:
            yield mnt
        finally:
            _retry(["umount", str(mnt)])
    finally:
        _retry(["losetup", "-d", device])


def _retry(argv: list[str], attempts: int = 50) -> None:
    """Run a clean-up command until it succeeds (EBUSY passes within a second or so)."""
    for _ in range(attempts):
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr.strip()}")
