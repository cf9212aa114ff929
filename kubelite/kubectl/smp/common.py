"""What the diff and the merge halves of the three-way patch share: the directive names,
the schema lookups (patch strategy and merge key of a field) and Go's value semantics
(numbers all ``float64``, ``%v`` strings, the order quirks of the Go code). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubelite.api import schema

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"


class PatchError(Exception):
    pass


@dataclass(frozen=True)
class DiffOptions:
    set_element_order: bool = False
    ignore_changes_and_additions: bool = False
    ignore_deletions: bool = False
    build_retain_keys: bool = False


def field_type(type_name: str | None, key: str) -> str | None:
    if type_name is None:
        return None
    if type_name.startswith("{"):
        return schema.element_type(type_name)
    return schema.field_type(type_name, key)


def elem_type(type_expr: str | None) -> str | None:
    if type_expr and type_expr.startswith("["):
        return schema.element_type(type_expr)
    return None


def patch_strategy(type_name: str | None, key: str) -> tuple[bool, str, str]:
    """(retainKeys?, other strategy, merge key) of a field."""
    meta = schema.patch_meta(type_name, key) if type_name and not type_name.startswith("{") \
        else None
    if meta is None:
        return False, "", ""
    parts = [p for p in meta.strategy.split(",") if p]
    retain = "retainKeys" in parts
    others = [p for p in parts if p != "retainKeys"]
    return retain, others[0] if others else "", meta.merge_key


def kind_of(value: Any) -> str:
    """JSON type as Go's decoder sees it (every number is a float64)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def go_str(value: Any) -> str:
    """``fmt.Sprintf("%v", v)`` of a decoded JSON scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_str(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_str(v) for v in value) + "]"
    return str(value)


def equal(a: Any, b: Any) -> bool:
    if kind_of(a) != kind_of(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def element_kind(*lists: list[Any]) -> str:
    kind = ""
    for items in lists:
        for item in items:
            this = kind_of(item)
            if this == "list":
                raise PatchError("lists of lists are not supported")
            if kind and this != kind:
                raise PatchError(f"list element types are not identical: {lists}")
            kind = this
    if not kind:
        raise PatchError("no elements in any of the given slices")
    return kind


def sort_scalars(values: list[Any]) -> list[Any]:
    return sorted(values, key=go_str)


def dedupe_scalars(values: list[Any]) -> list[Any]:
    """apimachinery's in-place de-duplication (it moves the last item into a duplicate's
    place, so the order changes exactly as the patch bytes show)."""
    s = list(values)
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if equal(s[i], s[j]):
                s[j] = s[length]
                s = s[:length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return s


def key_of(item: Any, merge_key: str, is_map: bool) -> Any:
    if is_map:
        return item.get(merge_key) if isinstance(item, dict) else None
    return item


def index_of(items: list[Any], value: Any, merge_key: str, is_map: bool) -> int:
    wanted = key_of(value, merge_key, is_map)
    for i, item in enumerate(items):
        if equal(key_of(item, merge_key, is_map), wanted):
            return i
    return -1


def normalize_slice_order(to_sort: list[Any], order: list[Any], merge_key: str,
                           is_map: bool) -> list[Any]:
    deletes: list[Any] = []
    items = list(to_sort)
    if is_map:
        for item in items + list(order):
            if not isinstance(item, dict) or merge_key not in item:
                raise PatchError(f"map: {go_str(item)} does not contain declared merge key: "
                                 f"{merge_key}")
        deletes = [i for i in items if i.get(DIRECTIVE) == "delete"]
        items = [i for i in items if i.get(DIRECTIVE) != "delete"]

    def less(x: Any, y: Any) -> bool:
        ix, iy = index_of(order, x, merge_key, is_map), index_of(order, y, merge_key, is_map)
        if ix >= 0 and iy >= 0:
            return ix < iy
        return True

    # Go's sort.SliceStable is an insertion sort for short lists; its comparator is not a
    # strict order for items missing from ``order``, so the same algorithm is used here.
    for k in range(1, len(items)):
        m = k
        while m > 0 and less(items[m], items[m - 1]):
            items[m], items[m - 1] = items[m - 1], items[m]
            m -= 1
    return items + deletes
