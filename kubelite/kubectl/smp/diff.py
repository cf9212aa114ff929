"""The diff half of the three-way patch: what changed from one object to another, as
apimachinery's ``diffMaps`` computes it (``$setElementOrder``, ``$retainKeys``, delete
directives and parallel deletion lists included). Pure."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kubelite.kubectl.smp.common import (
    DELETE_FROM_PRIMITIVE,
    DIRECTIVE,
    RETAIN_KEYS,
    SET_ELEMENT_ORDER,
    DiffOptions,
    PatchError,
    dedupe_scalars,
    elem_type,
    element_kind,
    equal,
    field_type,
    go_str,
    kind_of,
    normalize_slice_order,
    patch_strategy,
    sort_scalars,
)


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
        if kind_of(orig) != kind_of(mod):
            if not opts.ignore_changes_and_additions:
                patch[key] = mod
            continue
        if isinstance(orig, dict):
            _map_diff(key, orig, mod, patch, type_name, opts)
        elif isinstance(orig, list):
            _slice_diff(key, orig, mod, patch, type_name, opts)
        elif not opts.ignore_changes_and_additions and not equal(orig, mod):
            patch[key] = mod
    if not opts.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    if retain and (patch or any(v is not None and k not in modified for k, v in original.items())):
        patch[RETAIN_KEYS] = sort_scalars(retain)
    return patch


def _map_diff(key: str, orig: dict[str, Any], mod: dict[str, Any], patch: dict[str, Any],
              type_name: str | None, opts: DiffOptions) -> None:
    retain, strategy, _ = patch_strategy(type_name, key)
    if strategy == "replace":
        if not opts.ignore_changes_and_additions:
            patch[key] = mod
        return
    value = diff_maps(orig, mod, field_type(type_name, key),
                      replace(opts, build_retain_keys=retain))
    if value:
        patch[key] = value


def _slice_diff(key: str, orig: list[Any], mod: list[Any], patch: dict[str, Any],
                type_name: str | None, opts: DiffOptions) -> None:
    retain, strategy, merge_key = patch_strategy(type_name, key)
    if strategy != "merge":
        if not opts.ignore_changes_and_additions and not equal(orig, mod):
            patch[key] = mod
        return
    elem = elem_type(field_type(type_name, key))
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
    kind = element_kind(orig, mod)
    order: list[Any] = []
    if kind == "dict":
        patch_list, delete_list = _diff_lists_of_maps(orig, mod, elem, merge_key, opts)
        patch_list = normalize_slice_order(patch_list, mod, merge_key, True)
        same = len(orig) == len(mod) and all(
            equal(o.get(merge_key), m.get(merge_key)) for o, m in zip(orig, mod, strict=True))
        patch_list += delete_list
        if opts.set_element_order and (
                (not opts.ignore_changes_and_additions and (patch_list or not same))
                or (not opts.ignore_deletions and patch_list)):
            order = [{merge_key: m.get(merge_key)} for m in mod]
        return patch_list, [], order
    patch_list, delete_list = _diff_lists_of_scalars(orig, mod, opts)
    patch_list = normalize_slice_order(patch_list, mod, merge_key, False)
    if opts.set_element_order and (
            (not opts.ignore_deletions and delete_list)
            or (not opts.ignore_changes_and_additions and not equal(orig, mod))):
        order = list(mod)
    return patch_list, delete_list, order


def _diff_lists_of_scalars(orig: list[Any], mod: list[Any],
                           opts: DiffOptions) -> tuple[list[Any], list[Any]]:
    a, b = sort_scalars(orig), sort_scalars(mod)
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
    return add, dedupe_scalars(delete)


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
