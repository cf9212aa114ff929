"""URLs, JSON, times and help layout the way the Go programs write them."""

from __future__ import annotations

import pytest

from pyetcd.ctl import gourl, response, usage
from pyetcd.ctl.api import ttl_seconds, uint64
from pyetcd.ctl.goflag import bool_flag, duration_flag, int_flag, string_flag
from pyetcd.ctl.response import Node, Response, format_response

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("path, cleaned", [
    ("", "."), ("/", "/"), ("//a//b/", "/a/b"), ("/a/./b/../c", "/a/c"), ("/../a", "/a"),
    ("a/../..", ".."), ("a/b/..", "a"),
])
def test_go_path_clean(path: str, cleaned: str) -> None:
    assert gourl.clean(path) == cleaned


@pytest.mark.parametrize("path, canonical", [
    ("/v2/keys/a/../b/", "/v2/keys/b/"), ("/v2/keys", "/v2/keys"), ("v2//x", "/v2/x"),
    ("", "/"), ("/v2/keys/", "/v2/keys/"),
])
def test_canonical_url_path_keeps_trailing_slash(path: str, canonical: str) -> None:
    assert gourl.canonical_url_path(path) == canonical


def test_go_escaping_of_paths_queries_and_forms() -> None:
    assert gourl.escape_path("/ü/é?#%&+ =!$,;:@~") == "/%C3%BC/%C3%A9%3F%23%25&+%20=%21$,;:@~"
    assert gourl.query_escape("a b&c+d/é") == "a+b%26c%2Bd%2F%C3%A9"
    assert gourl.encode_values({"value": "x y", "ttl": "5", "dir": "true"}) == \
        "dir=true&ttl=5&value=x+y"
    assert gourl.escape_path("\udcff") == "%FF"  # an undecodable argv byte goes out as is


@pytest.mark.parametrize("raw, shown", [
    ("http://127.0.0.1:2379", "http://127.0.0.1:2379"),
    ("https://h:1/base/", "https://h:1/base/"),
    ("localhost", "http://localhost"),
    ("localhost:2379", "localhost:2379"),
])
def test_endpoints_print_as_go_prints_them(raw: str, shown: str) -> None:
    assert str(gourl.parse_endpoint(raw)) == shown


@pytest.mark.parametrize("raw, message", [
    ("127.0.0.1:2379", 'parse "127.0.0.1:2379": first path segment in URL cannot contain colon'),
    (" http://x:1", 'parse " http://x:1": first path segment in URL cannot contain colon'),
    (":80", 'parse ":80": missing protocol scheme'),
])
def test_endpoints_go_rejects(raw: str, message: str) -> None:
    with pytest.raises(gourl.EndpointError) as err:
        gourl.parse_endpoint(raw)
    assert str(err.value) == message


@pytest.mark.parametrize("text, go", [
    ("2026-11-26T04:52:32.534847131Z", "2026-11-26T04:52:32.534847131Z"),
    ("2026-11-26T04:52:32.500Z", "2026-11-26T04:52:32.5Z"),
    ("2026-11-26T04:52:32.000Z", "2026-11-26T04:52:32Z"),
    ("2026-11-26T04:52:32+00:00", "2026-11-26T04:52:32Z"),
    ("2026-11-26T04:52:32.1234567891+02:00", "2026-11-26T04:52:32.123456789+02:00"),
])
def test_times_reformatted_as_go_marshals_them(text: str, go: str) -> None:
    assert response.go_time(text) == go


def test_go_json_escaping() -> None:
    assert response.go_json_string('<a href="x">&\u2028\t\b\x7fü\\') == \
        '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u2028\\t\\u0008\x7fü\\\\"'


def test_response_json_has_every_go_field() -> None:
    resp = Response("set", Node("/a", value="1", created_index=4, modified_index=4), None, 4)
    assert format_response(resp, "json") == (
        '{"action":"set","node":{"key":"/a","value":"1","nodes":null,"createdIndex":4,'
        '"modifiedIndex":4},"prevNode":null}\n', "")


def test_simple_and_extended_delete() -> None:
    resp = Response("delete", Node("/a", created_index=4, modified_index=5),
                    Node("/a", value="old", created_index=4, modified_index=4), 5)
    assert format_response(resp, "simple") == ("PrevNode.Value: old\n", "")
    assert format_response(resp, "extended") == (
        "Key: /a\nCreated-Index: 4\nModified-Index: 5\nPrevNode.Value: old\nTTL: 0\nIndex: 5\n", "")
    assert format_response(resp, "yaml") == ("", "Unsupported output format: yaml\n")


@pytest.mark.parametrize("body", [b"[]", b"nope", b'{"node":{"createdIndex":-1}}',
                                  b'{"node":{"dir":"yes"}}', b'{"node":{"expiration":"soon"}}'])
def test_bodies_go_cannot_decode(body: bytes) -> None:
    with pytest.raises(response.Malformed):
        response.decode_response(body, 0)


@pytest.mark.parametrize("ttl, sent", [(0, None), (-5, None), (5, 5), (9223372036, 9223372036),
                                       (9223372037, None), (18446744074, 0)])
def test_ttl_seconds_follow_go_duration_overflow(ttl: int, sent: int | None) -> None:
    assert ttl_seconds(ttl) == sent


def test_negative_indices_wrap_like_go_uint64() -> None:
    assert uint64(-1) == 18446744073709551615


def test_tabwriter_aligns_columns_per_block() -> None:
    text = "   a\tx\n   long\ty\n\n   b\tz\n"
    assert usage.tabwrite(text) == "   a     x\n   long  y\n\n   b  z\n"


@pytest.mark.parametrize("flag, line", [
    (bool_flag("recursive, r", "all"), "--recursive, -r\tall"),
    (int_flag("ttl", "key ttl"), "--ttl value\tkey ttl (default: 0)"),
    (string_flag("output, o", "format (`simple`, `json`)", "simple"),
     '--output simple, -o simple\tformat (simple, `json`) (default: "simple")'),
    (string_flag("with-value", "previous value"), "--with-value value\tprevious value"),
    (duration_flag("timeout", "per request", 2.0), "--timeout value\tper request (default: 2s)"),
    (bool_flag("readwrite, rw", "rw"), "--readwrite, --rw\trw"),
])
def test_flag_help_lines(flag: object, line: str) -> None:
    assert usage.flag_line(flag) == line  # type: ignore[arg-type]
