"""Choosing the external interface (spec §3) inside a namespace with several interfaces."""

from __future__ import annotations

import json
import sys

import pytest

from tests.pyflannel.netns.topology import Topology

pytestmark = pytest.mark.netns

PROBE = r"""
import json, sys
from pyflannel import iface
ifaces, regexes, public = json.loads(sys.argv[1])
try:
    e = iface.choose(ifaces, regexes, public)
    print(json.dumps({"name": e.name, "address": str(e.address), "mtu": e.mtu, "public": str(e.public_ip)}))
except iface.IfaceError as exc:
    print(json.dumps({"error": str(exc)}))
"""


def choose(topo: Topology, ns: str, ifaces: list[str], regexes: list[str], public: str = "") -> dict[str, object]:
    out = topo.run(ns, sys.executable, "-c", PROBE, json.dumps([ifaces, regexes, public])).stdout
    result: dict[str, object] = json.loads(out)
    return result


@pytest.mark.parametrize(
    ("ifaces", "regexes", "public", "expected"),
    [
        ([], [], "", {"name": "ethb", "address": "203.0.113.2", "mtu": 1400}),  # default route
        (["etha"], [], "", {"name": "etha", "address": "198.51.100.7"}),  # first global address
        (["198.51.100.8"], [], "", {"name": "etha", "address": "198.51.100.8"}),  # by IP
        (["nope", "ethb"], [], "", {"name": "ethb"}),  # tried in order
        ([], [r"^203\."], "", {"name": "ethb", "address": "203.0.113.2"}),  # regex on an address
        ([], [r"^eth[a]$"], "", {"name": "etha"}),  # regex on a name
        ([], [], "198.51.100.8", {"name": "etha", "address": "198.51.100.8", "public": "198.51.100.8"}),
        (["etha"], [], "192.0.2.200", {"name": "etha", "public": "192.0.2.200"}),  # NAT: public differs
    ],
)
def test_choose(topo: Topology, ifaces: list[str], regexes: list[str], public: str,
                expected: dict[str, object]) -> None:
    ns = topo.add_ns("x")
    topo.run(ns, "ip", "link", "add", "name", "etha", "type", "veth", "peer", "name", "etha-p")
    topo.run(ns, "ip", "link", "add", "name", "ethb", "type", "veth", "peer", "name", "ethb-p")
    topo.run(ns, "ip", "addr", "add", "198.51.100.7/24", "dev", "etha")
    topo.run(ns, "ip", "addr", "add", "198.51.100.8/24", "dev", "etha")
    topo.run(ns, "ip", "addr", "add", "203.0.113.2/24", "dev", "ethb")
    topo.run(ns, "ip", "link", "set", "ethb", "mtu", "1400")
    for dev in ("etha", "etha-p", "ethb", "ethb-p"):
        topo.run(ns, "ip", "link", "set", dev, "up")
    topo.run(ns, "ip", "route", "add", "default", "via", "203.0.113.1")
    got = choose(topo, ns, ifaces, regexes, public)
    assert {k: got.get(k) for k in expected} == expected, got


def test_no_match_lists_candidates(topo: Topology) -> None:
    ns = topo.add_ns("y")
    got = choose(topo, ns, ["eth7"], ["^zz"])
    assert "failed to find any interface" in str(got["error"]) and "lo (127.0.0.1)" in str(got["error"])
    assert "no IPv4 default route" in str(choose(topo, ns, [], [])["error"])
    assert "no interface holds --public-ip" in str(choose(topo, ns, [], [], "192.0.2.9")["error"])
