"""The udp backend's peer table (pure): subnet -> peer public IP, longest-prefix lookup.

flannel's C proxy keeps the same table and matches with a mask per entry. Lookups here sit
on the data path, so the table keeps a per-destination cache and is replaced as a whole on
every change: a reader thread holding the old mapping sees a consistent snapshot, and a
Python dict assignment is atomic under the GIL, so updates need no lock.

Invariant: our own subnet is never in the table (the caller filters it out).
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network

_CACHE_MAX = 4096


class RouteTable:
    def __init__(self) -> None:
        # (network int, mask int, prefixlen) -> peer ip int, sorted longest prefix first
        self._entries: list[tuple[int, int, int, int]] = []
        self._by_subnet: dict[IPv4Network, IPv4Address] = {}
        self._cache: dict[int, int | None] = {}
        self._peers: frozenset[int] = frozenset()

    def __len__(self) -> int:
        return len(self._by_subnet)

    def items(self) -> list[tuple[IPv4Network, IPv4Address]]:
        return sorted(self._by_subnet.items())

    def set(self, subnet: IPv4Network, peer: IPv4Address) -> bool:
        """Add or replace; returns False when the entry was already identical."""
        if self._by_subnet.get(subnet) == peer:
            return False
        self._by_subnet = {**self._by_subnet, subnet: peer}
        self._rebuild()
        return True

    def remove(self, subnet: IPv4Network) -> bool:
        if subnet not in self._by_subnet:
            return False
        self._by_subnet = {k: v for k, v in self._by_subnet.items() if k != subnet}
        self._rebuild()
        return True

    def replace_all(self, entries: Iterable[tuple[IPv4Network, IPv4Address]]) -> None:
        self._by_subnet = dict(entries)
        self._rebuild()

    def _rebuild(self) -> None:
        entries = [
            (int(net.network_address), int(net.netmask), net.prefixlen, int(peer))
            for net, peer in self._by_subnet.items()
        ]
        entries.sort(key=lambda e: -e[2])
        self._entries = entries
        self._peers = frozenset(e[3] for e in entries)
        self._cache = {}

    def has_peer(self, ip: int) -> bool:
        """Whether ``ip`` (an int) is the public IP of some lease in the table."""
        return ip in self._peers

    def lookup_int(self, dst: int) -> int | None:
        """Peer IP (as an int) for a destination IP (as an int), or None."""
        cache = self._cache
        try:
            return cache[dst]
        except KeyError:
            pass
        peer = None
        for net, mask, _plen, ip in self._entries:
            if dst & mask == net:
                peer = ip
                break
        if len(cache) < _CACHE_MAX:
            cache[dst] = peer
        return peer

    def lookup(self, dst: IPv4Address) -> IPv4Address | None:
        peer = self.lookup_int(int(dst))
        return None if peer is None else IPv4Address(peer)
