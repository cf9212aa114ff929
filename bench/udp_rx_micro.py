"""Offline micro-benchmark of the udp forwarder's receive loop (not a test; no root needed).

A sender process sends GSO batches of TCP segments (UDP_SEGMENT, as pyflanneld's tx side
does) over loopback to a UDP_GRO socket; ``Forwarder.udp_to_tun`` receives, merges and
writes them to /dev/null instead of a TUN. Prints the forwarder's CPU per batch and per
packet: the Python cost of the receive path without the kernel's forwarding work.

    .venv/bin/python bench/udp_rx_micro.py [--segments 30] [--batches 20000]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import struct
import subprocess
import sys
import threading
import time
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyflannel import datapath, gso  # noqa: E402
from tests.pyflannel.unit.test_gso import tcp_packet  # noqa: E402

MSS = 1420


def send(port: int, segments: int, batches: int) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    prepared = []
    seq = 1000
    seg_len = 0
    for b in range(16):  # 16 bursts with their own TCP timestamps, in sequence
        big = tcp_packet(bytes(segments * MSS), seq=seq, flags=gso.TCP_ACK,
                         options=b"\x01\x01\x08\x0a" + struct.pack("!II", b, 7))
        wire, seg_len = gso.segment_tcp4(big, MSS)
        prepared.append(bytes(wire))
        seq += segments * MSS
    opt = [(datapath.SOL_UDP, datapath.UDP_SEGMENT, struct.pack("=H", seg_len))]
    for r in range(batches):
        s.sendmsg([prepared[r % 16]], opt, 0, ("127.0.0.1", port))
        if r % 8 == 7:
            time.sleep(0.0005)  # stay within the receive buffer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=30, help="TCP segments per batch")
    parser.add_argument("--batches", type=int, default=20000)
    parser.add_argument("--send-to", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send_to:
        send(args.send_to, args.segments, args.batches)
        return 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    gro = datapath.tune_socket(sock, True)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    null = os.open("/dev/null", os.O_WRONLY)
    fwd = datapath.Forwarder(null, True, sock, theirs, 8285, 1472, IPv4Address("198.18.1.0"), gro)
    fwd.routes.replace_all([(IPv4Network("198.18.2.0/24"), IPv4Address("127.0.0.1"))])
    sender = subprocess.Popen([sys.executable, __file__, "--segments", str(args.segments),
                               "--batches", str(args.batches), "--send-to", str(sock.getsockname()[1])])

    def stop_when_sent() -> None:
        sender.wait()
        time.sleep(0.3)
        ours.send(datapath.STOP)

    threading.Thread(target=stop_when_sent, daemon=True).start()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    fwd.udp_to_tun()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    st = fwd.stats
    user, system = r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime
    print(f"batches {st.rx_batches}, packets {st.rx_packets} ({st.rx_merged} merged); "
          f"user {user:.3f} s, sys {system:.3f} s: {(user + system) / max(1, st.rx_batches) * 1e6:.1f} us "
          f"per batch, {(user + system) / max(1, st.rx_packets) * 1e6:.2f} us per packet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
