"""Go flag parsing and urfave/cli reordering, as tables (expected values observed with etcdctl)."""

from __future__ import annotations

import pytest

from pyetcd.ctl import goflag
from pyetcd.ctl.goflag import (
    UsageError,
    bool_flag,
    duration_flag,
    int_flag,
    parse,
    reorder_args,
    string_flag,
)

pytestmark = pytest.mark.unit

SET_FLAGS = (int_flag("ttl", "ttl"), string_flag("swap-with-value", "v"),
             int_flag("swap-with-index", "i"), bool_flag("help, h", "help"))
LS_FLAGS = (bool_flag("sort", ""), bool_flag("recursive, r", ""), bool_flag("p", ""),
            bool_flag("help, h", ""))


@pytest.mark.parametrize("args, expected", [
    (["/a", "1", "--ttl", "5"], ["--ttl", "5", "/a", "1"]),
    (["/a", "--ttl", "5", "1"], ["--ttl", "5", "/a", "1"]),
    (["/a", "-5"], ["/a", "-5"]),  # not a known flag: stays a value
    (["--bogus", "/a"], ["--bogus", "/a"]),
    (["/a", "--", "-v"], ["--", "/a", "-v"]),
    (["--", "/a", "-v"], ["--", "/a", "-v"]),
    (["--ttl=5", "/a", "1"], ["--ttl=5", "/a", "1"]),
    (["-r", "/key", "--", "sh", "-c", "x"], ["-r", "/key", "--", "sh", "-c", "x"]),
])
def test_reorder_moves_known_flags_first(args: list[str], expected: list[str]) -> None:
    assert reorder_args(SET_FLAGS + LS_FLAGS[1:2], args) == expected


@pytest.mark.parametrize("args, ttl, rest", [
    (["--ttl", "5", "/a", "1"], 5, ["/a", "1"]),
    (["-ttl=5", "/a"], 5, ["/a"]),
    (["--ttl", "0x10"], 16, []),
    (["--ttl", "010"], 8, []),
    (["--ttl", "-3"], -3, []),
    (["--ttl", "1_000"], 1000, []),
    (["--", "--ttl"], 0, ["--ttl"]),
    (["/a", "--ttl", "5"], 0, ["/a", "--ttl", "5"]),  # parsing stops at the first non-flag
    (["-", "x"], 0, ["-", "x"]),
])
def test_parse_values(args: list[str], ttl: int, rest: list[str]) -> None:
    values, remaining = parse(SET_FLAGS, args)
    assert values.int("ttl") == ttl
    assert remaining == rest


@pytest.mark.parametrize("args, message", [
    (["--ttl", "abc"], 'invalid value "abc" for flag -ttl: parse error'),
    (["--ttl", "99999999999999999999"],
     'invalid value "99999999999999999999" for flag -ttl: value out of range'),
    (["--ttl"], "flag needs an argument: -ttl"),
    (["--bogus"], "flag provided but not defined: -bogus"),
    (["---x"], "bad flag syntax: ---x"),
    (["-=x"], "bad flag syntax: -=x"),
    (["--help=maybe"], 'invalid boolean value "maybe" for -help: parse error'),
    (["--ttl", "1__0"], 'invalid value "1__0" for flag -ttl: parse error'),
])
def test_parse_errors_use_go_text(args: list[str], message: str) -> None:
    with pytest.raises(UsageError) as err:
        parse(SET_FLAGS, args)
    assert str(err.value) == message


def test_aliases_share_a_value_and_two_forms_are_rejected() -> None:
    values, _ = parse(LS_FLAGS, ["-r"])
    assert values.bool("recursive") and values.bool("r")
    with pytest.raises(UsageError, match="Cannot use two forms of the same flag: r recursive"):
        parse(LS_FLAGS, ["-r", "--recursive"])


def test_later_flag_wins_and_defaults_apply() -> None:
    flags = (string_flag("output, o", "", "simple"), duration_flag("timeout", "", 2.0))
    values, _ = parse(flags, ["-o", "json", "-o", "extended"])
    assert values.string("output") == "extended"
    assert values.duration("timeout") == 2.0


@pytest.mark.parametrize("text, seconds", [
    ("0", 0.0), ("2s", 2.0), ("500ms", 0.5), ("1m30s", 90.0), ("1.5h", 5400.0),
    ("-1s", -1.0), ("100us", 0.0001), ("3µs", 0.000003), (".5s", 0.5),
])
def test_go_durations(text: str, seconds: float) -> None:
    assert goflag.parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "s", "1x", "1.s.", "--1s", "."])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(ValueError):
        goflag.parse_go_duration(text)


@pytest.mark.parametrize("text, value", [
    ("1", True), ("t", True), ("TRUE", True), ("True", True),
    ("0", False), ("f", False), ("FALSE", False), ("False", False),
])
def test_go_bools(text: str, value: bool) -> None:
    assert goflag.parse_go_bool(text) is value


@pytest.mark.parametrize("text", ["yes", "", "tRUE", "2"])
def test_bad_go_bools(text: str) -> None:
    with pytest.raises(ValueError):
        goflag.parse_go_bool(text)


@pytest.mark.parametrize("text, quoted", [
    ("abc", '"abc"'), ('a"b', '"a\\"b"'), ("a\\b", '"a\\\\b"'), ("a\nb", '"a\\nb"'),
    ("ü", '"ü"'), ("\x01", '"\\x01"'), ("\udcff", '"\\xff"'),
])
def test_go_quote(text: str, quoted: str) -> None:
    assert goflag.go_quote(text) == quoted
