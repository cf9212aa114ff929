"""Packet edits: TTL decrement with checksum, the net-unreachable ICMP, checksums."""

from __future__ import annotations

import struct

import pytest

from pyflannel import packet

pytestmark = pytest.mark.unit


def ip_header(ttl: int, proto: int = 6, src: str = "198.18.1.2", dst: str = "198.18.2.2",
              frag: int = 0x4000, payload: bytes = b"12345678abc") -> bytearray:
    def a(s: str) -> bytes:
        return bytes(int(x) for x in s.split("."))
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234, frag, ttl,
                                proto, 0, a(src), a(dst)))
    struct.pack_into("!H", hdr, 10, packet.checksum(hdr))
    return hdr + payload


def reference_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


@pytest.mark.parametrize("data", [b"", b"\x00\x00", b"\xff\xff", b"\x01", b"abcdefg", bytes(range(256)) * 7, b"\xff\xff" * 100])
def test_checksum_matches_reference(data: bytes) -> None:
    assert packet.checksum(data) == reference_checksum(data)


@pytest.mark.parametrize("ttl", [2, 3, 64, 255])
def test_decrement_ttl_keeps_checksum_valid(ttl: int) -> None:
    pkt = ip_header(ttl)
    assert packet.decrement_ttl(pkt)
    assert pkt[8] == ttl - 1
    assert packet.header_ok(pkt)


@pytest.mark.parametrize("ttl", [0, 1])
def test_ttl_reaching_zero_drops(ttl: int) -> None:
    pkt = ip_header(ttl)
    assert not packet.decrement_ttl(pkt)


def test_icmp_net_unreachable_layout() -> None:
    offender = ip_header(63, proto=17)
    src = int.from_bytes(bytes([198, 18, 1, 0]), "big")
    icmp = packet.icmp_net_unreachable(offender, src)
    assert icmp is not None
    assert len(icmp) == 20 + 8 + 20 + 8
    assert icmp[0] == 0x45 and icmp[1] == 0
    assert struct.unpack("!H", icmp[2:4])[0] == len(icmp)
    assert icmp[4:8] == b"\0\0\0\0"  # ID 0, no flags
    assert icmp[8] == 8 and icmp[9] == 1  # TTL 8, ICMP
    assert icmp[12:16] == bytes([198, 18, 1, 0])
    assert icmp[16:20] == offender[12:16]
    assert packet.header_ok(icmp)
    assert icmp[20] == 3 and icmp[21] == 0 and icmp[24:28] == b"\0\0\0\0"
    assert packet.ones_sum(icmp[20:]) == 0xFFFF
    assert icmp[28:] == offender[:28]


@pytest.mark.parametrize(
    "offender",
    [
        ip_header(63, proto=1),  # ICMP itself
        ip_header(63, proto=17, frag=0x0010),  # non-first fragment
        bytearray(b"\x4f" + bytes(59)),  # IHL 15
        bytearray(b"\x45" + bytes(10)),  # too short
    ],
)
def test_no_icmp_for(offender: bytearray) -> None:
    assert packet.icmp_net_unreachable(offender, 1) is None


def test_addresses_and_version() -> None:
    pkt = ip_header(64)
    assert packet.is_ipv4(pkt)
    assert packet.ipv4_dst(pkt) == int.from_bytes(bytes([198, 18, 2, 2]), "big")
    assert not packet.is_ipv4(b"\x60" + bytes(39))
