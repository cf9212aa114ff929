"""flannel.1 as the kernel reports it: the device flannel's options make, and its reuse rule.

The reference is a device made with iproute2 and exactly the options flannel gives the
kernel (``id 1 local <ip> dev eth0 dstport 8472 nolearning``), in a namespace of its own
with an eth0 of the same address. Read back through pyroute2, every IFLA_VXLAN_* attribute,
the MTU and every ethtool feature must be equal.
"""

from __future__ import annotations

import json
import sys

import pytest

from tests.pyflannel.netns.test_e2e import PREFIX, config, lease_nodes
from tests.pyflannel.netns.topology import Topology

pytestmark = [pytest.mark.netns, pytest.mark.e2e]

READBACK = r"""
import json, sys
from pyroute2 import IPRoute
from pyroute2.ethtool import Ethtool
name = sys.argv[1]
with IPRoute() as ipr:
    link = ipr.get_links(ipr.link_lookup(ifname=name)[0])[0]
    info = link.get_attr("IFLA_LINKINFO")
    data = info.get_attr("IFLA_INFO_DATA")
    attrs = {a[0]: a[1] for a in data["attrs"] if a[0] != "UNKNOWN"}
    attrs["IFLA_VXLAN_LINK"] = ipr.get_links(attrs["IFLA_VXLAN_LINK"])[0].get_attr("IFLA_IFNAME")
    out = {"kind": info.get_attr("IFLA_INFO_KIND"), "mtu": link.get_attr("IFLA_MTU"),
           "mac": link.get_attr("IFLA_ADDRESS"), "index": link["index"], "vxlan": attrs}
features = Ethtool().get_features(name).features
out["features"] = {k: bool(f.enable) for k, f in features.items()}
print(json.dumps(out))
"""


def readback(topo: Topology, ns: str, name: str = "flannel.1") -> dict[str, object]:
    out: dict[str, object] = json.loads(topo.run(ns, sys.executable, "-c", READBACK, name).stdout)
    return out


def test_flannel_1_is_the_device_flannels_options_make(topo: Topology) -> None:
    topo.build(1)
    topo.start_real_etcd()
    topo.put_config(config("vxlan"))
    (h1,) = topo.hosts
    topo.start_flanneld(h1)
    topo.wait_subnet_file(h1)
    ours = readback(topo, h1.ns)
    ref = topo.add_ns("ref")
    topo.run(ref, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "e1")
    topo.run(ref, "ip", "addr", "add", f"{h1.ip}/24", "dev", "eth0")
    topo.run(ref, "ip", "link", "set", "eth0", "up")
    topo.run(ref, "ip", "link", "add", "flannel.1", "type", "vxlan", "id", "1", "local", h1.ip,
             "dev", "eth0", "dstport", "8472", "nolearning")
    theirs = readback(topo, ref)
    assert ours["vxlan"] == theirs["vxlan"]
    assert ours["kind"] == theirs["kind"] == "vxlan"
    assert ours["mtu"] == theirs["mtu"] == 1450
    assert ours["features"] == theirs["features"]
    vx = ours["vxlan"]
    assert isinstance(vx, dict)
    # flannel's choices, spelled out (kernel defaults where flannel sends nothing)
    assert vx["IFLA_VXLAN_ID"] == 1 and vx["IFLA_VXLAN_LOCAL"] == h1.ip and vx["IFLA_VXLAN_LINK"] == "eth0"
    assert vx["IFLA_VXLAN_PORT"] == 8472 and vx["IFLA_VXLAN_LEARNING"] == 0
    assert vx["IFLA_VXLAN_TTL"] == 0 and vx["IFLA_VXLAN_TOS"] == 0
    assert vx["IFLA_VXLAN_PROXY"] == vx["IFLA_VXLAN_RSC"] == 0
    assert vx["IFLA_VXLAN_L2MISS"] == vx["IFLA_VXLAN_L3MISS"] == 0
    assert vx["IFLA_VXLAN_UDP_CSUM"] == 1  # this kernel's default, which flannel also gets
    assert "IFLA_VXLAN_GBP" not in vx
    features = ours["features"]
    assert isinstance(features, dict)
    assert features["tx-checksum-ip-generic"] and features["tx-tcp-segmentation"]
    assert features["rx-gro"]


def test_existing_device_reused_when_compatible_else_recreated(topo: Topology) -> None:
    topo.build(2)
    topo.start_real_etcd()
    topo.put_config(config("vxlan"))
    h1, h2 = topo.hosts
    mac = "02:11:22:33:44:55"
    topo.run(h1.ns, "ip", "link", "add", "flannel.1", "address", mac, "type", "vxlan", "id", "1",
             "local", h1.ip, "dev", "eth0", "dstport", "8472", "nolearning")
    before = readback(topo, h1.ns)
    topo.run(h2.ns, "ip", "link", "add", "flannel.1", "address", mac, "type", "vxlan", "id", "1",
             "local", h2.ip, "dev", "eth0", "dstport", "8472", "learning")
    for h in topo.hosts:
        topo.start_flanneld(h)
    envs = [topo.wait_subnet_file(h) for h in topo.hosts]
    # h1: same device (index, MAC), and that MAC is the lease's VtepMAC
    after1 = readback(topo, h1.ns)
    assert after1["index"] == before["index"] and after1["mac"] == mac
    # h2: recreated without learning, with a new MAC
    after2 = readback(topo, h2.ns)
    vx2 = after2["vxlan"]
    assert isinstance(vx2, dict) and vx2["IFLA_VXLAN_LEARNING"] == 0 and after2["mac"] != mac
    assert h2.flanneld is not None
    assert "incompatible configuration: learning: True vs False" in h2.flanneld.log()
    values = {n["key"]: n["value"] for n in lease_nodes(topo)}
    for h, e, m in ((h1, envs[0], mac), (h2, envs[1], after2["mac"])):
        key = f"{PREFIX}/subnets/{e['FLANNEL_SUBNET'].replace('.1/24', '.0-24')}"
        assert values[key] == (f'{{"PublicIP":"{h.ip}","BackendType":"vxlan",'
                               f'"BackendData":{{"VNI":1,"VtepMAC":"{m}"}}}}')
