"""Pure allocation bitmaps for service cluster IPs and node ports.

A range is stored in etcd as kube's ``RangeAllocation`` object (``range`` + base64 ``data``,
one bit per offset) at ``<prefix>/ranges/serviceips`` and ``<prefix>/ranges/servicenodeports``
and changed only through compare-and-swap, so two apiservers never hand out the same IP.

IP offsets exclude the network and broadcast addresses: in ``10.0.0.0/24`` offset 0 is
``10.0.0.1`` (reserved for the ``kubernetes`` service by the bootstrap) and offset 253 is
``10.0.0.254``.
"""

from __future__ import annotations

import base64
import ipaddress
import random
from dataclasses import dataclass


class RangeFull(Exception):
    pass


class NotInRange(Exception):
    pass


class AlreadyAllocated(Exception):
    pass


@dataclass(frozen=True, slots=True)
class IPRange:
    network: ipaddress.IPv4Network

    @classmethod
    def parse(cls, cidr: str) -> IPRange:
        return cls(ipaddress.IPv4Network(cidr, strict=False))

    @property
    def size(self) -> int:
        n = self.network.num_addresses
        return max(n - 2, 0) if n > 2 else n

    def _base(self) -> int:
        return int(self.network.network_address) + (1 if self.network.num_addresses > 2 else 0)

    def offset(self, value: str) -> int:
        try:
            ip = ipaddress.IPv4Address(value)
        except ValueError as exc:
            raise NotInRange(value) from exc
        off = int(ip) - self._base()
        if ip not in self.network or not 0 <= off < self.size:
            raise NotInRange(value)
        return off

    def value(self, offset: int) -> str:
        return str(ipaddress.IPv4Address(self._base() + offset))

    def __str__(self) -> str:
        return str(self.network)


@dataclass(frozen=True, slots=True)
class PortRange:
    base: int
    count: int

    @classmethod
    def parse(cls, text: str) -> PortRange:
        lo, _, hi = text.partition("-")
        low, high = int(lo), int(hi or lo)
        return cls(low, high - low + 1)

    @property
    def size(self) -> int:
        return self.count

    def offset(self, value: int | str) -> int:
        off = int(value) - self.base
        if not 0 <= off < self.count:
            raise NotInRange(str(value))
        return off

    def value(self, offset: int) -> int:
        return self.base + offset

    def __str__(self) -> str:
        return f"{self.base}-{self.base + self.count - 1}"


class Bitmap:
    """A mutable set of offsets with the ``RangeAllocation.data`` codec."""

    def __init__(self, size: int, data: bytes = b""):
        self.size = size
        self.bits = bytearray(data.ljust((size + 7) // 8, b"\0")[: (size + 7) // 8])

    @classmethod
    def decode(cls, size: int, text: str) -> Bitmap:
        return cls(size, base64.b64decode(text or ""))

    def encode(self) -> str:
        return base64.b64encode(bytes(self.bits)).decode()

    def has(self, off: int) -> bool:
        return bool(self.bits[off // 8] & (1 << (off % 8)))

    def set(self, off: int) -> None:
        self.bits[off // 8] |= 1 << (off % 8)

    def clear(self, off: int) -> None:
        self.bits[off // 8] &= ~(1 << (off % 8)) & 0xFF

    def allocate(self, off: int) -> None:
        if self.has(off):
            raise AlreadyAllocated(off)
        self.set(off)

    def allocate_next(self, rng: random.Random) -> int:
        """A free offset, scanning from a random start as kube's allocator does."""
        if self.size == 0:
            raise RangeFull()
        start = rng.randrange(self.size)
        for i in range(self.size):
            off = (start + i) % self.size
            if not self.has(off):
                self.set(off)
                return off
        raise RangeFull()

    def used(self) -> int:
        return sum(bin(b).count("1") for b in self.bits)
