"""One direction of the udp forwarder in a process of its own: ``python -m pyflannel.worker``.

The udp backend starts two of these ("tx": flannel0 -> UDP, "rx": UDP -> flannel0), so
that the two loops run on two cores instead of taking turns at one interpreter lock. Each
inherits the TUN descriptor, the UDP socket and one end of a control socketpair (the
descriptor numbers come in the one JSON argument). Over the control socket the daemon
sends whole peer tables and finally "stop"; the worker answers with its counters when it
leaves. It ignores SIGINT/SIGTERM (the daemon's process group gets those; the daemon then
stops it) and exits when the control socket closes, so it never outlives the daemon.
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import sys
from ipaddress import IPv4Address

from pyflannel.cli import setup_logging
from pyflannel.datapath import Forwarder

log = logging.getLogger(__name__)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m pyflannel.worker '<json config>' (started by pyflanneld)", file=sys.stderr)
        return 2
    cfg = json.loads(argv[0])
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    setup_logging(int(cfg.get("verbosity", 0)))
    sock = socket.socket(fileno=int(cfg["sock"]))
    ctl = socket.socket(fileno=int(cfg["ctl"]))
    fwd = Forwarder(int(cfg["tun"]), bool(cfg["vnet"]), sock, ctl, int(cfg["port"]), int(cfg["mtu"]),
                    IPv4Address(cfg["lease"]), bool(cfg["gro"]))
    try:
        if cfg["direction"] == "tx":
            fwd.tun_to_udp()
        else:
            fwd.udp_to_tun()
    finally:
        try:
            ctl.setblocking(True)
            ctl.send(json.dumps({"stats": fwd.stats.to_json()}).encode())
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
