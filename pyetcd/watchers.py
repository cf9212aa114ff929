"""Watcher and WatcherHub: who is waiting for which key, and who gets an event.

A :class:`Watcher` is registered under the exact key it watches. When an event on key K
happens, the hub visits the watchers registered at K and at each of K's ancestors
(``/``, ``/a``, ``/a/b`` for ``/a/b``). A watcher at path W is interested when the event's
index is at least its ``since_index`` and one of:

1. W == K;
2. the watcher is recursive and no segment of K below W starts with ``_`` (hidden filter;
   W itself may be hidden);
3. the event removes a directory and W is at or below it: removals first visit every
   removed path (``notify_removed``), so watchers on removed descendants wake with the
   directory's event.

Delivery never blocks (etcd ``watcher.go: notify``): each watcher owns a bounded queue of
:data:`QUEUE_CAPACITY` events. A one-shot watcher is removed after its first event; a stream
watcher stays, and one whose queue is full is closed and removed (its client re-watches from
its last index). Because removals notify the removed paths and then the ancestors, a stream
watcher on the removed key itself receives the event twice, exactly as etcd's does.

Pure: the hub never awaits. A watcher calls ``wakeup`` (set by the I/O shell) after it
queues an event or is closed.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from pyetcd.event import Event

log = logging.getLogger(__name__)

# etcd's per-watcher channel size: a stream consumer may lag this many events behind.
QUEUE_CAPACITY = 100


class Watcher:
    __slots__ = ("key", "recursive", "stream", "since_index", "start_index", "events",
                 "closed", "wakeup", "_hub")

    def __init__(self, hub: WatcherHub | None, key: str, recursive: bool, stream: bool,
                 since_index: int, start_index: int) -> None:
        self.key = key
        self.recursive = recursive
        self.stream = stream
        self.since_index = since_index
        self.start_index = start_index  # the store index at creation: X-Etcd-Index
        self.events: deque[Event] = deque()
        self.closed = False  # no more events will come (removed by the hub or by the client)
        self.wakeup: Callable[[], None] | None = None
        self._hub = hub

    def _notify(self, event: Event, original_path: bool, removed: bool) -> bool:
        """Offer ``event``; True when this watcher took it (or was dropped as too slow)."""
        if not (self.recursive or original_path or removed) or event.index < self.since_index:
            return False
        if len(self.events) >= QUEUE_CAPACITY:
            log.warning("msg=\"watcher dropped: queue full\" key=%s", self.key)
            if self._hub is not None:
                self._hub.dropped += 1
            self.remove()
            return True
        self.events.append(event)
        if self.wakeup is not None:
            self.wakeup()
        return True

    def remove(self) -> None:
        """Unregister (client gone, or too slow); idempotent."""
        if self.closed:
            return
        self.closed = True
        if self._hub is not None:
            self._hub.discard(self)
        if self.wakeup is not None:
            self.wakeup()


class WatcherHub:
    def __init__(self) -> None:
        self._watchers: dict[str, list[Watcher]] = {}
        self.count = 0
        self.dropped = 0  # watchers closed because their queue was full

    def add(self, watcher: Watcher) -> None:
        self._watchers.setdefault(watcher.key, []).append(watcher)
        self.count += 1

    def discard(self, watcher: Watcher) -> None:
        group = self._watchers.get(watcher.key)
        if group is None or watcher not in group:
            return
        group.remove(watcher)
        self.count -= 1
        if not group:
            del self._watchers[watcher.key]

    def notify(self, event: Event) -> None:
        """Offer ``event`` to watchers at its key and at every ancestor of it."""
        if not self._watchers:
            return
        key = event.node.key
        self._notify_path(event, "/", False)
        end = key.find("/", 1)
        while end != -1:
            self._notify_path(event, key[:end], False)
            end = key.find("/", end + 1)
        if key != "/":
            self._notify_path(event, key, False)

    def notify_removed(self, event: Event, path: str) -> None:
        """Offer a removal event to the watchers at a removed path."""
        if path in self._watchers:
            self._notify_path(event, path, True)

    def _notify_path(self, event: Event, path: str, removed: bool) -> None:
        group = self._watchers.get(path)
        if not group:
            return
        key = event.node.key
        original = key == path
        if not original and _hidden_below(path, key):
            return
        for watcher in list(group):
            if watcher._notify(event, original, removed) and not watcher.stream:
                if not watcher.closed:
                    watcher.closed = True
                    group.remove(watcher)
                    self.count -= 1
        if not group:
            self._watchers.pop(path, None)


def _hidden_below(watch_path: str, key: str) -> bool:
    """etcd ``isHidden``: a segment of ``key`` below ``watch_path`` starts with ``_``."""
    if len(watch_path) > len(key):
        return False  # a removed descendant of the event's key
    rest = key[len(watch_path):]
    return ("/" + rest).replace("//", "/").find("/_") != -1
