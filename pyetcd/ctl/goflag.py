"""Command-line flags parsed the way etcdctl v2 parses them (Go ``flag`` + urfave/cli v1.22).

Real etcdctl 3.4 (the Debian build uses urfave/cli 1.22.9 and Go 1.19) parses each command
line in two layers, and scripts depend on the quirks of both, so this module imitates them:

* urfave/cli first *reorders* a command's arguments: every argument that names one of the
  command's own flags (plus the value after it) moves to the front, everything else keeps
  its order, and a ``--`` stops the reordering. ``set /a 1 --ttl 5`` therefore works, and an
  unknown ``--bogus`` after the key is left alone as a positional argument.
* Go's ``flag`` package then reads flags until the first non-flag argument: ``-x`` and
  ``--x`` are the same, ``-x=v`` or ``-x v`` give a value, booleans take only ``-x=v``.
  Integers are parsed with base prefixes (``0x10``, ``010`` is octal), durations as Go
  durations (``500ms``).
* Finally urfave/cli copies a flag's value to its aliases (``-r`` and ``--recursive``) and
  rejects a command line that uses two forms of one flag.

Every error message is Go's own text, since etcdctl prints it verbatim. Pure code: no I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class Kind(enum.Enum):
    BOOL = "bool"
    INT = "int"
    STRING = "string"
    DURATION = "duration"


class UsageError(Exception):
    """A command line Go's flag package (or urfave/cli) rejects; ``str()`` is Go's text."""


class _ParseError(ValueError):
    """A flag value that does not parse; the message is Go's reason ("parse error", ...)."""


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag: ``names`` as urfave/cli spells them (``("recursive", "r")``)."""

    names: tuple[str, ...]
    kind: Kind
    usage: str = ""
    default: bool | int | str | float = ""

    @property
    def name(self) -> str:
        return self.names[0]

    def zero(self) -> bool | int | str | float:
        if self.default != "" or self.kind is Kind.STRING:
            return self.default
        return {Kind.BOOL: False, Kind.INT: 0, Kind.DURATION: 0.0}[self.kind]


def bool_flag(names: str, usage: str) -> Flag:
    return Flag(_split(names), Kind.BOOL, usage, False)


def int_flag(names: str, usage: str, default: int = 0) -> Flag:
    return Flag(_split(names), Kind.INT, usage, default)


def string_flag(names: str, usage: str, default: str = "") -> Flag:
    return Flag(_split(names), Kind.STRING, usage, default)


def duration_flag(names: str, usage: str, default: float) -> Flag:
    return Flag(_split(names), Kind.DURATION, usage, default)


def _split(names: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in names.split(","))


class FlagValues:
    """The parsed values of one flag set, looked up by any of a flag's names."""

    def __init__(self, flags: Sequence[Flag]):
        self._by_name = {n: f for f in flags for n in f.names}
        self._values: dict[str, bool | int | str | float] = {}
        self._all: dict[str, list[str]] = {}  # every value given, for repeatable flags
        self.visited: list[str] = []

    def lookup(self, name: str) -> Flag | None:
        return self._by_name.get(name)

    def set(self, name: str, raw: str) -> None:
        flag = self._by_name[name]
        self._values[name] = _convert(flag.kind, raw)
        self._all.setdefault(flag.name, []).append(raw)
        if name not in self.visited:
            self.visited.append(name)

    def _get(self, name: str) -> bool | int | str | float:
        if name in self._values:
            return self._values[name]
        flag = self._by_name.get(name)
        return flag.zero() if flag is not None else ""

    def bool(self, name: str) -> bool:
        return bool(self._get(name))

    def int(self, name: str) -> int:
        value = self._get(name)
        return value if isinstance(value, int) else 0

    def string(self, name: str) -> str:
        return str(self._get(name))

    def strings(self, name: str) -> list[str]:
        """Every value of a repeatable flag (urfave's ``StringSliceFlag``), in order."""
        flag = self._by_name.get(name)
        return list(self._all.get(flag.name if flag else name, ()))

    def duration(self, name: str) -> float:
        """Seconds."""
        value = self._get(name)
        return float(value) if isinstance(value, int | float) else 0.0


def _convert(kind: Kind, raw: str) -> bool | int | str | float:
    if kind is Kind.BOOL:
        return parse_go_bool(raw)
    if kind is Kind.INT:
        return parse_go_int(raw)
    if kind is Kind.DURATION:
        return parse_go_duration(raw)
    return raw


# -- the three steps -----------------------------------------------------------------------


def reorder_args(flags: Sequence[Flag], args: Sequence[str]) -> list[str]:
    """urfave/cli's reordering: known flags (and a value after each) first, ``--`` stops it."""
    known = {n for f in flags for n in f.names}
    reordered: list[str] = []
    remaining: list[str] = []
    next_may_be_value = False
    for i, arg in enumerate(args):
        is_flag = _names_known_flag(known, arg)
        if next_may_be_value and not is_flag:
            next_may_be_value = False
            reordered.append(arg)
        elif arg == "--":
            remaining = ["--", *remaining, *args[i + 1:]]
            break
        elif is_flag:
            reordered.append(arg)
            next_may_be_value = "=" not in arg
        else:
            remaining.append(arg)
    return reordered + remaining


def _names_known_flag(known: set[str], arg: str) -> bool:
    if arg in ("-", "--") or not arg.startswith("-"):
        return False
    name = arg.replace("-", "", 2) if arg.startswith("--") else arg.replace("-", "", 1)
    return name.split("=")[0] in known


def parse(flags: Sequence[Flag], args: Sequence[str]) -> tuple[FlagValues, list[str]]:
    """Go ``FlagSet.Parse`` then urfave's alias normalisation; returns values and the rest."""
    values = FlagValues(flags)
    rest = list(args)
    while rest:
        s = rest[0]
        if len(s) < 2 or s[0] != "-":
            break
        minuses = 2 if s[1] == "-" else 1
        if s == "--":
            rest = rest[1:]
            break
        name = s[minuses:]
        if not name or name[0] in "-=":
            raise UsageError(f"bad flag syntax: {s}")
        rest = rest[1:]
        has_value, value = False, ""
        if "=" in name[1:]:
            cut = name.index("=", 1)
            name, value, has_value = name[:cut], name[cut + 1:], True
        flag = values.lookup(name)
        if flag is None:
            # Go answers -h/-help with ErrHelp when they are undefined; urfave always defines them.
            raise UsageError(f"flag provided but not defined: -{name}")
        if flag.kind is Kind.BOOL:
            _set(values, flag, name, value if has_value else "true",
                 f"invalid boolean value {go_quote(value)} for -{name}")
            continue
        if not has_value and rest:
            has_value, value, rest = True, rest[0], rest[1:]
        if not has_value:
            raise UsageError(f"flag needs an argument: -{name}")
        _set(values, flag, name, value, f"invalid value {go_quote(value)} for flag -{name}")
    _normalize(flags, values)
    return values, rest


def _set(values: FlagValues, flag: Flag, name: str, raw: str, prefix: str) -> None:
    try:
        values.set(name, raw)
    except _ParseError as exc:
        raise UsageError(f"{prefix}: {exc}") from None


def _normalize(flags: Sequence[Flag], values: FlagValues) -> None:
    """Copy each flag's value to its other names; two forms of one flag is an error."""
    visited = set(values.visited)
    for flag in flags:
        if len(flag.names) == 1:
            continue
        first: str | None = None
        for name in flag.names:
            if name in visited:
                if first is not None:
                    raise UsageError(f"Cannot use two forms of the same flag: {name} {first}")
                first = name
        if first is None:
            continue
        for name in flag.names:
            if name not in visited:
                values._values[name] = values._values[first]


# -- Go value parsers ------------------------------------------------------------------------


_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_go_bool(s: str) -> bool:
    """``strconv.ParseBool``."""
    if s in _GO_TRUE:
        return True
    if s in _GO_FALSE:
        return False
    raise _ParseError("parse error")


def parse_go_int(s: str) -> int:
    """``strconv.ParseInt(s, 0, 64)``: sign, ``0x``/``0o``/``0b``/``0`` prefixes, ``_``."""
    body = s[1:] if s[:1] in ("+", "-") else s
    negative = s[:1] == "-"
    if not body:
        raise _ParseError("parse error")
    base, digits = 10, body
    if body[0] == "0" and len(body) > 1:
        prefix = body[1].lower()
        if len(body) >= 3 and prefix in "box":
            base, digits = {"b": 2, "o": 8, "x": 16}[prefix], body[2:]
        else:
            base, digits = 8, body[1:]
    n = 0
    saw_underscore = False
    for ch in digits:
        if ch == "_":
            saw_underscore = True
            continue
        d = int(ch, 16) if ch in "0123456789abcdefABCDEF" else 99
        if d >= base:
            raise _ParseError("parse error")
        n = n * base + d
        if n > 1 << 64:
            raise _ParseError("value out of range")
    if saw_underscore and not _underscore_ok(s):
        raise _ParseError("parse error")
    if (not negative and n > INT64_MAX) or (negative and n > -INT64_MIN):
        raise _ParseError("value out of range")
    return -n if negative else n


def _underscore_ok(s: str) -> bool:
    """Go's rule: ``_`` only between digits, or right after a base prefix."""
    if s[:1] in ("+", "-"):
        s = s[1:]
    saw, i, hexa = "^", 0, False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        saw, i, hexa = "0", 2, s[1].lower() == "x"
    for ch in s[i:]:
        if ch.isdigit() or (hexa and ch.lower() in "abcdef"):
            saw = "0"
        elif ch == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


_DURATION_UNITS = {
    "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
    "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?([^\d.]*)")


def parse_go_duration(s: str) -> float:
    """``time.ParseDuration``, in seconds (``"1m30s"`` is 90.0, ``"0"`` is 0.0)."""
    negative = s[:1] == "-"
    if s[:1] in ("+", "-"):
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise _ParseError("parse error")
    total = 0.0
    while s:
        m = _DURATION_PART.match(s)
        if m is None or m.end() == 0:
            raise _ParseError("parse error")
        whole, frac, unit = m.group(1), m.group(2), m.group(3)
        if (not whole and not frac) or unit not in _DURATION_UNITS:
            raise _ParseError("parse error")
        value = float(f"{whole or 0}.{frac or 0}")
        total += value * _DURATION_UNITS[unit]
        s = s[m.end():]
    if total > INT64_MAX:
        raise _ParseError("parse error")
    return (-total if negative else total) / 1e9


def go_quote(s: str) -> str:
    """Go's ``%q`` (``strconv.Quote``) of a string that came from argv or a URL form."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable argv byte (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x10000:
            out.append(f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "\v": "\\v"}
