"""TSO segmentation and GRO-style coalescing of the udp fast path."""

from __future__ import annotations

import struct

import pytest

from pyflannel import gso, packet

pytestmark = pytest.mark.unit
SRC, DST = bytes([198, 18, 1, 2]), bytes([198, 18, 2, 2])


def tcp_packet(payload: bytes, seq: int, flags: int = gso.TCP_ACK | gso.TCP_PSH, ident: int = 100,
               options: bytes = b"\x01\x01\x08\x0a" + bytes(8), ttl: int = 64) -> bytes:
    thl = 20 + len(options)
    tcp = bytearray(struct.pack("!HHIIBBHHH", 40000, 5201, seq, 777, (thl // 4) << 4, flags, 502, 0, 0) + options)
    pseudo = SRC + DST + struct.pack("!BBH", 0, 6, thl + len(payload))
    struct.pack_into("!H", tcp, 16, packet.checksum(pseudo + bytes(tcp) + payload))
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + thl + len(payload), ident, 0x4000, ttl, 6, 0, SRC, DST))
    struct.pack_into("!H", ip, 10, packet.checksum(ip))
    return bytes(ip) + bytes(tcp) + payload


def tcp_ok(seg: bytes) -> bool:
    thl_total = len(seg) - 20
    pseudo = seg[12:20] + struct.pack("!BBH", 0, 6, thl_total)
    return packet.ones_sum(pseudo + seg[20:]) == 0xFFFF


@pytest.mark.parametrize("size", [1, 1420, 1421, 5000, 64000 - 52, 2841])
def test_segmentation_valid_packets(size: int) -> None:
    payload = bytes((i * 7 + 3) % 256 for i in range(size))
    big = tcp_packet(payload, seq=0xFFFFF000, flags=gso.TCP_ACK | gso.TCP_PSH | gso.TCP_FIN | gso.TCP_CWR)
    mss = 1420
    wire, seg_len = gso.segment_tcp4(big, mss)
    segs = [wire[i:i + seg_len] for i in range(0, len(wire), seg_len)]
    assert len(segs) == -(-size // mss)
    rebuilt = b""
    for i, seg in enumerate(segs):
        assert packet.header_ok(seg)
        assert struct.unpack("!H", seg[2:4])[0] == len(seg) <= 52 + mss
        assert struct.unpack("!H", seg[4:6])[0] == 100 + i
        assert struct.unpack("!I", seg[24:28])[0] == (0xFFFFF000 + i * mss) & 0xFFFFFFFF
        flags = seg[33]
        last, first = i == len(segs) - 1, i == 0
        assert bool(flags & gso.TCP_FIN) == last and bool(flags & gso.TCP_PSH) == last
        assert bool(flags & gso.TCP_CWR) == first
        assert tcp_ok(seg)
        rebuilt += seg[52:]
    assert rebuilt == payload


def test_single_segment_equals_original() -> None:
    p = tcp_packet(b"hello", seq=5)
    wire, _ = gso.segment_tcp4(p, 1420)
    assert wire == p


def test_finish_checksum_partial() -> None:
    p = bytearray(tcp_packet(b"abcdefg", seq=1))
    pseudo = int.from_bytes(SRC + DST, "big") + 6 + len(p) - 20
    struct.pack_into("!H", p, 36, pseudo % 0xFFFF)
    gso.finish_checksum(p, 20, 16)
    assert tcp_ok(bytes(p))


def test_coalesce_in_order_run_and_breaks() -> None:
    mss = 100
    segs = [tcp_packet(bytes([i]) * mss, seq=1000 + i * mss, flags=gso.TCP_ACK, ident=i) for i in range(4)]
    segs.append(tcp_packet(b"z" * 30, seq=1400, flags=gso.TCP_ACK | gso.TCP_PSH, ident=4))
    segs.append(tcp_packet(b"q" * mss, seq=9999, flags=gso.TCP_ACK))  # out of order: alone
    segs.append(tcp_packet(b"", seq=1430, flags=gso.TCP_ACK))  # pure ACK: alone
    out = gso.coalesce_tcp4([memoryview(bytearray(s)) for s in segs])
    assert len(out) == 3
    head, payloads = out[0]
    flags, gtype, hdr_len, gso_size, cstart, coff = gso.VNET_HDR.unpack(head[:10])
    assert (flags, gtype, hdr_len, gso_size, cstart, coff) == (1, gso.GSO_TCPV4, 52, mss, 20, 16)
    merged = head[10:] + b"".join(bytes(p) for p in payloads)
    assert struct.unpack("!H", merged[2:4])[0] == len(merged) == 52 + 4 * mss + 30
    assert packet.header_ok(merged)
    assert merged[8] == 63  # the TTL is decremented once for the merged packet
    assert merged[33] == gso.TCP_ACK | gso.TCP_PSH
    # the kernel completes the checksum from the pseudo-header sum left in the field
    full = bytearray(merged)
    gso.finish_checksum(full, 20, 16)
    assert tcp_ok(bytes(full))
    for (head, (alone,)), original in zip(out[1:], segs[5:], strict=True):
        assert head == gso.PLAIN_HDR
        assert alone[8] == 63 and packet.header_ok(alone)
        assert bytes(alone[:8]) == original[:8] and bytes(alone[12:]) == original[12:]


def test_expired_ttl_dropped_when_coalescing() -> None:
    segs = [bytearray(tcp_packet(b"x" * 10, seq=1, ttl=1)), bytearray(tcp_packet(b"", seq=1, ttl=1))]
    assert gso.coalesce_tcp4([memoryview(s) for s in segs]) == []


def test_coalesce_then_segment_roundtrip() -> None:
    payload = bytes(range(256)) * 20
    big = tcp_packet(payload, seq=42, flags=gso.TCP_ACK)
    wire, seg_len = gso.segment_tcp4(big, 1000)
    segs = [memoryview(wire)[i:i + seg_len] for i in range(0, len(wire), seg_len)]  # wire is a bytearray
    ((head, payloads),) = gso.coalesce_tcp4(segs)
    assert b"".join(bytes(p) for p in payloads) == payload
