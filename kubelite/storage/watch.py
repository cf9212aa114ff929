"""Pure translation of etcd v2 watch events into Kubernetes watch events.

An etcd v2 event carries the action, the node after the change and (for changes to an
existing key) ``prevNode``. A Kubernetes watcher additionally has a filter (label and
field selectors); an object that starts or stops matching is reported as ADDED or DELETED,
as kube's etcd v2 watch did (``etcd_helper_watch.go: sendResult``):

=================  ===========  ===========  ==========================
etcd action        old matches  new matches  Kubernetes event
=================  ===========  ===========  ==========================
create / set new   -            yes          ADDED (new)
update, CAS, set   yes          yes          MODIFIED (new)
update, CAS, set   no           yes          ADDED (new)
update, CAS, set   yes          no           DELETED (old, at new index)
delete, CAD,       yes          -            DELETED (old, at delete index)
expire
anything else      no           no / -       nothing
=================  ===========  ===========  ==========================

``resourceVersion`` of every emitted object is the event's etcd index, so a client that
resumes with it gets exactly the events after this one (``waitIndex = rv + 1``).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
Filter = Callable[[Obj], bool]


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One etcd v2 watch event on a leaf key (values are the stored JSON text)."""

    action: str
    key: str
    index: int
    value: str | None
    prev_value: str | None
    prev_index: int


class EventType(enum.Enum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    BOOKMARK = "BOOKMARK"
    ERROR = "ERROR"


class _Change(enum.Enum):
    WRITE = "write"    # the key now holds a value
    REMOVE = "remove"  # the key is gone


ACTIONS: dict[str, _Change] = {
    "set": _Change.WRITE,
    "create": _Change.WRITE,
    "update": _Change.WRITE,
    "compareAndSwap": _Change.WRITE,
    "delete": _Change.REMOVE,
    "compareAndDelete": _Change.REMOVE,
    "expire": _Change.REMOVE,
}


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: EventType
    object: Obj

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type.value, "object": self.object}


def _load(value: str | None, index: int) -> Obj | None:
    if value is None:
        return None
    try:
        obj: Obj = json.loads(value)
    except ValueError:
        return None
    obj.setdefault("metadata", {})["resourceVersion"] = str(index)
    return obj


def translate(event: RawEvent, matches: Filter) -> WatchEvent | None:
    """The Kubernetes event for one etcd event as seen through ``matches``, or ``None``."""
    change = ACTIONS.get(event.action)
    if change is None:
        return None
    old = _load(event.prev_value, event.index)
    if change is _Change.REMOVE:
        if old is not None and matches(old):
            return WatchEvent(EventType.DELETED, old)
        return None
    new = _load(event.value, event.index)
    if new is None:
        return None
    new_ok = matches(new)
    old_ok = old is not None and matches(old)
    if new_ok and old_ok:
        return WatchEvent(EventType.MODIFIED, new)
    if new_ok:
        return WatchEvent(EventType.ADDED, new)
    if old_ok:
        assert old is not None
        return WatchEvent(EventType.DELETED, old)
    return None
