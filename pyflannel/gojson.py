"""Go-style JSON decoding helpers (pure).

flannel decodes its network config and lease values with Go's ``encoding/json`` into
structs, which differs from a plain ``json.loads`` in ways users rely on:

* object keys match struct fields case-insensitively (``"network"`` fills ``Network``);
  when a key appears twice, the later one wins;
* unknown keys are ignored;
* ``null`` leaves a field at its zero value;
* a value of the wrong JSON type is an error (``"SubnetLen": "24"``, ``24.0`` into an int).

:func:`decode_object` turns a JSON document into ``{canonical field name: value}`` with
those rules, and the ``want_*`` helpers check the types as Go would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


class DecodeError(ValueError):
    """The JSON text could not be decoded into the expected struct."""


class JsonObject(list[tuple[str, Any]]):
    """A JSON object as its ordered members, duplicates kept (Go applies "last wins")."""


def _pairs_hook(pairs: list[tuple[str, Any]]) -> JsonObject:
    return JsonObject(pairs)


def parse_pairs(text: str | bytes) -> JsonObject:
    """Parse a JSON object, keeping its members as an ordered list of pairs."""
    try:
        doc = json.loads(text, object_pairs_hook=_pairs_hook)
    except ValueError as exc:
        raise DecodeError(f"invalid character in JSON: {exc}") from None
    if not isinstance(doc, JsonObject):
        raise DecodeError(f"json: cannot unmarshal {go_type_name(doc)} into Go value of type struct")
    return doc


def decode_object(
    pairs: JsonObject, fields: Iterable[str], raw_fields: Iterable[str] = ()
) -> dict[str, Any]:
    """Map JSON members onto struct ``fields`` the way Go does (case-insensitive, last wins).

    Members whose value is ``null`` are dropped (the field keeps its zero value), except
    ``raw_fields`` (Go ``json.RawMessage``), which keep ``null`` as None.
    """
    keep_null = set(raw_fields)
    by_fold: dict[str, str] = {}
    for field_name in fields:
        by_fold.setdefault(field_name.casefold(), field_name)
    exact = set(by_fold.values())
    out: dict[str, Any] = {}
    for key, value in pairs:
        name = key if key in exact else by_fold.get(key.casefold())
        if name is None:
            continue
        if value is None and name not in keep_null:
            out.pop(name, None)
            continue
        out[name] = value
    return out


def go_type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, JsonObject):
        return "object"
    if isinstance(value, list):
        return "array"
    return "value"


def _mismatch(field: str, value: Any, go_type: str) -> DecodeError:
    return DecodeError(
        f"json: cannot unmarshal {go_type_name(value)} into Go struct field .{field} of type {go_type}"
    )


def want_str(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _mismatch(field, value, "string")
    return value


def want_bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _mismatch(field, value, "bool")
    return value


def want_int(field: str, value: Any, go_type: str, lo: int, hi: int) -> int:
    """An integer JSON number within ``[lo, hi]`` (Go rejects 24.0 or 1e3 for an int field)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _mismatch(field, value, go_type)
    if not lo <= value <= hi:
        raise DecodeError(f"json: cannot unmarshal number {value} into Go struct field .{field} of type {go_type}")
    return value


def want_object(field: str, value: Any) -> JsonObject:
    if not isinstance(value, JsonObject):
        raise _mismatch(field, value, "struct")
    return value


def to_plain(value: Any) -> Any:
    """Turn the pair-list representation back into plain dicts (last key wins)."""
    if isinstance(value, JsonObject):
        return {k: to_plain(v) for k, v in value}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def compact(value: Any) -> str:
    """Go's ``json.Marshal`` spelling of a plain value: compact, no spaces."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
