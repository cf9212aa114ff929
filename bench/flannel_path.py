"""Where pod-to-pod packets go, hop by hop (diagnostic, not a test): offloads, frame sizes, counters.

Builds one row of bench/flannel_bench.py (same underlay), then for a short iperf3 from pod 1
to pod 2 prints, for every device on the path (pod, cbr0, flannel.1, eth0, the switch's
bridge and ports, and back down on host 2): the offloads that decide whether anything is
segmented (ethtool -k), and the sizes of the frames of more than 1000 bytes seen there
(tcpdump; a GSO frame shows its full size). Then the counters of the run (nstat, per
namespace): skbs received by pod 2, UDP datagrams received by host 2, retransmissions, drops.

    sudo .venv/bin/python bench/flannel_path.py [--path vxlan|kvxlan|plain|plain-1450|host-gw]
        [--seconds 2] [--len 1M] [--cc cubic] [--no-gro]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.flannel_bench as fb  # noqa: E402
from tests.pyflannel.netns.topology import Topology  # noqa: E402

FEATURES = ("tx-checksumming", "scatter-gather", "tcp-segmentation-offload",
            "generic-segmentation-offload", "generic-receive-offload", "tx-udp_tnl-segmentation",
            "tx-udp_tnl-csum-segmentation")
SHORT = ("txcsum", "sg", "tso", "gso", "gro", "udp_tnl", "udp_tnl_csum")
COUNTERS = ("IpInReceives", "IpForwDatagrams", "UdpInDatagrams", "UdpInErrors", "UdpInCsumErrors",
            "TcpRetransSegs", "IpInDiscards", "TcpExtTCPBacklogDrop", "TcpExtTCPRcvQDrop")


def frame_sizes(pcap: Path) -> list[int]:
    """orig_len of every record of a classic pcap file."""
    data = pcap.read_bytes() if pcap.exists() else b""
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack_from("<IIII", data, off)
        out.append(orig)
        off += 16 + incl
    return out


def features(t: Topology, ns: str, dev: str) -> str:
    text = t.run(ns, "ethtool", "-k", dev, check=False).stdout
    got = dict(line.strip().split(": ", 1) for line in text.splitlines() if ": " in line)
    return " ".join(f"{s}={got.get(k, '?').split()[0]}" for k, s in zip(FEATURES, SHORT, strict=True))


def nstat(t: Topology, ns: str, hist: Path, reset: bool = False) -> dict[str, int]:
    env = {**os.environ, "NSTAT_HISTORY": str(hist)}  # one history file per namespace
    args = ["ip", "netns", "exec", ns, "nstat", "-n" if reset else "-z"]
    text = subprocess.run(args, capture_output=True, text=True, env=env, check=False).stdout
    return {f[0]: int(f[1]) for f in (line.split() for line in text.splitlines()[1:]) if len(f) >= 2}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="vxlan", help="vxlan, kvxlan, plain, plain-1450 or host-gw")
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--len", default="", help="iperf3 -l (default 128K)")
    parser.add_argument("--cc", default="", help="iperf3 -C")
    parser.add_argument("--no-gro", action="store_true")
    args = parser.parse_args()
    fb.GRO = not args.no_gro
    tmp = Path(tempfile.mkdtemp(prefix="flannel-path-"))
    (tmp / args.path).mkdir()
    t = Topology(tmp / args.path, tag=f"flp{os.getpid() % 10000}")
    captures: list[subprocess.Popen[bytes]] = []
    try:
        if args.path in ("plain", "plain-1450"):
            bed = fb.plain_bed(t, args.path, 1450 if args.path == "plain-1450" else 1500)
        elif args.path == "kvxlan":
            bed = fb.kernel_vxlan_bed(t, args.path)
        else:
            bed = fb.flannel_bed(t, args.path)
        fb.connected(bed)
        h1, h2 = t.hosts
        sw = t.ns("sw")
        hops = [(h1.pod_ns, "eth0"), (h1.ns, "vp"), (h1.ns, "cbr0"), (h1.ns, "flannel.1"), (h1.ns, "eth0"),
                (sw, "v1"), (sw, "br0"), (sw, "v2"), (h2.ns, "eth0"), (h2.ns, "flannel.1"), (h2.ns, "cbr0"),
                (h2.ns, "vp"), (h2.pod_ns, "eth0")]
        hops = [(ns, dev) for ns, dev in hops
                if t.run(ns, "ip", "link", "show", dev, check=False).returncode == 0]
        names = {h1.pod_ns: "p1", h1.ns: "h1", sw: "sw", h2.ns: "h2", h2.pod_ns: "p2"}
        print(f"# path {args.path}; GRO on the hosts' eth0: {fb.GRO}; iperf3 p1->p2 {args.seconds} s,"
              f" writes {args.len or '128K'}, cc {args.cc or 'system default'}")
        print(f"{'hop':<13} {'offloads (ethtool -k)':<72} frames >1000 B: n, median, max, mean")
        for ns, dev in hops:
            out = tmp / f"{names[ns]}-{dev}.pcap"
            captures.append(subprocess.Popen(
                ["ip", "netns", "exec", ns, "tcpdump", "-i", dev, "-nn", "-s", "96", "-c", "3000",
                 "-w", str(out), "greater 1000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1.0)  # let the captures arm
        hist = {ns: tmp / f"nstat-{names[ns]}" for ns in names}
        for ns, path in hist.items():
            nstat(t, ns, path, reset=True)
        t.run(h2.pod_ns, "iperf3", "-s", "-D", "-1", "-p", "5201")
        time.sleep(0.3)
        cmd = ["iperf3", "-c", h2.pod_ip, "-p", "5201", "-t", str(args.seconds)]
        cmd += (["-l", args.len] if args.len else []) + (["-C", args.cc] if args.cc else [])
        summary = t.run(h1.pod_ns, *cmd, timeout=args.seconds + 30).stdout.strip().splitlines()
        counts = {ns: nstat(t, ns, path) for ns, path in hist.items()}
        time.sleep(0.5)
        for p in captures:
            p.terminate()
            p.wait()
        for ns, dev in hops:
            sizes = frame_sizes(tmp / f"{names[ns]}-{dev}.pcap")
            stats = (f"{len(sizes):5d} {int(statistics.median(sizes)):7d} {max(sizes):7d} "
                     f"{int(statistics.mean(sizes)):7d}") if sizes else "    0"
            print(f"{names[ns] + ':' + dev:<13} {features(t, ns, dev):<72} {stats}")
        print("# counters during the run (nstat deltas; 0 omitted)")
        for ns, c in counts.items():
            shown = " ".join(f"{k}={c[k]}" for k in COUNTERS if c.get(k))
            print(f"{names[ns]:<3} {shown}")
        octets = counts[h2.pod_ns].get("IpExtInOctets", 0)
        skbs = counts[h2.pod_ns].get("IpInReceives", 0)
        if skbs:
            print(f"# p2 received {octets / 1e9:.2f} GB in {skbs} skbs: {octets / skbs / 1000:.1f} kB per skb"
                  " (the data direction;"
                  " an skb larger than the MTU was not segmented on the way)")
        print("# iperf3: " + " | ".join(line.strip() for line in summary[-4:-2]))
    finally:
        for p in captures:
            if p.poll() is None:
                p.kill()
                p.wait()
        t.destroy()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
