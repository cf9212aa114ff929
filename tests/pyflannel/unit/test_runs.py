"""Whole-run packet edits (pyflannel.runs) against the packet-by-packet reference code."""

from __future__ import annotations

import random
import struct

import pytest

from pyflannel import gso, packet, runs
from tests.pyflannel.unit.test_gso import DST, SRC, tcp_ok, tcp_packet

pytestmark = pytest.mark.unit
TS = b"\x01\x01\x08\x0a"


def ip_packet(size: int, dst: bytes = DST, ttl: int = 64, first: int = 0x45, csum: int | None = None) -> bytes:
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", first, 0, size, 7, 0x4000, ttl, 17, 0, SRC, dst))
    struct.pack_into("!H", ip, 10, packet.checksum(ip) if csum is None else csum)
    return bytes(ip) + bytes(i % 251 for i in range(size - 20))


def lay_out(pkts: list[bytes]) -> bytearray:
    return bytearray(b"".join(pkts))


OTHER = bytes([198, 18, 3, 2])


@pytest.mark.parametrize("sizes, change, expected", [
    ([100, 100, 100], None, int.from_bytes(DST, "big")),
    ([100, 100, 60], None, int.from_bytes(DST, "big")),  # the last one shorter
    ([100], None, int.from_bytes(DST, "big")),
    ([100, 100, 100], ("dst", 1), None),
    ([100, 100, 100], ("dst", 2), None),
    ([100, 100, 100], ("first", 0), None),  # IP options (IHL 6)
    ([100, 100, 100], ("v6", 2), None),
    ([100, 100, 19], None, None),  # the last one has no whole IPv4 header
])
def test_uniform_destination(sizes: list[int], change: tuple[str, int] | None, expected: int | None) -> None:
    pkts = []
    for i, size in enumerate(sizes):
        kind = change[0] if change and change[1] == i else ""
        if size < 20:
            pkts.append(bytes(size))
        elif kind == "dst":
            pkts.append(ip_packet(size, dst=OTHER))
        elif kind == "first":
            pkts.append(ip_packet(size, first=0x46))
        elif kind == "v6":
            pkts.append(b"\x60" + ip_packet(size)[1:])
        else:
            pkts.append(ip_packet(size))
    buf = lay_out(pkts)
    assert runs.uniform_destination(buf, 0, len(buf), sizes[0]) == expected


@pytest.mark.parametrize("csum", [0x0000, 0x1234, 0xFE00, 0xFEFF, 0xFF00, 0xFF12, 0xFFFE, 0xFFFF, None])
def test_decrement_ttls_matches_rfc1624_per_packet(csum: int | None) -> None:
    pkts = [ip_packet(80, csum=csum), ip_packet(80, ttl=2, csum=csum), ip_packet(50, ttl=255, csum=csum)]
    buf = bytearray(b"x" * 5) + lay_out(pkts)  # the run need not start at 0
    expected = bytearray(buf)
    for off in (5, 85, 165):
        assert packet.decrement_ttl(expected, off)
    assert runs.decrement_ttls(buf, 5, len(buf), 80)
    assert buf == expected


@pytest.mark.parametrize("ttls", [[64, 1, 64], [0], [64, 64, 1]])
def test_decrement_ttls_refuses_expiring_runs_untouched(ttls: list[int]) -> None:
    buf = lay_out([ip_packet(60, ttl=t) for t in ttls])
    before = bytes(buf)
    assert not runs.decrement_ttls(buf, 0, len(buf), 60)
    assert buf == before


def test_decrement_ttls_random_against_reference() -> None:
    rng = random.Random(4)
    for _ in range(200):
        stride = rng.choice([20, 52, 1472])
        n = rng.randint(1, 40)
        pkts = [bytearray(ip_packet(stride, ttl=rng.randint(2, 255))) for _ in range(n)]
        for p in pkts:
            p[10], p[11] = rng.choice([0xFF, rng.randrange(256)]), rng.randrange(256)
        buf = lay_out([bytes(p) for p in pkts])
        expected = bytearray(buf)
        for i in range(n):
            packet.decrement_ttl(expected, i * stride)
        assert runs.decrement_ttls(buf, 0, len(buf), stride)
        assert buf == expected


# -- merging received TCP segments -------------------------------------------------------

MSS = 1000
HL = 52


def segments(total: int, seq: int = 5000, flags: int = gso.TCP_ACK, ttl: int = 64,
             tsval: int = 1, ident: int = 100) -> list[bytes]:
    """What a NIC (or the kernel's GSO) makes of one TSO super-packet: MSS-sized segments."""
    payload = bytes((i * 13 + seq) % 256 for i in range(total))
    big = tcp_packet(payload, seq=seq, flags=flags, ttl=ttl, ident=ident,
                     options=TS + struct.pack("!II", tsval, 9))
    wire, seg_len = gso.segment_tcp4(big, MSS)
    return [bytes(wire[i:i + seg_len]) for i in range(0, len(wire), seg_len)]


def scatter(segs: list[bytes], hl: int = HL) -> tuple[bytearray, bytes]:
    """Headers back to back, payloads back to back (what the scatter receive produces)."""
    return bytearray(b"".join(s[:hl] for s in segs)), b"".join(s[hl:] for s in segs)


def apply_plan(plan: list[tuple[int, int, bytes]], payloads: bytes) -> list[tuple[bytes, bytes]]:
    """(virtio header, packet) per write, as the forwarder writes them."""
    out = []
    for first, stop, head in plan:
        start = first * MSS
        stop_b = min(stop * MSS, len(payloads))
        out.append((head[:10], head[10:] + payloads[start:stop_b]))
    return out


def check_super(vnet: bytes, pkt: bytes, originals: list[bytes]) -> None:
    """A merged packet is the originals' payloads behind the first one's headers, TTL - 1,
    valid IP checksum, and a TCP checksum the kernel can complete (NEEDS_CSUM)."""
    flags, gtype, hdr_len, gso_size, cstart, coff = gso.VNET_HDR.unpack(vnet)
    assert (flags, gtype, hdr_len, gso_size, cstart, coff) == (1, gso.GSO_TCPV4, HL, MSS, 20, 16)
    assert struct.unpack("!H", pkt[2:4])[0] == len(pkt)
    assert pkt[8] == originals[0][8] - 1 and packet.header_ok(pkt)
    assert pkt[12:20] == originals[0][12:20] and pkt[4:6] == originals[0][4:6]
    assert pkt[20:33] == originals[0][20:33] and pkt[34:36] == originals[0][34:36]
    assert pkt[40:HL] == originals[0][40:HL]
    assert pkt[33] == originals[-1][33]  # PSH of the last
    assert pkt[HL:] == b"".join(o[HL:] for o in originals)
    full = bytearray(pkt)
    gso.finish_checksum(full, 20, 16)
    assert tcp_ok(bytes(full))


def check_alone(vnet: bytes, pkt: bytes, original: bytes) -> None:
    assert vnet == gso.PLAIN_HDR
    assert pkt[8] == original[8] - 1 and packet.header_ok(pkt)
    assert pkt[:8] == original[:8] and pkt[12:] == original[12:]


@pytest.mark.parametrize("total", [2 * MSS, 2 * MSS + 1, 20 * MSS - 7, 44 * MSS])
def test_merge_one_burst(total: int) -> None:
    segs = segments(total)
    hdrs, pay = scatter(segs)
    last = len(segs[-1]) - HL
    plan = runs.merge_tcp_run(hdrs, len(segs), HL, MSS, last)
    assert plan is not None and [(a, b) for a, b, _ in plan] == [(0, len(segs))]
    ((vnet, pkt),) = apply_plan(plan, pay)
    check_super(vnet, pkt, segs)


def test_merge_wrapping_sequence_numbers() -> None:
    segs = segments(5 * MSS, seq=0xFFFFFFFF - 2 * MSS)
    hdrs, pay = scatter(segs)
    plan = runs.merge_tcp_run(hdrs, 5, HL, MSS, MSS)
    assert plan is not None and len(plan) == 1
    check_super(*apply_plan(plan, pay)[0], segs)


@pytest.mark.parametrize("name, build, groups", [
    # two TSO bursts with different TCP timestamps: GRO keeps them apart too
    ("new timestamp", lambda: segments(3 * MSS, tsval=1) + segments(4 * MSS, seq=5000 + 3 * MSS, tsval=2),
     [(0, 3), (3, 7)]),
    # PSH ends a super-packet
    ("psh in the middle", lambda: segments(3 * MSS, flags=gso.TCP_ACK | gso.TCP_PSH)
     + segments(3 * MSS, seq=5000 + 3 * MSS), [(0, 3), (3, 6)]),
    ("psh at the end", lambda: segments(4 * MSS, flags=gso.TCP_ACK | gso.TCP_PSH), [(0, 4)]),
    # a gap in the sequence (loss) starts a new packet
    ("sequence gap", lambda: segments(2 * MSS) + segments(3 * MSS, seq=5000 + 5 * MSS), [(0, 2), (2, 5)]),
    # a lone segment between two breaks is written as it came
    ("lone segment", lambda: segments(2 * MSS, tsval=1) + segments(MSS, seq=7000, tsval=2)
     + segments(2 * MSS, seq=8000, tsval=3), [(0, 2), (2, 3), (3, 5)]),
])
def test_merge_splits_like_gro(name: str, build: object, groups: list[tuple[int, int]]) -> None:
    segs = build()  # type: ignore[operator]
    hdrs, pay = scatter(segs)
    plan = runs.merge_tcp_run(hdrs, len(segs), HL, MSS, len(segs[-1]) - HL)
    assert plan is not None, name
    assert [(a, b) for a, b, _ in plan] == groups
    for (a, b, _), (vnet, pkt) in zip(plan, apply_plan(plan, pay), strict=True):
        if b - a == 1:
            check_alone(vnet, pkt, segs[a])
        else:
            check_super(vnet, pkt, segs[a:b])


def _with(seg: bytes, offset: int, value: int) -> bytes:
    b = bytearray(seg)
    b[offset] = value
    return bytes(b)


@pytest.mark.parametrize("name, mutate", [
    ("syn", lambda s: [_with(s[0], 33, gso.TCP_SYN | gso.TCP_ACK), *s[1:]]),
    ("fin", lambda s: [*s[:-1], _with(s[-1], 33, gso.TCP_FIN | gso.TCP_ACK)]),
    ("ttl 1", lambda s: [*s[:-1], _with(s[-1], 8, 1)]),
    ("udp", lambda s: [_with(x, 9, 17) for x in s]),
    ("ip options", lambda s: [_with(x, 0, 0x46) for x in s]),
    ("fragment", lambda s: [_with(x, 7, 1) for x in s]),
    ("length field", lambda s: [_with(s[0], 3, s[0][3] ^ 1), *s[1:]]),
])
def test_merge_refuses(name: str, mutate: object) -> None:
    segs = mutate(segments(3 * MSS))  # type: ignore[operator]
    hdrs, _ = scatter(segs)
    before = bytes(hdrs)
    assert runs.merge_tcp_run(hdrs, 3, HL, MSS, MSS) is None, name
    assert hdrs == before


@pytest.mark.parametrize("n, hl, last", [(1, HL, MSS), (3, 39, MSS), (3, HL, 0), (3, HL, MSS + 1)])
def test_merge_refuses_bad_shapes(n: int, hl: int, last: int) -> None:
    hdrs, _ = scatter(segments(3 * MSS))
    assert runs.merge_tcp_run(hdrs, n, hl, MSS, last) is None


@pytest.mark.parametrize("size, hl, total", [(1472, 52, 65536), (1472, 1472, 65536), (52, 40, 65536),
                                             (100, 52, 1000), (84, 52, 10_000)])
def test_scatter_layout_and_gather_round_trip(size: int, hl: int, total: int) -> None:
    hdr, pay, tail = (memoryview(bytearray(total)) for _ in range(3))
    iovs = runs.scatter_layout(hdr, pay, tail, size, hl, total)
    assert sum(len(v) for v in iovs) == total
    assert len(iovs) <= 2 * runs.MAX_SCATTER + 1
    stream = bytes(random.Random(size).randrange(256) for _ in range(total))
    nbytes = total - 123
    off = 0
    for v in iovs:  # what the kernel's recvmsg does with an iovec list
        k = min(len(v), nbytes - off)
        v[:k] = stream[off:off + k]
        off += k
    assert runs.gather(iovs, nbytes) == stream[:nbytes]
    if hl < size:  # headers of the first datagrams really are back to back
        for i in range(min(3, nbytes // size)):
            assert hdr[i * hl:(i + 1) * hl] == stream[i * size:i * size + hl]


def test_tcp_header_length() -> None:
    seg = segments(MSS)[0]
    assert runs.tcp_header_length(seg) == HL
    assert runs.tcp_header_length(ip_packet(100)) is None
    assert runs.tcp_header_length(seg[:39]) is None
