"""The merge half of the three-way patch: apimachinery's client-side ``mergeMap`` that
combines the deletions with the delta (directive lists carried over, nulls kept). Pure."""

from __future__ import annotations

from typing import Any

from kubelite.kubectl.smp.common import (
    DELETE_FROM_PRIMITIVE,
    DIRECTIVE,
    RETAIN_KEYS,
    SET_ELEMENT_ORDER,
    PatchError,
    dedupe_scalars,
    elem_type,
    element_kind,
    equal,
    field_type,
    go_str,
    index_of,
    kind_of,
    normalize_slice_order,
    patch_strategy,
)


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
        if RETAIN_KEYS in original and not equal(original[RETAIN_KEYS], value):
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
        if key not in original or kind_of(original[key]) != kind_of(value):
            new, keep = _remove_directives(value)
            if keep:
                original[key] = new
            else:
                original.pop(key, None)
            continue
        current = original[key]
        if isinstance(current, dict):
            _, strategy, _ = patch_strategy(type_name, key)
            original[key] = value if strategy == "replace" else merge_map(
                current, value, field_type(type_name, key))
        elif isinstance(current, list):
            _, strategy, merge_key = patch_strategy(type_name, key)
            original[key] = _merge_slice(current, value, elem_type(field_type(type_name, key)),
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
            if not equal(original[key], order):
                raise PatchError("invalid patch: $setElementOrder lists do not match")
        else:
            original[key] = order
        field = key[len(SET_ELEMENT_ORDER) + 1:]
        found_orig, found_patch = field in original, field in patch
        if not found_orig and not found_patch:
            continue
        orig_list = list(original.get(field) or [])
        patch_list = list(patch.get(field) or [])
        _, strategy, merge_key = patch_strategy(type_name, field)
        if found_orig and not found_patch:
            merged = orig_list
        elif found_patch and not found_orig:
            merged = _remove_directives(patch_list)[0]
        else:
            merged = _merge_slice(orig_list, patch_list,
                                  elem_type(field_type(type_name, field)), merge_key) \
                if strategy == "merge" else patch_list
        is_map = bool(merge_key)
        in_order = [m for m in merged if index_of(order, m, merge_key, is_map) >= 0]
        server_only = [m for m in merged if index_of(order, m, merge_key, is_map) < 0]
        kind_map = element_kind(orig_list, patch_list) == "dict"
        original[field] = _normalize_element_order(in_order, server_only, order, orig_list,
                                                   merge_key, kind_map)
        patch.pop(field, None)


def _normalize_element_order(patch: list[Any], server_only: list[Any], patch_order: list[Any],
                             server_order: list[Any], merge_key: str, is_map: bool) -> list[Any]:
    left = normalize_slice_order(server_only, server_order, merge_key, is_map)
    right = normalize_slice_order(patch, patch_order, merge_key, is_map)
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
            li = index_of(server_order, left[i], merge_key, is_map)
            ri = index_of(server_order, right[j], merge_key, is_map)
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
    kind = element_kind(original, patch)
    if kind != "dict":
        merged = dedupe_scalars(original + patch)
        is_map = False
    else:
        if not merge_key:
            raise PatchError("cannot merge lists without merge key")
        original, patch = _special_elements(original, patch, merge_key)
        merged = list(original)
        for item in patch:
            idx = next((i for i, m in enumerate(merged)
                        if isinstance(m, dict) and merge_key in m
                        and equal(m[merge_key], item[merge_key])), -1)
            if idx >= 0:
                merged[idx] = merge_map(merged[idx], item, elem)
            else:
                merged.append(item)
        is_map = True
    in_patch = [m for m in merged if index_of(patch, m, merge_key, is_map) >= 0]
    server_only = [m for m in merged if index_of(patch, m, merge_key, is_map) < 0]
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
                        if not (isinstance(o, dict) and equal(o.get(merge_key), item[merge_key]))]
        elif directive == "replace":
            replace_all = True
        elif directive == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(f"Unknown patch type: {directive}")
    if replace_all:
        return plain, []
    return original, plain
