"""pyflanneld data-path benchmark (not a test): iperf3 and ping pod to pod, per backend.

For each backend, two namespace "hosts" (see tests/pyflannel/netns/topology.py) run etcd
3.4 and a pyflanneld each; a pod per host gets its address from subnet.env. The baseline
is plain kernel routing between the same kind of namespaces (static routes, no flannel),
measured in the same run. Output: Gbit/s, ping RTT, and ratios against the baseline, each
the median of --repeat rounds (ratios: the median of each round's ratio), with the load
average while the row was measured.

Every row's namespaces are built first; then each round measures every row in turn, so a
load swing from other users of the machine hits all rows alike.

Underlay, the same for every row (printed at the top of the output): each host's eth0 is a
veth into bridge br0 of a "switch" namespace, MTU 1500, veth offloads at their defaults,
and GRO on on each host's eth0 because real NICs do GRO (--no-gro leaves it off).

Reference rows besides plain: ``kvxlan``, a kernel vxlan pair made by hand with iproute2
with flannel's device options and flannel's ARP/FDB/route entries, no pyflanneld and no
etcd (if vxlan == kvxlan, any gap to plain is the kernel's); ``plain-1450``, plain routing
with vxlan's pod MTU (how much of a gap is the smaller MTU alone).

Efficiency (independent of how busy the machine is): the CPU seconds the two pyflanneld
daemons (with any worker processes they start) spent per GB that iperf3 delivered,
from /proc/<pid>/stat utime+stime, on the sending host ("snd") and the receiving host
("rcv") of each direction. For vxlan and host-gw this is ~0: the kernel forwards.

    sudo .venv/bin/python bench/flannel_bench.py [--backends udp,kvxlan,vxlan,host-gw] [--seconds 5]
    sudo .venv/bin/python bench/flannel_bench.py --backends plain-1450,kvxlan,vxlan,host-gw
    udp-<mode> rows: the udp backend with PYFLANNEL_UDP_OFFLOAD=<mode>;
    --cc cubic|bbr|reno: iperf3's TCP congestion control (default: the system's)
    --len 1M: iperf3's write size (default 128K; each write ends in a short skb)

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
    if CC:
        args += ["-C", CC]
    if LEN:
        args += ["-l", LEN]
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


@dataclass
class Bed:
    """One row's namespaces, built before any measurement so rounds can interleave rows."""
    name: str
    topo: Topology
    daemons: bool
    row: Row


def measure_round(bed: Bed, seconds: int) -> None:
    """One round for one row: p1->p2, p2->p1, ping."""
    h1, h2 = bed.topo.hosts
    start = loadavg()
    bed.row.fwd.append(iperf(bed.topo, h1, h2, seconds))
    bed.row.rev.append(iperf(bed.topo, h1, h2, seconds, reverse=True))
    bed.row.ping.append(ping_rtt(bed.topo, h1, h2))
    first = bed.row.load.split(" -> ")[0] if bed.row.load else start
    bed.row.load = f"{first} -> {loadavg()}"


GRO = True
CC = ""  # TCP congestion control for iperf3 -C ("" = the system default)
LEN = ""  # iperf3 -l, the size of each write ("" = iperf3's 128 KiB)
UNDERLAY_DOC = (
    "underlay (the same for every row): each host's eth0 is a veth whose peer sits in bridge br0 of"
    " a switch namespace; MTU 1500; veth offloads at their defaults (checksum, scatter-gather, TSO/GSO,"
    " tx-udp_tnl-segmentation on){gro}; bridge-nf-call-iptables at the kernel's default (on) everywhere."
    " Pods: a veth into bridge cbr0 of their host, MTU = FLANNEL_MTU (1500 plain and host-gw,"
    " 1450 vxlan, kvxlan and plain-1450, 1472 udp)."
)


def underlay(t: Topology) -> None:
    """Build two hosts; with GRO (the default, as on real NICs) their eth0 veths coalesce."""
    t.build(2)
    if GRO:
        for h in t.hosts:
            t.set_features(h.ns, "eth0", rx_gro=True)


def offloads(t: Topology, ns: str, dev: str) -> str:
    """The offloads that matter here, as ethtool -k shows them (for the record)."""
    keys = ("rx-checksumming", "tx-checksumming", "tcp-segmentation-offload",
            "generic-segmentation-offload", "generic-receive-offload", "tx-udp_tnl-segmentation",
            "tx-udp_tnl-csum-segmentation", "rx-udp-gro-forwarding")
    out = t.run(ns, "ethtool", "-k", dev, check=False).stdout
    got = dict(line.strip().split(": ", 1) for line in out.splitlines() if ": " in line)
    return " ".join(f"{k}={got.get(k, '?').split()[0]}" for k in keys)


def plain_bed(t: Topology, name: str, mtu: int) -> Bed:
    """Plain kernel routing between the hosts (static routes via the peer), pods at ``mtu``."""
    underlay(t)
    for host, sn in zip(t.hosts, ["198.18.1.1/24", "198.18.2.1/24"], strict=True):
        t.add_pod(host, {"FLANNEL_SUBNET": sn, "FLANNEL_MTU": str(mtu)})
    h1, h2 = t.hosts
    t.run(h1.ns, "ip", "route", "add", "198.18.2.0/24", "via", h2.ip)
    t.run(h2.ns, "ip", "route", "add", "198.18.1.0/24", "via", h1.ip)
    return Bed(name, t, False, Row(name, [], [], [], ""))


def kernel_vxlan_bed(t: Topology, name: str) -> Bed:
    """A hand-made kernel vxlan pair, no pyflanneld and no etcd: ``flannel.1`` made by iproute2
    with the options flannel gives the kernel, and the ARP/FDB/route entries flannel writes."""
    underlay(t)
    subnets = ["198.18.1.0", "198.18.2.0"]
    for h, sn in zip(t.hosts, subnets, strict=True):
        t.run(h.ns, "ip", "link", "add", "flannel.1", "type", "vxlan", "id", "1", "local", h.ip,
              "dev", "eth0", "dstport", "8472", "nolearning")
        t.run(h.ns, "ip", "addr", "add", f"{sn}/32", "dev", "flannel.1")
        t.run(h.ns, "ip", "link", "set", "flannel.1", "up")
    macs = [t.run(h.ns, "cat", "/sys/class/net/flannel.1/address").stdout.strip() for h in t.hosts]
    for me, peer in ((0, 1), (1, 0)):
        h, gw = t.hosts[me], subnets[peer]
        t.run(h.ns, "ip", "neigh", "replace", gw, "lladdr", macs[peer], "dev", "flannel.1", "nud", "permanent")
        t.run(h.ns, "bridge", "fdb", "append", macs[peer], "dst", t.hosts[peer].ip, "dev", "flannel.1",
              "self", "permanent")
        t.run(h.ns, "ip", "route", "add", f"{gw}/24", "via", gw, "dev", "flannel.1", "onlink")
    for h, sn in zip(t.hosts, subnets, strict=True):
        t.add_pod(h, {"FLANNEL_SUBNET": sn[:-1] + "1/24", "FLANNEL_MTU": "1450"})
    return Bed(name, t, False, Row(name, [], [], [], ""))


def flannel_bed(t: Topology, name: str) -> Bed:
    """``name`` is a backend type, or ``udp-<mode>`` (udp with PYFLANNEL_UDP_OFFLOAD=mode)."""
    backend, _, mode = name.partition("-") if name.startswith("udp-") else (name, "", "")
    env = {"PYFLANNEL_UDP_OFFLOAD": mode} if mode else None
    underlay(t)
    t.start_real_etcd()
    t.put_config(json.dumps({"Network": "198.18.0.0/16", "Backend": {"Type": backend}}))
    for h in t.hosts:
        t.start_flanneld(h, env=env)
    for h in t.hosts:
        t.add_pod(h, t.wait_subnet_file(h))
    return Bed(name, t, True, Row(name, [], [], [], ""))


def connected(bed: Bed) -> None:
    t = bed.topo
    h1, h2 = t.hosts
    deadline = time.monotonic() + 10
    while t.ping(h1, h2, count=1).returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{bed.name}: no connectivity:"
                               f" {h1.flanneld.log()[-2000:] if h1.flanneld else ''}")


def print_header() -> None:
    print("# Gbit/s, ping: medians over the rounds; ratios: medians of the per-round ratios to plain")
    print(f"{'path':<12} {'Gbit/s':>6} {'Gbit/s':>6} {'ping':>6} {'ratio':>5} {'ratio':>5} {'ping':>5}"
          f"  {'CPU s/GB p1->p2':>15}  {'CPU s/GB p2->p1':>15}  load avg 1/5/15 (start -> end)")
    print(f"{'':<12} {'p1->p2':>6} {'p2->p1':>6} {'ms':>6} {'fwd':>5} {'rev':>5} {'ratio':>5}"
          f"  {'snd':>7} {'rcv':>7}  {'snd':>7} {'rcv':>7}")


def round_ratio(runs: list[Run], base: list[Run]) -> float:
    return float(statistics.median(r.gbps / b.gbps if b.gbps else float("nan")
                                   for r, b in zip(runs, base, strict=True)))


def print_row(row: Row, base: Row | None, daemons: bool = True) -> None:
    """``base``: the plain-routing row the ratios divide by (None: no ratios)."""
    fwd, rev = row.med(row.fwd, "gbps"), row.med(row.rev, "gbps")
    ping = statistics.median(row.ping)
    if base is None:
        rf = rr = rp = float("nan")
    else:  # the median of per-round ratios: a round measures every row back to back
        rf = round_ratio(row.fwd, base.fwd)
        rr = round_ratio(row.rev, base.rev)
        rp = float(statistics.median(a / b for a, b in zip(row.ping, base.ping, strict=True)))
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
    parser.add_argument("--backends", default="udp,kvxlan,vxlan,host-gw",
                        help="comma-separated: udp, udp-<offload mode>, vxlan, host-gw, and the"
                             " references kvxlan (hand-made kernel vxlan, no pyflanneld) and"
                             " plain-1450 (plain routing with vxlan's pod MTU)")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--no-gro", action="store_true", help="leave GRO off on the hosts' eth0")
    parser.add_argument("--cc", default="", help="TCP congestion control for iperf3 (default: the system's)")
    parser.add_argument("--len", default="", help="iperf3 -l: bytes per write (default iperf3's 128K)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (medians over them)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-routing baseline")
    args = parser.parse_args()
    global GRO, REPEAT, CC, LEN
    GRO = not args.no_gro
    REPEAT = max(1, args.repeat)
    CC, LEN = args.cc, args.len
    if not shutil.which("iperf3") or not shutil.which("etcd"):
        print("needs iperf3 and etcd (make deps)", file=sys.stderr)
        return 1
    cc = CC or Path("/proc/sys/net/ipv4/tcp_congestion_control").read_text().strip()
    tmp = Path(tempfile.mkdtemp(prefix="flannel-bench-"))
    beds: list[Bed] = []
    topos: list[Topology] = []  # every topology, registered before it is built: all get destroyed
    try:
        names = ([] if args.no_plain else ["plain"]) + args.backends.split(",")
        for i, name in enumerate(names):
            (tmp / name).mkdir()
            t = Topology(tmp / name, tag=f"flb{os.getpid() % 10000}r{i}")
            topos.append(t)
            if name in ("plain", "plain-1450"):
                beds.append(plain_bed(t, name, 1450 if name == "plain-1450" else 1500))
            elif name == "kvxlan":
                beds.append(kernel_vxlan_bed(t, name))
            else:
                beds.append(flannel_bed(t, name))
            connected(beds[-1])
        gro = "; GRO on on each host's eth0, as real NICs do" if GRO else "; GRO off (--no-gro)"
        print(f"# {os.cpu_count()} CPUs, {REPEAT} rounds of {args.seconds} s per direction, medians;"
              f" rows interleaved round by round; iperf3 TCP congestion control: {cc},"
              f" writes of {LEN or '128K'}")
        print("# " + UNDERLAY_DOC.format(gro=gro))
        h1 = beds[0].topo.hosts[0]
        print(f"# host eth0 offloads: {offloads(beds[0].topo, h1.ns, 'eth0')}")
        for rnd in range(REPEAT):
            for bed in beds:
                measure_round(bed, args.seconds)
            print(f"  round {rnd + 1}/{REPEAT} done, load {loadavg()}", file=sys.stderr, flush=True)
        print_header()
        base = None if args.no_plain else beds[0].row
        for bed in beds:
            print_row(bed.row, base, daemons=bed.daemons)
        for bed in beds:
            print_runs(bed.row)
    finally:
        for t in topos:
            t.destroy()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
