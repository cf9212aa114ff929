"""EventHistory: the last 1000 events, for watches that start in the past (``waitIndex``).

Why 1000: it is etcd's capacity, and clients depend on it (a watcher that falls more than
1000 events behind gets error 401 and must re-read; Kubernetes and flannel handle exactly
that). Every event is kept, including refresh events and etcd's internal ones, because
the offset arithmetic below relies on the history holding consecutive indices.

Invariants: events are appended in strictly increasing, gap-free ``index`` order, so the
event with index ``i`` sits at offset ``i - start_index``.
"""

from __future__ import annotations

import itertools
from collections import deque

from pyetcd import errors
from pyetcd.errors import EtcdError
from pyetcd.event import REMOVING, Event

HISTORY_CAPACITY = 1000


class EventHistory:
    def __init__(self, capacity: int = HISTORY_CAPACITY) -> None:
        self._events: deque[Event] = deque(maxlen=capacity)

    @property
    def start_index(self) -> int:
        """Index of the oldest kept event (0 while the history is empty)."""
        return self._events[0].index if self._events else 0

    @property
    def last_index(self) -> int:
        return self._events[-1].index if self._events else 0

    def add(self, event: Event) -> None:
        self._events.append(event)

    def __len__(self) -> int:
        return len(self._events)

    def events(self) -> list[Event]:
        return list(self._events)

    def scan(self, key: str, recursive: bool, since: int) -> Event | None:
        """The first event at or after ``since`` that a watch on ``key`` would see.

        Raises error 401 (index 0; the store fills in its index) when ``since`` is older
        than the history. Matches, as etcd does: the exact key; with ``recursive`` any key
        below it (hidden ones included); and the removal of a directory whose key is a
        *string* prefix of ``key`` (no ``/`` boundary: etcd's quirk).
        """
        start = self.start_index
        if since < start:
            raise EtcdError(errors.EVENT_INDEX_CLEARED,
                            f"the requested history has been cleared [{start}/{since}]", 0)
        if since > self.last_index:
            return None
        prefix = key if key.endswith("/") else key + "/"
        for event in itertools.islice(self._events, since - start, None):
            if event.refresh or event.internal:
                continue
            event_key = event.node.key
            if event_key == key or (recursive and event_key.startswith(prefix)):
                return event
            prev = event.prev_node
            if (event.action in REMOVING and prev is not None and prev.dir
                    and key.startswith(prev.key)):
                return event
        return None
