"""The pure half of chunked lists: continue tokens, list options, the page cut."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from kubelite.api import pagination
from kubelite.api.errors import StatusError
from kubelite.api.listrv import ReadAt
from kubelite.api.pagination import ContinueToken, ListOptions

Obj = dict[str, Any]


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def token_json(**fields: Any) -> str:
    return b64(json.dumps(fields))


def pod(ns: str, name: str, app: str = "web") -> Obj:
    return {"metadata": {"namespace": ns, "name": name, "labels": {"app": app}}}


def names(items: list[Obj]) -> list[str]:
    return [i["metadata"]["name"] for i in items]


def everything(_: Obj) -> bool:
    return True


# -- tokens --------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [
    ContinueToken(17, "nginx\x00"),
    ContinueToken(-1, "default/web-1\x00"),
    ContinueToken(2**63 - 1, "a/b/c"),
])
def test_token_round_trip(token: ContinueToken) -> None:
    text = pagination.encode(token)
    assert "=" not in text and "+" not in text and "/" not in text
    assert pagination.decode(text) == token


def test_token_has_kubes_shape() -> None:
    text = pagination.encode(ContinueToken(42, "web\x00"))
    doc = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    assert doc == {"v": "meta.k8s.io/v1", "rv": 42, "start": "web\x00"}
    # a token kube-apiserver made (Go's encoding/json, RawURLEncoding) decodes the same way
    go = b64('{"v":"meta.k8s.io/v1","rv":42,"start":"web\\u0000"}')
    assert text == go


def test_token_fields_match_case_insensitively_like_go() -> None:
    assert pagination.decode(token_json(V="meta.k8s.io/v1", RV=5, Start="x", extra=1)) == \
        ContinueToken(5, "x")


INVALID = "invalid continue token: continue key is not valid"


@pytest.mark.parametrize(("text", "message"), [
    ("abc=", f"{INVALID}: illegal base64 data at input byte 3"),
    ("ab+c", f"{INVALID}: illegal base64 data at input byte 2"),
    ("abcde", f"{INVALID}: illegal base64 data at input byte 4"),
    (b64("not json"), f"{INVALID}: Expecting value: line 1 column 1 (char 0)"),
    (b64("[1]"), f"{INVALID}: json: cannot unmarshal array into Go value of type "
                 "storage.continueToken"),
    (token_json(v="meta.k8s.io/v1", rv="5", start="x"),
     f"{INVALID}: json: cannot unmarshal string into Go struct field continueToken.rv of "
     "type int64"),
    (token_json(v="meta.k8s.io/v1", rv=1.5, start="x"),
     f"{INVALID}: json: cannot unmarshal number 1.5 into Go struct field continueToken.rv of "
     "type int64"),
    (token_json(v="meta.k8s.io/v1", rv=5, start=7),
     f"{INVALID}: json: cannot unmarshal number 7 into Go struct field continueToken.start "
     "of type string"),
    (token_json(v="meta.k8s.io/v2", rv=5, start="x"),
     f"{INVALID}: server does not recognize this encoded version meta.k8s.io/v2"),
    (token_json(rv=5, start="x"),
     f"{INVALID}: server does not recognize this encoded version "),
    (token_json(v="meta.k8s.io/v1", start="x"),
     f"{INVALID}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"),
    (token_json(v="meta.k8s.io/v1", rv=5),
     f"{INVALID}: encoded start key empty (version meta.k8s.io/v1)"),
    (token_json(v="meta.k8s.io/v1", rv=5, start="../kube-system/x"),
     f"{INVALID}: ../kube-system/x"),
    (token_json(v="meta.k8s.io/v1", rv=5, start="a//b"), f"{INVALID}: a//b"),
    (token_json(v="meta.k8s.io/v1", rv=5, start="a/./b"), f"{INVALID}: a/./b"),
])
def test_every_bad_token_is_kubes_400(text: str, message: str) -> None:
    with pytest.raises(StatusError) as caught:
        pagination.decode(text)
    assert (caught.value.code, caught.value.reason, caught.value.message) == \
        (400, "BadRequest", message)


def test_a_rooted_start_key_stays_inside_the_prefix() -> None:
    assert pagination.decode(token_json(v="meta.k8s.io/v1", rv=5, start="/x")).start == "x"


# -- list options --------------------------------------------------------------------------

def options(limit: int | None = None, cont: str = "", rv: str = "", match: str = "",
            initial: bool = False) -> ListOptions:
    return pagination.list_options(limit, cont, rv, match, initial)


def test_options_limit_and_resource_version_zero() -> None:
    assert options(2) == ListOptions(2)
    assert options(0) == options(-3) == options() == ListOptions(0)
    # kube 1.32 serves resourceVersion=0 from its watch cache and ignores limit there
    assert options(2, rv="0") == ListOptions(0)
    # limit beside resourceVersion=N is kube's "legacy exact match" (see test_listrv.py)
    assert options(2, rv="12") == ListOptions(2, read=ReadAt(exact=12))


def test_options_with_a_token() -> None:
    tok = pagination.encode(ContinueToken(9, "b\x00"))
    assert options(2, tok) == ListOptions(2, ContinueToken(9, "b\x00"))
    assert options(2, tok, rv="0") == ListOptions(2, ContinueToken(9, "b\x00"))
    with pytest.raises(StatusError) as caught:
        options(2, tok, rv="9")
    assert (caught.value.code, caught.value.message) == (
        400, "specifying resource version is not allowed when using continue")
    # the token is read first: a bad one is reported even beside a resourceVersion
    with pytest.raises(StatusError) as caught:
        options(2, "@@", rv="9")
    assert caught.value.message.startswith("invalid continue token:")


@pytest.mark.parametrize(("kw", "message"), [
    ({"match": "NotOlderThan"},
     "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
     "resourceVersion is provided"),
    ({"match": "NotOlderThan", "rv": "5", "cont": "x"},
     "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is "
     "provided"),
    ({"match": "Newest", "rv": "5"},
     'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", '
     '"NotOlderThan", ""'),
    ({"match": "Exact", "rv": "0"},
     'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for '
     'resourceVersion "0"'),
    ({"initial": True}, "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
])
def test_bad_list_options_are_kubes_422(kw: Any, message: str) -> None:
    with pytest.raises(StatusError) as caught:
        options(2, **kw)
    err = caught.value
    assert (err.code, err.reason, err.kind, err.group) == (422, "Invalid", "ListOptions",
                                                          "meta.k8s.io")
    assert err.message == f'ListOptions.meta.k8s.io "" is invalid: {message}'


def test_several_option_errors_are_listed_together() -> None:
    with pytest.raises(StatusError) as caught:
        options(match="Exact", cont="x")
    assert caught.value.message.startswith('ListOptions.meta.k8s.io "" is invalid: [')
    assert len(caught.value.causes) == 2


# -- the page cut --------------------------------------------------------------------------

PODS = [pod("default", n) for n in ("e", "a", "d", "b", "c")]


def walk(entries: pagination.Entries, limit: int, matches: Any = everything,
         count: bool = True, current: int = 50) -> list[pagination.Page]:
    pages = [pagination.cut(entries, current, ListOptions(limit), matches, count)]
    while pages[-1].continue_:
        token = pagination.decode(pages[-1].continue_)
        pages.append(pagination.cut(entries, current, ListOptions(limit, token), matches, count))
    return pages


def test_pages_cover_every_item_once_in_key_order() -> None:
    entries = pagination.sort_entries(PODS, across_namespaces=False)
    pages = walk(entries, 2)
    assert [names(p.items) for p in pages] == [["a", "b"], ["c", "d"], ["e"]]
    assert [p.remaining for p in pages] == [3, 1, None]
    assert [bool(p.continue_) for p in pages] == [True, True, False]
    assert pagination.decode(pages[0].continue_) == ContinueToken(50, "b\x00")
    assert all(p.resource_version == 50 for p in pages)


def test_no_limit_is_one_page_and_an_exact_fill_has_no_token() -> None:
    entries = pagination.sort_entries(PODS, across_namespaces=False)
    assert walk(entries, 0) == [pagination.Page(entries.objects(), 50)]
    assert [len(p.items) for p in walk(entries, 5)] == [5]


def test_across_namespaces_keys_sort_as_bytes() -> None:
    objs = [pod("a", "x"), pod("a-b", "y"), pod("kube-system", "z"), pod("a", "w")]
    entries = pagination.sort_entries(objs, across_namespaces=True)
    # "a-b/" sorts before "a/" in byte order ('-' < '/'), as etcd 3 returns kube's keys
    assert entries.keys == ["a-b/y", "a/w", "a/x", "kube-system/z"]
    pages = walk(entries, 3)
    assert pagination.decode(pages[0].continue_).start == "a/x\x00"
    assert [names(p.items) for p in pages] == [["y", "w", "x"], ["z"]]


def test_selector_fills_the_page_and_has_no_remaining_count() -> None:
    objs = [pod("default", f"p{i}", "web" if i % 3 == 0 else "db") for i in range(10)]
    entries = pagination.sort_entries(objs, across_namespaces=False)

    def web(o: Obj) -> bool:
        return bool(o["metadata"]["labels"]["app"] == "web")

    pages = walk(entries, 2, web, count=False)
    assert [names(p.items) for p in pages] == [["p0", "p3"], ["p6", "p9"]]
    assert all(p.remaining is None for p in pages)
    # as kube: a full page with keys left gets a token even when none of them match
    objs = [pod("default", n, a) for n, a in (("a", "web"), ("b", "web"), ("c", "db"))]
    pages = walk(pagination.sort_entries(objs, across_namespaces=False), 2, web, count=False)
    assert [names(p.items) for p in pages] == [["a", "b"], []]


def test_continue_reads_what_is_there_now_after_the_start_key() -> None:
    entries = pagination.sort_entries(PODS, across_namespaces=False)
    first = pagination.cut(entries, 50, ListOptions(2), everything, True)
    token = pagination.decode(first.continue_)
    later = pagination.sort_entries(PODS[1:] + [pod("default", "bb")], across_namespaces=False)
    page = pagination.cut(later, 60, ListOptions(10, token), everything, True)
    assert names(page.items) == ["bb", "c", "d"]  # "e" deleted, "bb" created meanwhile
    assert page.resource_version == 50  # the original list's version (see the module doc)


def test_a_token_older_than_the_watch_window_is_410_with_a_latest_token() -> None:
    entries = pagination.sort_entries(PODS, across_namespaces=False)
    token = ContinueToken(50, "b\x00")
    ok = pagination.cut(entries, 60, ListOptions(2, token), everything, True, window=10)
    assert ok.resource_version == 50
    with pytest.raises(StatusError) as caught:
        pagination.cut(entries, 61, ListOptions(2, token), everything, True, window=10)
    err = caught.value
    assert (err.code, err.reason, err.message) == (410, "Expired",
                                                   pagination.INCONSISTENT_CONTINUE)
    assert err.to_status()["metadata"] == {"continue": err.continue_token}
    retry = pagination.decode(err.continue_token)
    assert retry == ContinueToken(-1, "b\x00")
    page = pagination.cut(entries, 61, ListOptions(2, retry), everything, True, window=10)
    assert (names(page.items), page.resource_version) == (["c", "d"], 61)
    assert pagination.decode(page.continue_).rv == 61


def test_a_token_from_the_future_is_refused() -> None:
    entries = pagination.sort_entries(PODS, across_namespaces=False)
    with pytest.raises(StatusError) as caught:
        pagination.cut(entries, 10, ListOptions(2, ContinueToken(11, "a")), everything, True)
    assert (caught.value.code, caught.value.message) == (500, pagination.FUTURE_REVISION)


def test_only_what_a_page_reads_is_loaded_and_unreadable_values_are_skipped() -> None:
    loaded: list[int] = []
    keys = [f"p{i:02}" for i in range(20)]

    def load(i: int) -> Obj | None:
        loaded.append(i)
        return None if i == 11 else pod("default", keys[i])

    entries = pagination.Entries(keys, load)
    token = ContinueToken(50, "p09\x00")
    page = pagination.cut(entries, 50, ListOptions(3, token), everything, True)
    assert names(page.items) == ["p10", "p12", "p13"] and loaded == [10, 11, 12, 13]
    assert pagination.decode(page.continue_).start == "p13\x00" and page.remaining == 6
