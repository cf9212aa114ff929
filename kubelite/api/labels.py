"""Label selectors: parse the query-string form, build from ``LabelSelector`` objects, match.

The string grammar is kube's ``labels.Parse``: comma-separated requirements, each one of
``key``, ``!key``, ``key=v``, ``key==v``, ``key!=v``, ``key in (a,b)``, ``key notin (a,b)``,
``key>n``, ``key<n``. ``!=`` and ``notin`` also match objects without the key. An empty
selector matches everything. Parse errors raise :class:`SelectorError` (a 400 upstream).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class SelectorError(ValueError):
    pass


class Op(enum.Enum):
    EQUALS = "="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"
    GT = "gt"
    LT = "lt"


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: Op
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        match self.op:
            case Op.EQUALS | Op.IN:
                return has and value in self.values
            case Op.NOT_EQUALS | Op.NOT_IN:
                return not has or value not in self.values
            case Op.EXISTS:
                return has
            case Op.DOES_NOT_EXIST:
                return not has
            case Op.GT | Op.LT:
                if not has:
                    return False
                try:
                    have, want = int(str(value)), int(self.values[0])
                except ValueError:
                    return False
                return have > want if self.op is Op.GT else have < want
        return False

    def __str__(self) -> str:
        match self.op:
            case Op.EQUALS:
                return f"{self.key}={self.values[0]}"
            case Op.NOT_EQUALS:
                return f"{self.key}!={self.values[0]}"
            case Op.IN | Op.NOT_IN:
                return f"{self.key} {self.op.value} ({','.join(sorted(self.values))})"
            case Op.EXISTS:
                return self.key
            case Op.DOES_NOT_EXIST:
                return f"!{self.key}"
            case Op.GT:
                return f"{self.key}>{self.values[0]}"
            case Op.LT:
                return f"{self.key}<{self.values[0]}"
        return self.key


@dataclass(frozen=True, slots=True)
class Selector:
    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False  # a nil selector: matches no object

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        return not self.requirements and not self.nothing

    def __str__(self) -> str:
        return ",".join(str(r) for r in sorted(self.requirements, key=lambda r: r.key))


EVERYTHING = Selector()
NOTHING = Selector(nothing=True)

_TOKEN = re.compile(r"\s*(!=|==|=|>|<|!|\(|\)|,|[^\s!=<>(),]+)")
_KEY = re.compile(r"^([a-z0-9A-Z]([-a-z0-9A-Z_./]*[a-z0-9A-Z])?)$")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise SelectorError(f"unable to parse requirement: invalid character at {pos}")
        out.append(m.group(1))
        pos = m.end()
    return out


def parse(text: str) -> Selector:
    """Parse a ``labelSelector`` query value."""
    toks = _tokens(text or "")
    reqs: list[Requirement] = []
    i = 0

    def expect_key(tok: str) -> str:
        if not _KEY.match(tok):
            raise SelectorError(f"unable to parse requirement: invalid label key \"{tok}\"")
        return tok

    while i < len(toks):
        tok = toks[i]
        if tok == "!":
            if i + 1 >= len(toks):
                raise SelectorError("unable to parse requirement: found '', expected: identifier")
            reqs.append(Requirement(expect_key(toks[i + 1]), Op.DOES_NOT_EXIST))
            i += 2
        else:
            key = expect_key(tok)
            nxt = toks[i + 1] if i + 1 < len(toks) else ","
            if nxt == ",":
                reqs.append(Requirement(key, Op.EXISTS))
                i += 1
            elif nxt in ("=", "==", "!=", ">", "<"):
                value = toks[i + 2] if i + 2 < len(toks) and toks[i + 2] != "," else ""
                op = {"=": Op.EQUALS, "==": Op.EQUALS, "!=": Op.NOT_EQUALS,
                      ">": Op.GT, "<": Op.LT}[nxt]
                if op in (Op.GT, Op.LT) and not value.lstrip("-").isdigit():
                    raise SelectorError(
                        "unable to parse requirement: for 'Gt', 'Lt' operators, the value "
                        "must be an integer")
                reqs.append(Requirement(key, op, (value,)))
                i += 3 if value else 2
            elif nxt in ("in", "notin"):
                if i + 2 >= len(toks) or toks[i + 2] != "(":
                    raise SelectorError(
                        "unable to parse requirement: found '" + (toks[i + 2] if i + 2 < len(toks) else "")
                        + "', expected: '('")
                j = i + 3
                values: list[str] = []
                while j < len(toks) and toks[j] != ")":
                    if toks[j] != ",":
                        values.append(toks[j])
                    j += 1
                if j >= len(toks):
                    raise SelectorError("unable to parse requirement: found '', expected: ')'")
                reqs.append(Requirement(key, Op.IN if nxt == "in" else Op.NOT_IN, tuple(values)))
                i = j + 1
            else:
                raise SelectorError(
                    f"unable to parse requirement: found '{nxt}', expected: "
                    "in, notin, =, ==, !=, gt, lt")
        if i < len(toks):
            if toks[i] != ",":
                raise SelectorError(f"unable to parse requirement: found '{toks[i]}', expected: ','")
            i += 1
            if i == len(toks):
                raise SelectorError("found '', expected: identifier after ','")
    return Selector(tuple(reqs))


_EXPR_OPS = {"In": Op.IN, "NotIn": Op.NOT_IN, "Exists": Op.EXISTS, "DoesNotExist": Op.DOES_NOT_EXIST}


def from_label_selector(sel: Any) -> Selector:
    """A ``metav1.LabelSelector`` object (``matchLabels`` + ``matchExpressions``).

    ``None`` selects nothing, ``{}`` everything (kube's ``LabelSelectorAsSelector``).
    """
    if sel is None:
        return NOTHING
    reqs = [Requirement(k, Op.EQUALS, (v,)) for k, v in (sel.get("matchLabels") or {}).items()]
    for expr in sel.get("matchExpressions") or []:
        op = _EXPR_OPS.get(expr.get("operator", ""))
        if op is None:
            raise SelectorError(f"\"{expr.get('operator')}\" is not a valid label selector operator")
        reqs.append(Requirement(expr.get("key", ""), op, tuple(expr.get("values") or ())))
    return Selector(tuple(reqs))


def from_map(labels: Mapping[str, str] | None) -> Selector:
    """A plain ``map[string]string`` selector (services, replication controllers)."""
    return Selector(tuple(Requirement(k, Op.EQUALS, (v,)) for k, v in (labels or {}).items()))
