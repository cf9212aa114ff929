"""The three-way strategic merge patch of client-side ``apply``, computed as kubectl computes
it (apimachinery's ``CreateThreeWayMergePatch`` with ``overwrite=true``).

Inputs are three JSON objects: *original* (the last-applied configuration annotation),
*modified* (the manifest, annotated) and *current* (the live object). The patch is

* **delta**: what changed or was added from *current* to *modified*, never deleting, plus
* **deletions**: what *original* had and *modified* dropped (``null`` for a map key,
  ``{"<mergeKey>": v, "$patch": "delete"}`` for an item of a merged list of objects,
  ``$deleteFromPrimitiveList/<list>`` for a merged list of scalars),

with ``$setElementOrder/<list>`` for merged lists that changed and ``$retainKeys`` for
fields whose strategy is ``retainKeys``. An empty patch means "unchanged".

The patch strategy of a field comes from the apiserver's schema tables
(:mod:`kubelite.api.schema`, the ``x-kubernetes-patch-*`` metadata of the built-in types, the
same the kubectl binary has compiled in). Fields the schema does not know are diffed like a
JSON merge patch (maps recursed, lists replaced). Orderings follow the Go code's, including
its sort and de-duplication quirks, so the patch bytes match kubectl's. Pure.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
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


# -- schema lookups ------------------------------------------------------------------------

def _field_type(type_name: str | None, key: str) -> str | None:
    if type_name is None:
        return None
    if type_name.startswith("{"):
        return schema.element_type(type_name)
    return schema.field_type(type_name, key)


def _elem_type(type_expr: str | None) -> str | None:
    if type_expr and type_expr.startswith("["):
        return schema.element_type(type_expr)
    return None


def _strategy(type_name: str | None, key: str) -> tuple[bool, str, str]:
    """(retainKeys?, other strategy, merge key) of a field."""
    meta = schema.patch_meta(type_name, key) if type_name and not type_name.startswith("{") \
        else None
    if meta is None:
        return False, "", ""
    parts = [p for p in meta.strategy.split(",") if p]
    retain = "retainKeys" in parts
    others = [p for p in parts if p != "retainKeys"]
    return retain, others[0] if others else "", meta.merge_key


# -- Go's value semantics ------------------------------------------------------------------

def _kind(value: Any) -> str:
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


def _equal(a: Any, b: Any) -> bool:
    if _kind(a) != _kind(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _element_kind(*lists: list[Any]) -> str:
    kind = ""
    for items in lists:
        for item in items:
            this = _kind(item)
            if this == "list":
                raise PatchError("lists of lists are not supported")
            if kind and this != kind:
                raise PatchError(f"list element types are not identical: {lists}")
            kind = this
    if not kind:
        raise PatchError("no elements in any of the given slices")
    return kind


def _sort_scalars(values: list[Any]) -> list[Any]:
    return sorted(values, key=go_str)


def _dedupe_scalars(values: list[Any]) -> list[Any]:
    """apimachinery's in-place de-duplication (it moves the last item into a duplicate's
    place, so the order changes exactly as the patch bytes show)."""
    s = list(values)
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _equal(s[i], s[j]):
                s[j] = s[length]
                s = s[:length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return s


def _key_of(item: Any, merge_key: str, is_map: bool) -> Any:
    if is_map:
        return item.get(merge_key) if isinstance(item, dict) else None
    return item


def _index(items: list[Any], value: Any, merge_key: str, is_map: bool) -> int:
    wanted = _key_of(value, merge_key, is_map)
    for i, item in enumerate(items):
        if _equal(_key_of(item, merge_key, is_map), wanted):
            return i
    return -1


# -- diff ----------------------------------------------------------------------------------

def diff_maps(original: dict[str, Any], modified: dict[str, Any], type_name: str | None,
              opts: DiffOptions) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    retain: list[Any] = []
    for key, mod in modified.items():
        if opts.build_retain_keys and mod is not None:
            retain.append(key)
        if key not in original:
            if not opts.ignore_changes_and_additions:
                patch[key] = mod
            continue
        orig = original[key]
        if key == DIRECTIVE:
            if isinstance(orig, str) and isinstance(mod, str) and orig != mod:
                patch[key] = mod
            continue
        if _kind(orig) != _kind(mod):
            if not opts.ignore_changes_and_additions:
                patch[key] = mod
            continue
        if isinstance(orig, dict):
            _map_diff(key, orig, mod, patch, type_name, opts)
        elif isinstance(orig, list):
            _slice_diff(key, orig, mod, patch, type_name, opts)
        elif not opts.ignore_changes_and_additions and not _equal(orig, mod):
            patch[key] = mod
    if not opts.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    if retain and (patch or any(v is not None and k not in modified for k, v in original.items())):
        patch[RETAIN_KEYS] = _sort_scalars(retain)
    return patch


def _map_diff(key: str, orig: dict[str, Any], mod: dict[str, Any], patch: dict[str, Any],
              type_name: str | None, opts: DiffOptions) -> None:
    retain, strategy, _ = _strategy(type_name, key)
    if strategy == "replace":
        if not opts.ignore_changes_and_additions:
            patch[key] = mod
        return
    value = diff_maps(orig, mod, _field_type(type_name, key),
                      replace(opts, build_retain_keys=retain))
    if value:
        patch[key] = value


def _slice_diff(key: str, orig: list[Any], mod: list[Any], patch: dict[str, Any],
                type_name: str | None, opts: DiffOptions) -> None:
    retain, strategy, merge_key = _strategy(type_name, key)
    if strategy != "merge":
        if not opts.ignore_changes_and_additions and not _equal(orig, mod):
            patch[key] = mod
        return
    elem = _elem_type(_field_type(type_name, key))
    add, delete, order = _diff_lists(orig, mod, elem, merge_key,
                                     replace(opts, build_retain_keys=retain))
    if add:
        patch[key] = add
    if delete:
        patch[f"{DELETE_FROM_PRIMITIVE}/{key}"] = delete
    if order:
        patch[f"{SET_ELEMENT_ORDER}/{key}"] = order


def _diff_lists(orig: list[Any], mod: list[Any], elem: str | None, merge_key: str,
                opts: DiffOptions) -> tuple[list[Any], list[Any], list[Any]]:
    if not orig:
        if not mod or opts.ignore_changes_and_additions:
            return [], [], []
        return list(mod), [], []
    kind = _element_kind(orig, mod)
    order: list[Any] = []
    if kind == "dict":
        patch_list, delete_list = _diff_lists_of_maps(orig, mod, elem, merge_key, opts)
        patch_list = _normalize_slice_order(patch_list, mod, merge_key, True)
        same = len(orig) == len(mod) and all(
            _equal(o.get(merge_key), m.get(merge_key)) for o, m in zip(orig, mod, strict=True))
        patch_list += delete_list
        if opts.set_element_order and (
                (not opts.ignore_changes_and_additions and (patch_list or not same))
                or (not opts.ignore_deletions and patch_list)):
            order = [{merge_key: m.get(merge_key)} for m in mod]
        return patch_list, [], order
    patch_list, delete_list = _diff_lists_of_scalars(orig, mod, opts)
    patch_list = _normalize_slice_order(patch_list, mod, merge_key, False)
    if opts.set_element_order and (
            (not opts.ignore_deletions and delete_list)
            or (not opts.ignore_changes_and_additions and not _equal(orig, mod))):
        order = list(mod)
    return patch_list, delete_list, order


def _diff_lists_of_scalars(orig: list[Any], mod: list[Any],
                           opts: DiffOptions) -> tuple[list[Any], list[Any]]:
    a, b = _sort_scalars(orig), _sort_scalars(mod)
    i = j = 0
    add: list[Any] = []
    delete: list[Any] = []
    while i < len(a) or j < len(b):
        sa = go_str(a[i]) if i < len(a) else None
        sb = go_str(b[j]) if j < len(b) else None
        if sa is not None and sb is not None and sa == sb:
            i += 1
            j += 1
        elif sa is None or (sb is not None and sa > sb):
            if not opts.ignore_changes_and_additions:
                add.append(b[j])
            j += 1
        else:
            if not opts.ignore_deletions:
                delete.append(a[i])
            i += 1
    return add, _dedupe_scalars(delete)


def _sorted_by_key(items: list[Any], merge_key: str) -> list[dict[str, Any]]:
    for item in items:
        if not isinstance(item, dict):
            raise PatchError(f"expected a map, got {item!r}")
        if merge_key not in item:
            raise PatchError(f"map: {go_str(item)} does not contain declared merge key: "
                             f"{merge_key}")
    return sorted(items, key=lambda m: go_str(m[merge_key]))


def _diff_lists_of_maps(orig: list[Any], mod: list[Any], elem: str | None, merge_key: str,
                        opts: DiffOptions) -> tuple[list[Any], list[Any]]:
    a, b = _sorted_by_key(orig, merge_key), _sorted_by_key(mod, merge_key)
    patch: list[Any] = []
    deletions: list[Any] = []
    i = j = 0
    while i < len(a) or j < len(b):
        ka = go_str(a[i][merge_key]) if i < len(a) else None
        kb = go_str(b[j][merge_key]) if j < len(b) else None
        if ka is not None and kb is not None and ka == kb:
            value = diff_maps(a[i], b[j], elem, opts)
            if value:
                value[merge_key] = b[j][merge_key]
                patch.append(value)
            i += 1
            j += 1
        elif ka is None or (kb is not None and ka > kb):
            if not opts.ignore_changes_and_additions:
                patch.append(b[j])
            j += 1
        else:
            if not opts.ignore_deletions:
                deletions.append({merge_key: a[i][merge_key], DIRECTIVE: "delete"})
            i += 1
    return patch, deletions


def _normalize_slice_order(to_sort: list[Any], order: list[Any], merge_key: str,
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
        ix, iy = _index(order, x, merge_key, is_map), _index(order, y, merge_key, is_map)
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


# -- merging the deletions and the delta ---------------------------------------------------

def _remove_directives(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if DIRECTIVE in value:
            return None, False
        out = {}
        for k, v in value.items():
            new, keep = _remove_directives(v)
            if keep:
                out[k] = new
        return out, True
    if isinstance(value, list):
        kept = []
        for v in value:
            new, keep = _remove_directives(v)
            if keep:
                kept.append(new)
        return kept, True
    return value, True


def merge_map(original: dict[str, Any] | None, patch: dict[str, Any],
              type_name: str | None) -> dict[str, Any]:
    """Merge two patches client-side (apimachinery's ``mergeMap`` without parallel-list
    merging: directive lists are carried over, nulls are kept)."""
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            return {k: v for k, v in patch.items() if k != DIRECTIVE}
        if directive == "delete":
            return {}
        raise PatchError(f"unknown patch type: {directive}")
    original = {} if original is None else original
    patch = dict(patch)
    if RETAIN_KEYS in patch:
        value = patch.pop(RETAIN_KEYS)
        if RETAIN_KEYS in original and not _equal(original[RETAIN_KEYS], value):
            raise PatchError(f"{original[RETAIN_KEYS]} and {value} are not deep equal: this "
                             "may happen when calculating the 3-way diff patch")
        original.setdefault(RETAIN_KEYS, value)
    _merge_element_orders(original, patch, type_name)
    for key, value in patch.items():
        if key.startswith(DELETE_FROM_PRIMITIVE):
            original[key] = value
            continue
        if value is None:
            original.pop(key, None)
        if key not in original or _kind(original[key]) != _kind(value):
            new, keep = _remove_directives(value)
            if keep:
                original[key] = new
            else:
                original.pop(key, None)
            continue
        current = original[key]
        if isinstance(current, dict):
            _, strategy, _ = _strategy(type_name, key)
            original[key] = value if strategy == "replace" else merge_map(
                current, value, _field_type(type_name, key))
        elif isinstance(current, list):
            _, strategy, merge_key = _strategy(type_name, key)
            original[key] = _merge_slice(current, value, _elem_type(_field_type(type_name, key)),
                                         merge_key) if strategy == "merge" else value
        else:
            new, keep = _remove_directives(value)
            if keep:
                original[key] = new
            else:
                original.pop(key, None)
    return original


def _merge_element_orders(original: dict[str, Any], patch: dict[str, Any],
                          type_name: str | None) -> None:
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if key in original:
            if not _equal(original[key], order):
                raise PatchError("invalid patch: $setElementOrder lists do not match")
        else:
            original[key] = order
        field = key[len(SET_ELEMENT_ORDER) + 1:]
        found_orig, found_patch = field in original, field in patch
        if not found_orig and not found_patch:
            continue
        orig_list = list(original.get(field) or [])
        patch_list = list(patch.get(field) or [])
        _, strategy, merge_key = _strategy(type_name, field)
        if found_orig and not found_patch:
            merged = orig_list
        elif found_patch and not found_orig:
            merged = _remove_directives(patch_list)[0]
        else:
            merged = _merge_slice(orig_list, patch_list,
                                  _elem_type(_field_type(type_name, field)), merge_key) \
                if strategy == "merge" else patch_list
        is_map = bool(merge_key)
        in_order = [m for m in merged if _index(order, m, merge_key, is_map) >= 0]
        server_only = [m for m in merged if _index(order, m, merge_key, is_map) < 0]
        kind_map = _element_kind(orig_list, patch_list) == "dict"
        original[field] = _normalize_element_order(in_order, server_only, order, orig_list,
                                                   merge_key, kind_map)
        patch.pop(field, None)


def _normalize_element_order(patch: list[Any], server_only: list[Any], patch_order: list[Any],
                             server_order: list[Any], merge_key: str, is_map: bool) -> list[Any]:
    left = _normalize_slice_order(server_only, server_order, merge_key, is_map)
    right = _normalize_slice_order(patch, patch_order, merge_key, is_map)
    out: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = _index(server_order, left[i], merge_key, is_map)
            ri = _index(server_order, right[j], merge_key, is_map)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def _merge_slice(original: list[Any], patch: list[Any], elem: str | None,
                 merge_key: str) -> list[Any]:
    if not original and not patch:
        return original
    kind = _element_kind(original, patch)
    if kind != "dict":
        merged = _dedupe_scalars(original + patch)
        is_map = False
    else:
        if not merge_key:
            raise PatchError("cannot merge lists without merge key")
        original, patch = _special_elements(original, patch, merge_key)
        merged = list(original)
        for item in patch:
            idx = next((i for i, m in enumerate(merged)
                        if isinstance(m, dict) and merge_key in m
                        and _equal(m[merge_key], item[merge_key])), -1)
            if idx >= 0:
                merged[idx] = merge_map(merged[idx], item, elem)
            else:
                merged.append(item)
        is_map = True
    in_patch = [m for m in merged if _index(patch, m, merge_key, is_map) >= 0]
    server_only = [m for m in merged if _index(patch, m, merge_key, is_map) < 0]
    return _normalize_element_order(in_patch, server_only, patch, original, merge_key, is_map)


def _special_elements(original: list[Any], patch: list[Any],
                      merge_key: str) -> tuple[list[Any], list[Any]]:
    plain: list[Any] = []
    replace_all = False
    for item in patch:
        directive = item.get(DIRECTIVE) if isinstance(item, dict) else None
        if directive is None:
            plain.append(item)
        elif directive == "delete":
            if merge_key not in item:
                raise PatchError(f"map: {go_str(item)} does not contain declared merge key: "
                                 f"{merge_key}")
            original = [o for o in original
                        if not (isinstance(o, dict) and _equal(o.get(merge_key), item[merge_key]))]
        elif directive == "replace":
            replace_all = True
        elif directive == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(f"Unknown patch type: {directive}")
    if replace_all:
        return plain, []
    return original, plain


# -- the three-way patch -------------------------------------------------------------------

def three_way(original: dict[str, Any] | None, modified: dict[str, Any],
              current: dict[str, Any], type_name: str | None) -> dict[str, Any]:
    """The patch kubectl apply sends (``{}`` when nothing is to change)."""
    delta = diff_maps(copy.deepcopy(current), copy.deepcopy(modified), type_name,
                      DiffOptions(set_element_order=True, ignore_deletions=True))
    deletions = diff_maps(copy.deepcopy(original or {}), copy.deepcopy(modified), type_name,
                          DiffOptions(set_element_order=True, ignore_changes_and_additions=True))
    return merge_map(deletions, delta, type_name)


def type_for(api_version: str, kind: str) -> str | None:
    """The schema type name of a served kind (``V1Pod``), or None if unknown."""
    try:
        return schema.root_type(f"{api_version}/{kind}")
    except KeyError:
        return None
