"""client-go's JSONPath template grammar: text with ``{actions}``; inside an action, fields,
indexes and slices, unions, filters, recursive descent, quoted literals, ``range``/``end``."""

from __future__ import annotations

import re
from typing import Any

from kubelite.kubectl.jsonpath.nodes import (
    Action,
    Field,
    Filter,
    Ident,
    Index,
    JSONPathError,
    Literal,
    Recursive,
    Text,
    Union,
    Wildcard,
)

_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_DICT_KEY = re.compile(r"^'([^']*)'$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$")
_TERMINATORS = set(" \t\r\n.,[]$@{}")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def parse_template(self) -> list[Text | Action]:
        out: list[Text | Action] = []
        while self.pos < len(self.text):
            brace = self.text.find("{", self.pos)
            if brace < 0:
                out.append(Text(self.text[self.pos:]))
                break
            if brace > self.pos:
                out.append(Text(self.text[self.pos:brace]))
            self.pos = brace + 1
            action = Action()
            self._inside(action.nodes, closing="}")
            out.append(action)
        return out

    def _peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def _inside(self, nodes: list[Any], closing: str | None) -> None:
        while True:
            if self.pos >= len(self.text):
                if closing is None:
                    return
                raise JSONPathError("unclosed action")
            rest = self.text[self.pos:]
            if closing and rest.startswith(closing):
                self.pos += len(closing)
                return
            if rest.startswith("[?("):
                self._filter(nodes)
                continue
            if rest.startswith(".."):
                if nodes and isinstance(nodes[-1], Recursive):
                    raise JSONPathError("invalid multiple recursive descent")
                self.pos += 2
                nodes.append(Recursive())
                if self.pos < len(self.text) and (self.text[self.pos].isalnum()
                                                  or self.text[self.pos] == "_"):
                    self._field(nodes)
                continue
            ch = self.text[self.pos]
            if ch in "\r\n":
                raise JSONPathError("unclosed action")
            if ch in " @$":
                self.pos += 1
            elif ch == "[":
                self._array(nodes)
            elif ch in "\"'":
                self._quote(nodes, ch)
            elif ch == ".":
                self.pos += 1
                self._field(nodes)
            elif ch in "+-" or ch.isdigit():
                self._number(nodes)
            elif ch.isalnum() or ch == "_":
                self._ident(nodes)
            else:
                raise JSONPathError(f"unrecognized character in action: {ch!r}")

    def _field(self, nodes: list[Any]) -> None:
        start = self.pos
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\":
                self.pos += 2
                continue
            if ch in _TERMINATORS:
                break
            self.pos += 1
        value = self.text[start:self.pos]
        nodes.append(Wildcard() if value == "*" else Field(value.replace("\\", "")))

    def _ident(self, nodes: list[Any]) -> None:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _TERMINATORS:
            self.pos += 1
        value = self.text[start:self.pos]
        if value in ("true", "false"):
            nodes.append(Literal(value == "true"))
        else:
            nodes.append(Ident(value))

    def _number(self, nodes: list[Any]) -> None:
        start = self.pos
        if self.text[self.pos] in "+-":
            self.pos += 1
        while self.pos < len(self.text) and (self.text[self.pos] == "."
                                             or self.text[self.pos].isdigit()):
            self.pos += 1
        value = self.text[start:self.pos]
        try:
            nodes.append(Literal(int(value)))
        except ValueError:
            try:
                nodes.append(Literal(float(value)))
            except ValueError:
                raise JSONPathError(f"cannot parse number {value}") from None

    def _quote(self, nodes: list[Any], quote: str) -> None:
        start = self.pos
        self.pos += 1
        while True:
            if self.pos >= len(self.text) or self.text[self.pos] == "\n":
                raise JSONPathError("unterminated quoted string")
            if self.text[self.pos] == quote and self.text[self.pos - 1] != "\\":
                self.pos += 1
                break
            self.pos += 1
        raw = self.text[start + 1:self.pos - 1]
        try:
            value = _unquote(raw, quote)
        except ValueError:
            raise JSONPathError(f"unquote string {self.text[start:self.pos]} error") from None
        nodes.append(Text(value))

    def _array(self, nodes: list[Any]) -> None:
        end = self.pos
        while True:
            end += 1
            if end >= len(self.text) or self.text[end] == "\n":
                raise JSONPathError("unterminated array")
            if self.text[end] == "]":
                break
        text = self.text[self.pos + 1:end]
        self.pos = end + 1
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            branches = []
            for part in parts:
                sub = _Parser(f"[{part.strip()}]")
                branch: list[Any] = []
                sub._inside(branch, closing=None)
                branches.append(branch)
            nodes.append(Union(branches))
            return
        key = _DICT_KEY.match(text)
        if key:
            nodes.append(Field(key.group(1)))
            return
        m = _SLICE.match(text)
        if m is None:
            raise JSONPathError(f"invalid array index {text}")
        first, second, third = m.group(1), m.group(2), m.group(3)
        start = int(first) if first not in ("", "-") else None
        if second is None:
            nodes.append(Index(start or 0, (start or 0) + 1, None, derived_end=True))
            return
        stop = int(second[1:]) if second[1:] not in ("", "-") else None
        step = int(third[1:]) if third and third[1:] not in ("", "-") else None
        nodes.append(Index(start, stop, step))

    def _filter(self, nodes: list[Any]) -> None:
        self.pos += 3
        start = self.pos
        begin = end = False
        pair = ""
        while True:
            if self.pos >= len(self.text) or self.text[self.pos] == "\n":
                raise JSONPathError("unterminated filter")
            ch = self.text[self.pos]
            self.pos += 1
            if ch in "\"'":
                if not begin:
                    begin, pair = True, ch
                    continue
                if self.text[self.pos - 2] != "\\" and ch == pair:
                    end = True
            elif ch == ")" and begin == end:
                break
        if self._peek() != "]":
            raise JSONPathError("unclosed array expect ]")
        self.pos += 1
        text = self.text[start:self.pos - 2]
        m = _FILTER.match(text)
        if m is None:
            exists: list[Any] = []
            _Parser(text)._inside(exists, closing=None)
            nodes.append(Filter(exists, "exists", []))
            return
        left: list[Any] = []
        right: list[Any] = []
        _Parser(m.group(1))._inside(left, closing=None)
        _Parser(m.group(3))._inside(right, closing=None)
        nodes.append(Filter(left, m.group(2), right))


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", "'": "'", '"': '"'}


def _unquote(raw: str, quote: str) -> str:
    """Go's ``strconv.UnquoteChar`` escapes inside a quoted literal."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = raw[i + 1:i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            out.append(chr(int(raw[i + 2:i + 2 + width], 16)))
            i += 2 + width
        else:
            raise ValueError(raw)
    return "".join(out)


def parse(template: str) -> list[Text | Action]:
    return _Parser(template).parse_template()
