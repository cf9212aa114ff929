"""ReadCache: the answers to repeated GETs, valid while nothing has changed.

A GET of a key is answered from the store by routing the request, parsing its query,
walking the tree and rendering an event; when many clients read the same keys between
writes, every one of those answers is the same bytes. This cache keeps the finished
:class:`~pyetcd.api.Reply` per raw request target, stamped with the store's index and the
raft index at the time it was made, and hands it out again only while both are unchanged.

Why that is exact:

* every change of the store consumes an index (writes, expiry, internal and auth writes;
  failed writes change nothing but counters), and every reply carries ``X-Etcd-Index`` and
  ``X-Raft-Index``, so an answer made at the same two indices is the same answer;
* the only other input is the clock, through TTLs: replies showing an ``expiration`` (the
  ``"expiration":`` field can appear in a body only as a field, since quotes inside JSON
  strings are escaped) are never cached;
* only requests without credentials are cached (with v2 auth the answer depends on who
  asks), only successful, non-quorum, non-wait GETs, and only bodies up to
  :data:`MAX_BODY` bytes.

Size: at most :data:`MAX_ENTRIES` targets and :data:`MAX_BYTES` of bodies (counted twice:
the transport keeps a rendered copy on the reply); past either, the cache starts over.

The caller counts a hit as the GET it is (store statistics and metrics).
"""

from __future__ import annotations

from pyetcd.api import Reply

MAX_ENTRIES = 4096
MAX_BODY = 64 << 10
MAX_BYTES = 16 << 20


class ReadCache:
    __slots__ = ("_entries", "_bytes")

    def __init__(self) -> None:
        # target -> (store index, raft index, reply, recursive)
        self._entries: dict[str, tuple[int, int, Reply, bool]] = {}
        self._bytes = 0

    def get(self, target: str, index: int, raft_index: int) -> tuple[Reply, bool] | None:
        entry = self._entries.get(target)
        if entry is None or entry[0] != index or entry[1] != raft_index:
            return None
        return entry[2], entry[3]

    def put(self, target: str, index: int, raft_index: int, reply: Reply,
            recursive: bool) -> None:
        if (reply.status != 200 or len(reply.body) > MAX_BODY
                or b'"expiration":' in reply.body):
            return
        size = 2 * len(reply.body)
        old = self._entries.get(target)
        if old is not None:
            self._bytes -= 2 * len(old[2].body)
        elif len(self._entries) >= MAX_ENTRIES or self._bytes + size > MAX_BYTES:
            self._entries.clear()
            self._bytes = 0
        self._entries[target] = (index, raft_index, reply, recursive)
        self._bytes += size

    @property
    def size_bytes(self) -> int:
        """The bodies held, counted as :data:`MAX_BYTES` counts them."""
        return self._bytes
