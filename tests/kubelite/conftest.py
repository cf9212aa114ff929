"""kubelite fixtures: an in-process apiserver on a real etcd backend, and the real kubectl.

``apiserver`` runs once per backend of ``etcd_server`` (pyetcd, then the reference etcd
3.4), each test under its own etcd prefix, listening on a free loopback port.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kubelite.apiserver import server
from kubelite.apiserver.config import Config
from tests.support import procs

KUBECTL_CANDIDATES = ("/usr/lib/google-cloud-sdk/bin/kubectl.1.32", "/usr/bin/kubectl")


def kubectl_binary() -> str | None:
    for path in KUBECTL_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("kubectl")


@pytest.fixture
async def apiserver(etcd_server: procs.ServerProcess,
                    unique_prefix: str) -> AsyncIterator[server.RunningApiServer]:
    cfg = Config(etcd_servers=(etcd_server.url,), etcd_prefix=unique_prefix + "/registry",
                 insecure_bind_address="127.0.0.1", insecure_port=0)
    running = await server.start(cfg, rng=random.Random(os.getpid()))
    try:
        yield running
    finally:
        await running.stop()


class Api:
    """A small JSON client for tests: ``await api.get(path)`` -> (status, body, headers)."""

    def __init__(self, base: str, session: aiohttp.ClientSession):
        self.base = base
        self.session = session

    async def request(self, method: str, path: str, body: Any = None,
                      content_type: str = "application/json",
                      headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes | str) else json.dumps(body)
            hdrs.setdefault("Content-Type", content_type)
        async with self.session.request(method, self.base + path, data=data,
                                        headers=hdrs) as resp:
            raw = await resp.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return resp.status, parsed, resp.headers

    async def get(self, path: str, **kw: Any) -> tuple[int, Any, Any]:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, body: Any, **kw: Any) -> tuple[int, Any, Any]:
        return await self.request("POST", path, body, **kw)

    async def put(self, path: str, body: Any, **kw: Any) -> tuple[int, Any, Any]:
        return await self.request("PUT", path, body, **kw)

    async def patch(self, path: str, body: Any, content_type: str, **kw: Any) -> tuple[int, Any, Any]:
        return await self.request("PATCH", path, body, content_type=content_type, **kw)

    async def delete(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any, Any]:
        return await self.request("DELETE", path, body, **kw)


@pytest.fixture
async def api(apiserver: server.RunningApiServer) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(apiserver.url, session)


@dataclass
class Result:
    rc: int
    out: str
    err: str


class Kubectl:
    """Runs the real kubectl 1.32 against one apiserver, with a private cache and config."""

    def __init__(self, binary: str, url: str, home: Path):
        self.binary = binary
        self.url = url
        self.home = home
        self.env = {**os.environ, "HOME": str(home), "KUBECONFIG": str(home / "kubeconfig")}

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--server", self.url, "--cache-dir", str(self.home / "cache"),
                *args]

    async def __call__(self, *args: str, stdin: str | None = None,
                       timeout: float = 60) -> Result:
        proc = await asyncio.create_subprocess_exec(
            *self.argv(*args), stdin=asyncio.subprocess.PIPE if stdin is not None else None,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=self.env)
        try:
            out, err = await asyncio.wait_for(
                proc.communicate(stdin.encode() if stdin is not None else None), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        return Result(proc.returncode or 0, out.decode(), err.decode())

    async def ok(self, *args: str, stdin: str | None = None) -> str:
        res = await self(*args, stdin=stdin)
        assert res.rc == 0, f"kubectl {' '.join(args)} failed rc={res.rc}: {res.err}{res.out}"
        return res.out

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *self.argv(*args), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=self.env)


@pytest.fixture
def kubectl(apiserver: server.RunningApiServer, tmp_path: Path) -> Kubectl:
    binary = kubectl_binary()
    if binary is None:
        pytest.skip("kubectl 1.32 is not installed")
    home = tmp_path / "kubehome"
    home.mkdir()
    (home / "kubeconfig").write_text("apiVersion: v1\nkind: Config\n")
    return Kubectl(binary, apiserver.url, home)
