"""pyflanneld data-path benchmark (not a test): iperf3 and ping pod to pod, per backend.

For each backend, two namespace "hosts" (see tests/pyflannel/netns/topology.py) run etcd
3.4 and a pyflanneld each; a pod per host gets its address from subnet.env. The baseline
is plain kernel routing between the same kind of namespaces (static routes, no flannel),
measured in the same run. Output: Gbit/s, ping RTT, and ratios against the baseline, each
the median of --repeat runs, with the load average when the row was measured.

Efficiency (independent of how busy the machine is): the CPU seconds the two pyflanneld
daemons (with any worker processes they start) spent per GB that iperf3 delivered,
from /proc/<pid>/stat utime+stime, on the sending host ("snd") and the receiving host
("rcv") of each direction. For vxlan and host-gw this is ~0: the kernel forwards.

    sudo .venv/bin/python bench/flannel_bench.py [--backends udp,vxlan,host-gw] [--seconds 5]
    udp-<mode> rows: the udp backend with PYFLANNEL_UDP_OFFLOAD=<mode>

Numbers from a shared, busy 2-core machine are noisy (±30%): compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pyflannel.netns.topology import Host, Topology  # noqa: E402

REPEAT = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
            out.extend(int(c) for c in text.split())
    except OSError:
        pass
    return out


def tree_cpu(pid: int | None) -> float:
    """utime + stime (seconds) of ``pid`` and all its live descendants; 0 without a pid."""
    if pid is None:
        return 0.0
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
        todo.extend(_children(p))
    return total / CLK_TCK


@dataclass
class Run:
    """One iperf3 run: throughput and the daemons' CPU seconds per GB delivered."""
    gbps: float
    snd_s_per_gb: float
    rcv_s_per_gb: float


def _pid(h: Host) -> int | None:
    return h.flanneld.popen.pid if h.flanneld is not None else None


def iperf(t: Topology, src: Host, dst: Host, seconds: int, reverse: bool = False) -> Run:
    """One run from src's pod to dst's pod (``reverse``: dst's pod sends, iperf3 -R)."""
    t.run(dst.pod_ns, "iperf3", "-s", "-D", "-1", "-p", "5201")
    time.sleep(0.3)
    args = ["iperf3", "-c", dst.pod_ip, "-p", "5201", "-t", str(seconds), "-J"]
    if reverse:
        args.append("-R")
    sender, receiver = (dst, src) if reverse else (src, dst)
    before = tree_cpu(_pid(sender)), tree_cpu(_pid(receiver))
    out = t.run(src.pod_ns, *args, check=False, timeout=seconds + 30).stdout
    after = tree_cpu(_pid(sender)), tree_cpu(_pid(receiver))
    try:
        end = json.loads(out)["end"]["sum_received"]
        gbps, gbytes = float(end["bits_per_second"]) / 1e9, float(end["bytes"]) / 1e9
    except (ValueError, KeyError):
        print(f"iperf3 failed: {out[-500:]}", file=sys.stderr)
        return Run(0.0, float("nan"), float("nan"))
    return Run(gbps, (after[0] - before[0]) / gbytes, (after[1] - before[1]) / gbytes)


def ping_rtt(t: Topology, src: Host, dst: Host, count: int = 200) -> float:
    out = t.run(src.pod_ns, "ping", "-q", "-c", str(count), "-i", "0.005", dst.pod_ip,
                check=False, timeout=60).stdout
    m = re.search(r"= [\d.]+/([\d.]+)/", out)
    return float(m.group(1)) if m else float("nan")


@dataclass
class Row:
    name: str
    fwd: list[Run]
    rev: list[Run]
    ping: list[float]
    load: str

    def med(self, runs: list[Run], attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in runs))


def measure(t: Topology, name: str, seconds: int) -> Row:
    """REPEAT rounds of (p1->p2, p2->p1, ping), interleaved so load swings hit both."""
    h1, h2 = t.hosts
    load = loadavg()
    row = Row(name, [], [], [], load)
    for _ in range(REPEAT):
        row.fwd.append(iperf(t, h1, h2, seconds))
        row.rev.append(iperf(t, h1, h2, seconds, reverse=True))
        row.ping.append(ping_rtt(t, h1, h2))
    row.load = f"{load} -> {loadavg()}"
    return row


GRO = True


def underlay(t: Topology) -> None:
    """Build two hosts; with GRO (the default, as on real NICs) their eth0 veths coalesce."""
    t.build(2)
    if GRO:
        for h in t.hosts:
            t.set_features(h.ns, "eth0", rx_gro=True)


def plain(tmp: Path, seconds: int) -> Row:
    t = Topology(tmp / "plain", tag=f"flb{os.getpid() % 10000}p")
    (tmp / "plain").mkdir()
    try:
        underlay(t)
        subnets = ["198.18.1.1/24", "198.18.2.1/24"]
        for host, sn in zip(t.hosts, subnets, strict=True):
            t.add_pod(host, {"FLANNEL_SUBNET": sn, "FLANNEL_MTU": "1500"})
        h1, h2 = t.hosts
        t.run(h1.ns, "ip", "route", "add", "198.18.2.0/24", "via", h2.ip)
        t.run(h2.ns, "ip", "route", "add", "198.18.1.0/24", "via", h1.ip)
        return measure(t, "plain", seconds)
    finally:
        t.destroy()


def flannel(tmp: Path, name: str, seconds: int) -> Row:
    """``name`` is a backend type, or ``udp-<mode>`` (udp with PYFLANNEL_UDP_OFFLOAD=mode)."""
    backend, _, mode = name.partition("-") if name.startswith("udp-") else (name, "", "")
    env = {"PYFLANNEL_UDP_OFFLOAD": mode} if mode else None
    d = tmp / name
    d.mkdir()
    t = Topology(d, tag=f"flb{os.getpid() % 10000}{name[0]}{len(name)}")
    try:
        underlay(t)
        t.start_real_etcd()
        t.put_config(json.dumps({"Network": "198.18.0.0/16", "Backend": {"Type": backend}}))
        for h in t.hosts:
            t.start_flanneld(h, env=env)
        for h in t.hosts:
            t.add_pod(h, t.wait_subnet_file(h))
        h1, h2 = t.hosts
        deadline = time.monotonic() + 10
        while t.ping(h1, h2, count=1).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no connectivity: {h1.flanneld.log()[-2000:] if h1.flanneld else ''}")
        return measure(t, name, seconds)
    finally:
        t.destroy()


def print_header() -> None:
    print(f"{'path':<12} {'Gbit/s':>6} {'Gbit/s':>6} {'ping':>6} {'ratio':>5} {'ratio':>5} {'ping':>5}"
          f"  {'CPU s/GB p1->p2':>15}  {'CPU s/GB p2->p1':>15}  load avg 1/5/15 (start -> end)")
    print(f"{'':<12} {'p1->p2':>6} {'p2->p1':>6} {'ms':>6} {'fwd':>5} {'rev':>5} {'ratio':>5}"
          f"  {'snd':>7} {'rcv':>7}  {'snd':>7} {'rcv':>7}")


def print_row(row: Row, base: Row | None, daemons: bool = True) -> None:
    """``base``: the plain-routing row the ratios divide by (None: no ratios)."""
    fwd, rev = row.med(row.fwd, "gbps"), row.med(row.rev, "gbps")
    ping = statistics.median(row.ping)
    if base is None:
        rf = rr = rp = float("nan")
    else:
        rf = fwd / base.med(base.fwd, "gbps")
        rr = rev / base.med(base.rev, "gbps")
        rp = ping / statistics.median(base.ping)
    cpu = "  ".join(f"{row.med(runs, 'snd_s_per_gb'):7.2f} {row.med(runs, 'rcv_s_per_gb'):7.2f}"
                    for runs in (row.fwd, row.rev)) if daemons else f"{'-':>7} {'-':>7}  {'-':>7} {'-':>7}"
    print(f"{row.name:<12} {fwd:6.2f} {rev:6.2f} {ping:6.3f} {rf:5.2f} {rr:5.2f} {rp:5.2f}  {cpu}  {row.load}",
          flush=True)


def print_runs(row: Row) -> None:
    """Every run, for the record (medians hide the spread)."""
    runs = ", ".join(f"{f.gbps:.2f}/{r.gbps:.2f}" for f, r in zip(row.fwd, row.rev, strict=True))
    print(f"  {row.name} runs (fwd/rev Gbit/s): {runs}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="udp,vxlan,host-gw",
                        help="comma-separated: udp, udp-<offload mode>, vxlan, host-gw")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--no-gro", action="store_true", help="leave GRO off on the hosts' eth0")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-routing baseline")
    args = parser.parse_args()
    global GRO, REPEAT
    GRO = not args.no_gro
    REPEAT = max(1, args.repeat)
    if not shutil.which("iperf3") or not shutil.which("etcd"):
        print("needs iperf3 and etcd (make deps)", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="flannel-bench-"))
    try:
        print(f"# {os.cpu_count()} CPUs, {REPEAT} runs of {args.seconds} s per direction, medians;"
              f" GRO on the underlay: {GRO}")
        print_header()
        base = None
        if not args.no_plain:
            base = plain(tmp, args.seconds)
            print_row(base, base, daemons=False)
            print_runs(base)
        for backend in args.backends.split(","):
            row = flannel(tmp, backend, args.seconds)
            print_row(row, base)
            print_runs(row)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
