"""Command-line flags parsed the way kubectl's (spf13/pflag) are.

kubectl users type flags anywhere among the arguments, in every pflag form: ``--output=yaml``,
``--output yaml``, ``-o yaml``, ``-oyaml``, ``-o=yaml``, boolean shorthands grouped as
``-Aw``, ``--wait=false``, and ``--`` to end the flags. String-slice flags (``-f``, ``-L``)
may repeat and also split on commas. Errors are :class:`FlagError` with pflag's wording
(``unknown flag: --foo``, ``flag needs an argument: 'o' in -o``). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Kind(Enum):
    BOOL = "bool"
    STRING = "string"
    INT = "int"
    STRINGS = "strings"        # repeatable, comma-separated (pflag StringSlice)
    STRING_ARRAY = "array"     # repeatable, no comma splitting (pflag StringArray)
    DURATION = "duration"      # kept as the text; see :func:`parse_duration`


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    kind: Kind = Kind.STRING
    short: str = ""
    default: Any = None
    help: str = ""
    no_opt: str | None = None  # value of a bare ``--flag`` (pflag NoOptDefVal)

    def initial(self) -> Any:
        if self.kind in (Kind.STRINGS, Kind.STRING_ARRAY):
            return list(self.default or [])
        if self.default is not None:
            return self.default
        return {Kind.BOOL: False, Kind.INT: 0}.get(self.kind, "")


class FlagError(Exception):
    """A command-line error; kubectl prints ``error: <message>`` and a hint to use --help."""


@dataclass
class Parsed:
    values: dict[str, Any]
    args: list[str]
    given: set[str]
    dash_index: int = -1  # position in ``args`` where ``--`` was seen (-1 if never)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def changed(self, name: str) -> bool:
        return name in self.given


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def _convert(flag: Flag, text: str, shown: str) -> Any:
    if flag.kind is Kind.BOOL:
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise FlagError(f'invalid argument "{text}" for "{shown}" flag: '
                        f'strconv.ParseBool: parsing "{text}": invalid syntax')
    if flag.kind is Kind.INT:
        try:
            return int(text, 0) if text.strip() == text else int("x")
        except ValueError:
            raise FlagError(f'invalid argument "{text}" for "{shown}" flag: '
                            f'strconv.ParseInt: parsing "{text}": invalid syntax') from None
    if flag.kind is Kind.DURATION and text and parse_duration(text) is None:
        raise FlagError(f'invalid argument "{text}" for "{shown}" flag: '
                        f'time: invalid duration "{text}"')
    return text


def _store(values: dict[str, Any], flag: Flag, value: Any) -> None:
    if flag.kind is Kind.STRINGS:
        values[flag.name].extend(v for v in str(value).split(",") if v != "" or value == "")
    elif flag.kind is Kind.STRING_ARRAY:
        values[flag.name].append(value)
    else:
        values[flag.name] = value


def parse(argv: list[str], flags: list[Flag]) -> Parsed:
    """Split ``argv`` into flag values (defaults filled in) and positional arguments."""
    by_name = {f.name: f for f in flags}
    by_short = {f.short: f for f in flags if f.short}
    values = {f.name: f.initial() for f in flags}
    given: set[str] = set()
    args: list[str] = []
    dash_index = -1
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            dash_index = len(args)
            args.extend(argv[i:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, text = arg[2:].partition("=")
            flag = by_name.get(name)
            if flag is None:
                raise FlagError(f"unknown flag: --{name}")
            if not eq:
                if flag.kind is Kind.BOOL:
                    text = "true"
                elif flag.no_opt is not None:
                    text = flag.no_opt
                elif i < len(argv):
                    text = argv[i]
                    i += 1
                else:
                    raise FlagError(f"flag needs an argument: --{name}")
            _store(values, flag, _convert(flag, text, "--" + name))
            given.add(flag.name)
            continue
        if arg.startswith("-") and len(arg) > 1:
            i = _parse_shorts(arg, argv, i, by_short, values, given)
            continue
        args.append(arg)
    return Parsed(values, args, given, dash_index)


def _parse_shorts(arg: str, argv: list[str], i: int, by_short: dict[str, Flag],
                  values: dict[str, Any], given: set[str]) -> int:
    rest = arg[1:]
    while rest:
        ch, rest = rest[0], rest[1:]
        flag = by_short.get(ch)
        if flag is None:
            raise FlagError(f"unknown shorthand flag: '{ch}' in {arg}")
        shown = f"-{ch}, --{flag.name}"
        if rest.startswith("="):
            text, rest = rest[1:], ""
        elif flag.kind is Kind.BOOL:
            text = "true"
        elif flag.no_opt is not None and not rest:
            text = flag.no_opt
        elif rest:
            text, rest = rest, ""
        elif i < len(argv):
            text = argv[i]
            i += 1
        else:
            raise FlagError(f"flag needs an argument: '{ch}' in -{ch}")
        _store(values, flag, _convert(flag, text, shown))
        given.add(flag.name)
    return i


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """A Go duration (``30s``, ``1m30s``, ``1.5h``, ``0``) in seconds; None if malformed."""
    import re

    if text in ("0", "-0", "+0"):
        return 0.0
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", body)
    if not parts or "".join(n + u for n, u in parts) != body:
        return None
    return sign * sum(float(n) * _UNITS[u] for n, u in parts)
