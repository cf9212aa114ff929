"""Segmentation and coalescing of TCP super-packets, packet by packet (pure).

On receive, UDP_GRO gives one buffer of same-sized datagrams; :func:`coalesce_tcp4` merges
consecutive in-order segments of one TCP flow back into one super-packet the kernel accepts
through the TUN with a GSO ``virtio_net_hdr`` (NEEDS_CSUM: the TCP checksum field holds the
pseudo-header sum; the kernel completes it or resegments). The forwarder first tries the
whole-batch version (:func:`pyflannel.runs.merge_tcp_run`); this one handles the rest.

:func:`segment_tcp4` cuts a TCP super-packet into MSS-sized segments exactly as a NIC
would (IP ID + i, sequence numbers advanced, FIN/PSH only on the last segment, CWR only on
the first, fresh IP and TCP checksums). It is not on the data path any more: the kernel
segments before flannel0, which costs less than checksumming in Python (~3 us a segment
here, more than the read it saves). The tests use it as the reference segmenter.

Checksums: a ones' complement sum is ``int.from_bytes(data) % 0xFFFF`` (2**16 == 1 mod
0xFFFF), computed at C speed; partial sums of even-length parts simply add up.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

VNET_HDR = struct.Struct("<BBHHHH")
VNET_HDR_LEN = 10
VNET_F_NEEDS_CSUM = 1
GSO_NONE = 0
GSO_TCPV4 = 1
GSO_ECN = 0x80
PLAIN_HDR = bytes(VNET_HDR_LEN)
TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_RST = 0x04
TCP_PSH = 0x08
TCP_ACK = 0x10
TCP_URG = 0x20
TCP_ECE = 0x40
TCP_CWR = 0x80
_H = struct.Struct("!H")
_IPH = struct.Struct("!2sHH2sBBH8s")
_SEQ = struct.Struct("!I")
_IPLEN_ID = struct.Struct("!HH")


def _fold(total: int) -> int:
    """The checksum field for a sum of 16-bit words given as any non-negative int."""
    rest = total % 0xFFFF
    if rest:
        return 0xFFFF - rest
    return 0xFFFF if total == 0 else 0  # a non-zero multiple of 0xFFFF sums to 0xFFFF


def _payload_sum(data: bytes | memoryview) -> int:
    n = int.from_bytes(data, "big")
    return n << 8 if len(data) & 1 else n


def finish_checksum(pkt: bytearray, csum_start: int, csum_offset: int) -> None:
    """Complete a CHECKSUM_PARTIAL packet: the field already holds the pseudo-header sum."""
    total = _payload_sum(memoryview(pkt)[csum_start:])
    csum = (0xFFFF - total % 0xFFFF) % 0xFFFF
    if csum == 0 and pkt[9] == 17:
        csum = 0xFFFF  # UDP sends a computed zero as all ones
    _H.pack_into(pkt, csum_start + csum_offset, csum)


# Folding schedule for reducing a payload's integer modulo 0xFFFF: each step adds the high
# part to the low part at a 16-bit-aligned split (2**16 == 1 mod 0xFFFF), which is cheaper
# in CPython than one long division of a 10000-bit integer.
# The schedule suits ~1400-byte segments (11,000 bits) but is correct for any size: every
# split is a multiple of 16 bits, and the caller reduces the rest with one final modulo.
_FOLDS = tuple((h, (1 << h) - 1) for h in (5664, 2832, 1424, 720, 368, 192, 96, 48))


def _reduce(x: int) -> int:
    for half, mask in _FOLDS:
        x = (x >> half) + (x & mask)
    return x


_HEADERS: dict[tuple[int, int], struct.Struct] = {}


def _header_struct(ihl: int, thl: int) -> struct.Struct:
    # IPv4: ver/ihl+tos, total, id, frag+ttl+proto, checksum, addresses, options;
    # TCP: ports, seq, ack + data offset, flags, window, checksum, urgent + options.
    st = _HEADERS.get((ihl, thl))
    if st is None:
        st = _HEADERS[(ihl, thl)] = struct.Struct(f"!2sHH4sH8s{ihl - 20}s4sI5sB2sH{thl - 18}s")
    return st


def segment_tcp4_parts(
    pkt: bytes | bytearray | memoryview, mss: int
) -> tuple[list[bytes | memoryview], int]:
    """Cut a TCP/IPv4 super-packet into MSS segments, as a scatter list.

    Returns ``(parts, seg_len)``: ``parts`` alternates each segment's fresh headers and a
    view of its payload (no payload copy; hand them to ``sendmsg``), and every segment is
    ``seg_len`` bytes long except the last. The TTL is taken as it stands in ``pkt``.
    """
    mv = memoryview(pkt)
    ihl = (mv[0] & 0x0F) * 4
    thl = (mv[ihl + 12] >> 4) * 4
    hl = ihl + thl
    plen = len(mv) - hl
    nseg = max(1, -(-plen // mss))
    pack = _header_struct(ihl, thl).pack
    head2, mid4, addrs, ipopts = bytes(mv[0:2]), bytes(mv[6:10]), bytes(mv[12:20]), bytes(mv[20:ihl])
    ident = (mv[4] << 8) | mv[5]
    ports, ack_off = bytes(mv[ihl:ihl + 4]), bytes(mv[ihl + 8:ihl + 13])
    window, tail = bytes(mv[ihl + 14:ihl + 16]), bytes(mv[ihl + 18:hl])
    seq0 = _SEQ.unpack_from(mv, ihl + 4)[0]
    flags = mv[ihl + 13]
    frm = int.from_bytes
    # sums of everything that is the same in every segment (16-bit word sums mod 0xFFFF)
    ip_const = (frm(head2, "big") + frm(mid4, "big") + frm(addrs, "big") + frm(ipopts, "big")) % 0xFFFF
    tcp_const = (frm(addrs, "big") + 6 + frm(ports, "big") + frm(ack_off[:4], "big")
                 + (ack_off[4] << 8) + frm(window, "big") + frm(tail, "big")) % 0xFFFF
    first_flags = flags & ~(TCP_FIN | TCP_PSH) if nseg > 1 else flags
    mid_flags = flags & ~(TCP_FIN | TCP_PSH | TCP_CWR)
    last_flags = flags & ~TCP_CWR if nseg > 1 else flags
    folds = _FOLDS
    parts: list[bytes | memoryview] = []
    append = parts.append
    last = nseg - 1
    for i in range(nseg):
        off = hl + i * mss
        chunk = mv[off:off + mss]
        clen = len(chunk)
        total = hl + clen
        sid = (ident + i) & 0xFFFF
        r = (ip_const + total + sid) % 0xFFFF
        ip_csum = 0xFFFF - r if r else 0
        seq = (seq0 + i * mss) & 0xFFFFFFFF
        fl = first_flags if i == 0 else (last_flags if i == last else mid_flags)
        x = frm(chunk, "big")
        if clen & 1:
            x <<= 8
        for half, mask in folds:
            x = (x >> half) + (x & mask)
        r = (tcp_const + (seq >> 16) + (seq & 0xFFFF) + fl + thl + clen + x) % 0xFFFF
        append(pack(head2, total, sid, mid4, ip_csum, addrs, ipopts, ports, seq, ack_off, fl,
                    window, 0xFFFF - r if r else 0, tail))
        append(chunk)
    return parts, hl + mss


def segment_tcp4(pkt: bytes | bytearray | memoryview, mss: int) -> tuple[bytes, int]:
    """:func:`segment_tcp4_parts` joined: the segments back to back in one buffer."""
    parts, seg_len = segment_tcp4_parts(pkt, mss)
    return b"".join(parts), seg_len


# IPv4 (no options) + TCP fixed header: ver/ihl, tos, total, id, frag, ttl, proto, csum,
# addresses, ports, seq, ack, data offset, flags, window, csum, urgent.
_FIXED = struct.Struct("!BBHHHBBH8s4sI4sBB2sH2s")


def coalesce_tcp4(packets: Sequence[memoryview]) -> list[tuple[bytes, list[memoryview]]]:
    """Merge runs of in-order TCP segments of one flow, decrementing the TTL once per output.

    Returns ``(vnet_hdr + headers, payload parts)`` per output packet, to be written with one
    ``writev`` each; a packet that cannot be merged comes back alone (plain header, the whole
    packet as its one part, TTL already decremented). Packets whose TTL would reach 0 are
    dropped. Two segments merge when everything but length, IP ID and checksum, sequence
    number, PSH and TCP checksum is equal, the sequence numbers are contiguous, and all but
    the last carry exactly ``mss`` bytes without PSH.
    """
    out: list[tuple[bytes, list[memoryview]]] = []
    group: list[memoryview] = []
    key: tuple[object, ...] = ()
    next_seq = mss = size = push = 0
    closed = True
    unpack = _FIXED.unpack_from
    for p in packets:
        n = len(p)
        if n <= 40:
            _flush(out, group, mss, push)
            closed = True
            _alone(out, p)
            continue
        (vihl, tos, total, _id, frag, ttl, proto, _c, addrs, ports, seq, ack, off, fl, win, _t,
         urg) = unpack(p)
        thl = (off >> 4) * 4
        plen = n - 20 - thl
        if vihl != 0x45 or proto != 6 or frag & 0x3FFF or total != n or fl & 0xF7 != TCP_ACK \
                or plen <= 0 or thl < 20:
            _flush(out, group, mss, push)
            closed = True
            _alone(out, p)
            continue
        k = (tos, frag, ttl, addrs, ports, ack, off, win, urg, bytes(p[40:20 + thl]))
        if not closed and seq == next_seq and k == key and plen <= mss and size + plen < 65000:
            group.append(p)
            size += plen
        else:
            _flush(out, group, mss, push)
            group.append(p)
            key, mss, size = k, plen, plen
        push = fl & TCP_PSH
        next_seq = (seq + plen) & 0xFFFFFFFF
        closed = plen < mss or bool(push)
    _flush(out, group, mss, push)
    return out


def _alone(out: list[tuple[bytes, list[memoryview]]], p: memoryview) -> None:
    # only IPv4 goes into the TUN (flannel does not check; the spec recommends dropping)
    if len(p) >= 20 and p[0] >> 4 == 4 and _dec_ttl(p):
        out.append((PLAIN_HDR, [p]))


def _dec_ttl(p: memoryview | bytearray) -> bool:
    ttl = p[8]
    if ttl <= 1:
        return False
    p[8] = ttl - 1
    csum = (p[10] << 8 | p[11]) + 0x0100
    csum = (csum & 0xFFFF) + (csum >> 16)
    p[10] = csum >> 8
    p[11] = csum & 0xFF
    return True


def _flush(out: list[tuple[bytes, list[memoryview]]], group: list[memoryview], mss: int,
           push: int) -> None:
    if len(group) == 1:
        _alone(out, group[0])
    elif group:
        merged = _merge(group, mss, push)
        if merged is not None:
            out.append(merged)
    group.clear()


def _merge(group: list[memoryview], mss: int, push: int) -> tuple[bytes, list[memoryview]] | None:
    first = group[0]
    thl = (first[32] >> 4) * 4
    hl = 20 + thl
    payloads = [g[hl:] for g in group]
    plen = sum(len(x) for x in payloads)
    iph = bytearray(first[:20])
    if iph[8] <= 1:
        return None  # the TTL would reach 0: drop the run silently, as flannel drops each
    iph[8] -= 1
    _H.pack_into(iph, 2, hl + plen)
    iph[10] = iph[11] = 0
    _H.pack_into(iph, 10, _fold(int.from_bytes(iph, "big")))
    tcph = bytearray(first[20:hl])
    tcph[13] |= push
    # NEEDS_CSUM: the checksum field carries the (uncomplemented) pseudo-header sum.
    pseudo = int.from_bytes(iph[12:20], "big") + 6 + thl + plen
    _H.pack_into(tcph, 16, pseudo % 0xFFFF or 0xFFFF)
    vnet = VNET_HDR.pack(VNET_F_NEEDS_CSUM, GSO_TCPV4, hl, mss, 20, 16)
    return vnet + bytes(iph) + bytes(tcph), payloads
