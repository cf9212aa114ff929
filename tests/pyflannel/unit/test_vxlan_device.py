"""The vxlan device request (flannel's netlink attribute set) and the reuse rule."""

from __future__ import annotations

import pytest

from pyflannel.vxlan_device import VxlanSpec, incompatibility, netlink_request

pytestmark = pytest.mark.unit

SPEC = VxlanSpec(vni=1, link_index=3, local="192.0.2.1")

# what a kernel 6.x reports for the device flannel (and pyflanneld) makes from SPEC
GOOD = {
    "IFLA_VXLAN_ID": 1, "IFLA_VXLAN_LINK": 3, "IFLA_VXLAN_LOCAL": "192.0.2.1", "IFLA_VXLAN_TTL": 0,
    "IFLA_VXLAN_TOS": 0, "IFLA_VXLAN_LEARNING": 0, "IFLA_VXLAN_PROXY": 0, "IFLA_VXLAN_RSC": 0,
    "IFLA_VXLAN_L2MISS": 0, "IFLA_VXLAN_L3MISS": 0, "IFLA_VXLAN_AGEING": 300, "IFLA_VXLAN_PORT": 8472,
    "IFLA_VXLAN_UDP_CSUM": 1,
}


def test_request_is_flannels_attribute_set() -> None:
    assert netlink_request(SPEC) == {
        "ifname": "flannel.1", "kind": "vxlan", "vxlan_id": 1, "vxlan_link": 3,
        "vxlan_local": "192.0.2.1", "vxlan_ttl": 0, "vxlan_tos": 0, "vxlan_learning": 0,
        "vxlan_proxy": 0, "vxlan_rsc": 0, "vxlan_l2miss": 0, "vxlan_l3miss": 0,
        "vxlan_udp_zero_csum6_tx": 0, "vxlan_udp_zero_csum6_rx": 0,
    }


def test_request_options() -> None:
    req = netlink_request(VxlanSpec(vni=4096, link_index=7, local="192.0.2.9", port=4789,
                                    learning=True, gbp=True))
    assert req["ifname"] == "flannel.4096" and req["vxlan_id"] == 4096
    assert req["vxlan_port"] == 4789 and req["vxlan_learning"] == 1 and req["vxlan_gbp"] is True
    # flannel never asks for these: the kernel's defaults apply (checksums, ageing, MTU)
    assert not {"vxlan_udp_csum", "vxlan_ageing", "mtu", "vxlan_port_range"} & set(req)


@pytest.mark.parametrize("kind, change, spec, why", [
    ("vxlan", {}, SPEC, ""),
    ("vxlan", {"IFLA_VXLAN_AGEING": 0, "IFLA_VXLAN_UDP_CSUM": 0}, SPEC, ""),  # not compared
    ("bridge", {}, SPEC, "link type: bridge vs vxlan"),
    (None, {}, SPEC, "link type: None vs vxlan"),
    ("vxlan", {"IFLA_VXLAN_ID": 2}, SPEC, "vni: 2 vs 1"),
    ("vxlan", {"IFLA_VXLAN_LINK": 9}, SPEC, "vtep (external) interface: 9 vs 3"),
    ("vxlan", {"IFLA_VXLAN_LOCAL": "192.0.2.7"}, SPEC, "vtep (external) IP: 192.0.2.7 vs 192.0.2.1"),
    ("vxlan", {"IFLA_VXLAN_L2MISS": 1}, SPEC, "l2miss: True vs False"),
    ("vxlan", {"IFLA_VXLAN_PORT": 4789}, SPEC, "port: 4789 vs 8472"),
    ("vxlan", {"IFLA_VXLAN_PORT": 4789}, VxlanSpec(1, 3, "192.0.2.1", port=4789), ""),
    ("vxlan", {"IFLA_VXLAN_GBP": True}, SPEC, "gbp: True vs False"),
    ("vxlan", {}, VxlanSpec(1, 3, "192.0.2.1", gbp=True), "gbp: False vs True"),
    ("vxlan", {"IFLA_VXLAN_LEARNING": 1}, SPEC, "learning: True vs False"),
    ("vxlan", {"IFLA_VXLAN_LEARNING": 1}, VxlanSpec(1, 3, "192.0.2.1", learning=True), ""),
])
def test_incompatibility(kind: str | None, change: dict[str, object], spec: VxlanSpec, why: str) -> None:
    assert incompatibility(kind, {**GOOD, **change}, spec) == why
