"""``kubelite apiserver`` as a process: flags, readiness, kubectl, clean exit on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.kubelite.conftest import Kubectl, kubectl_binary
from tests.support import procs


async def wait_ready(url: str, proc: asyncio.subprocess.Process, timeout: float = 20) -> None:
    """Poll ``/readyz`` (a separate process has no event to await), bounded."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            assert proc.returncode is None, "apiserver exited"
            try:
                async with session.get(url + "/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError(url)


@pytest.mark.e2e
async def test_apiserver_process(etcd_server: procs.ServerProcess, unique_prefix: str,
                                 tmp_path: Path) -> None:
    binary = kubectl_binary()
    if binary is None:
        pytest.skip("kubectl 1.32 is not installed")
    port = procs.free_port()
    log = open(tmp_path / "apiserver.log", "wb")  # noqa: SIM115 - handed to the child
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kubelite", "apiserver",
        f"--etcd-servers=http://127.0.0.1:{procs.free_port()},{etcd_server.url}",
        f"--etcd-prefix={unique_prefix}/registry", "--insecure-bind-address=127.0.0.1",
        "--port", str(port), "--service-cluster-ip-range=10.254.0.0/16", "--logtostderr=true",
        "--v=2", stdout=log, stderr=log)
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url, proc)
        home = tmp_path / "home"
        home.mkdir()
        (home / "kubeconfig").write_text("apiVersion: v1\nkind: Config\n")
        kubectl = Kubectl(binary, url, home)
        assert "kube-system" in await kubectl.ok("get", "ns")
        svc = await kubectl.ok("get", "svc", "kubernetes", "-o", "jsonpath={.spec.clusterIP}")
        assert svc == "10.254.0.1"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 15)
    text = (tmp_path / "apiserver.log").read_text()
    assert rc == 0, text
    assert "ignoring flag name=--logtostderr" in text and "shutting down" in text


@pytest.mark.e2e
async def test_sigterm_while_waiting_for_etcd(tmp_path: Path) -> None:
    """No etcd at all: the listener serves 500s, bootstrap retries, SIGTERM exits 0."""
    port = procs.free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kubelite", "apiserver",
        f"--etcd-servers=http://127.0.0.1:{procs.free_port()}",
        "--insecure-bind-address=127.0.0.1", f"--insecure-port={port}",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        async with aiohttp.ClientSession() as session:
            while True:
                assert proc.returncode is None and time.monotonic() < deadline
                try:
                    async with session.get(url + "/api/v1/namespaces") as resp:
                        body = await resp.json()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
        assert resp.status == 500 and body["reason"] == "InternalError"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 15)
    assert proc.stderr is not None
    err = (await proc.stderr.read()).decode()
    assert rc == 0, err
    assert "bootstrap failed, retrying" in err and "shutting down" in err
