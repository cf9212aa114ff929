"""ExpiryHeap: nodes with a TTL, ordered by expire time (etcd ``ttl_key_heap.go``).

A sorted list rather than a binary heap because TTLs are changed and removed in place
(update, refresh, delete) and ``SortedList.remove`` does that in O(log n). Ties keep
insertion order (a sequence number), which makes expiry order deterministic.
"""

from __future__ import annotations

import itertools

from sortedcontainers import SortedList

from pyetcd.node import Node


class ExpiryHeap:
    def __init__(self) -> None:
        self._entries: SortedList = SortedList()
        self._slot: dict[int, tuple[int, int, Node]] = {}  # id(node) -> its entry
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._entries)

    def push(self, node: Node) -> None:
        """Track ``node`` (which must have an expire time); replaces an earlier entry."""
        assert node.expire_time is not None
        self.remove(node)
        entry = (node.expire_time, next(self._seq), node)
        self._slot[id(node)] = entry
        self._entries.add(entry)

    def remove(self, node: Node) -> None:
        entry = self._slot.pop(id(node), None)
        if entry is not None:
            self._entries.remove(entry)

    def top(self) -> Node | None:
        return self._entries[0][2] if self._entries else None

    def next_expiry(self) -> int | None:
        """The earliest expire time (Unix ns), or None when no node has a TTL."""
        return self._entries[0][0] if self._entries else None
