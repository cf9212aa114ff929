"""The vxlan backend: kernel device ``flannel.<VNI>`` with static ARP, FDB and routes.

As flannel's ``backend/vxlan``: the device (id VNI, local = interface address, dev = the
external interface, dstport = Port or the kernel's 8472, nolearning unless Learning, gbp
if GBP; the exact netlink request and the reuse rule are in :mod:`pyflannel.vxlan_device`)
is reused when compatible, else recreated; its MAC is the lease's VtepMAC; it gets
``<lease network address>/32`` and goes up; its MTU comes from the kernel (ext - 50). For
each ADDED vxlan lease of a peer:

* neighbour ``<peer subnet .0> lladdr <VtepMAC> PERMANENT`` on flannel.1,
* FDB ``<VtepMAC> dst <PublicIP> self permanent``,
* route ``<peer subnet> via <peer subnet .0> dev flannel.1 onlink``
  (with DirectRouting and a peer on our own L2: ``<peer subnet> via <PublicIP>`` instead).

REMOVED reverses the three. Leases of other types are ignored. Everything stays in place on
shutdown, so the kernel keeps forwarding while pyflanneld restarts.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import suppress
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from pyflannel.backend.base import BackendError, LeaseAcquirer
from pyflannel.iface import ExternalInterface
from pyflannel.lease import EventType, Lease, LeaseError, LeaseEvent, vxlan_attrs
from pyflannel.netconfig import NetworkConfig
from pyflannel.vxlan_device import VxlanSpec, incompatibility, netlink_request

log = logging.getLogger(__name__)
AF_BRIDGE = 7
NUD_PERMANENT = 0x80
NTF_SELF = 0x02
RTNH_F_ONLINK = 0x04
RTPROT_BOOT = 3  # what flannel's netlink library leaves routes with (no "proto" in ip route)


def _ignore_missing(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except NetlinkError as exc:
        if exc.code not in (errno.ENOENT, errno.ESRCH, errno.EADDRNOTAVAIL):
            log.warning("netlink: %s", exc)


class VxlanBackend:
    def __init__(self, ext: ExternalInterface):
        self.ext = ext

    async def register_network(self, manager: LeaseAcquirer, config: NetworkConfig) -> VxlanNetwork:
        be = config.backend
        spec = VxlanSpec(vni=be.vni, link_index=self.ext.index, local=str(self.ext.address),
                         port=be.port, learning=be.learning, gbp=be.gbp)
        index, mac = await asyncio.to_thread(self._create, spec)
        lease = await manager.acquire_lease(vxlan_attrs(self.ext.public_ip, mac, be.vni))
        mtu = await asyncio.to_thread(self._configure, index, lease.subnet, config.network)
        log.info("vxlan backend: %s vni %d mac %s mtu %d", spec.name, be.vni, mac, mtu)
        return VxlanNetwork(lease, index, mtu, self.ext, be.direct_routing)

    def _create(self, spec: VxlanSpec) -> tuple[int, str]:
        with IPRoute() as ipr:
            try:
                found = self._ensure_device(ipr, spec)
            except NetlinkError as exc:
                raise BackendError(f"failed to create VXLAN device {spec.name}: {exc}") from None
        with suppress(OSError):
            Path(f"/proc/sys/net/ipv6/conf/{spec.name}/accept_ra").write_text("0")
        return found

    def _ensure_device(self, ipr: IPRoute, spec: VxlanSpec) -> tuple[int, str]:
        found = ipr.link_lookup(ifname=spec.name)
        if found:
            link = ipr.get_links(found[0])[0]
            info = link.get_attr("IFLA_LINKINFO")
            kind = info.get_attr("IFLA_INFO_KIND") if info else None
            data = info.get_attr("IFLA_INFO_DATA") if info else None
            attrs = {a[0]: a[1] for a in data["attrs"]} if data is not None else {}
            why = incompatibility(kind, attrs, spec)
            if not why:
                return found[0], str(link.get_attr("IFLA_ADDRESS"))
            log.warning("%r already exists with incompatible configuration: %s; recreating device",
                        spec.name, why)
            ipr.link("del", index=found[0])
        ipr.link("add", **netlink_request(spec))
        index = ipr.link_lookup(ifname=spec.name)[0]
        return index, str(ipr.get_links(index)[0].get_attr("IFLA_ADDRESS"))

    def _configure(self, index: int, subnet: IPv4Network, network: IPv4Network) -> int:
        with IPRoute() as ipr:
            self._address(ipr, index, subnet, network)
            return int(ipr.get_links(index)[0].get_attr("IFLA_MTU"))

    def _address(self, ipr: IPRoute, index: int, subnet: IPv4Network, network: IPv4Network) -> None:
        want = subnet.network_address
        for msg in ipr.get_addr(family=2, index=index):
            addr = IPv4Address(msg.get_attr("IFA_ADDRESS"))
            if addr in network and addr != want:
                _ignore_missing(ipr.addr, "del", index=index, address=str(addr), prefixlen=msg["prefixlen"])
        try:
            ipr.addr("add", index=index, address=str(want), prefixlen=32)
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise BackendError(f"failed to add address to vxlan device: {exc}") from None
        ipr.link("set", index=index, state="up")


class VxlanNetwork:
    def __init__(self, lease: Lease, index: int, mtu: int, ext: ExternalInterface,
                 direct_routing: bool):
        self.lease = lease
        self.index = index
        self.mtu = mtu
        self.ext = ext
        self.direct_routing = direct_routing
        self.peers: dict[IPv4Network, tuple[str, IPv4Address, bool]] = {}

    def _same_l2(self, ipr: IPRoute, ip: IPv4Address) -> bool:
        for r in ipr.route("get", dst=str(ip)):
            return r.get_attr("RTA_GATEWAY") is None and r.get_attr("RTA_OIF") == self.ext.index
        return False

    def add(self, ipr: IPRoute, subnet: IPv4Network, mac: str, public_ip: IPv4Address) -> None:
        direct = self.direct_routing and self._same_l2(ipr, public_ip)
        gw = subnet.network_address
        if direct:
            ipr.route("replace", dst=str(subnet), gateway=str(public_ip), oif=self.ext.index,
                      proto=RTPROT_BOOT)
        else:
            ipr.neigh("replace", dst=str(gw), lladdr=mac, ifindex=self.index, state=NUD_PERMANENT)
            ipr.neigh("replace", family=AF_BRIDGE, dst=str(public_ip), lladdr=mac, ifindex=self.index,
                      state=NUD_PERMANENT, flags=NTF_SELF)
            ipr.route("replace", dst=str(subnet), gateway=str(gw), oif=self.index,
                      flags=RTNH_F_ONLINK, proto=RTPROT_BOOT)
        self.peers[subnet] = (mac, public_ip, direct)

    def remove(self, ipr: IPRoute, subnet: IPv4Network) -> None:
        mac, public_ip, direct = self.peers.pop(subnet)
        gw = subnet.network_address
        if direct:
            _ignore_missing(ipr.route, "del", dst=str(subnet), gateway=str(public_ip), oif=self.ext.index)
            return
        _ignore_missing(ipr.route, "del", dst=str(subnet), gateway=str(gw), oif=self.index)
        _ignore_missing(ipr.neigh, "del", dst=str(gw), lladdr=mac, ifindex=self.index)
        _ignore_missing(ipr.neigh, "del", family=AF_BRIDGE, dst=str(public_ip), lladdr=mac,
                        ifindex=self.index, flags=NTF_SELF)

    def apply(self, events: list[LeaseEvent]) -> None:
        """Program the kernel for a batch of events (blocking netlink: run it in a thread)."""
        with IPRoute() as ipr:
            self._apply(events, ipr)

    def _apply(self, events: list[LeaseEvent], ipr: IPRoute) -> None:
        for ev in events:
            subnet, attrs = ev.lease.subnet, ev.lease.attrs
            if subnet == self.lease.subnet:
                continue
            if ev.type is EventType.REMOVED:
                if subnet in self.peers:
                    self.remove(ipr, subnet)
                    log.info("Subnet removed: %s", subnet)
                continue
            if attrs.backend_type != "vxlan":
                log.warning("Ignoring non-vxlan subnet %s: type=%r", subnet, attrs.backend_type)
                continue
            try:
                mac = attrs.vxlan_data().vtep_mac
            except LeaseError as exc:
                log.error("error decoding subnet lease JSON for %s: %s", subnet, exc)
                continue
            if subnet in self.peers:
                self.remove(ipr, subnet)
            try:
                self.add(ipr, subnet, mac, attrs.public_ip)
            except NetlinkError as exc:
                log.error("failed to program vxlan peer %s: %s", subnet, exc)
                continue
            log.info("Subnet added: %s via %s (vtep %s)", subnet, attrs.public_ip, mac)

    async def run(self, events: AsyncIterator[list[LeaseEvent]]) -> None:
        async for batch in events:
            await asyncio.to_thread(self.apply, batch)

    async def close(self) -> None:
        return None


__all__ = ["VxlanBackend", "VxlanNetwork", "ipaddress"]
