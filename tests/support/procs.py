"""Start and stop real server processes for tests: the reference etcd 3.4 and pyetcd.

Every process gets free loopback ports and its own data directory, and is killed (with
its process group) when the ``with`` block ends, whatever happened inside it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ETCD_BIN = shutil.which("etcd") or "/usr/bin/etcd"
ETCDCTL_BIN = shutil.which("etcdctl") or "/usr/bin/etcdctl"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def have_real_etcd() -> bool:
    return os.access(ETCD_BIN, os.X_OK)


@dataclass
class ServerProcess:
    """A running server: its client URL, process and the log file it writes."""

    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 20.0,
                 context: ssl.SSLContext | None = None) -> None:
    """Poll ``/health`` until the server answers, failing early if the process died;
    ``context`` for an ``https://`` URL.

    Readiness of a separate process has no event we can await, so this polls, bounded.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before becoming ready")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1, context=context) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} not healthy after {timeout}s")


def _spawn(argv: Sequence[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    finally:
        log.close()


def real_etcd_argv(name: str, data_dir: Path, client_port: int, peer_port: int,
                   host: str = "127.0.0.1") -> list[str]:
    client = f"http://{host}:{client_port}"
    peer = f"http://{host}:{peer_port}"
    return [
        ETCD_BIN, "--name", name, "--data-dir", str(data_dir),
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", f"{name}={peer}", "--enable-v2=true",
        "--log-level", "warn",
    ]


@contextlib.contextmanager
def real_etcd(tmp: Path, name: str = "ref") -> Iterator[ServerProcess]:
    """A single-member etcd 3.4 with the v2 API enabled, on free loopback ports."""
    data_dir = tmp / f"{name}.etcd"
    port = free_port()
    argv = real_etcd_argv(name, data_dir, port, free_port())
    log_path = tmp / f"{name}.log"
    proc = _spawn(argv, log_path)
    server = ServerProcess(name, f"http://127.0.0.1:{port}", proc, log_path, data_dir)
    try:
        wait_healthy(server.url, proc)
        yield server
    finally:
        server.stop()


def pyetcd_argv(name: str, data_dir: Path, port: int, extra: Sequence[str] = ()) -> list[str]:
    url = f"http://127.0.0.1:{port}"
    return [
        sys.executable, "-m", "pyetcd", "--name", name, "--data-dir", str(data_dir),
        "--listen-client-urls", url, "--advertise-client-urls", url, *extra,
    ]


@contextlib.contextmanager
def pyetcd(tmp: Path, name: str = "py", extra: Sequence[str] = ()) -> Iterator[ServerProcess]:
    """pyetcd as a separate process (``python -m pyetcd``), on a free loopback port."""
    data_dir = tmp / f"{name}.etcd"
    port = free_port()
    log_path = tmp / f"{name}.log"
    proc = _spawn(pyetcd_argv(name, data_dir, port, extra), log_path)
    server = ServerProcess(name, f"http://127.0.0.1:{port}", proc, log_path, data_dir)
    try:
        wait_healthy(server.url, proc)
        yield server
    finally:
        server.stop()
