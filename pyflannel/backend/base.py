"""What every backend provides (flannel's ``backend.Backend`` / ``backend.Network``).

``register_network`` acquires the lease with the backend's attrs and sets up the device;
``Network.run`` then applies the other nodes' lease events forever; ``Network.close``
undoes what must not outlive the process (the udp TUN goes away by itself; vxlan and
host-gw leave their kernel state so forwarding survives a restart, as flannel does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from pyflannel.iface import ExternalInterface
from pyflannel.lease import Lease, LeaseAttrs, LeaseEvent
from pyflannel.netconfig import NetworkConfig


class LeaseAcquirer(Protocol):
    async def acquire_lease(self, attrs: LeaseAttrs) -> Lease: ...


class Network(Protocol):
    lease: Lease
    mtu: int

    async def run(self, events: AsyncIterator[list[LeaseEvent]]) -> None: ...

    async def close(self) -> None: ...


class Backend(Protocol):
    async def register_network(self, manager: LeaseAcquirer, config: NetworkConfig) -> Network: ...


class BackendError(Exception):
    """The backend could not be set up (flannel exits 1)."""


def make_backend(btype: str, ext: ExternalInterface) -> Backend:
    if btype == "udp":
        from pyflannel.backend.udp import UdpBackend
        return UdpBackend(ext)
    if btype == "host-gw":
        from pyflannel.backend.hostgw import HostGwBackend
        return HostGwBackend(ext)
    if btype == "vxlan":
        from pyflannel.backend.vxlan import VxlanBackend
        return VxlanBackend(ext)
    raise BackendError(f"unknown backend type: {btype}")
