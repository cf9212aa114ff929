"""The udp backend's forwarder: flannel0 <-> UDP, one raw inner IPv4 packet per datagram.

Two loops, each run in its own worker thread (started from the asyncio daemon with
``asyncio.to_thread`` so they belong to its task group) because the per-packet work is
system calls and byte slicing that must not stall the event loop:

* :meth:`Forwarder.tun_to_udp`: read a packet (or, with offloads, a TCP super-packet)
  from the TUN, look the destination up in the peer table, decrement the TTL, send it to
  ``<peer public IP>:<port>``. Unknown destination -> flannel's net-unreachable ICMP back
  into the TUN. Super-packets are cut into MSS segments and sent with one ``sendmsg``
  using UDP_SEGMENT, so each datagram on the wire is still one inner packet <= MTU.
* :meth:`Forwarder.udp_to_tun`: receive (with UDP_GRO: a run of same-sized datagrams in one
  buffer), drop what is not IPv4 or is larger than the MTU, decrement the TTL, and write to
  the TUN; with offloads, in-order TCP segments are merged into one GSO write.

Invariants: the wire format never changes with the offloads (a real flanneld peer cannot
tell the difference); the peer table is read lock-free (:class:`RouteTable` replaces its
mappings atomically). Stopping: :meth:`Forwarder.stop` writes to a pipe both loops poll on
whenever their descriptor would block.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import struct
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from pyflannel import gso, packet
from pyflannel.routes import RouteTable

log = logging.getLogger(__name__)
SOL_UDP = 17
UDP_SEGMENT = 103
UDP_GRO = 104
IP_MTU_DISCOVER = 10  # <linux/in.h>; not exported by the socket module
IP_PMTUDISC_DO = 2
MAX_GSO_BYTES = 65000  # UDP payload limit of one GSO send, rounded down
RECV_BUFFER = 65536 + 1024
SOCKET_BUFFER = 4 << 20
BATCH = 64  # packets read from the TUN per wake-up in batched mode


@dataclass
class Stats:
    tx_packets: int = 0
    tx_batches: int = 0
    rx_packets: int = 0
    rx_batches: int = 0
    no_route: int = 0
    ttl_dropped: int = 0
    oversize: int = 0
    not_ipv4: int = 0
    send_errors: int = 0
    write_errors: int = 0
    seen_senders: set[str] = field(default_factory=set)


def tune_socket(sock: socket.socket, gro: bool) -> bool:
    """Large buffers and (if asked and supported) UDP_GRO; returns whether GRO is on."""
    for opt, force in ((socket.SO_SNDBUF, 32), (socket.SO_RCVBUF, 33)):  # *BUFFORCE as root
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, SOCKET_BUFFER)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
    # flannel's datagrams carry DF (Linux's default PMTU mode sets it for sends within the
    # MTU). A GSO send is larger than the MTU, so that mode would clear DF on its segments;
    # "always DF" keeps them identical to flannel's.
    sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
    if not gro:
        return False
    try:
        sock.setsockopt(SOL_UDP, UDP_GRO, 1)
    except OSError:
        return False
    return True


def _u16(value: int) -> bytes:
    return struct.pack("=H", value)


class Forwarder:
    def __init__(
        self, tun_fd: int, vnet_hdr: bool, sock: socket.socket, routes: RouteTable,
        port: int, mtu: int, lease_address: IPv4Address, gro: bool, tso: bool = True,
    ):
        self.tun_fd = tun_fd
        self.vnet = vnet_hdr
        self.sock = sock
        self.routes = routes
        self.port = port
        self.mtu = mtu
        self.lease_addr = int(lease_address)
        self.gro = gro
        self.tso = tso
        self.stats = Stats()
        self._stop_r, self._stop_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._peers: dict[int, tuple[str, int]] = {}
        os.set_blocking(tun_fd, False)

    def stop(self) -> None:
        try:
            os.write(self._stop_w, b"x")
        except OSError:
            pass

    def close(self) -> None:
        for fd in (self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _wait(self, fd: int) -> bool:
        """Block until ``fd`` is readable; False when asked to stop."""
        ready, _, _ = select.select([fd, self._stop_r], [], [])
        return self._stop_r not in ready

    def _addr(self, peer: int) -> tuple[str, int]:
        addr = self._peers.get(peer)
        if addr is None:
            addr = self._peers[peer] = (str(IPv4Address(peer)), self.port)
        return addr

    # -- flannel0 -> network -----------------------------------------------------------

    def tun_to_udp(self) -> None:
        if self.vnet and not self.tso:
            self._tun_to_udp_batched()
            return
        buf = bytearray(RECV_BUFFER)
        mv = memoryview(buf)
        hdr = gso.VNET_HDR_LEN if self.vnet else 0
        fd = self.tun_fd
        while True:
            try:
                n = os.readv(fd, [buf])
            except BlockingIOError:
                if not self._wait(fd):
                    return
                continue
            except OSError as exc:
                if exc.errno in (errno.EBADF, errno.EIO):
                    return
                raise
            if n - hdr < packet.IPV4_MIN_HEADER:
                continue
            self._from_tun(mv[hdr:n], buf if hdr else None)

    def _from_tun(self, pkt: memoryview, vbuf: bytearray | None) -> None:
        st = self.stats
        if pkt[0] >> 4 != 4:
            st.not_ipv4 += 1
            return
        peer = self.routes.lookup_int(int.from_bytes(pkt[16:20], "big"))
        if peer is None:
            st.no_route += 1
            icmp = packet.icmp_net_unreachable(pkt, self.lease_addr)
            if icmp is not None:
                self._write_tun([gso.PLAIN_HDR, icmp] if self.vnet else [icmp])
            return
        if pkt[8] <= 1:
            st.ttl_dropped += 1
            return
        addr = self._addr(peer)
        if vbuf is not None:
            flags, gtype, _hl, gso_size, cstart, coff = gso.VNET_HDR.unpack_from(vbuf)
            if gtype & ~gso.GSO_ECN == gso.GSO_TCPV4 and gso_size:
                pkt[8] -= 1  # segment_tcp4 writes fresh IP checksums
                self._send_segments(pkt, gso_size, addr)
                return
            if flags & gso.VNET_F_NEEDS_CSUM:
                gso.finish_checksum(pkt, cstart, coff)  # type: ignore[arg-type]
        packet.decrement_ttl(pkt)
        try:
            self.sock.sendto(pkt, addr)
            st.tx_packets += 1
        except OSError as exc:
            self._send_failed(exc)

    def _send_segments(self, pkt: memoryview, mss: int, addr: tuple[str, int]) -> None:
        parts, seg_len = gso.segment_tcp4_parts(pkt, mss)
        nseg = len(parts) // 2
        per_send = max(1, MAX_GSO_BYTES // seg_len)
        segment = [(SOL_UDP, UDP_SEGMENT, _u16(seg_len))]
        st = self.stats
        try:
            for first in range(0, nseg, per_send):
                batch = parts[2 * first:2 * (first + per_send)]
                # one datagram per segment: the kernel splits the gathered buffer at seg_len
                self.sock.sendmsg(batch, segment if len(batch) > 2 else [], 0, addr)
            st.tx_packets += nseg
            st.tx_batches += 1
        except OSError as exc:
            self._send_failed(exc)

    # Batched mode: the kernel segments TCP (and computes checksums in C) before the TUN, we
    # read up to BATCH packets per wake-up and send runs of equal-sized packets to one peer
    # with a single UDP_SEGMENT sendmsg (the last packet of a run may be shorter).

    def _tun_to_udp_batched(self) -> None:
        hdr = gso.VNET_HDR_LEN
        bufs = [bytearray(hdr + max(self.mtu, 1500) + 64) for _ in range(BATCH)]
        views = [memoryview(b) for b in bufs]
        fd = self.tun_fd
        readv = os.readv
        while True:
            pkts: list[memoryview] = []
            reads = 0
            for i in range(BATCH):
                try:
                    n = readv(fd, [bufs[i]])
                except BlockingIOError:
                    break
                except OSError as exc:
                    if exc.errno in (errno.EBADF, errno.EIO):
                        return
                    raise
                reads += 1
                if n - hdr >= packet.IPV4_MIN_HEADER:
                    pkts.append(views[i][hdr:n])
            if pkts:
                self._send_batch(pkts)
            elif not reads and not self._wait(fd):
                return

    def _send_batch(self, pkts: list[memoryview]) -> None:
        st = self.stats
        lookup = self.routes.lookup_int
        run: list[memoryview] = []
        run_peer = run_size = 0
        run_open = False
        for p in pkts:
            if p[0] >> 4 != 4:
                st.not_ipv4 += 1
                continue
            peer = lookup(int.from_bytes(p[16:20], "big"))
            if peer is None:
                st.no_route += 1
                icmp = packet.icmp_net_unreachable(p, self.lease_addr)
                if icmp is not None:
                    self._write_tun([gso.PLAIN_HDR, icmp])
                continue
            if not packet.decrement_ttl(p):
                st.ttl_dropped += 1
                continue
            n = len(p)
            if run_open and peer == run_peer and n <= run_size and len(run) < self._per_send(run_size):
                run.append(p)
                run_open = n == run_size
                continue
            if run:
                self._send_run(run, run_peer, run_size)
            run, run_peer, run_size, run_open = [p], peer, n, True
        if run:
            self._send_run(run, run_peer, run_size)

    @staticmethod
    def _per_send(size: int) -> int:
        return max(1, MAX_GSO_BYTES // size)

    def _send_run(self, run: list[memoryview], peer: int, size: int) -> None:
        try:
            if len(run) == 1:
                self.sock.sendto(run[0], self._addr(peer))
            else:
                self.sock.sendmsg(run, [(SOL_UDP, UDP_SEGMENT, _u16(size))], 0, self._addr(peer))
                self.stats.tx_batches += 1
            self.stats.tx_packets += len(run)
        except OSError as exc:
            self._send_failed(exc)

    def _send_failed(self, exc: OSError) -> None:
        self.stats.send_errors += 1
        if self.stats.send_errors in (1, 10, 100, 1000) or self.stats.send_errors % 10000 == 0:
            log.warning("UDP send failed (%d so far): %s", self.stats.send_errors, exc)

    def _write_tun(self, bufs: list[bytes | memoryview]) -> None:
        try:
            os.writev(self.tun_fd, bufs)
        except OSError as exc:
            self.stats.write_errors += 1
            if self.stats.write_errors in (1, 10, 100) or self.stats.write_errors % 10000 == 0:
                log.warning("write to TUN failed (%d so far): %s", self.stats.write_errors, exc)

    # -- network -> flannel0 -----------------------------------------------------------

    def udp_to_tun(self) -> None:
        buf = bytearray(RECV_BUFFER)
        mv = memoryview(buf)
        sock = self.sock
        anc = socket.CMSG_SPACE(4) if self.gro else 0
        fd = sock.fileno()
        while True:
            try:
                n, ancdata, _flags, src = sock.recvmsg_into([buf], anc, socket.MSG_DONTWAIT)
            except BlockingIOError:
                if not self._wait(fd):
                    return
                continue
            except OSError as exc:
                if exc.errno in (errno.EBADF, errno.ENOTSOCK):
                    return
                raise
            seg = 0
            for level, kind, data in ancdata:
                if level == SOL_UDP and kind == UDP_GRO:
                    seg = int.from_bytes(data[:4], "little") if len(data) >= 4 else int.from_bytes(data, "little")
            self._note_sender(src)
            if seg and n > seg:
                self._to_tun([mv[i:min(i + seg, n)] for i in range(0, n, seg)])
            else:
                self._to_tun([mv[:n]])

    def _note_sender(self, src: tuple[str, int]) -> None:
        # flannel does not check the sender; neither do we, but say so once per address.
        st = self.stats
        if not src or src[0] in st.seen_senders:
            return
        st.seen_senders.add(src[0])
        if self.routes.has_peer(int(IPv4Address(src[0]))):
            return
        log.info("datagram from %s, which holds no lease we know of (forwarded, as flannel does)",
                 src[0])

    def _to_tun(self, packets: list[memoryview]) -> None:
        """Write received packets into the TUN. A GRO batch holds equal-sized datagrams
        (the last may be shorter), so checking the first one's size covers them all."""
        st = self.stats
        if len(packets[0]) > self.mtu:
            st.oversize += len(packets)
            if st.oversize in (1, 10, 100, 1000) or st.oversize % 10000 == 0:
                log.warning("dropping %d-byte packet larger than MTU %d (%d so far)",
                            len(packets[0]), self.mtu, st.oversize)
            return
        st.rx_batches += 1
        if not self.vnet:
            for p in packets:
                if len(p) < packet.IPV4_MIN_HEADER or p[0] >> 4 != 4:
                    st.not_ipv4 += 1
                elif packet.decrement_ttl(p):
                    st.rx_packets += 1
                    self._write_tun([p])
                else:
                    st.ttl_dropped += 1
            return
        # coalesce_tcp4 drops non-IPv4 and expired packets and decrements the TTL once per
        # packet it returns (merged or alone)
        for head, payloads in gso.coalesce_tcp4(packets):
            self._write_tun([head, *payloads])
        st.rx_packets += len(packets)
