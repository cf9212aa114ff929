"""The VXLAN device flannel asks the kernel for, and when an existing one may be reused (pure).

flannel v0.10-v0.17 create ``flannel.<VNI>`` through vishvananda/netlink. That library puts
these IFLA_VXLAN_* attributes in the RTM_NEWLINK request, whatever the config says:
ID, LINK (the external interface), LOCAL (its address), TTL 0, TOS 0, LEARNING, PROXY 0,
RSC 0, L2MISS 0, L3MISS 0 (v0.14+ also UDP_ZERO_CSUM6_TX/RX 0), GBP only when set, and PORT
only when the config's Port is not 0. It never sends UDP_CSUM, AGEING, MTU or a port range,
so those are the kernel's defaults: dstport 8472, MTU = lower device - 50, and on this
kernel (6.x) outer UDP checksums on (older kernels defaulted to zero checksums; receivers
accept both). :func:`netlink_request` is that request in pyroute2's spelling, so a device
made by pyflanneld reads back attribute for attribute like one made by flannel.

:func:`incompatibility` follows flannel's ``vxlanLinksIncompat`` (type, VNI, external
interface, local address, L2MISS, GBP, and the port when the config names one), plus two
checks flannel lacks: the port is compared even when the config leaves it at the kernel
default, and LEARNING must match the config (flannel would keep a learning device).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

KERNEL_DEFAULT_PORT = 8472


@dataclass(frozen=True, slots=True)
class VxlanSpec:
    """What the network config and the external interface ask of ``flannel.<VNI>``."""

    vni: int
    link_index: int
    local: str
    port: int = 0  # 0: not sent, the kernel's 8472
    learning: bool = False
    gbp: bool = False

    @property
    def name(self) -> str:
        return f"flannel.{self.vni}"

    @property
    def dst_port(self) -> int:
        return self.port or KERNEL_DEFAULT_PORT


def netlink_request(spec: VxlanSpec) -> dict[str, object]:
    """pyroute2 ``link("add", ...)`` keywords carrying exactly flannel's IFLA_VXLAN_* set."""
    req: dict[str, object] = {
        "ifname": spec.name,
        "kind": "vxlan",
        "vxlan_id": spec.vni,
        "vxlan_link": spec.link_index,
        "vxlan_local": spec.local,
        "vxlan_ttl": 0,
        "vxlan_tos": 0,
        "vxlan_learning": 1 if spec.learning else 0,
        "vxlan_proxy": 0,
        "vxlan_rsc": 0,
        "vxlan_l2miss": 0,
        "vxlan_l3miss": 0,
        "vxlan_udp_zero_csum6_tx": 0,
        "vxlan_udp_zero_csum6_rx": 0,
    }
    if spec.gbp:
        req["vxlan_gbp"] = True
    if spec.port:
        req["vxlan_port"] = spec.port
    return req


def incompatibility(kind: str | None, data: Mapping[str, object], spec: VxlanSpec) -> str:
    """Why an existing link (its kind and IFLA_VXLAN_* attributes) cannot be reused; "" if it can."""
    if kind != "vxlan":
        return f"link type: {kind} vs vxlan"
    checks: list[tuple[str, object, object]] = [
        ("vni", data.get("IFLA_VXLAN_ID"), spec.vni),
        ("vtep (external) interface", data.get("IFLA_VXLAN_LINK"), spec.link_index),
        ("vtep (external) IP", data.get("IFLA_VXLAN_LOCAL"), spec.local),
        ("l2miss", bool(data.get("IFLA_VXLAN_L2MISS")), False),
        ("port", data.get("IFLA_VXLAN_PORT"), spec.dst_port),
        ("gbp", "IFLA_VXLAN_GBP" in data, spec.gbp),
        ("learning", bool(data.get("IFLA_VXLAN_LEARNING")), spec.learning),
    ]
    for what, have, want in checks:
        if have != want:
            return f"{what}: {have} vs {want}"
    return ""
