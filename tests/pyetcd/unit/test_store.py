"""The store with a fake clock: indices, errors, TTLs and expiry (etcd store_test.go style)."""

from __future__ import annotations

import pytest

from pyetcd import errors
from pyetcd.errors import EtcdError
from pyetcd.event import Action
from pyetcd.store import Store

pytestmark = pytest.mark.unit
S = 1_000_000_000
T0 = 1_800_000_000 * S  # a fixed "now"


def code(fn, *args):  # type: ignore[no-untyped-def]
    with pytest.raises(EtcdError) as info:
        fn(*args)
    return info.value.code, info.value.cause, info.value.index


def test_every_successful_write_consumes_exactly_one_index() -> None:
    s = Store()
    s.set("/a", False, "1", None, False, T0)
    s.create("/q", False, "x", True, None, T0)
    s.update("/a", "2", None, False, T0)
    s.compare_and_swap("/a", "2", 0, "3", None, False, T0)
    s.set("/d/x/y", False, "v", None, False, T0)
    s.delete("/d", False, True, T0)
    s.compare_and_delete("/a", "3", 0, T0)
    assert s.index == 7
    assert [e.index for e in s.history.events()] == list(range(1, 8))


def test_failed_writes_and_reads_consume_nothing() -> None:
    s = Store()
    s.set("/a", False, "1", None, False, T0)
    code(s.create, "/a", False, "", False, None, T0)
    code(s.compare_and_swap, "/a", "nope", 0, "x", None, False, T0)
    code(s.delete, "/missing", False, False, T0)
    s.get("/a", False, False, T0)
    assert s.index == 1 and len(s.history) == 1


def test_set_replaces_with_new_created_index_and_update_keeps_it() -> None:
    s = Store()
    s.set("/a", False, "1", None, False, T0)
    e = s.set("/a", False, "2", None, False, T0)
    assert (e.node.created_index, e.prev_node and e.prev_node.value) == (2, "1")
    e = s.update("/a", "3", None, False, T0)
    assert (e.node.created_index, e.node.modified_index, e.action) == (2, 3, Action.UPDATE)


def test_key_not_found_names_first_missing_component() -> None:
    s = Store()
    s.set("/x/y", False, "1", None, False, T0)
    assert code(s.get, "/x/z/w", False, False, T0) == (errors.KEY_NOT_FOUND, "/x/z", 1)
    assert code(s.get, "/x/y/w", False, False, T0) == (errors.NOT_DIR, "/x/y", 1)


def test_root_is_read_only_except_cad_quirk() -> None:
    s = Store()
    assert code(s.set, "/", False, "", None, False, T0)[:2] == (errors.ROOT_READ_ONLY, "/")
    assert code(s.delete, "/", True, True, T0)[0] == errors.ROOT_READ_ONLY
    assert code(s.compare_and_delete, "/", "x", 0, T0)[:2] == (errors.NOT_FILE, "")


def test_directory_rules() -> None:
    s = Store()
    s.set("/d/_hidden", False, "1", None, False, T0)
    assert code(s.set, "/d", False, "x", None, False, T0)[0] == errors.NOT_FILE
    assert code(s.delete, "/d", False, False, T0)[0] == errors.NOT_FILE
    assert code(s.delete, "/d", True, False, T0)[0] == errors.DIR_NOT_EMPTY
    assert s.get("/d", False, False, T0).node.nodes is None  # hidden children are not listed
    e = s.delete("/d", False, True, T0)
    assert e.node.dir and e.node.value is None and e.prev_node is not None and e.prev_node.dir


def test_update_of_directory_keeps_stored_modified_index() -> None:
    s = Store()
    s.set("/d", True, "", None, False, T0)
    e = s.update("/d", "", T0 + 100 * S, False, T0)
    assert e.node.modified_index == 2
    assert s.get("/d", False, False, T0).node.modified_index == 1


def test_in_order_keys_use_the_new_index() -> None:
    s = Store()
    s.set("/other", False, "", None, False, T0)
    e = s.create("/q", False, "j", True, None, T0)
    assert e.node.key == "/q/00000000000000000002"
    assert s.create("/", False, "top", True, None, T0).node.key == "/00000000000000000003"


def test_compare_failed_causes() -> None:
    s = Store()
    s.set("/a", False, "v", None, False, T0)
    assert code(s.compare_and_swap, "/a", "x", 0, "n", None, False, T0)[1] == "[x != v]"
    assert code(s.compare_and_swap, "/a", "", 7, "n", None, False, T0)[1] == "[7 != 1]"
    assert code(s.compare_and_delete, "/a", "x", 7, T0)[1] == "[x != v] [7 != 1]"


def test_ttl_view_counts_down_and_expiry_emits_events_in_order() -> None:
    s = Store()
    s.set("/t", False, "x", T0 + 5 * S, False, T0)
    s.set("/u", False, "y", T0 + 2 * S, False, T0)
    assert s.get("/t", False, False, T0 + S // 2).node.ttl == 5  # rounded up
    assert s.expire(T0 + S) == []
    events = s.expire(T0 + 5 * S)
    assert [(e.action, e.node.key, e.index) for e in events] == [
        (Action.EXPIRE, "/u", 3), (Action.EXPIRE, "/t", 4)]
    assert len(s.ttl_heap) == 0 and s.stats.expire_count == 2


def test_expiring_dir_removes_subtree_and_childrens_ttls() -> None:
    s = Store()
    s.set("/d", True, "", T0 + S, False, T0)
    s.set("/d/c", False, "v", T0 + 10 * S, False, T0)
    events = s.expire(T0 + S)
    assert len(events) == 1 and events[0].node.dir
    assert len(s.ttl_heap) == 0
    assert code(s.get, "/d/c", False, False, T0)[0] == errors.KEY_NOT_FOUND


def test_ttls_before_2000_make_permanent_nodes_on_create_only() -> None:
    s = Store()
    e = s.set("/p", False, "x", 5, False, T0)  # 1970: permanent
    assert e.node.expiration is None and len(s.ttl_heap) == 0
    e = s.update("/p", "y", 5, False, T0)  # update keeps it: expires at the next sweep
    assert e.node.expiration == 5
    assert [ev.node.key for ev in s.expire(T0)] == ["/p"]


def test_refresh_keeps_value_and_is_hidden_from_watchers() -> None:
    s = Store()
    s.set("/r", False, "keep", T0 + S, False, T0)
    w = s.watch("/r", False, False, 0)
    e = s.set("/r", False, "", T0 + 9 * S, True, T0)
    assert e.refresh and e.node.value == "keep" and not w.events
    assert s.history.scan("/r", False, 2) is None


def test_set_with_refresh_on_missing_key_is_not_found() -> None:
    s = Store()
    assert code(s.set, "/m", False, "", T0, True, T0)[0] == errors.KEY_NOT_FOUND


def test_snapshot_round_trip_restores_tree_history_and_ttls() -> None:
    s = Store()
    s.set("/a/b", False, "\udcff raw", T0 + 5 * S, False, T0)
    s.set("/c", True, "", None, False, T0)
    s.create("/q", False, "x", True, None, T0)
    restored = Store.restore(s.snapshot())
    assert restored.snapshot() == s.snapshot()
    assert restored.get("/", True, True, T0) == s.get("/", True, True, T0)
    assert [e.node.key for e in restored.expire(T0 + 5 * S)] == ["/a/b"]
    assert restored.history.scan("/c", False, 1) == s.history.scan("/c", False, 1)


def test_removed_nodes_leave_no_cyclic_garbage() -> None:
    """Removed subtrees are freed by reference counting (no long GC pauses to reclaim them)."""
    import gc

    s = Store()
    gc.collect()
    gc.disable()
    try:
        for i in range(50):
            s.set(f"/d/{i}/x", False, "v", None, False, T0)
        s.delete("/d", False, True, T0)
        for i in range(20):
            s.set("/f", False, str(i), None, False, T0)
        s.compare_and_delete("/f", "19", 0, T0)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_writes_after_a_directory_went_away_recreate_it() -> None:
    # _make_dirs remembers recent directories; removing, expiring or replacing one must not
    # let a later write land in the removed node.
    s = Store()
    s.set("/d/e/k1", False, "1", None, False, T0)
    s.delete("/d", False, True, T0)
    s.set("/d/e/k2", False, "2", None, False, T0)
    listing = s.get("/d/e", True, True, T0).node
    assert [n.key for n in listing.nodes or ()] == ["/d/e/k2"]
    assert listing.created_index == 3
    s.set("/t", True, "", T0 + S, False, T0)
    s.set("/t/k", False, "v", None, False, T0)
    s.expire(T0 + S)
    s.set("/t/k2", False, "v", None, False, T0 + S)
    assert s.get("/t", False, False, T0 + S).node.created_index == s.index
    s.set("/f/k", False, "v", None, False, T0)
    s.delete("/f", False, True, T0)
    s.set("/f", False, "file", None, False, T0)
    assert code(s.set, "/f/k", False, "v", None, False, T0)[0] == errors.NOT_DIR
