"""Field selectors: ``a=b``, ``a==b``, ``a!=b``, comma separated, with backslash escapes.

Each kind publishes a field set (``field -> value`` strings) through its strategy; a selector
naming a field outside that set is a 400 ``field label not supported: <field>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kubelite.api.labels import SelectorError


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    value: str
    negate: bool

    def matches(self, fields: Mapping[str, str]) -> bool:
        have = fields.get(self.field, "")
        return (have != self.value) if self.negate else (have == self.value)


@dataclass(frozen=True, slots=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(r.matches(fields) for r in self.requirements)

    def empty(self) -> bool:
        return not self.requirements

    def check_supported(self, supported: set[str]) -> None:
        for r in self.requirements:
            if r.field not in supported:
                raise SelectorError(f"field label not supported: {r.field}")

    def exact(self, field: str) -> str | None:
        """The value an ``=`` requirement on ``field`` demands, if any."""
        for r in self.requirements:
            if r.field == field and not r.negate:
                return r.value
        return None


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` not preceded by a backslash; keep escapes for later."""
    parts, cur, i = [], "", 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur += text[i:i + 2]
            i += 2
            continue
        if ch == sep:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    parts.append(cur)
    return parts


def _unescape(text: str) -> str:
    out, i = "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out += text[i + 1]
            i += 2
        else:
            out += text[i]
            i += 1
    return out


def parse(text: str) -> FieldSelector:
    reqs: list[FieldRequirement] = []
    for part in _split(text or "", ","):
        if not part.strip():
            continue
        for op, negate in (("!=", True), ("==", False), ("=", False)):
            idx = _find_unescaped(part, op)
            if idx >= 0:
                field, value = part[:idx].strip(), part[idx + len(op):]
                reqs.append(FieldRequirement(_unescape(field), _unescape(value), negate))
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
    return FieldSelector(tuple(reqs))


def _find_unescaped(text: str, op: str) -> int:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(op, i):
            return i
        i += 1
    return -1
