"""The udp backend: TUN ``flannel0`` and a user-space forwarder over UDP port 8285.

Setup as flannel's ``udp_network_amd64.go``: lease attrs carry only PublicIP (no
BackendType); MTU = external MTU - 28 (IPv4 20 + UDP 8) unless ``Backend.MTU`` overrides it
(a local-only extension); flannel0 gets ``<lease network address>/32``, the MTU, up and one
route for the whole network; the socket is bound to ``<interface address>:<Port>`` (not
0.0.0.0, flannel issue #394). Peer table: every ADDED lease maps its subnet to its
PublicIP with our own Port (no filtering by BackendType, as flannel), REMOVED deletes.

Offloads (on by default, ``PYFLANNEL_UDP_OFFLOAD=0`` turns them off): IFF_VNET_HDR + TSO4
on the TUN, UDP_SEGMENT on send, UDP_GRO on receive. They change only how many system calls
we make, never what goes on the wire.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator
from ipaddress import IPv4Network

from pyflannel import tun as tunmod
from pyflannel.backend.base import BackendError, LeaseAcquirer
from pyflannel.datapath import Forwarder, tune_socket
from pyflannel.iface import ExternalInterface
from pyflannel.lease import EventType, Lease, LeaseEvent, udp_attrs
from pyflannel.netconfig import NetworkConfig
from pyflannel.routes import RouteTable

log = logging.getLogger(__name__)
UDP_OVERHEAD = 28


def offload_mode() -> str:
    """``PYFLANNEL_UDP_OFFLOAD``: "batch" (default), "tso", or "0"/"off" for none.

    batch: the kernel segments TCP before the TUN; we read packets in batches and send
    runs with UDP_SEGMENT. tso: the TUN hands us 64 KB TCP super-packets (TSO4) that we
    segment in Python. Both receive with UDP_GRO and write merged runs with a GSO header.
    """
    mode = os.environ.get("PYFLANNEL_UDP_OFFLOAD", "batch").lower()
    if mode in {"0", "off", "false", "no", "none"}:
        return "off"
    return "tso" if mode == "tso" else "batch"


class UdpBackend:
    def __init__(self, ext: ExternalInterface):
        self.ext = ext

    async def register_network(self, manager: LeaseAcquirer, config: NetworkConfig) -> UdpNetwork:
        port = config.backend.udp_port
        mtu = config.backend.mtu or self.ext.mtu - UDP_OVERHEAD
        lease = await manager.acquire_lease(udp_attrs(self.ext.public_ip))
        mode = offload_mode()
        offload = mode != "off"
        try:
            tun = tunmod.open_tun(vnet_hdr=offload, tso=mode == "tso")
        except OSError as exc:
            if not offload:
                raise BackendError(f"failed to open TUN device: {exc}") from None
            log.warning("TUN offloads unavailable (%s); falling back to plain TUN", exc)
            offload = False
            tun = tunmod.open_tun()
        try:
            await asyncio.to_thread(
                tunmod.configure, tun.name, IPv4Network((lease.subnet.network_address, 32)),
                mtu, config.network,
            )
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((str(self.ext.address), port))
        except OSError as exc:
            os.close(tun.fd)
            raise BackendError(f"failed to set up udp backend: {exc}") from None
        gro = tune_socket(sock, gro=offload)
        log.info("udp backend: %s mtu %d, listening on %s:%d (offloads: %s)",
                 tun.name, mtu, self.ext.address, port, mode if offload else "off")
        return UdpNetwork(lease, mtu, tun, sock, port, gro)


class UdpNetwork:
    def __init__(self, lease: Lease, mtu: int, tun: tunmod.Tun, sock: socket.socket,
                 port: int, gro: bool):
        self.lease = lease
        self.mtu = mtu
        self.tun = tun
        self.sock = sock
        self.routes = RouteTable()
        self.forwarder = Forwarder(tun.fd, tun.vnet_hdr, sock, self.routes, port, mtu,
                                   lease.subnet.network_address, gro, tun.tso)

    def apply(self, events: list[LeaseEvent]) -> None:
        for ev in events:
            subnet = ev.lease.subnet
            if subnet == self.lease.subnet:
                continue
            if ev.type is EventType.ADDED:
                if self.routes.set(subnet, ev.lease.attrs.public_ip):
                    log.info("Subnet added: %s via %s", subnet, ev.lease.attrs.public_ip)
            elif self.routes.remove(subnet):
                log.info("Subnet removed: %s", subnet)

    async def _consume(self, events: AsyncIterator[list[LeaseEvent]]) -> None:
        async for batch in events:
            self.apply(batch)

    async def run(self, events: AsyncIterator[list[LeaseEvent]]) -> None:
        fwd = self.forwarder
        tx = asyncio.ensure_future(asyncio.to_thread(fwd.tun_to_udp))
        rx = asyncio.ensure_future(asyncio.to_thread(fwd.udp_to_tun))
        consumer = asyncio.ensure_future(self._consume(events))
        try:
            done, _ = await asyncio.wait({tx, rx, consumer}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a crashed forwarder or watch surfaces here
            raise BackendError("udp forwarder stopped unexpectedly")
        finally:
            consumer.cancel()
            fwd.stop()
            await asyncio.gather(tx, rx, consumer, return_exceptions=True)

    async def close(self) -> None:
        st = self.forwarder.stats
        log.info("udp forwarder: tx %d packets in %d GSO batches, rx %d packets in %d reads; "
                 "dropped: no route %d, ttl %d, oversize %d, not IPv4 %d; errors: send %d, write %d",
                 st.tx_packets, st.tx_batches, st.rx_packets, st.rx_batches, st.no_route,
                 st.ttl_dropped, st.oversize, st.not_ipv4, st.send_errors, st.write_errors)
        self.forwarder.stop()
        self.forwarder.close()
        self.sock.close()
        try:
            os.close(self.tun.fd)  # flannel0 and its route vanish with the descriptor
        except OSError:
            pass
