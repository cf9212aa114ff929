"""IPv4 packet edits of the udp data path (pure), as flannel's proxy does them.

* :func:`decrement_ttl`: TTL - 1 with an incremental header checksum update (RFC 1624:
  adding 0x0100 in ones' complement); a packet whose TTL reaches 0 is dropped without a
  Time Exceeded, as flannel does (so each overlay crossing costs 2 TTL in flanneld).
* :func:`icmp_net_unreachable`: the Destination Unreachable (type 3, code 0) flannel writes
  back into the TUN for a destination no lease covers: IHL 5, TOS 0, ID 0, no flags, TTL 8,
  protocol 1, source = our lease's network address, quoting the offender's IP header and
  its first 8 payload bytes. None for ICMP offenders, non-first fragments and IHL 15.

Checksums use the identity ``sum of 16-bit words mod 0xFFFF == int.from_bytes(data) mod
0xFFFF`` (2**16 == 1 mod 0xFFFF), which runs at C speed on whole packets.
"""

from __future__ import annotations

import struct

IPV4_MIN_HEADER = 20
PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
ICMP_TTL = 8


def ones_sum(data: bytes | bytearray | memoryview, initial: int = 0) -> int:
    """Ones' complement sum of 16-bit big-endian words, folded to 16 bits (0 only for all-zero)."""
    if len(data) & 1:
        data = bytes(data) + b"\0"
    total = int.from_bytes(data, "big") + initial
    if total == 0:
        return 0
    folded = total % 0xFFFF
    return folded or 0xFFFF


def checksum(data: bytes | bytearray | memoryview, initial: int = 0) -> int:
    """The Internet checksum (ones' complement of the ones' complement sum)."""
    return ~ones_sum(data, initial) & 0xFFFF


def is_ipv4(packet: bytes | bytearray | memoryview) -> bool:
    return len(packet) >= IPV4_MIN_HEADER and packet[0] >> 4 == 4


def ipv4_dst(packet: bytes | bytearray | memoryview) -> int:
    return int.from_bytes(packet[16:20], "big")


def ipv4_src(packet: bytes | bytearray | memoryview) -> int:
    return int.from_bytes(packet[12:16], "big")


def decrement_ttl(packet: bytearray | memoryview, offset: int = 0) -> bool:
    """Decrement the TTL in place; False when it reached 0 (the caller drops the packet)."""
    ttl = packet[offset + 8]
    if ttl <= 1:
        return False
    packet[offset + 8] = ttl - 1
    csum = (packet[offset + 10] << 8 | packet[offset + 11]) + 0x0100
    csum = (csum & 0xFFFF) + (csum >> 16)
    packet[offset + 10] = csum >> 8
    packet[offset + 11] = csum & 0xFF
    return True


def header_ok(packet: bytes | bytearray | memoryview) -> bool:
    """True when the IPv4 header checksum verifies."""
    ihl = (packet[0] & 0x0F) * 4
    return ihl >= IPV4_MIN_HEADER and len(packet) >= ihl and ones_sum(packet[:ihl]) == 0xFFFF


def icmp_net_unreachable(offender: bytes | bytearray | memoryview, source: int) -> bytes | None:
    """The net-unreachable ICMP flannel sends back for ``offender``, or None when it sends none."""
    if len(offender) < IPV4_MIN_HEADER:
        return None
    ihl = (offender[0] & 0x0F) * 4
    if ihl >= 60 or ihl < IPV4_MIN_HEADER:
        return None
    if offender[9] == PROTO_ICMP:
        return None
    frag_offset = (offender[6] << 8 | offender[7]) & 0x1FFF
    if frag_offset:
        return None
    quoted = bytes(offender[: ihl + 8])
    icmp = bytearray(b"\x03\x00\x00\x00\x00\x00\x00\x00" + quoted)
    struct.pack_into("!H", icmp, 2, checksum(icmp))
    total = IPV4_MIN_HEADER + len(icmp)
    ip = bytearray(
        struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, total, 0, 0, ICMP_TTL, PROTO_ICMP, 0,
            source.to_bytes(4, "big"), bytes(offender[12:16]),
        )
    )
    struct.pack_into("!H", ip, 10, checksum(ip))
    return bytes(ip + icmp)
