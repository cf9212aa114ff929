"""Segmentation and coalescing of TCP super-packets for the udp data path (pure).

With IFF_VNET_HDR and TSO4 offload the kernel hands the TUN reader TCP/IPv4 packets of up
to 64 KB, each with a ``virtio_net_hdr`` (gso_type TCPV4, gso_size = MSS). The wire format
must stay flannel's (one raw inner IPv4 packet of at most MTU bytes per UDP datagram), so
:func:`segment_tcp4` cuts such a packet into ordinary MSS-sized TCP segments exactly as a
NIC would (IP ID + i, sequence numbers advanced, FIN/PSH only on the last segment, CWR only
on the first, fresh IP and TCP checksums). They all have the same length except the last,
so one ``sendmsg`` with UDP_SEGMENT sends them as separate datagrams.

On receive, UDP_GRO gives one buffer of same-sized datagrams; :func:`coalesce_tcp4` merges
consecutive in-order segments of one TCP flow back into one super-packet the kernel accepts
through the TUN with a GSO ``virtio_net_hdr`` (NEEDS_CSUM: the TCP checksum field holds the
pseudo-header sum; the kernel completes it or resegments).

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


def segment_tcp4(pkt: bytes | bytearray | memoryview, mss: int) -> tuple[list[bytes | memoryview], int]:
    """Cut a TCP/IPv4 super-packet into MSS segments.

    Returns ``(parts, seg_len)``: ``b"".join(parts)`` is the segments back to back, each
    ``seg_len`` bytes long except the last. The TTL is taken as it stands in ``pkt``.
    """
    mv = memoryview(pkt)
    ihl = (mv[0] & 0x0F) * 4
    thl = (mv[ihl + 12] >> 4) * 4
    hl = ihl + thl
    payload = mv[hl:]
    plen = len(payload)
    ident = (mv[4] << 8) | mv[5]
    ttl, proto = mv[8], mv[9]
    addrs = bytes(mv[12:20])
    head2, fragw = bytes(mv[0:2]), bytes(mv[6:8])
    ip_opts = bytes(mv[20:ihl])
    # constant part of the IP header sum: version/ihl/tos, flags/frag, ttl/proto, addresses
    ip_const = (
        int.from_bytes(head2, "big") + int.from_bytes(fragw, "big") + (ttl << 8 | proto)
        + int.from_bytes(addrs, "big") % 0xFFFF + (int.from_bytes(ip_opts, "big") if ip_opts else 0)
    )
    ports = bytes(mv[ihl:ihl + 4])
    seq0 = _SEQ.unpack_from(mv, ihl + 4)[0]
    ack_off = bytes(mv[ihl + 8:ihl + 13])  # ack (4) + data offset byte
    flags = mv[ihl + 13]
    window = bytes(mv[ihl + 14:ihl + 16])
    tail = bytes(mv[ihl + 18:hl])  # urgent pointer + options
    tcp_const = (
        int.from_bytes(addrs, "big") % 0xFFFF + 6
        + int.from_bytes(ports, "big") + int.from_bytes(ack_off[:4], "big")
        + (ack_off[4] << 8) + int.from_bytes(window, "big") + int.from_bytes(tail, "big")
    )
    parts: list[bytes | memoryview] = []
    nseg = max(1, -(-plen // mss))
    first_flags = flags & ~(TCP_FIN | TCP_PSH) if nseg > 1 else flags
    mid_flags = flags & ~(TCP_FIN | TCP_PSH | TCP_CWR)
    last_flags = flags & ~TCP_CWR if nseg > 1 else flags
    pre = ports
    for i in range(nseg):
        chunk = payload[i * mss:(i + 1) * mss]
        clen = len(chunk)
        total = hl + clen
        seg_id = (ident + i) & 0xFFFF
        ip_csum = _fold(ip_const + total + seg_id)
        iph = _IPH.pack(head2, total, seg_id, fragw, ttl, proto, ip_csum, addrs) + ip_opts
        seq = (seq0 + i * mss) & 0xFFFFFFFF
        fl = first_flags if i == 0 else (last_flags if i == nseg - 1 else mid_flags)
        tcp_sum = tcp_const + (seq >> 16) + (seq & 0xFFFF) + fl + (thl + clen) + _payload_sum(chunk)
        tcph = b"".join((pre, _SEQ.pack(seq), ack_off, bytes((fl,)), window,
                         _H.pack(_fold(tcp_sum)), tail))
        parts.append(iph + tcph)
        parts.append(chunk)
    return parts, hl + mss


def _tcp_key(p: memoryview, thl: int) -> bytes:
    # Everything that must match for two segments to be one stream run: IP tos/flags/ttl/
    # proto/addresses, ports, ack, data offset, window, urgent pointer and options.
    return b"".join((p[0:2], p[6:10], p[12:24], p[28:33], p[34:36], p[38:20 + thl]))


def coalesce_tcp4(packets: Sequence[memoryview]) -> list[tuple[bytes, list[memoryview]]]:
    """Merge runs of in-order TCP segments of one flow.

    Returns ``(vnet_hdr + headers, payload parts)`` per output packet: write them with one
    ``writev`` each. Packets that cannot be merged come back alone with a plain header.
    """
    out: list[tuple[bytes, list[memoryview]]] = []
    group: list[memoryview] = []
    key = b""
    next_seq = 0
    mss = 0
    closed = False

    def flush() -> None:
        if not group:
            return
        if len(group) == 1:
            out.append((PLAIN_HDR, [group[0]]))
        else:
            out.append(_merge(group, mss))
        group.clear()

    for p in packets:
        mergeable = (
            len(p) > 40 and p[0] == 0x45 and p[9] == 6 and (p[6] & 0x3F) == 0 and p[7] == 0
            and (p[2] << 8 | p[3]) == len(p)
        )
        if mergeable:
            thl = (p[32] >> 4) * 4
            fl = p[33]
            plen = len(p) - 20 - thl
            mergeable = plen > 0 and (fl & ~TCP_PSH) == TCP_ACK and thl >= 20
        if not mergeable:
            flush()
            out.append((PLAIN_HDR, [p]))
            continue
        seq = _SEQ.unpack_from(p, 24)[0]
        k = _tcp_key(p, thl)
        if group and not closed and k == key and seq == next_seq and plen <= mss \
                and sum(len(g) for g in group) + plen < 65000:
            group.append(p)
        else:
            flush()
            group.append(p)
            key, mss = k, plen
        next_seq = (seq + plen) & 0xFFFFFFFF
        closed = plen < mss or bool(fl & TCP_PSH)
    flush()
    return out


def _merge(group: list[memoryview], mss: int) -> tuple[bytes, list[memoryview]]:
    first = group[0]
    thl = (first[32] >> 4) * 4
    hl = 20 + thl
    payloads = [g[hl:] for g in group]
    plen = sum(len(x) for x in payloads)
    total = hl + plen
    iph = bytearray(first[:20])
    _H.pack_into(iph, 2, total)
    iph[10] = iph[11] = 0
    _H.pack_into(iph, 10, _fold(int.from_bytes(iph, "big")))
    tcph = bytearray(first[20:hl])
    tcph[13] |= group[-1][33] & TCP_PSH
    # NEEDS_CSUM: the checksum field carries the (uncomplemented) pseudo-header sum.
    pseudo = int.from_bytes(iph[12:20], "big") + 6 + thl + plen
    _H.pack_into(tcph, 16, pseudo % 0xFFFF or 0xFFFF)
    vnet = VNET_HDR.pack(VNET_F_NEEDS_CSUM, GSO_TCPV4, hl, mss, 20, 16)
    return vnet + bytes(iph) + bytes(tcph), payloads
