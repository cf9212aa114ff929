"""Quick side-by-side throughput of pyetcd and the real etcd 3.4 with wrk (GET and PUT).

Starts both servers on free loopback ports, runs wrk against each in the same run, and
prints requests/s, p50 and p99 for each and the ratio pyetcd/etcd. For PUT it also prints
how many writes each WAL fsync carried on each server (group commit; both servers report
``etcd_disk_wal_fsync_duration_seconds_count``). pyetcd's PUTs are durable (fsynced), as
etcd's are. A guide, not a timed test: numbers move with the machine's load (say so when
you quote them).

    .venv/bin/python bench/pyetcd_wrk.py [--connections 64] [--seconds 5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import procs  # noqa: E402

PUT_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/v2/keys/bench/k" .. counter,
                    {["Content-Type"]="application/x-www-form-urlencoded"}, "value=hello")
end
"""


def wrk(url: str, connections: int, seconds: int, script: Path | None) -> dict[str, float]:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        argv += ["-s", str(script)]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if m is None:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    return {"rps": rps, "p50": pct("50"), "p99": pct("99")}


def fsyncs(url: str) -> float:
    text = urllib.request.urlopen(url + "/metrics").read().decode()
    m = re.search(r"^etcd_disk_wal_fsync_duration_seconds_count (\S+)$", text, re.M)
    return float(m.group(1)) if m else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, nargs="+", default=[64])
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("wrk") is None or not procs.have_real_etcd():
        print("needs wrk and etcd (make test installs both)", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="pyetcd-bench-"))
    script = tmp / "put.lua"
    script.write_text(PUT_SCRIPT)
    with procs.real_etcd(tmp) as ref, procs.pyetcd(tmp) as py:
        for server in (ref, py):
            urllib.request.urlopen(urllib.request.Request(
                server.url + "/v2/keys/bench/get", data=b"value=hello", method="PUT"))
        print(f"{'test':<12}{'conns':>6}{'etcd rps':>11}{'pyetcd rps':>12}{'ratio':>7}"
              f"{'etcd p99':>10}{'py p99':>9}{'etcd PUT/fsync':>16}{'py PUT/fsync':>14}")
        for conns in args.connections:
            for name, path, lua in (("GET", "/v2/keys/bench/get", None), ("PUT", "/", script)):
                syncs = [fsyncs(ref.url), fsyncs(py.url)]
                a = wrk(ref.url + path, conns, args.seconds, lua)
                b = wrk(py.url + path, conns, args.seconds, lua)
                per_sync = ""
                if name == "PUT":
                    ra = a["rps"] * args.seconds / (fsyncs(ref.url) - syncs[0])
                    rb = b["rps"] * args.seconds / (fsyncs(py.url) - syncs[1])
                    per_sync = f"{ra:>16.1f}{rb:>14.1f}"
                print(f"{name:<12}{conns:>6}{a['rps']:>11.0f}{b['rps']:>12.0f}"
                      f"{b['rps'] / a['rps']:>7.2f}{a['p99']:>9.1f}ms{b['p99']:>7.1f}ms{per_sync}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
