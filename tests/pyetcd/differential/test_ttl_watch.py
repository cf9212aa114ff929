"""Differential: TTLs, refresh, expiry (spec §7) and watches (spec §8)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.pyetcd.differential.harness import (
    Case,
    Ended,
    Read,
    Repeat,
    Req,
    Sleep,
    Watch,
    delete,
    get,
    post,
    put,
)

pytestmark = pytest.mark.compat


def watch(name: str, path: str, query: str = "") -> Watch:
    return Watch(name, f"/v2/keys{path}?wait=true{'&' + query if query else ''}")


TTL_CASES = [
    Case("ttl_set_shows_expiration", [put("{p}/t", value="x", ttl="5"), get("{p}/t"),
                                      put("{p}/t", value="y"), get("{p}/t")]),
    # Keys that expire at the next sweep come last, in cases with servers of their own, so
    # that their expire events cannot land between other writes.
    Case("ttl_huge_values", [put("{p}/wrap", value="x", ttl="10000000000"), get("{p}/wrap"),
                             put("{p}/far", value="x", ttl="5000000000"), get("{p}/far"),
                             put("{p}/max", value="x", ttl="18446744073709551615")], fresh=True),
    Case("ttl_int64_max_wraps_to_the_past", [put("{p}/int64", value="x", ttl="9223372036854775807")],
         fresh=True),
    Case("ttl_update_wrapped_quirk", [put("{p}/u", value="1"),
                                      put("{p}/u", value="2", prevExist="true", ttl="10000000000")],
         fresh=True),
    Case("ttl_removed_by_update_and_cas", [put("{p}/a", value="1", ttl="100"),
                                           put("{p}/a", value="2", prevExist="true"),
                                           put("{p}/a", value="3", prevExist="true", ttl="100"),
                                           put("{p}/a", value="4", prevValue="3"), get("{p}/a")]),
    Case("ttl_on_dirs", [put("{p}/d", dir="true", ttl="100"), put("{p}/d/x", value="1"),
                         get("{p}/d?recursive=true"), get("{p}"),
                         put("{p}/d", dir="true", prevExist="true"), get("{p}/d")]),
    Case("refresh_variants", [put("{p}/r", value="v", ttl="100"),
                              put("{p}/r", refresh="true", ttl="200"),
                              put("{p}/r", refresh="true", ttl="300", prevExist="true"),
                              put("{p}/r", refresh="true", ttl="400", prevValue="v"),
                              put("{p}/r", refresh="true", ttl="400", prevIndex="{i+3}"),
                              put("{p}/r2", refresh="true", ttl="500", prevExist="false"),
                              put("{p}/missing", refresh="true", ttl="500"),
                              put("{p}/missing", refresh="true", ttl="500", prevExist="true"),
                              put("{p}/rd", dir="true"), put("{p}/rd", refresh="true", ttl="500"),
                              put("{p}/r", refresh="true", ttl="500", dir="true"),
                              get("{p}/r"), get("{p}/r2")]),
    Case("refresh_not_seen_by_watchers", [put("{p}/r", value="v", ttl="100"), watch("w", "{p}/r"),
                                          put("{p}/r", refresh="true", ttl="200"),
                                          Read("w", timeout=0.5)]),
    Case("refresh_skipped_by_history", [put("{p}/r", value="v", ttl="100"),
                                        put("{p}/r", refresh="true", ttl="200"),
                                        put("{p}/r", value="w"),
                                        watch("w", "{p}/r", "waitIndex={i+2}"), Read("w")]),
    # Expiry sweeps run at a phase of their own: no write may follow a TTL key that can
    # expire before the case ends, or indices would depend on timing. The ttl=0 key expires
    # at the next sweep (< 0.5 s), the directory about 1 s later: a fixed order.
    Case("expiry_ttl_0_and_events", [put("{p}/keep", value="k"), put("{p}/d", dir="true", ttl="1"),
                                     put("{p}/d/c", value="c"), watch("w", "{p}/d/c"),
                                     put("{p}/z", value="x", ttl="0"),
                                     Sleep(2.2), Read("w"), get("{p}/z"), get("{p}/d"),
                                     watch("h", "{p}/z", "waitIndex={i+1}"), Read("h"),
                                     watch("hd", "{p}/d", "waitIndex={i+1}&recursive=true"),
                                     Read("hd")], slow=True),
    Case("ttl_counts_down", [put("{p}/t", value="x", ttl="4"), Sleep(1.2), get("{p}/t")], slow=True,
         fresh=True),
]

WATCH_CASES = [
    Case("watch_history_hit", [put("{p}/a", value="1"), put("{p}/a", value="2"),
                               watch("w", "{p}/a", "waitIndex={i+1}"), Read("w"), Ended("w"),
                               watch("v", "{p}/a", "waitIndex={i+2}"), Read("v")]),
    Case("watch_live_long_poll", [watch("w", "{p}/a"), put("{p}/a", value="1"), Read("w"), Ended("w")]),
    Case("watch_future_wait_index", [watch("w", "{p}/a", "waitIndex={i+2}"), put("{p}/a", value="1"),
                                     put("{p}/a", value="2"), Read("w")]),
    Case("watch_wait_index_zero", [put("{p}/a", value="1"), watch("w", "{p}/a", "waitIndex=0"),
                                   put("{p}/a", value="2"), Read("w")]),
    Case("watch_missing_and_under_file", [put("{p}/f", value="1"), watch("w", "{p}/f/x"),
                                          watch("m", "{p}/nope"), put("{p}/nope", value="n"),
                                          Read("m"), Read("w", timeout=0.3)]),
    Case("watch_recursive_hidden_filter", [put("{p}/d/x", value="0"), watch("w", "{p}/d", "recursive=true"),
                                           put("{p}/d/_h/x", value="1"), put("{p}/d/_k", value="2"),
                                           put("{p}/d/y/z", value="3"), Read("w")]),
    Case("watch_on_hidden_key_itself", [watch("w", "{p}/_h", "recursive=true"), put("{p}/_h/x", value="1"),
                                        Read("w")]),
    Case("watch_non_recursive_ignores_children", [put("{p}/d/x", value="0"), watch("w", "{p}/d"),
                                                  put("{p}/d/y", value="1"), Read("w", timeout=0.3),
                                                  delete("{p}/d?recursive=true"), Read("w")]),
    Case("history_scan_does_not_filter_hidden", [put("{p}/d/_h", value="1"),
                                                 watch("w", "{p}/d", "recursive=true&waitIndex={i+1}"),
                                                 Read("w")]),
    Case("dir_delete_wakes_descendant_watchers", [put("{p}/d/a/b", value="1"), watch("w", "{p}/d/a/b"),
                                                  watch("x", "{p}/d/a/zz"),
                                                  delete("{p}/d?recursive=true"), Read("w"),
                                                  Read("x", timeout=0.3)]),
    Case("dir_delete_prefix_quirk_in_history", [put("{p}/d/x", value="1"), delete("{p}/d?recursive=true"),
                                                watch("w", "{p}/dd", "waitIndex={i+1}"), Read("w")]),
    Case("watch_cas_cad_update_create", [put("{p}/a", value="1"), watch("w1", "{p}/a"),
                                         put("{p}/a", value="2", prevValue="1"), Read("w1"),
                                         watch("w2", "{p}/a"), put("{p}/a", value="3", prevExist="true"),
                                         Read("w2"), watch("w3", "{p}/a"), delete("{p}/a?prevValue=3"),
                                         Read("w3"), watch("w4", "{p}/q", "recursive=true"),
                                         post("{p}/q", value="x"), Read("w4")]),
    Case("watch_quorum_is_get", [put("{p}/a", value="1"), Req("GET", "/v2/keys{p}/a?wait=true&quorum=true")]),
    Case("watch_sorted_and_no_value_ignored", [put("{p}/a", value="1"),
                                               watch("w", "{p}/a", "waitIndex={i+1}&sorted=true&noValueOnSuccess=true"),
                                               Read("w")]),
    Case("stream_watch", [watch("s", "{p}/d", "recursive=true&stream=true"), put("{p}/d/a", value="1"),
                          put("{p}/d/b", value="2"), put("{p}/d/_c", value="3"), put("{p}/d/a", value="4"),
                          Read("s", lines=3), Read("s", timeout=0.3)]),
    Case("stream_double_delivery_on_delete", [put("{p}/a", value="1"), watch("s", "{p}/a", "stream=true"),
                                              delete("{p}/a"), Read("s", lines=2), Read("s", timeout=0.3)]),
    Case("stream_from_history_then_silent", [put("{p}/a", value="1"),
                                             watch("s", "{p}/a", "stream=true&waitIndex={i+1}"),
                                             Read("s"), put("{p}/a", value="2"), Read("s", timeout=0.5)]),
    Case("all_matching_watchers_wake", [watch("a", "{p}/k"), watch("b", "{p}/k"),
                                        watch("c", "{p}", "recursive=true"), put("{p}/k", value="1"),
                                        Read("a"), Read("b"), Read("c")]),
    Case("watch_root_not_recursive", [watch("r", "/"), put("{p}/x", value="1"), Read("r", timeout=0.3)]),
    Case("watch_wait_index_empty_is_203", [Req("GET", "/v2/keys{p}/a?wait=true&waitIndex=")]),
    Case("watch_root_recursive", [watch("r", "/", "recursive=true"), put("{p}/x", value="1"), Read("r")]),
    Case("expire_event_live", [put("{p}/e", value="x", ttl="1"), watch("w", "{p}/e"), Read("w", timeout=3)],
         slow=True),
]

HISTORY_CASES = [
    Case("history_cleared_401", [Repeat(1001, put("/k", value="v")),
                                 Req("GET", "/v2/keys/k?wait=true&waitIndex=1"),
                                 Req("GET", "/v2/keys/k?wait=true&waitIndex=4"),
                                 Req("GET", "/v2/keys/k?wait=true&waitIndex=5")], fresh=True, slow=True),
]


@pytest.mark.parametrize("case", [c for c in TTL_CASES if not c.slow], ids=str)
def test_ttl(case: Case, check: Callable[[Case], None]) -> None:
    check(case)


@pytest.mark.parametrize("case", [c for c in WATCH_CASES if not c.slow], ids=str)
def test_watch(case: Case, check: Callable[[Case], None]) -> None:
    check(case)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in TTL_CASES + WATCH_CASES + HISTORY_CASES if c.slow], ids=str)
def test_slow(case: Case, check: Callable[[Case], None]) -> None:
    check(case)
