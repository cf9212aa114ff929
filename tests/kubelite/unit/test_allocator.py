"""Service IP and node port bitmaps."""

from __future__ import annotations

import random

import pytest

from kubelite.registry.allocator import (
    AlreadyAllocated,
    Bitmap,
    IPRange,
    NotInRange,
    PortRange,
    RangeFull,
)


def test_ip_range_offsets_skip_network_and_broadcast() -> None:
    r = IPRange.parse("10.0.0.0/24")
    assert r.size == 254
    assert r.value(0) == "10.0.0.1" and r.value(253) == "10.0.0.254"
    assert r.offset("10.0.0.1") == 0
    for bad in ("10.0.0.0", "10.0.0.255", "10.0.1.1", "nonsense"):
        with pytest.raises(NotInRange):
            r.offset(bad)


def test_bitmap_allocates_every_offset_once_then_is_full() -> None:
    bm = Bitmap(10)
    rng = random.Random(3)
    got = {bm.allocate_next(rng) for _ in range(10)}
    assert got == set(range(10))
    with pytest.raises(RangeFull):
        bm.allocate_next(rng)
    bm.clear(4)
    assert bm.allocate_next(rng) == 4


def test_bitmap_codec_and_specific_allocation() -> None:
    bm = Bitmap(254)
    bm.allocate(5)
    with pytest.raises(AlreadyAllocated):
        bm.allocate(5)
    again = Bitmap.decode(254, bm.encode())
    assert again.has(5) and not again.has(4) and again.used() == 1


def test_port_range() -> None:
    r = PortRange.parse("30000-32767")
    assert r.size == 2768 and r.value(0) == 30000 and r.offset(32767) == 2767
    with pytest.raises(NotInRange):
        r.offset(80)
