"""``kubelite up``: embedded pyetcd + apiserver as supervised processes, readiness by
``READY=1``, kubectl against it, clean stop on SIGTERM, and the data kept for a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from tests.kubelite.conftest import Kubectl, kubectl_binary
from tests.support import procs

UP_LINE_TIMEOUT = 90  # seconds; both children start and replay their data


async def start_up(data_dir: Path, etcd_port: int, api_port: int,
                   *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kubelite", "up", "--data-dir", str(data_dir),
        "--etcd-listen-url", f"http://127.0.0.1:{etcd_port}",
        "--insecure-port", str(api_port), *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=True)


async def wait_up(proc: asyncio.subprocess.Process) -> str:
    """Read stdout until the ``kubelite is up`` line; fail if ``up`` exits first."""
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), UP_LINE_TIMEOUT)
    if not line.startswith(b"kubelite is up"):
        assert proc.stderr is not None
        err = await proc.stderr.read()
        raise AssertionError(f"kubelite up failed: {line!r} {err.decode()}")
    return line.decode()


async def stop_up(proc: asyncio.subprocess.Process) -> int:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.e2e
async def test_up_serves_kubectl_and_keeps_data_across_restart(tmp_path: Path) -> None:
    binary = kubectl_binary()
    if binary is None:
        pytest.skip("kubectl 1.32 is not installed")
    data_dir = tmp_path / "data"
    etcd_port, api_port = procs.free_port(), procs.free_port()
    home = tmp_path / "home"
    home.mkdir()
    (home / "kubeconfig").write_text("apiVersion: v1\nkind: Config\n")
    kubectl = Kubectl(binary, f"http://127.0.0.1:{api_port}", home)

    proc = await start_up(data_dir, etcd_port, api_port)
    try:
        line = await wait_up(proc)
        assert f"etcd http://127.0.0.1:{etcd_port}" in line
        await kubectl.ok("create", "configmap", "kept", "--from-literal=k=v")
        assert await kubectl.ok("get", "cm", "kept", "-o", "jsonpath={.data.k}") == "v"
    finally:
        rc = await stop_up(proc)
    assert rc == 0
    # Both children went with it: their ports are free again.
    assert port_is_free(etcd_port) and port_is_free(api_port)
    assert (data_dir / "default.etcd").is_dir()

    proc = await start_up(data_dir, etcd_port, api_port)
    try:
        await wait_up(proc)
        assert await kubectl.ok("get", "cm", "kept", "-o", "jsonpath={.data.k}") == "v"
    finally:
        rc = await stop_up(proc)
    assert rc == 0


@pytest.mark.e2e
async def test_up_on_an_external_etcd_starts_no_pyetcd(real_etcd: procs.ServerProcess,
                                                       tmp_path: Path) -> None:
    api_port = procs.free_port()
    proc = await start_up(tmp_path / "data", procs.free_port(), api_port,
                          "--etcd-servers", real_etcd.url)
    try:
        line = await wait_up(proc)
        assert f"etcd {real_etcd.url}," in line
        assert not (tmp_path / "data" / "default.etcd").exists()
    finally:
        rc = await stop_up(proc)
    assert rc == 0


@pytest.mark.e2e
async def test_up_fails_clearly_when_a_child_cannot_start(tmp_path: Path) -> None:
    # The apiserver's port is taken, so it exits; `up` reports it and stops pyetcd.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        etcd_port = procs.free_port()
        proc = await start_up(tmp_path / "data", etcd_port, busy.getsockname()[1])
        _, err = await asyncio.wait_for(proc.communicate(), UP_LINE_TIMEOUT)
    assert proc.returncode == 1
    assert b"kubelite up: apiserver exited with code" in err
    assert port_is_free(etcd_port)
