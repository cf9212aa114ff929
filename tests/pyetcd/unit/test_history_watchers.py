"""EventHistory and WatcherHub: matching rules, 401, hidden filter, bounded queues."""

from __future__ import annotations

import pytest

from pyetcd import errors
from pyetcd.errors import EtcdError
from pyetcd.history import EventHistory
from pyetcd.store import Store
from pyetcd.watchers import QUEUE_CAPACITY

pytestmark = pytest.mark.unit
T0 = 1_800_000_000 * 1_000_000_000


def test_history_keeps_the_last_1000_and_reports_cleared() -> None:
    s = Store()
    for i in range(1005):
        s.set("/k", False, str(i), None, False, T0)
    assert (s.history.start_index, s.history.last_index) == (6, 1005)
    with pytest.raises(EtcdError) as info:
        s.watch("/k", False, False, 5)
    assert info.value.code == errors.EVENT_INDEX_CLEARED
    assert info.value.cause == "the requested history has been cleared [6/5]"
    assert info.value.index == 1005
    assert s.watch("/k", False, False, 6).events[0].index == 6


@pytest.mark.parametrize(("watch", "recursive", "event_key", "hit"), [
    ("/a", False, "/a", True),
    ("/a", False, "/a/b", False),
    ("/a", True, "/a/b", True),
    ("/a", True, "/ab", False),
    ("/a", True, "/a/_h", True),  # the history does not filter hidden keys
    ("/", True, "/x", True),
])
def test_history_scan_matching(watch: str, recursive: bool, event_key: str, hit: bool) -> None:
    s = Store()
    s.set(event_key, False, "v", None, False, T0)
    assert (s.history.scan(watch, recursive, 1) is not None) == hit


def test_history_dir_removal_matches_string_prefix() -> None:
    s = Store()
    s.set("/d/x", False, "v", None, False, T0)
    s.delete("/d", True, True, T0)
    assert s.history.scan("/dd", False, 2) is not None
    assert s.history.scan("/e", False, 2) is None


def test_empty_history_and_future_index() -> None:
    h = EventHistory()
    assert h.scan("/a", False, 1) is None
    assert h.start_index == h.last_index == 0


@pytest.mark.parametrize(("watch", "recursive", "key", "delivered"), [
    ("/d", True, "/d/x", True),
    ("/d", True, "/d/_h/x", False),
    ("/d", True, "/d/_h", False),
    ("/_d", True, "/_d/x", True),
    ("/d", False, "/d/x", False),
    ("/d/x", False, "/d/x", True),
])
def test_live_delivery_and_hidden_filter(watch: str, recursive: bool, key: str, delivered: bool) -> None:
    s = Store()
    w = s.watch(watch, recursive, False, 0)
    s.set(key, False, "v", None, False, T0)
    assert bool(w.events) == delivered


def test_one_shot_watcher_is_removed_after_first_event() -> None:
    s = Store()
    woken: list[int] = []
    w = s.watch("/a", False, False, 0)
    w.wakeup = lambda: woken.append(1)
    s.set("/a", False, "1", None, False, T0)
    s.set("/a", False, "2", None, False, T0)
    assert len(w.events) == 1 and w.closed and s.hub.count == 0 and woken


def test_removed_dir_wakes_descendant_watchers_and_stream_gets_delete_twice() -> None:
    s = Store()
    s.set("/d/a/b", False, "v", None, False, T0)
    deep = s.watch("/d/a/b", False, False, 0)
    stream = s.watch("/d", False, True, 0)
    s.delete("/d", True, True, T0)
    assert deep.events[0].node.key == "/d" and deep.closed
    assert len(stream.events) == 2 and not stream.closed


def test_slow_stream_watcher_is_dropped_not_awaited() -> None:
    s = Store()
    w = s.watch("/k", False, True, 0)
    for i in range(QUEUE_CAPACITY + 5):
        s.set("/k", False, str(i), None, False, T0)
    assert w.closed and len(w.events) == QUEUE_CAPACITY
    assert s.hub.count == 0 and s.hub.dropped == 1


def test_removed_watcher_gets_nothing() -> None:
    s = Store()
    w = s.watch("/k", True, True, 0)
    w.remove()
    w.remove()  # idempotent
    s.set("/k", False, "v", None, False, T0)
    assert not w.events and s.hub.count == 0
