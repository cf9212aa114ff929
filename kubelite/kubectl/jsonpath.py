"""kubectl's JSONPath templates (``-o jsonpath=...``), as client-go's ``util/jsonpath``
reads and prints them.

A template is literal text with ``{actions}``. An action is a path from the current value:
``.field`` (``\\.`` escapes a dot in a key), ``['key']``, ``[n]``, ``[start:end:step]``,
``[*]``, ``[a,b]`` unions, ``..`` recursive descent, ``*`` wildcards, filters
``[?(@.x=="y")]`` (``==  != < > <= >=`` and existence), quoted literals (``{"\\n"}``), and
``{range <path>}...{end}`` loops whose body runs once per result, with that result as the
current value. Missing keys yield nothing (kubectl's ``--allow-missing-template-keys``).

Printing follows client-go: several results of one action are separated by a space, maps and
lists print as compact JSON, ``null`` as ``null``, everything else as Go's ``fmt.Print``.
Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kubelite.kubectl.yamlout import compact_json

_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_DICT_KEY = re.compile(r"^'([^']*)'$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$")
_TERMINATORS = set(" \t\r\n.,[]$@{}")


class JSONPathError(Exception):
    pass


# -- nodes ---------------------------------------------------------------------------------

@dataclass
class Text:
    text: str


@dataclass
class Field:
    name: str


@dataclass
class Wildcard:
    pass


@dataclass
class Recursive:
    pass


@dataclass
class Index:
    start: int | None
    end: int | None
    step: int | None
    derived_end: bool = False


@dataclass
class Union:
    branches: list[list[Any]]


@dataclass
class Filter:
    left: list[Any]
    op: str
    right: list[Any]


@dataclass
class Literal:
    value: Any  # int, float or bool


@dataclass
class Ident:
    name: str  # "range" or "end"


@dataclass
class Action:
    nodes: list[Any] = field(default_factory=list)


# -- parser --------------------------------------------------------------------------------

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


# -- evaluation ----------------------------------------------------------------------------

def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return list(value.encode())  # Go walks a string's bytes, which have no children
    return []


def _eval_nodes(values: list[Any], nodes: list[Any]) -> list[Any]:
    for node in nodes:
        values = _eval_node(values, node)
    return values


def _eval_node(values: list[Any], node: Any) -> list[Any]:
    if isinstance(node, Text):
        return [node.text]
    if isinstance(node, Literal):
        return [node.value for _ in values]
    if isinstance(node, Field):
        return [v[node.name] for v in values if isinstance(v, dict) and node.name in v]
    if isinstance(node, Wildcard):
        return [c for v in values if v is not None for c in _children(v)]
    if isinstance(node, Recursive):
        return _recursive(values)
    if isinstance(node, Index):
        return _index(values, node)
    if isinstance(node, Union):
        return [r for branch in node.branches for r in _eval_nodes(values, branch)]
    if isinstance(node, Filter):
        return _filter(values, node)
    if isinstance(node, Ident):
        if node.name in ("range", "end"):
            return values
        raise JSONPathError(f"unrecognized identifier {node.name}")
    raise JSONPathError(f"unexpected node {node!r}")


def _recursive(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value is None:
            continue
        kids = _children(value)
        if kids:
            out.append(value)
            out.extend(_recursive(kids))
    return out


def _index(values: list[Any], node: Index) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value is None:
            continue
        if not isinstance(value, list):
            raise JSONPathError(f"{_go_type(value)} is not array or slice")
        length = len(value)
        start = node.start if node.start is not None else 0
        if start < 0:
            start += length
        stop = node.end if node.end is not None else length
        if node.end is not None and (stop < 0 or (stop == 0 and node.derived_end)):
            stop += length
        if stop == start:
            continue
        if start >= length or start < 0:
            raise JSONPathError(f"array index out of bounds: index {start}, length {length}")
        if stop > length or stop < 0:
            raise JSONPathError(f"array index out of bounds: index {stop - 1}, length {length}")
        if start > stop:
            raise JSONPathError(f"starting index {start} is greater than ending index {stop}")
        step = node.step or 1
        if node.step is not None and node.step <= 0:
            raise JSONPathError("step must be > 0")
        out.extend(value[start:stop:step])
    return out


def _compare(left: Any, op: str, right: Any) -> bool:
    numeric = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        if op in ("==", "!="):
            return bool((left == right) == (op == "=="))
        raise JSONPathError("invalid type for comparison")
    if isinstance(left, numeric) and isinstance(right, numeric):
        pass
    elif isinstance(left, str) and isinstance(right, str):
        pass
    else:
        raise JSONPathError("incompatible types for comparison")
    return bool({"==": left == right, "!=": left != right, "<": left < right,
                 ">": left > right, "<=": left <= right, ">=": left >= right}.get(op, False))


def _filter(values: list[Any], node: Filter) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if not isinstance(value, list):
            raise JSONPathError(f"{value} is not array or slice and cannot be filtered")
        for item in value:
            if node.op == "exists":  # errors count as "does not exist" here, as in client-go
                try:
                    if _eval_nodes([item], node.left):
                        out.append(item)
                except JSONPathError:
                    pass
                continue
            lefts = _eval_nodes([item], node.left)
            if not lefts:
                continue
            if len(lefts) > 1:
                raise JSONPathError("can only compare one element at a time")
            rights = _eval_nodes([item], node.right)
            if not rights:
                continue
            if len(rights) > 1:
                raise JSONPathError("can only compare one element at a time")
            if node.op not in ("==", "!=", "<", ">", "<=", ">="):
                raise JSONPathError(f"unrecognized filter operator {node.op}")
            if _compare(lefts[0], node.op, rights[0]):
                out.append(item)
    return out


def _go_type(value: Any) -> str:
    return {dict: "map[string]interface {}", str: "string", bool: "bool", int: "int64",
            float: "float64"}.get(type(value), "interface {}")


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return compact_json(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e21 else str(int(value))
    return str(value)


def _print(results: list[Any], as_json: bool) -> str:
    if as_json:
        from kubelite.kubectl.yamlout import to_json
        return to_json(results)
    return " ".join(_text(r) for r in results)


def execute(template: str, data: Any, as_json: bool = False) -> str:
    """Render ``template`` against ``data`` (``range``/``end`` loops included)."""
    items = parse(template)
    out: list[str] = []
    _run(items, 0, len(items), data, out, as_json)
    return "".join(out)


def _find_end(items: list[Text | Action], start: int) -> int:
    depth = 0
    for i in range(start, len(items)):
        item = items[i]
        if isinstance(item, Action) and item.nodes and isinstance(item.nodes[0], Ident):
            if item.nodes[0].name == "range":
                depth += 1
            elif item.nodes[0].name == "end":
                if depth == 0:
                    return i
                depth -= 1
    raise JSONPathError("unclosed range")


def _run(items: list[Text | Action], start: int, stop: int, data: Any, out: list[str],
         as_json: bool) -> None:
    i = start
    while i < stop:
        item = items[i]
        if isinstance(item, Text):
            out.append(_print([item.text], as_json))
            i += 1
            continue
        first = item.nodes[0] if item.nodes else None
        if isinstance(first, Ident) and first.name == "end":
            raise JSONPathError("not in range, nothing to end")
        if isinstance(first, Ident) and first.name == "range":
            end = _find_end(items, i + 1)
            for value in _eval_nodes([data], item.nodes[1:]):
                _run(items, i + 1, end, value, out, as_json)
            i = end + 1
            continue
        out.append(_print(_eval_nodes([data], item.nodes), as_json))
        i += 1
