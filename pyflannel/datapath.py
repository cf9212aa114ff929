"""The udp backend's forwarder: flannel0 <-> UDP, one raw inner IPv4 packet per datagram.

Two loops, each run by its own worker process (:mod:`pyflannel.worker`), so the two
directions never wait for each other's GIL:

* :meth:`Forwarder.tun_to_udp`: read packets from the TUN back to back into one buffer,
  look the destination up in the peer table, decrement the TTL, send to
  ``<peer public IP>:<port>``. Unknown destination -> flannel's net-unreachable ICMP back
  into the TUN. The kernel segments TCP before the TUN (no TSO on flannel0), so every read
  is one packet <= MTU. A run of equal-sized packets (the last may be shorter) to one peer
  goes out with one ``sendmsg`` using UDP_SEGMENT; each datagram on the wire is still one
  inner packet. The per-packet checks and TTL edits of a run are whole-run operations
  (:mod:`pyflannel.runs`).
* :meth:`Forwarder.udp_to_tun`: receive with UDP_GRO (a run of equal-sized datagrams in one
  call), scattering each datagram's headers and payload into two buffers, so that a run of
  in-order segments of one TCP flow becomes one GSO super-packet written to the TUN with a
  ``virtio_net_hdr`` (the kernel neither checksums nor resegments it on its way to a local
  pod). Anything else is written packet by packet; what is not IPv4 or is larger than the
  MTU is dropped; the TTL is decremented in every case.

Invariants: the wire format never changes with the offloads (a real flanneld peer cannot
tell the difference); each loop owns its own copy of the peer table, replaced whole when
the control socket brings a new one (as flannel's C proxy is driven over a socketpair).
A loop returns when the control socket says "stop" or is closed.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import select
import socket
import struct
from dataclasses import asdict, dataclass, field
from ipaddress import IPv4Address, IPv4Network

from pyflannel import gso, packet, runs
from pyflannel.routes import RouteTable

log = logging.getLogger(__name__)
SOL_UDP = 17
UDP_SEGMENT = 103
UDP_GRO = 104
IP_MTU_DISCOVER = 10  # <linux/in.h>; not exported by the socket module
IP_PMTUDISC_DO = 2
MAX_GSO_BYTES = 65000  # UDP payload limit of one GSO send, rounded down
MAX_GSO_SEGMENTS = 64  # UDP_MAX_SEGMENTS of older kernels
RECV_BUFFER = 65536 + 1024
SOCKET_BUFFER = 4 << 20
BATCH = 64  # packets read from the TUN per wake-up
CTL_EVERY = 32
SEEN_MAX = 4096  # busy loops look at the control socket every this many batches
_U16 = struct.Struct("=H")


@dataclass
class Stats:
    tx_packets: int = 0
    tx_batches: int = 0
    rx_packets: int = 0
    rx_batches: int = 0
    rx_merged: int = 0
    no_route: int = 0
    ttl_dropped: int = 0
    oversize: int = 0
    not_ipv4: int = 0
    send_errors: int = 0
    write_errors: int = 0
    read_errors: int = 0
    seen_senders: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if isinstance(v, int)}


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


def encode_routes(routes: RouteTable) -> bytes:
    """The control message that replaces a worker's peer table."""
    return json.dumps({"routes": [[str(n), str(p)] for n, p in routes.items()]}).encode()


STOP = b'{"stop":true}'


class Forwarder:
    def __init__(
        self, tun_fd: int, vnet_hdr: bool, sock: socket.socket, ctl: socket.socket,
        port: int, mtu: int, lease_address: IPv4Address, gro: bool,
    ):
        self.tun_fd = tun_fd
        self.vnet = vnet_hdr
        self.sock = sock
        self.ctl = ctl
        self.routes = RouteTable()
        self.port = port
        self.mtu = mtu
        self.lease_addr = int(lease_address)
        self.gro = gro
        self.stats = Stats()
        self._peers: dict[int, tuple[str, int]] = {}
        self._stopping = False
        self._batches = 0
        self._pollers: dict[int, select.poll] = {}
        os.set_blocking(tun_fd, False)
        ctl.setblocking(False)

    # -- control -----------------------------------------------------------------------

    def _control(self) -> bool:
        """Apply pending control messages; False once asked to stop (or the peer is gone)."""
        while not self._stopping:
            try:
                msg = self.ctl.recv(1 << 20)
            except BlockingIOError:
                break
            except OSError:
                msg = b""
            if not msg:
                self._stopping = True
                break
            body = json.loads(msg)
            if body.get("stop"):
                self._stopping = True
            elif "routes" in body:
                self.routes.replace_all((IPv4Network(n), IPv4Address(p)) for n, p in body["routes"])
                self._peers = {}
        return not self._stopping

    def _busy_control(self) -> bool:
        self._batches += 1
        if self._batches % CTL_EVERY:
            return True
        return self._control()

    def _wait(self, fd: int) -> bool:
        """Block until ``fd`` is readable; False when asked to stop."""
        poller = self._pollers.get(fd)
        if poller is None:  # registered once: a wake-up is one poll() with nothing to build
            poller = self._pollers[fd] = select.poll()
            poller.register(fd, select.POLLIN)
            poller.register(self.ctl.fileno(), select.POLLIN)
        ctl = self.ctl.fileno()
        while True:
            ready = poller.poll()
            if len(ready) == 1 and ready[0][0] == fd:
                return True
            if any(r[0] == ctl for r in ready) and not self._control():
                return False
            if any(r[0] == fd for r in ready):
                return True

    def _addr(self, peer: int) -> tuple[str, int]:
        addr = self._peers.get(peer)
        if addr is None:
            addr = self._peers[peer] = (str(IPv4Address(peer)), self.port)
        return addr

    # -- flannel0 -> network -----------------------------------------------------------

    def tun_to_udp(self) -> None:
        if not self.vnet:
            self._tun_to_udp_plain()
            return
        # Packet i is read into slot i of one buffer (slot size = MTU), so full-sized packets
        # lie back to back: a run of them, plus the shorter packet that may follow, is one
        # UDP_SEGMENT send. The read windows overlap into the next slot (still unread) by a
        # margin, so a packet never has to be cut. The iovec lists are built once: per
        # packet the loop makes one readv call and nothing else.
        hdr = gso.VNET_HDR_LEN
        size = self.mtu
        window = size + 64
        buf = bytearray(BATCH * size + window)
        mv = memoryview(buf)
        scratch = memoryview(bytearray(hdr))
        iovs = [[scratch, mv[i * size:i * size + window]] for i in range(BATCH)]
        full = size + hdr
        limit = min(MAX_GSO_SEGMENTS, MAX_GSO_BYTES // size)
        fd = self.tun_fd
        readv = os.readv
        send_run = self._send_run
        while True:
            lens: list[int] = []
            add = lens.append
            for iov in iovs:
                try:
                    add(readv(fd, iov))
                except BlockingIOError:
                    break
                except OSError as exc:
                    if exc.errno in (errno.EBADF, errno.EIO):
                        return
                    self._read_failed(exc)
                    break
            k = len(lens)
            if not k:
                if not self._wait(fd):
                    return
                continue
            if lens.count(full) == k:
                for a in range(0, k, limit):
                    send_run(buf, mv, a * size, min(k, a + limit) * size, size)
            elif k == 1:  # e.g. a lone ACK: the short way
                self._send_one(mv[:lens[0] - hdr])
            else:
                self._send_slots(buf, mv, lens, limit)
            if not self._busy_control():
                return

    def _send_slots(self, buf: bytearray, mv: memoryview, lens: list[int], limit: int) -> None:
        """A batch with packets shorter than the MTU: runs of full-sized packets (with the
        shorter one that may end them) go out whole; the others one by one (equal-sized
        ones to one peer still share a send)."""
        size = self.mtu
        start = -1  # first slot of the open run of full-sized packets
        each: list[memoryview] = []
        for i, n in enumerate(lens):
            n -= gso.VNET_HDR_LEN
            if n == size:
                if each:
                    self._send_each(each)
                    each = []
                if start < 0:
                    start = i
                elif i - start == limit:
                    self._send_run(buf, mv, start * size, i * size, size)
                    start = i
                continue
            if start >= 0:
                if i - start < limit and n >= packet.IPV4_MIN_HEADER:
                    self._send_run(buf, mv, start * size, i * size + n, size)
                    start = -1
                    continue
                self._send_run(buf, mv, start * size, i * size, size)
                start = -1
            if n >= packet.IPV4_MIN_HEADER:
                each.append(mv[i * size:i * size + n])
        if start >= 0:
            self._send_run(buf, mv, start * size, len(lens) * size, size)
        if each:
            self._send_each(each)

    def _read_failed(self, exc: OSError) -> None:
        self.stats.read_errors += 1
        if self.stats.read_errors in (1, 10, 100) or self.stats.read_errors % 10000 == 0:
            log.warning("read from TUN failed (%d so far): %s", self.stats.read_errors, exc)

    def _send_run(self, buf: bytearray, mv: memoryview, start: int, end: int, size: int) -> None:
        if end - start > size:
            dst = runs.uniform_destination(buf, start, end, size)
            peer = None if dst is None else self.routes.lookup_int(dst)
            if peer is not None and runs.decrement_ttls(buf, start, end, size):
                try:
                    self.sock.sendmsg([mv[start:end]], [(SOL_UDP, UDP_SEGMENT, _U16.pack(size))],
                                      0, self._addr(peer))
                    self.stats.tx_packets += runs.count(start, end, size)
                    self.stats.tx_batches += 1
                except OSError as exc:
                    self._send_failed(exc)
                return
        self._send_each([mv[o:min(o + size, end)] for o in range(start, end, size)])

    def _send_one(self, p: memoryview) -> None:
        if len(p) < packet.IPV4_MIN_HEADER or p[0] != 0x45 or p[8] <= 1:
            if len(p) >= packet.IPV4_MIN_HEADER:
                self._send_each([p])  # the counted drops, IP options
            return
        peer = self.routes.lookup_int(int.from_bytes(p[16:20], "big"))
        if peer is None:
            self._send_each([p])  # net unreachable
            return
        packet.decrement_ttl(p)
        try:
            self.sock.sendto(p, self._addr(peer))
            self.stats.tx_packets += 1
        except OSError as exc:
            self._send_failed(exc)

    def _send_each(self, pkts: list[memoryview]) -> None:
        """Packet by packet: drops, ICMP, lookups and TTLs one at a time; consecutive
        equal-sized packets to one peer still share a UDP_SEGMENT send."""
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
                    self._write_tun([gso.PLAIN_HDR, icmp] if self.vnet else [icmp])
                continue
            if not packet.decrement_ttl(p):
                st.ttl_dropped += 1
                continue
            n = len(p)
            if run_open and peer == run_peer and n <= run_size \
                    and len(run) < min(MAX_GSO_SEGMENTS, MAX_GSO_BYTES // run_size):
                run.append(p)
                run_open = n == run_size
                continue
            if run:
                self._send_list(run, run_peer, run_size)
            run, run_peer, run_size, run_open = [p], peer, n, True
        if run:
            self._send_list(run, run_peer, run_size)

    def _send_list(self, run: list[memoryview], peer: int, size: int) -> None:
        try:
            if len(run) == 1:
                self.sock.sendto(run[0], self._addr(peer))
            else:
                self.sock.sendmsg(run, [(SOL_UDP, UDP_SEGMENT, _U16.pack(size))], 0, self._addr(peer))
                self.stats.tx_batches += 1
            self.stats.tx_packets += len(run)
        except OSError as exc:
            self._send_failed(exc)

    def _tun_to_udp_plain(self) -> None:
        """Offloads off: one read and one send per packet (flannel's own loop)."""
        buf = bytearray(max(self.mtu, 1500) + 64)
        mv = memoryview(buf)
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
            if n >= packet.IPV4_MIN_HEADER:
                self._send_each([mv[:n]])
            if not self._busy_control():
                return

    def _send_failed(self, exc: OSError) -> None:
        self.stats.send_errors += 1
        if self.stats.send_errors in (1, 10, 100, 1000) or self.stats.send_errors % 10000 == 0:
            log.warning("UDP send failed (%d so far): %s", self.stats.send_errors, exc)

    def _write_tun(self, bufs: list[bytes | memoryview]) -> None:
        try:
            os.writev(self.tun_fd, bufs)
        except OSError as exc:
            self._write_failed(exc)

    # -- network -> flannel0 -----------------------------------------------------------

    def udp_to_tun(self) -> None:
        if not self.vnet:
            self._udp_to_tun_plain()
            return
        areas = bytearray(RECV_BUFFER), bytearray(RECV_BUFFER), bytearray(RECV_BUFFER)
        views = memoryview(areas[0]), memoryview(areas[1]), memoryview(areas[2])
        hdrs, pay = areas[0], views[1]
        sock = self.sock
        anc = socket.CMSG_SPACE(4) if self.gro else 0
        fd = sock.fileno()
        st = self.stats
        # Guess of the next batch's layout (datagram size, header bytes), from the last
        # multi-datagram batch: full-sized TCP segments with timestamps to begin with.
        size, hl = self.mtu, 52
        iovs = runs.scatter_layout(*views, size, hl, RECV_BUFFER)
        slots = runs.scatter_slots(size, RECV_BUFFER)
        write = os.writev
        tun = self.tun_fd
        while True:
            try:
                n, ancdata, _flags, src = sock.recvmsg_into(iovs, anc, socket.MSG_DONTWAIT)
            except BlockingIOError:
                if not self._wait(fd):
                    return
                continue
            except OSError as exc:
                if exc.errno in (errno.EBADF, errno.ENOTSOCK):
                    return
                raise
            seg = n
            for level, kind, cdata in ancdata:
                if level == SOL_UDP and kind == UDP_GRO:
                    seg = int.from_bytes(cdata[:4], "little") or n
            if src and src[0] not in st.seen_senders:
                self._note_sender(src[0])
            if not self._busy_control():
                return
            if seg > self.mtu:
                self._oversize(seg, runs.count(0, n, seg))
                continue
            st.rx_batches += 1
            if seg == size and hl < size:
                cnt = runs.count(0, n, seg)
                mss = seg - hl
                last = n - (cnt - 1) * seg - hl
                if 2 <= cnt <= slots and last > 0:
                    plan = runs.merge_tcp_run(hdrs, cnt, hl, mss, last)
                    if plan is not None:
                        try:
                            for first, stop, head in plan:
                                write(tun, [head, pay[first * mss:stop * mss - (mss - last if stop == cnt else 0)]])
                        except OSError as exc:
                            self._write_failed(exc)
                        st.rx_packets += cnt
                        st.rx_merged += cnt
                        continue
                data = runs.gather(iovs, n)
            elif hl >= size:
                data = hdrs[:n]
            else:
                data = runs.gather(iovs, n)
            self._to_tun_each(data, seg)
            if n > seg:  # a multi-datagram batch: expect the same layout next time
                thl = runs.tcp_header_length(data)
                new = seg, (thl if thl is not None and thl < seg else seg)
                if new != (size, hl):
                    size, hl = new
                    iovs = runs.scatter_layout(*views, size, hl, RECV_BUFFER)
                    slots = runs.scatter_slots(size, RECV_BUFFER)

    def _to_tun_each(self, data: bytearray, seg: int) -> None:
        """Datagrams of ``seg`` bytes back to back in ``data`` (the last may be shorter)."""
        n = len(data)
        st = self.stats
        mv = memoryview(data)
        thl = runs.tcp_header_length(data)
        if thl is not None and thl < seg:  # TCP with payload: merge what can be merged
            packets = [mv[o:o + seg] for o in range(0, n, seg)]
            for head, payloads in gso.coalesce_tcp4(packets):
                self._write_tun([head, *payloads])
            st.rx_packets += len(packets)
            return
        first = data[0:n:seg]
        if first.count(0x45) == len(first) and runs.decrement_ttls(data, 0, n, seg):
            plain = gso.PLAIN_HDR
            tun = self.tun_fd
            try:
                for o in range(0, n, seg):
                    os.writev(tun, [plain, mv[o:o + seg]])
            except OSError as exc:
                self._write_failed(exc)
            st.rx_packets += len(first)
            return
        for o in range(0, n, seg):
            p = mv[o:o + seg]
            if len(p) < packet.IPV4_MIN_HEADER or p[0] >> 4 != 4:
                st.not_ipv4 += 1
            elif packet.decrement_ttl(p):
                st.rx_packets += 1
                self._write_tun([gso.PLAIN_HDR, p])
            else:
                st.ttl_dropped += 1

    def _write_failed(self, exc: OSError) -> None:
        self.stats.write_errors += 1
        if self.stats.write_errors in (1, 10, 100) or self.stats.write_errors % 10000 == 0:
            log.warning("write to TUN failed (%d so far): %s", self.stats.write_errors, exc)

    def _oversize(self, size: int, count: int) -> None:
        st = self.stats
        st.oversize += count
        if st.oversize in (1, 10, 100, 1000) or st.oversize % 10000 == 0:
            log.warning("dropping %d-byte packet larger than MTU %d (%d so far)",
                        size, self.mtu, st.oversize)

    def _udp_to_tun_plain(self) -> None:
        """Offloads off: one receive and one write per datagram (flannel's own loop)."""
        buf = bytearray(RECV_BUFFER)
        mv = memoryview(buf)
        sock = self.sock
        fd = sock.fileno()
        st = self.stats
        while True:
            try:
                n, src = sock.recvfrom_into(buf, 0, socket.MSG_DONTWAIT)
            except BlockingIOError:
                if not self._wait(fd):
                    return
                continue
            except OSError as exc:
                if exc.errno in (errno.EBADF, errno.ENOTSOCK):
                    return
                raise
            if src and src[0] not in st.seen_senders:
                self._note_sender(src[0])
            if n > self.mtu:
                self._oversize(n, 1)
            elif n < packet.IPV4_MIN_HEADER or buf[0] >> 4 != 4:
                st.not_ipv4 += 1
            elif packet.decrement_ttl(buf):
                st.rx_packets += 1
                self._write_tun([mv[:n]])
            else:
                st.ttl_dropped += 1
            if not self._busy_control():
                return

    def _note_sender(self, src: str) -> None:
        # flannel does not check the sender; neither do we, but say so once per address
        # (for the first SEEN_MAX addresses: spoofed sources must not grow memory forever)
        if len(self.stats.seen_senders) >= SEEN_MAX:
            return
        self.stats.seen_senders.add(src)
        if self.routes.has_peer(int(IPv4Address(src))):
            return
        log.info("datagram from %s, which holds no lease we know of (forwarded, as flannel does)", src)
