"""The host-gw backend: one kernel route per peer, ``<subnet> via <PublicIP> dev <ext>``.

As flannel: the lease is ``{"PublicIP":…,"BackendType":"host-gw"}``; the public IP must be
the interface's own address (a NATed node cannot be a gateway); only leases of type
host-gw are followed (others are logged and ignored); a route to the same destination
with another gateway or device is replaced; every 10 s missing routes are put back. The
MTU is the external interface's. Routes stay in place on shutdown.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import AsyncIterator
from ipaddress import IPv4Address, IPv4Network

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from pyflannel.backend.base import BackendError, LeaseAcquirer
from pyflannel.iface import ExternalInterface
from pyflannel.lease import EventType, Lease, LeaseEvent, host_gw_attrs
from pyflannel.netconfig import NetworkConfig

log = logging.getLogger(__name__)
RESYNC_SECONDS = 10.0
RTPROT_BOOT = 3  # flannel's routes carry no "proto static"


class HostGwBackend:
    def __init__(self, ext: ExternalInterface):
        self.ext = ext

    async def register_network(self, manager: LeaseAcquirer, config: NetworkConfig) -> HostGwNetwork:
        if self.ext.public_ip != self.ext.address:
            raise BackendError(
                f"your PublicIP differs from interface IP, meaning that probably you're on a NAT, "
                f"which is not supported by host-gw backend ({self.ext.public_ip} != {self.ext.address})"
            )
        lease = await manager.acquire_lease(host_gw_attrs(self.ext.public_ip))
        return HostGwNetwork(lease, self.ext, config.backend.mtu or self.ext.mtu)


class HostGwNetwork:
    def __init__(self, lease: Lease, ext: ExternalInterface, mtu: int):
        self.lease = lease
        self.ext = ext
        self.mtu = mtu
        self.routes: dict[IPv4Network, IPv4Address] = {}
        self.resync_seconds = RESYNC_SECONDS

    def apply(self, events: list[LeaseEvent]) -> None:
        """Program the kernel for a batch of events (blocking netlink: run it in a thread)."""
        with IPRoute() as ipr:
            self._apply(events, ipr)

    def _apply(self, events: list[LeaseEvent], ipr: IPRoute) -> None:
        for ev in events:
            subnet, attrs = ev.lease.subnet, ev.lease.attrs
            if subnet == self.lease.subnet:
                continue
            if ev.type is EventType.ADDED:
                if attrs.backend_type != "host-gw":
                    log.warning("Ignoring non-host-gw subnet %s: type=%r", subnet, attrs.backend_type)
                    continue
                self.routes[subnet] = attrs.public_ip
                self._replace(ipr, subnet, attrs.public_ip)
                log.info("Subnet added: %s via %s", subnet, attrs.public_ip)
            elif self.routes.pop(subnet, None) is not None:
                try:
                    ipr.route("del", dst=str(subnet), gateway=str(attrs.public_ip), oif=self.ext.index)
                except NetlinkError as exc:
                    if exc.code not in (errno.ESRCH, errno.ENOENT):
                        log.error("Error deleting route to %s: %s", subnet, exc)
                log.info("Subnet removed: %s", subnet)

    def _replace(self, ipr: IPRoute, subnet: IPv4Network, gw: IPv4Address) -> None:
        try:
            ipr.route("replace", dst=str(subnet), gateway=str(gw), oif=self.ext.index,
                      proto=RTPROT_BOOT)
        except NetlinkError as exc:
            log.error("Error adding route to %s via %s: %s", subnet, gw, exc)

    def resync(self) -> None:
        with IPRoute() as ipr:
            self._resync(ipr)

    def _resync(self, ipr: IPRoute) -> None:
        present = set()
        for r in ipr.get_routes(family=2, table=254):
            dst = r.get_attr("RTA_DST")
            if dst and r.get_attr("RTA_GATEWAY"):
                present.add((IPv4Network((dst, r["dst_len"])), IPv4Address(r.get_attr("RTA_GATEWAY")),
                             r.get_attr("RTA_OIF")))
        for subnet, gw in self.routes.items():
            if (subnet, gw, self.ext.index) not in present:
                log.info("Route to %s via %s was missing; adding it back", subnet, gw)
                self._replace(ipr, subnet, gw)

    async def run(self, events: AsyncIterator[list[LeaseEvent]]) -> None:
        consumer = asyncio.ensure_future(self._consume(events))
        try:
            while not consumer.done():
                await asyncio.wait({consumer}, timeout=self.resync_seconds)
                if not consumer.done():
                    await asyncio.to_thread(self.resync)
            consumer.result()
        finally:
            consumer.cancel()
            await asyncio.gather(consumer, return_exceptions=True)

    async def _consume(self, events: AsyncIterator[list[LeaseEvent]]) -> None:
        async for batch in events:
            await asyncio.to_thread(self.apply, batch)

    async def close(self) -> None:
        return None
