"""Whole-batch packet edits for the udp data path (pure): one C-level operation per batch.

The forwarder lays the packets of a batch back to back in one buffer. A *run* is a stretch
``buf[start:end]`` of packets that are all ``stride`` bytes long except the last, which
may be shorter (exactly the layout UDP_SEGMENT sends and UDP_GRO receives). Byte ``k`` of
every header in a run is then the extended slice ``buf[start + k:end:stride]``, which
CPython copies, compares, translates and assigns in C. So the per-packet Python work of the
hot path (version check, destination, TTL decrement with its checksum update, TCP merge
checks) becomes a fixed number of operations per run, whatever the number of packets.

Every function either does its whole job or returns a "no" and leaves the buffer as it
was; the caller then goes packet by packet (:mod:`pyflannel.packet`, :mod:`pyflannel.gso`).

* :func:`uniform_destination`: all IPv4 with a 20-byte header and the same destination.
* :func:`decrement_ttls`: TTL - 1 in every header, checksums updated as RFC 1624 does
  (add 0x0100 in ones' complement); refused if any TTL would reach 0.
* :func:`merge_tcp_run`: the GSO header (``virtio_net_hdr`` + IPv4 + TCP) of one
  super-packet made of a run of in-order segments of one TCP flow, or None.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from pyflannel.gso import GSO_TCPV4, TCP_ACK, TCP_PSH, VNET_F_NEEDS_CSUM, VNET_HDR

_TTL_DOWN = bytes((i - 1) & 0xFF for i in range(256))
_HIGH_UP = bytes((i + 1) & 0xFF for i in range(256))
_NO_PSH = bytes(i & ~TCP_PSH for i in range(256))


def count(start: int, end: int, stride: int) -> int:
    """Packets in a run (the last one may be shorter than ``stride``)."""
    return -(-(end - start) // stride)


def _uniform(col: bytes | bytearray) -> bool:
    return col.count(col[0]) == len(col)


def _whole_headers(start: int, end: int, stride: int) -> bool:
    """Whether the last packet of the run holds at least an IPv4 header."""
    return stride >= 20 and end > start and (end - start - 1) % stride + 1 >= 20


def uniform_destination(buf: bytearray, start: int, end: int, stride: int) -> int | None:
    """The common destination address (an int) when every packet of the run is IPv4 with a
    plain 20-byte header (0x45) and goes to the same address; None otherwise."""
    if not _whole_headers(start, end, stride):
        return None
    first = buf[start:end:stride]
    if first.count(0x45) != len(first):
        return None
    for k in (16, 17, 18, 19):
        if not _uniform(buf[start + k:end:stride]):
            return None
    return int.from_bytes(buf[start + 16:start + 20], "big")


def decrement_ttls(buf: bytearray, start: int, end: int, stride: int) -> bool:
    """TTL - 1 in every header of the run with the incremental checksum update; False (and
    nothing changed) when some TTL is <= 1, i.e. some packet is to be dropped, or when a
    packet is too short to have an IPv4 header."""
    if not _whole_headers(start, end, stride):
        return False
    ttl = buf[start + 8:end:stride]
    if min(ttl) <= 1:
        return False
    buf[start + 8:end:stride] = ttl.translate(_TTL_DOWN)
    high = buf[start + 10:end:stride]
    buf[start + 10:end:stride] = high.translate(_HIGH_UP)
    if 0xFF in high:
        # 0xFFxx + 0x0100 carries out of 16 bits: end-around, the low byte gets the 1
        # (0xFFFF + 0x0100 folds to 0x0100)
        i = high.find(0xFF)
        while i >= 0:
            lo = start + i * stride + 11
            if buf[lo] == 0xFF:
                buf[lo - 1], buf[lo] = 1, 0
            else:
                buf[lo] += 1
            i = high.find(0xFF, i + 1)
    return True


# Header bytes that may differ between segments of one super-packet: IP total length, ID
# and checksum; TCP sequence number and checksum. Byte 33 (TCP flags) is compared without
# PSH. Everything else (addresses, ports, ack, window, options, TTL, TOS, DF) must be equal.
_VARYING = (2, 3, 4, 5, 10, 11, 24, 25, 26, 27, 36, 37)
_NONZERO = bytes([0]) + bytes([1]) * 255
_MASKS: dict[tuple[int, int], int] = {}


def _mask(hl: int, n: int) -> int:
    """An int with 1 bits on the bytes of ``n`` headers that must equal the previous one's."""
    m = _MASKS.get((hl, n))
    if m is None:
        one = bytearray(b"\xff" * hl)
        for k in _VARYING:
            one[k] = 0
        one[33] = 0xFF & ~TCP_PSH
        if len(_MASKS) > 1024:
            _MASKS.clear()
        m = _MASKS[(hl, n)] = int.from_bytes(bytes(one) * n, "big")
    return m
_SEQS: dict[tuple[int, int], struct.Struct] = {}
_H = struct.Struct("!H")


def _seq_struct(hl: int, n: int) -> struct.Struct:
    st = _SEQS.get((hl, n))
    if st is None:
        if len(_SEQS) > 256:
            _SEQS.clear()
        st = _SEQS[(hl, n)] = struct.Struct("!" + f"24xI{hl - 28}x" * n)
    return st


def tcp_header_length(pkt: bytes | bytearray | memoryview) -> int | None:
    """IPv4 + TCP header length of a plain (IHL 5) TCP packet, else None."""
    if len(pkt) < 40 or pkt[0] != 0x45 or pkt[9] != 6:
        return None
    return 20 + (pkt[32] >> 4) * 4


def merge_tcp_run(hdrs: bytearray, n: int, hl: int, mss: int, last: int) -> list[tuple[int, int, bytes]] | None:
    """Plan the merge of ``n`` TCP segments whose ``hl``-byte headers lie back to back in
    ``hdrs``; each carries ``mss`` payload bytes except the last, which carries ``last``
    (0 < last <= mss).

    Every segment must be IPv4 without options, not fragmented, TCP with ``hl`` bytes of
    headers, only ACK (+ PSH) set, IP total length matching its size, TTL > 1. Segments
    then merge, as GRO merges them, while they belong to one flow in order: every header
    byte equal to the previous segment's except those in ``_VARYING`` (so the same
    addresses, ports, ack, window and options, e.g. TCP timestamps) and a sequence number
    following on; PSH ends a super-packet. The answer is a list of ``(first, stop,
    header)``: segments ``first..stop-1`` become one packet written as ``header`` + their
    payloads, where ``header`` is the ``virtio_net_hdr`` + IPv4 + TCP header of the
    super-packet (TTL - 1, fresh IP checksum, TCP checksum field = pseudo-header sum for
    NEEDS_CSUM). A lone segment gets a plain virtio header and its own header, TTL - 1.
    None: the run does not qualify (nothing is changed); go packet by packet.
    """
    if n < 2 or hl < 40 or hl > 80 or not 0 < last <= mss or len(hdrs) < n * hl:
        return None
    end = n * hl
    first = hdrs[:hl]
    if first[0] != 0x45 or first[9] != 6 or 20 + (first[32] >> 4) * 4 != hl \
            or first[6] & 0x3F or first[7]:
        return None
    flags = hdrs[33:end:hl]
    if flags.translate(_NO_PSH).count(TCP_ACK) != n or first[8] <= 1:  # TTLs: all equal (below)
        return None
    total = hl + mss
    lengths = hdrs[2:end:hl], hdrs[3:end:hl]
    tail = hl + last
    if lengths[0][:-1].count(total >> 8) != n - 1 or lengths[1][:-1].count(total & 0xFF) != n - 1 \
            or lengths[0][-1] != tail >> 8 or lengths[1][-1] != tail & 0xFF:
        return None
    # header i against header i - 1, all at once: XOR of the run shifted by one header,
    # masked to the bytes that must not change
    whole = int.from_bytes(hdrs[:end], "big")
    diff = (whole ^ (whole >> (8 * hl))) & _mask(hl, n - 1)
    seqs = _seq_struct(hl, n).unpack_from(hdrs)
    seq0 = seqs[0]
    if not diff and (seqs == tuple(range(seq0, seq0 + n * mss, mss)) if seq0 + n * mss <= 0xFFFFFFFF
                     else seqs == tuple((seq0 + i * mss) & 0xFFFFFFFF for i in range(n))):
        cuts = [i + 1 for i, f in enumerate(flags) if f & TCP_PSH] if TCP_PSH | TCP_ACK in flags else []
    else:
        # more than one flow or burst (e.g. a new TCP timestamp): cut where a header differs
        # from the one before, the sequence jumps, or after a PSH
        if min(hdrs[8:end:hl]) <= 1:  # TTLs differ; one would reach 0
            return None
        cuts = [i for i in range(1, n)
                if flags[i - 1] & TCP_PSH or seqs[i] != (seqs[i - 1] + mss) & 0xFFFFFFFF]
        if diff:
            marks = diff.to_bytes(end - hl, "big").translate(_NONZERO)
            p = marks.find(1)
            while p >= 0:
                i = p // hl + 1
                cuts.append(i)
                p = marks.find(1, i * hl)
            cuts.sort()
    plan: list[tuple[int, int, bytes]] = []
    begin = 0
    for stop in [*cuts, n]:
        if stop > begin:
            plan.append((begin, stop, _super_header(hdrs, begin, stop, n, hl, mss, last)))
            begin = stop
    return plan


def _super_header(hdrs: bytearray, begin: int, stop: int, n: int, hl: int, mss: int, last: int) -> bytes:
    h = hdrs[begin * hl:(begin + 1) * hl]
    plen = (stop - begin) * mss - (mss - last if stop == n else 0)
    h[8] -= 1
    _H.pack_into(h, 2, hl + plen)
    if stop - begin == 1:  # a single segment is written as it came (TTL - 1)
        s = (h[10] << 8 | h[11]) + 0x0100
        _H.pack_into(h, 10, (s & 0xFFFF) + (s >> 16))
        return bytes(10) + bytes(h)
    h[10] = h[11] = 0
    r = int.from_bytes(h[:20], "big") % 0xFFFF
    _H.pack_into(h, 10, 0xFFFF - r if r else 0)
    h[33] = hdrs[(stop - 1) * hl + 33]  # PSH of the last segment
    # NEEDS_CSUM: the TCP checksum field holds the (uncomplemented) pseudo-header sum
    pseudo = (int.from_bytes(h[12:20], "big") + 6 + hl - 20 + plen) % 0xFFFF
    _H.pack_into(h, 36, pseudo or 0xFFFF)
    return VNET_HDR.pack(VNET_F_NEEDS_CSUM, GSO_TCPV4, hl, mss, 20, 16) + bytes(h)


MAX_SCATTER = 64  # a UDP_GRO batch holds at most 64 datagrams (UDP_GRO_CNT_MAX)


def scatter_slots(size: int, total: int) -> int:
    """How many datagrams :func:`scatter_layout` splits into header and payload."""
    return min(total // size, MAX_SCATTER)


def scatter_layout(hdr: memoryview, pay: memoryview, tail: memoryview, size: int, hl: int,
                   total: int) -> list[memoryview]:
    """iovecs for receiving up to ``total`` bytes of datagrams of ``size`` bytes so that
    the first ``hl`` bytes of each land back to back in ``hdr`` and the rest back to back in
    ``pay`` (for the first MAX_SCATTER datagrams; anything after them goes to ``tail``)."""
    if hl >= size:
        return [hdr[:total]]
    p = size - hl
    out: list[memoryview] = []
    n = scatter_slots(size, total)
    for i in range(n):
        out.append(hdr[i * hl:(i + 1) * hl])
        out.append(pay[i * p:(i + 1) * p])
    if n * size < total:
        out.append(tail[:total - n * size])
    return out


def gather(views: Sequence[memoryview], nbytes: int) -> bytearray:
    """The first ``nbytes`` of the concatenation of ``views`` (undoing a scatter receive)."""
    out = bytearray()
    for v in views:
        if len(out) >= nbytes:
            break
        out += v[:nbytes - len(out)]
    return out
