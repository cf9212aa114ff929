"""Request parsing: Go's form, bool and uint rules, validation order, TTL arithmetic."""

from __future__ import annotations

import pytest

from pyetcd import errors
from pyetcd.errors import EtcdError
from pyetcd.goform import (
    FormError,
    clean_path,
    escape_path,
    media_type,
    mux_clean_path,
    parse_bool,
    parse_query,
    parse_uint64,
)
from pyetcd.request import KeyRequest, Method, expiration_for, parse_key_request, read_form

pytestmark = pytest.mark.unit
S = 1_000_000_000
NOW = 1_800_000_000 * S


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_parse_bool_true(text: str) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["", "yes", "tRUE", "2", " true", "on"])
def test_parse_bool_rejects(text: str) -> None:
    with pytest.raises(FormError):
        parse_bool(text)


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("007", 7), ("18446744073709551615", 2**64 - 1)])
def test_parse_uint(text: str, value: int) -> None:
    assert parse_uint64(text) == value


@pytest.mark.parametrize("text", ["", "-1", "+1", " 1", "0x1", "1.0", "18446744073709551616", "١"])
def test_parse_uint_rejects(text: str) -> None:
    with pytest.raises(FormError):
        parse_uint64(text)


@pytest.mark.parametrize(("query", "form", "err"), [
    ("a=1&a=2&b", {"a": ["1", "2"], "b": [""]}, None),
    ("x=a+b%2B", {"x": ["a b+"]}, None),
    ("&&k=v&", {"k": ["v"]}, None),
    ("a=1;b=2", {}, "invalid semicolon separator in query"),
    ("a=%zz&b=1", {"b": ["1"]}, 'invalid URL escape "%zz"'),
    ("a=%zz&b;c", {}, "invalid semicolon separator in query"),
    ("a;b&c=%z", {}, "invalid semicolon separator in query"),
    ("a=%4", {}, 'invalid URL escape "%4"'),
])
def test_parse_query(query: str, form: dict[str, list[str]], err: str | None) -> None:
    got, got_err = parse_query(query)
    assert got == form
    assert (str(got_err) if got_err else None) == err


@pytest.mark.parametrize(("ctype", "result"), [
    ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
    ("Application/X-WWW-Form-Urlencoded; charset=utf-8", "application/x-www-form-urlencoded"),
    ("text", "text"),
    ("a/b/c", "mime: unexpected content after media subtype"),
    ("a;", "a"),
    ("/x", "mime: no media type"),
    ("a b", "mime: expected slash after first token"),
    ("a/", "mime: expected token after slash"),
    ("a/b; =x", "mime: invalid media parameter"),
    ("a/b; x=1; X=2", "mime: duplicate parameter name"),
])
def test_media_type(ctype: str, result: str) -> None:
    try:
        assert media_type(ctype) == result
    except FormError as e:
        assert str(e) == result


@pytest.mark.parametrize(("path", "clean", "mux"), [
    ("/a//b/", "/a/b", "/a/b/"),
    ("/a/./b/../c", "/a/c", "/a/c"),
    ("/../x", "/x", "/x"),
    ("", ".", "/"),
    ("/", "/", "/"),
])
def test_clean_path(path: str, clean: str, mux: str) -> None:
    assert clean_path(path) == clean
    assert mux_clean_path(path) == mux


def test_escape_path() -> None:
    assert escape_path("/a b/é?<") == "/a%20b/%C3%A9%3F%3C"
    assert escape_path("/ok/$&+,:;=@~") == "/ok/$&+,:;=@~"


def form(query: str, method: str = "PUT", body: bytes = b"",
         ctype: str | None = "application/x-www-form-urlencoded") -> KeyRequest:
    return parse_key_request(method, "/k", read_form(method, query, body, ctype), NOW)


def err(query: str, method: str = "PUT") -> tuple[int, str, int]:
    with pytest.raises(EtcdError) as info:
        form(query, method)
    return info.value.code, info.value.cause, info.value.index


VALIDATION_ORDER = [
    ("prevIndex=x&waitIndex=x&recursive=x", errors.INDEX_NAN, 'invalid value for "prevIndex"'),
    ("waitIndex=x&recursive=x", errors.INDEX_NAN, 'invalid value for "waitIndex"'),
    ("recursive=x&sorted=x", errors.INVALID_FIELD, 'invalid value for "recursive"'),
    ("sorted=x&wait=x", errors.INVALID_FIELD, 'invalid value for "sorted"'),
    ("wait=x&dir=x", errors.INVALID_FIELD, 'invalid value for "wait"'),
    ("dir=x&quorum=x", errors.INVALID_FIELD, 'invalid value for "dir"'),
    ("quorum=x&stream=x", errors.INVALID_FIELD, 'invalid value for "quorum"'),
    ("stream=x&wait=true", errors.INVALID_FIELD, 'invalid value for "stream"'),
    ("wait=true&prevValue=", errors.INVALID_FIELD, '"wait" can only be used with GET requests'),
    ("prevValue=&noValueOnSuccess=x", errors.PREV_VALUE_REQUIRED, '"prevValue" cannot be empty'),
    ("noValueOnSuccess=x&ttl=x", errors.INVALID_FIELD, 'invalid value for "noValueOnSuccess"'),
    ("ttl=x&prevExist=x", errors.TTL_NAN, 'invalid value for "ttl"'),
    ("prevExist=x&refresh=x", errors.INVALID_FIELD, "invalid value for prevExist"),
    ("refresh=x", errors.INVALID_FIELD, "invalid value for refresh"),
    ("refresh=true&value=v&ttl=1", errors.REFRESH_VALUE, "A value was provided on a refresh"),
    ("refresh=true&ttl=", errors.REFRESH_TTL_REQUIRED, "No TTL value set"),
]


@pytest.mark.parametrize(("query", "code", "cause"), VALIDATION_ORDER)
def test_validation_order(query: str, code: int, cause: str) -> None:
    assert err(query) == (code, cause, 0)


def test_form_errors_are_210_body_first() -> None:
    with pytest.raises(EtcdError) as info:
        read_form("PUT", "a;b", b"value=%zz", "application/x-www-form-urlencoded")
    assert (info.value.code, info.value.cause) == (errors.INVALID_FORM, 'invalid URL escape "%zz"')
    with pytest.raises(EtcdError) as info:
        read_form("PUT", "", b"x" * (10 << 20 | 1), "application/x-www-form-urlencoded")
    assert info.value.cause == "http: POST too large"


def test_body_first_then_query_and_ignored_bodies() -> None:
    assert form("value=q", body=b"value=b").value == "b"
    assert form("", body=b"value=b", ctype="application/json").value == ""
    assert form("", body=b"value=b", ctype=None).value == ""
    assert form("recursive=true", method="GET", body=b"recursive=zz").recursive


def test_request_fields_and_round_trip() -> None:
    req = form("value=v&prevExist=false&ttl=5&dir=true&noValueOnSuccess=1")
    assert (req.method, req.key, req.prev_exist, req.dir) == (Method.PUT, "/k", False, True)
    assert req.expiration == NOW + 5 * S and req.no_value_on_success
    assert KeyRequest.from_dict(req.to_dict()) == req
    assert not form("", method="GET").is_write


@pytest.mark.parametrize(("ttl", "expected"), [
    (0, NOW),
    (5, NOW + 5 * S),
    (2**64 - 1, NOW - S),  # uint64 -> int64 wraps to -1 second
    (10_000_000_000, NOW + 10_000_000_000 * S - 2**64),  # ns overflow wraps (< 2000: permanent)
])
def test_ttl_to_expiration_wraps_like_go(ttl: int, expected: int) -> None:
    assert expiration_for(ttl, NOW) == expected


@pytest.mark.parametrize("body", [
    b"value=", b"value=x", b"value=a=b", b"value=a+b", b"value=a%2Fb", b"value=a&ttl=5",
    b"value=a;b", b"value=%zz", b"valu=x", b"value=\xff\xfe", b"", b"value=x&value=y",
])
@pytest.mark.parametrize("method", ["PUT", "POST", "PATCH", "DELETE", "GET"])
@pytest.mark.parametrize("query", ["", "ttl=5", "value=q"])
def test_plain_value_fast_path_makes_the_general_form(body: bytes, method: str,
                                                      query: str) -> None:
    def outcome(content_type: str) -> object:
        try:
            return read_form(method, query, body, content_type)
        except EtcdError as err:
            return (err.code, err.cause)
    # The parameter keeps the same media type but takes the general path.
    assert outcome("application/x-www-form-urlencoded") == \
        outcome("application/x-www-form-urlencoded; charset=utf-8")
