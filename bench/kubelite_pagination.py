"""Benchmark: the cost of chunked lists in the kubelite apiserver.

etcd's v2 API has no range reads with a limit, so every chunk reads the whole directory and
cuts its page: walking N objects in chunks of C costs about N/C directory reads. This
measures, on each backend (etcd 3.4 with ``--enable-v2`` and pyetcd), the time to get all
N pods in one list (the reference, measured in the same run) and by walking ``continue``
tokens in chunks of 500 (kubectl's default) and 100, and prints the ratio to one list.

Run: ``.venv/bin/python bench/kubelite_pagination.py [--pods 1000] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kubelite_apiserver import PODS, apiserver, pod, run_phase  # noqa: E402

from tests.support import procs  # noqa: E402

CHUNKS = (0, 500, 100)  # 0: one list without limit (the reference)


async def walk(session: aiohttp.ClientSession, base: str, chunk: int) -> int:
    """Every pod, in chunks of ``chunk``; returns how many were listed."""
    count, token = 0, ""
    while True:
        query = {"limit": str(chunk)} if chunk else {}
        if token:
            query["continue"] = token
        url = base + PODS + ("?" + urllib.parse.urlencode(query) if query else "")
        async with session.get(url) as resp:
            assert resp.status == 200, await resp.text()
            body = await resp.json()
        count += len(body["items"])
        token = body["metadata"].get("continue", "")
        if not token:
            return count


async def measure(etcd_url: str, pods: int, rounds: int, tmp: Path) -> dict[int, float]:
    async with apiserver(etcd_url, tmp) as base:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=16)) as s:
            await run_phase(s, pods, lambda i: ("POST", base + PODS, pod(i), "application/json"))
            times: dict[int, list[float]] = {c: [] for c in CHUNKS}
            for _ in range(rounds):
                for chunk in CHUNKS:  # interleaved, so load changes hit every variant
                    start = time.perf_counter()
                    assert await walk(s, base, chunk) == pods
                    times[chunk].append(time.perf_counter() - start)
            return {c: statistics.median(t) for c, t in times.items()}


async def main(pods: int, rounds: int) -> None:
    results: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with procs.real_etcd(Path(tmp)) as ref:
            results["etcd 3.4"] = await measure(ref.url, pods, rounds, Path(tmp))
        if importlib.util.find_spec("pyetcd.server") is not None:
            with procs.pyetcd(Path(tmp)) as py:
                results["pyetcd"] = await measure(py.url, pods, rounds, Path(tmp))
    print(f"kubelite apiserver: all {pods} pods, median of {rounds} rounds "
          "(shared busy machine: compare within one run only)")
    print(f"{'backend':10} {'one list':>10} {'chunks 500':>12} {'chunks 100':>12}")
    for name, r in results.items():
        cells = [f"{r[0] * 1000:8.0f}ms"] + [
            f"{r[c] * 1000:6.0f}ms {r[c] / r[0]:4.1f}x" for c in CHUNKS[1:]]
        print(f"{name:10} " + " ".join(f"{c:>12}" for c in cells))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.pods, args.rounds))
