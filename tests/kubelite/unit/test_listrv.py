"""A list's resourceVersion / resourceVersionMatch, decided as kube-apiserver 1.32 does
(kubelite/api/listrv.py), and the exact read inside the page cut."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api import listrv, pagination
from kubelite.api.errors import StatusError
from kubelite.api.listrv import LATEST, ReadAt

PARSE_UINT = 'strconv.ParseUint: parsing "{}": invalid syntax'


def read(rv: str, match: str = "", limit: int | None = None, cont: bool = False) -> ReadAt:
    return listrv.read_at(rv, match, limit, cont)


@pytest.mark.parametrize(("kw", "expected"), [
    ({"rv": ""}, LATEST),
    ({"rv": "0"}, LATEST),
    ({"rv": "0", "match": "NotOlderThan", "limit": 5}, LATEST),
    # served from the watch cache: at least N
    ({"rv": "12"}, ReadAt(minimum=12)),
    ({"rv": "12", "match": "NotOlderThan"}, ReadAt(minimum=12)),
    ({"rv": "12", "match": "NotOlderThan", "limit": 5}, ReadAt(minimum=12)),
    ({"rv": "12", "limit": 0}, ReadAt(minimum=12)),
    ({"rv": "12", "limit": -1}, ReadAt(minimum=12)),
    # handed to etcd: exactly N (Exact, and kube's legacy "limit + resourceVersion")
    ({"rv": "12", "match": "Exact"}, ReadAt(exact=12)),
    ({"rv": "12", "match": "Exact", "limit": 5}, ReadAt(exact=12)),
    ({"rv": "12", "limit": 5}, ReadAt(exact=12)),
    # "00" parses to revision 0, which asks nothing, on either path
    ({"rv": "00"}, LATEST),
    ({"rv": "00", "match": "Exact"}, LATEST),
    # a continue token carries its own version
    ({"rv": "12", "cont": True}, LATEST),
])
def test_what_a_resource_version_asks_of_the_read(kw: Any, expected: ReadAt) -> None:
    assert read(**kw) == expected


@pytest.mark.parametrize("rv", ["abc", "-1", "+5", " 5", "5 ", "1_0", "٣", "0x10"])
def test_a_malformed_resource_version_on_the_watch_cache_path_is_kubes_500(rv: str) -> None:
    with pytest.raises(StatusError) as caught:
        read(rv)
    err = caught.value
    assert (err.code, err.reason) == (500, "")
    assert err.message == f'resourceVersion: Invalid value: "{rv}": ' + PARSE_UINT.format(rv)
    assert "reason" not in err.to_status()


@pytest.mark.parametrize("kw", [{"match": "Exact"}, {"limit": 3}])
def test_a_malformed_resource_version_on_the_etcd_path_is_kubes_400(kw: Any) -> None:
    with pytest.raises(StatusError) as caught:
        read("abc", **kw)
    err = caught.value
    assert (err.code, err.reason) == (400, "BadRequest")
    assert err.message == ('invalid resource version: resourceVersion: Invalid value: "abc": '
                           'strconv.ParseUint: parsing "abc": invalid syntax')


def test_a_resource_version_beyond_uint64_is_out_of_range() -> None:
    big = str(2**64)
    with pytest.raises(StatusError) as caught:
        read(big)
    assert caught.value.message.endswith(f'parsing "{big}": value out of range')
    assert read(str(2**64 - 1)) == ReadAt(minimum=2**64 - 1)


@pytest.mark.parametrize(("text", "expected"), [
    (None, None), ("0", 0), ("500", 500), ("-3", -3), ("+7", 7), (str(2**63 - 1), 2**63 - 1),
])
def test_limit_is_an_int64(text: str | None, expected: int | None) -> None:
    assert listrv.parse_query_int(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
    ("", 'strconv.ParseInt: parsing "": invalid syntax'),
    ("1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'),
    (" 2", 'strconv.ParseInt: parsing " 2": invalid syntax'),
    ("a\"b", 'strconv.ParseInt: parsing "a\\"b": invalid syntax'),
    (str(2**63), f'strconv.ParseInt: parsing "{2**63}": value out of range'),
    (str(-(2**63) - 1), f'strconv.ParseInt: parsing "{-(2**63) - 1}": value out of range'),
])
def test_a_bad_limit_is_kubes_400(text: str, message: str) -> None:
    with pytest.raises(StatusError) as caught:
        listrv.parse_query_int(text)
    assert (caught.value.code, caught.value.reason, caught.value.message) == (
        400, "BadRequest", message)


# -- exact reads ---------------------------------------------------------------------------

def test_an_exact_read_is_served_only_at_the_current_index() -> None:
    listrv.check_exact(ReadAt(exact=40), 40)
    listrv.check_exact(LATEST, 40)
    listrv.check_exact(ReadAt(minimum=99), 40)  # not an exact read: the caller waits
    with pytest.raises(StatusError) as caught:
        listrv.check_exact(ReadAt(exact=39), 40)
    assert caught.value.to_status() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "The resourceVersion for the provided list is too old.",
        "reason": "Expired", "code": 410}
    with pytest.raises(StatusError) as caught:
        listrv.check_exact(ReadAt(exact=41), 40)
    assert caught.value.to_status() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "etcdserver: mvcc: required revision is a future revision", "code": 500}


def test_the_page_cut_applies_the_exact_read() -> None:
    pods = [{"metadata": {"name": n}} for n in ("a", "b", "c")]
    entries = pagination.sort_entries(pods, across_namespaces=False)
    page = pagination.cut(entries, 7, pagination.ListOptions(2, read=ReadAt(exact=7)),
                          lambda _: True, True)
    assert page.resource_version == 7 and len(page.items) == 2
    assert pagination.decode(page.continue_).rv == 7
    with pytest.raises(StatusError) as caught:
        pagination.cut(entries, 8, pagination.ListOptions(2, read=ReadAt(exact=7)),
                       lambda _: True, True)
    assert caught.value.code == 410


def test_list_options_carry_the_read() -> None:
    assert pagination.list_options(None, "", "9", "Exact", False).read == ReadAt(exact=9)
    assert pagination.list_options(None, "", "9", "", False).read == ReadAt(minimum=9)
    assert pagination.list_options(5, "", "9", "", False) == pagination.ListOptions(
        5, read=ReadAt(exact=9))
    # the options are validated before the resourceVersion is parsed: 422, not 400
    with pytest.raises(StatusError) as caught:
        pagination.list_options(None, "", "abc", "Newest", False)
    assert caught.value.code == 422


# -- not older than N ----------------------------------------------------------------------

def test_a_fresh_enough_index_is_served_at_once() -> None:
    assert not listrv.must_wait(ReadAt(minimum=10), 10, 0.0, 3.0)
    assert not listrv.must_wait(ReadAt(minimum=10), 11, 9.0, 3.0)
    assert not listrv.must_wait(LATEST, 1, 0.0, 3.0)


def test_a_stale_index_waits_until_the_timeout_then_is_kubes_504() -> None:
    assert listrv.must_wait(ReadAt(minimum=10), 9, 0.0, 3.0)
    assert listrv.must_wait(ReadAt(minimum=10), 9, 2.99, 3.0)
    with pytest.raises(StatusError) as caught:
        listrv.must_wait(ReadAt(minimum=10), 9, 3.0, 3.0)
    assert caught.value.to_status() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Timeout: Too large resource version: 10, current: 9",
        "reason": "Timeout",
        "details": {"causes": [{"reason": "ResourceVersionTooLarge",
                                "message": "Too large resource version"}],
                    "retryAfterSeconds": 1},
        "code": 504}
