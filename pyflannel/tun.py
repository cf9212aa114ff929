"""The TUN device of the udp backend: open ``flannel%d`` and configure it through pyroute2.

Opened as IFF_TUN|IFF_NO_PI (every read or write is one raw IPv4 packet), not persistent
(it vanishes with the last descriptor). With ``vnet_hdr=True`` every read and write
carries a 10-byte ``virtio_net_hdr`` first, which lets us write TCP super-packets (GSO) into
the kernel. No TUNSETOFFLOAD: without checksum/TSO offload on flannel0 the kernel
segments and checksums what it routes to us, so every read is one finished packet.

Configuration as flannel v0.11+: address ``<lease network address>/32``, MTU, up, and one
route ``<Network> dev flannel0`` for the whole overlay ("already exists" is ignored).
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import struct
from dataclasses import dataclass
from ipaddress import IPv4Network

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

log = logging.getLogger(__name__)
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_MULTI_QUEUE = 0x0100
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000


@dataclass(frozen=True, slots=True)
class Tun:
    fd: int
    name: str
    vnet_hdr: bool


def open_tun(template: str = "flannel%d", *, vnet_hdr: bool = False) -> Tun:
    """Create a TUN device; ``vnet_hdr`` adds the virtio header (needed for GSO writes)."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    flags = IFF_TUN | IFF_NO_PI | (IFF_VNET_HDR if vnet_hdr else 0)
    try:
        ifr = struct.pack("16sH22x", template.encode(), flags)
        out = fcntl.ioctl(fd, TUNSETIFF, ifr)
        name = out[:16].rstrip(b"\0").decode()
    except OSError:
        os.close(fd)
        raise
    return Tun(fd, name, vnet_hdr)


def configure(name: str, address: IPv4Network, mtu: int, network: IPv4Network) -> None:
    """Address (a /32), MTU, up, and one route for the whole overlay network."""
    with IPRoute() as ipr:
        index = ipr.link_lookup(ifname=name)[0]
        ipr.link("set", index=index, mtu=mtu)
        try:
            ipr.addr("add", index=index, address=str(address.network_address),
                     prefixlen=address.prefixlen)
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise
        ipr.link("set", index=index, state="up")
        try:
            ipr.route("add", dst=str(network), oif=index, scope=0, proto=3)  # RTPROT_BOOT
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise
