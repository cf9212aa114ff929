"""The udp backend: TUN ``flannel0`` and a user-space forwarder over UDP port 8285.

Setup as flannel's ``udp_network_amd64.go``: lease attrs carry only PublicIP (no
BackendType); MTU = external MTU - 28 (IPv4 20 + UDP 8) unless ``Backend.MTU`` overrides it
(a local-only extension); flannel0 gets ``<lease network address>/32``, the MTU, up and one
route for the whole network; the socket is bound to ``<interface address>:<Port>`` (not
0.0.0.0, flannel issue #394). Peer table: every ADDED lease maps its subnet to its
PublicIP with our own Port (no filtering by BackendType, as flannel), REMOVED deletes.

Data path: two worker processes (:mod:`pyflannel.worker`), one per direction, share the
TUN descriptor and the socket; the daemon feeds them the peer table over a socketpair, as
flannel feeds its C proxy. Offloads (on by default, ``PYFLANNEL_UDP_OFFLOAD=off`` turns
them off): IFF_VNET_HDR on the TUN (GSO writes), UDP_SEGMENT on send, UDP_GRO on receive.
They change only how many system calls we make, never what goes on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator
from ipaddress import IPv4Network
from typing import Any

from pyflannel import tun as tunmod
from pyflannel.backend.base import BackendError, LeaseAcquirer
from pyflannel.datapath import STOP, encode_routes, tune_socket
from pyflannel.iface import ExternalInterface
from pyflannel.lease import EventType, Lease, LeaseEvent, udp_attrs
from pyflannel.netconfig import NetworkConfig
from pyflannel.routes import RouteTable

log = logging.getLogger(__name__)
UDP_OVERHEAD = 28


def offload_mode() -> str:
    """``PYFLANNEL_UDP_OFFLOAD``: "batch" (default) or "0"/"off" for none.

    batch: the kernel segments TCP before the TUN; we read packets in batches and send
    runs with UDP_SEGMENT, receive with UDP_GRO and write merged TCP runs with a GSO
    header. off: one system call per packet each way, as flannel's own proxy.
    """
    mode = os.environ.get("PYFLANNEL_UDP_OFFLOAD", "batch").lower()
    if mode in {"0", "off", "false", "no", "none"}:
        return "off"
    if mode != "batch":
        log.warning("PYFLANNEL_UDP_OFFLOAD=%s is not a mode (batch, off); using batch", mode)
    return "batch"


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
            tun = tunmod.open_tun(vnet_hdr=offload)
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


WORKER_STOP_TIMEOUT = 5.0


class UdpNetwork:
    def __init__(self, lease: Lease, mtu: int, tun: tunmod.Tun, sock: socket.socket,
                 port: int, gro: bool):
        self.lease = lease
        self.mtu = mtu
        self.tun = tun
        self.sock = sock
        self.port = port
        self.gro = gro
        self.routes = RouteTable()
        self._workers: list[tuple[str, asyncio.subprocess.Process, socket.socket]] = []
        self.stats: dict[str, dict[str, int]] = {}

    def apply(self, events: list[LeaseEvent]) -> None:
        changed = False
        for ev in events:
            subnet = ev.lease.subnet
            if subnet == self.lease.subnet:
                continue
            if ev.type is EventType.ADDED:
                if self.routes.set(subnet, ev.lease.attrs.public_ip):
                    log.info("Subnet added: %s via %s", subnet, ev.lease.attrs.public_ip)
                    changed = True
            elif self.routes.remove(subnet):
                log.info("Subnet removed: %s", subnet)
                changed = True
        if changed:
            self._send_routes()

    def _send_routes(self) -> None:
        msg = encode_routes(self.routes)
        for name, _proc, ctl in self._workers:
            try:
                ctl.send(msg)
            except OSError as exc:  # the worker is gone; run() notices its exit
                log.warning("cannot update the %s forwarder's peer table: %s", name, exc)

    async def _start_workers(self) -> None:
        verbosity = 2 if logging.getLogger().getEffectiveLevel() <= logging.DEBUG else 0
        for direction in ("tx", "rx"):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            cfg = {"direction": direction, "tun": self.tun.fd, "vnet": self.tun.vnet_hdr,
                   "sock": self.sock.fileno(), "ctl": theirs.fileno(), "port": self.port,
                   "mtu": self.mtu, "lease": str(self.lease.subnet.network_address),
                   "gro": self.gro, "verbosity": verbosity}
            try:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "pyflannel.worker", json.dumps(cfg),
                    pass_fds=(self.tun.fd, self.sock.fileno(), theirs.fileno()),
                )
            finally:
                theirs.close()
            ours.setblocking(True)
            self._workers.append((direction, proc, ours))
        self._send_routes()

    async def _stop_workers(self) -> None:
        workers, self._workers = self._workers, []
        for _name, _proc, ctl in workers:
            with contextlib.suppress(OSError):
                ctl.send(STOP)
        for name, proc, ctl in workers:
            try:
                await asyncio.wait_for(proc.wait(), WORKER_STOP_TIMEOUT)
            except TimeoutError:
                log.warning("the %s forwarder did not stop; killing it", name)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
            ctl.setblocking(False)
            with contextlib.suppress(OSError, ValueError):
                self.stats[name] = json.loads(ctl.recv(1 << 16))["stats"]
            ctl.close()

    async def _consume(self, events: AsyncIterator[list[LeaseEvent]]) -> None:
        async for batch in events:
            self.apply(batch)

    async def run(self, events: AsyncIterator[list[LeaseEvent]]) -> None:
        consumer = asyncio.ensure_future(self._consume(events))
        waits: list[asyncio.Future[Any]] = []
        try:
            await self._start_workers()
            waits = [asyncio.ensure_future(proc.wait()) for _n, proc, _c in self._workers]
            done, _ = await asyncio.wait([consumer, *waits], return_when=asyncio.FIRST_COMPLETED)
            if consumer in done:
                consumer.result()  # a crashed watch surfaces here
            raise BackendError("udp forwarder stopped unexpectedly")
        finally:
            consumer.cancel()
            for w in waits:
                w.cancel()
            await asyncio.shield(self._stop_workers())
            await asyncio.gather(consumer, *waits, return_exceptions=True)

    async def close(self) -> None:
        await self._stop_workers()  # they hold flannel0 open too
        tx, rx = self.stats.get("tx", {}), self.stats.get("rx", {})
        log.info("udp forwarder: tx %d packets in %d GSO batches, rx %d packets in %d reads "
                 "(%d merged); dropped: no route %d, ttl %d, oversize %d, not IPv4 %d; "
                 "errors: send %d, write %d",
                 tx.get("tx_packets", 0), tx.get("tx_batches", 0), rx.get("rx_packets", 0),
                 rx.get("rx_batches", 0), rx.get("rx_merged", 0),
                 tx.get("no_route", 0), tx.get("ttl_dropped", 0) + rx.get("ttl_dropped", 0),
                 rx.get("oversize", 0), tx.get("not_ipv4", 0) + rx.get("not_ipv4", 0),
                 tx.get("send_errors", 0), tx.get("write_errors", 0) + rx.get("write_errors", 0))
        self.sock.close()
        try:
            os.close(self.tun.fd)  # flannel0 and its route vanish with the last descriptor
        except OSError:
            pass
