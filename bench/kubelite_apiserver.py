"""Benchmark: kubelite apiserver request rates on pyetcd against the same on etcd 3.4.

Starts the reference etcd 3.4 (``--enable-v2``) and, when it is built, pyetcd, runs a
``kubelite apiserver`` process on each (uvloop when installed), and measures pod creates, gets, lists (all pods, one response) and
strategic-merge patches from 16 concurrent clients, then prints requests per second and the
ratio pyetcd / etcd measured in the same run. Bounded: a fixed number of requests each.

Run: ``.venv/bin/python bench/kubelite_apiserver.py [--requests 400]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import procs  # noqa: E402

CONCURRENCY = 16
PODS = "/api/v1/namespaces/default/pods"


def pod(i: int) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "labels": {"b": "1"}},
            "spec": {"containers": [{"name": "c", "image": "kubelite/x:1"}]}}


async def run_phase(session: aiohttp.ClientSession, n: int, make: object) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            method, path, body, ctype = make(i)  # type: ignore[operator]
            async with session.request(method, path, json=body,
                                       headers={"Content-Type": ctype}) as resp:
                await resp.read()
                assert resp.status < 300, (resp.status, await resp.text())

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return n / (time.perf_counter() - start)


async def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Poll ``/readyz`` (a separate process has no event to await), bounded."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("kubelite apiserver exited")
            try:
                async with session.get(base + "/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError(base)


@contextlib.asynccontextmanager
async def apiserver(etcd_url: str, tmp: Path) -> AsyncIterator[str]:
    """A kubelite apiserver process on ``etcd_url`` under a fresh prefix, ready; its URL."""
    port = procs.free_port()
    argv = [sys.executable, "-m", "kubelite.cli", "apiserver", f"--etcd-servers={etcd_url}",
            f"--etcd-prefix=/bench-{random.random()}/registry", f"--insecure-port={port}"]
    proc = procs._spawn(argv, tmp / f"apiserver-{port}.log")
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


async def measure(etcd_url: str, n: int, tmp: Path) -> dict[str, float]:
    async with apiserver(etcd_url, tmp) as base:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as s:
            return {
                "create": await run_phase(s, n, lambda i: ("POST", base + PODS, pod(i),
                                                           "application/json")),
                "get": await run_phase(s, n, lambda i: ("GET", f"{base}{PODS}/p{i}", None,
                                                        "application/json")),
                # every pod in one response; chunked walks: bench/kubelite_pagination.py
                "list": await run_phase(s, max(n // 10, 10), lambda i: (
                    "GET", base + PODS, None, "application/json")),
                "patch": await run_phase(s, n, lambda i: (
                    "PATCH", f"{base}{PODS}/p{i}", {"metadata": {"labels": {"v": str(i)}}},
                    "application/strategic-merge-patch+json")),
            }


async def main(n: int) -> None:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with procs.real_etcd(Path(tmp)) as ref:
            results["etcd 3.4"] = await measure(ref.url, n, Path(tmp))
        if importlib.util.find_spec("pyetcd.server") is not None:
            with procs.pyetcd(Path(tmp)) as py:
                results["pyetcd"] = await measure(py.url, n, Path(tmp))
    print(f"kubelite apiserver, {n} requests per phase, {CONCURRENCY} concurrent clients "
          "(shared busy machine: compare within one run only)")
    print(f"{'backend':10} " + " ".join(f"{k:>10}" for k in ("create", "get", "list", "patch")))
    for name, r in results.items():
        print(f"{name:10} " + " ".join(f"{r[k]:10.0f}" for k in ("create", "get", "list", "patch")))
    if "pyetcd" in results:
        ratio = {k: results["pyetcd"][k] / results["etcd 3.4"][k] for k in results["pyetcd"]}
        print(f"{'ratio':10} " + " ".join(f"{ratio[k]:10.2f}" for k in ("create", "get", "list", "patch")))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    asyncio.run(main(parser.parse_args().requests))
