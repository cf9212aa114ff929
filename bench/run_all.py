"""Run the benchmarks in bench/ one after the other (``make bench``).

    .venv/bin/python bench/run_all.py [--only pyetcd,kubelite,flannel] [--quick]

* ``pyetcd``: bench/pyetcd_bench.py, pyetcd against etcd 3.4 (the issue-3 figures);
  ``--quick`` uses 2 s per point and 100,000 keys instead of 5 s and 1,000,000;
* ``kubelite``: bench/kubelite_apiserver.py, the apiserver on pyetcd against etcd, then
  bench/kubelite_pagination.py, one list against chunked lists of the same pods;
* ``flannel``: bench/flannel_bench.py, the pod-to-pod data path; needs root (network
  namespaces), skipped with a note otherwise.

Each script prints its own table with ratios against the reference measured in the same run.
Exit status: non-zero when any script failed. The machine is shared: quote the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="pyetcd,kubelite,flannel")
    parser.add_argument("--quick", action="store_true", help="shorter, smaller runs")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    runs: list[tuple[str, list[str]]] = []
    if "pyetcd" in wanted:
        extra = ["--seconds", "2", "--keys", "100000"] if args.quick else []
        runs.append(("pyetcd", ["pyetcd_bench.py", *extra]))
    if "kubelite" in wanted:
        runs.append(("kubelite", ["kubelite_apiserver.py"]))
        runs.append(("kubelite pagination", ["kubelite_pagination.py"]))
    if "flannel" in wanted:
        if os.geteuid() != 0:
            print("flannel: skipped (needs root for network namespaces)", flush=True)
        else:
            runs.append(("flannel", ["flannel_bench.py", *(["--seconds", "2"] if args.quick
                                                          else [])]))
    failed = []
    for name, argv in runs:
        print(f"\n==== {name}: {' '.join(argv)}", flush=True)
        rc = subprocess.call([sys.executable, str(BENCH / argv[0]), *argv[1:]])
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
