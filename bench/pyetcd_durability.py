"""Durability costs of pyetcd with many keys: restart, snapshot, WAL replay, stalls.

    .venv/bin/python bench/pyetcd_durability.py [--keys 1000000] [--replay 100000]

1. Seeds a data dir with ``--keys`` keys directly (a snapshot file, no HTTP), then starts
   pyetcd on it and times spawn -> first healthy answer (the restart time) and its RSS.
2. With ``--snapshot-count 1`` the restart's own attribute write starts a snapshot at once;
   while the forked child writes it, a client GETs a key every 5 ms and reports the slowest
   answer (how long the server stood still), then the fork pause and the child's time.
3. Seeds a small snapshot plus ``--replay`` WAL entries and times that restart (replay rate).

A guide, not a timed test: numbers move with the machine's load (say so when you quote them).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyetcd.api import V2Api  # noqa: E402
from pyetcd.cluster import ClusterInfo  # noqa: E402
from pyetcd.datadir import DataDir  # noqa: E402
from pyetcd.entries import encode_request  # noqa: E402
from pyetcd.request import KeyRequest, Method  # noqa: E402
from pyetcd.snapfile import SnapMeta, encode_body, write_snapshot  # noqa: E402
from pyetcd.store import Store  # noqa: E402
from pyetcd.wal import WalWriter  # noqa: E402
from tests.support import procs  # noqa: E402

VALUE = "v" * 64


def fresh_store() -> tuple[Store, int]:
    cluster = ClusterInfo("bench", ("http://localhost:2380",), ("http://localhost:2379",),
                          "etcd-cluster", time.time_ns())
    api = V2Api(Store(), cluster)
    api.bootstrap()
    return api.store, api.raft_index


def seed_snapshot(data_dir: Path, keys: int) -> float:
    """A data dir whose snapshot holds ``keys`` keys (1000 per directory); returns MB."""
    store, raft_index = fresh_store()
    now = time.time_ns()
    for i in range(keys):
        store.set(f"/bench/d{i // 1000}/k{i}", False, VALUE, None, False, now)
    d = DataDir(data_dir)
    d.open()
    body = encode_body(store)
    write_snapshot(d.snap_dir, SnapMeta(0, raft_index, store.index), body)
    d.close()
    return len(body) / 1e6


def seed_wal(data_dir: Path, entries: int) -> None:
    store, raft_index = fresh_store()
    d = DataDir(data_dir)
    d.open()
    write_snapshot(d.snap_dir, SnapMeta(0, raft_index, store.index), encode_body(store))
    writer = WalWriter(d.wal_dir, 1, 1)
    now = time.time_ns()
    batch = []
    for i in range(entries):
        batch.append(encode_request(KeyRequest(Method.PUT, f"/r/d{i // 1000}/k{i}", now,
                                               value=VALUE)))
        if len(batch) == 1000:
            writer.append(batch)
            batch = []
    if batch:
        writer.append(batch)
    writer.close()
    d.close()


def metric(url: str, name: str) -> float:
    text = urllib.request.urlopen(url + "/metrics", timeout=30).read().decode()
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else float("nan")


def timed_start(tmp: Path, name: str, extra: list[str]) -> tuple[float, procs.ServerProcess]:
    port = procs.free_port()
    argv = procs.pyetcd_argv(name, tmp / f"{name}.etcd", port, extra)
    t0 = time.monotonic()
    proc = procs._spawn(argv, tmp / f"{name}.log")
    server = procs.ServerProcess(name, f"http://127.0.0.1:{port}", proc, tmp / f"{name}.log",
                                 tmp / f"{name}.etcd")
    procs.wait_healthy(server.url, proc, timeout=600)
    return time.monotonic() - t0, server


def rss_mb(server: procs.ServerProcess) -> float:
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def probe_stall(server: procs.ServerProcess, seconds: float) -> tuple[float, int]:
    """The slowest of GETs sent every 5 ms for ``seconds`` (ms), and how many were sent."""
    worst, n, end = 0.0, 0, time.monotonic() + seconds
    url = server.url + "/v2/keys/bench/d0/k0"
    while time.monotonic() < end:
        t0 = time.monotonic()
        urllib.request.urlopen(url, timeout=60).read()
        worst = max(worst, time.monotonic() - t0)
        n += 1
        time.sleep(0.005)
    return worst * 1e3, n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--replay", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pyetcd-durability-"))
    try:
        t0 = time.monotonic()
        mb = seed_snapshot(tmp / "big.etcd", args.keys)
        print(f"seeded {args.keys} keys: snapshot {mb:.0f} MB in {time.monotonic() - t0:.1f} s")
        took, server = timed_start(tmp, "big", ["--snapshot-count", "1"])
        try:
            print(f"restart with {args.keys} keys: {took:.2f} s to healthy, RSS {rss_mb(server):.0f} MB")
            worst, n = probe_stall(server, 3.0)
            while metric(server.url, "etcd_debugging_snap_save_total_duration_seconds_count") < 1:
                time.sleep(0.2)  # the child is still writing
            fork = metric(server.url, "pyetcd_snapshot_fork_pause_seconds_sum")
            save = metric(server.url, "etcd_debugging_snap_save_total_duration_seconds_sum")
            print(f"snapshot of {args.keys} keys: fork pause {fork * 1e3:.1f} ms, child "
                  f"{save:.2f} s; slowest of {n} GETs during it: {worst:.1f} ms")
        finally:
            server.stop()
        seed_wal(tmp / "replay.etcd", args.replay)
        took, server = timed_start(tmp, "replay", [])
        server.stop()
        line = next(ln for ln in server.log().splitlines() if "recovered" in ln)
        seconds = float(re.search(r"seconds=([\d.]+)", line).group(1))  # type: ignore[union-attr]
        print(f"restart replaying {args.replay} WAL entries: {took:.2f} s to healthy "
              f"(recovery {seconds:.2f} s, {args.replay / seconds:,.0f} entries/s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
