"""Strategic merge patch (``application/strategic-merge-patch+json``) for the served kinds.

Like a JSON merge patch, except where the schema gives a list a patch strategy
(:data:`kubelite.api.schema.PATCH_META`): lists of objects with a merge key are merged item
by item (``containers`` by ``name``, ``ports`` by ``containerPort``, ...), merged lists of
primitives are unions. The directives kubectl sends are understood and never stored:

* ``$patch: replace`` (in a map: replace the map; as a list item: replace the list),
  ``$patch: delete`` (in a map: delete it; as a list item with the merge key: remove that item),
  ``$patch: merge`` (the default);
* ``$retainKeys: [..]``: drop the original keys not listed, then merge;
* ``$setElementOrder/<list>: [..]``: the order of the merged list (items not named keep their
  relative order after the named ones);
* ``$deleteFromPrimitiveList/<list>: [..]``: remove these values from a primitive list.

Unknown types (free-form fields) fall back to merge-patch behaviour.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import schema
from kubelite.api.patch import PatchError

DIRECTIVE = "$patch"
RETAIN = "$retainKeys"
ORDER = "$setElementOrder/"
DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def apply(original: Any, patch: Any, type_name: str | None) -> Any:
    """The result of applying ``patch`` to ``original`` (neither is modified)."""
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object", bad_request=True)
    return _merge_map(copy.deepcopy(original) if isinstance(original, dict) else {},
                      patch, type_name)


def _field_type(type_name: str | None, key: str) -> str | None:
    return schema.field_type(type_name, key) if type_name else None


def _merge_map(original: dict[str, Any], patch: dict[str, Any], type_name: str | None) -> Any:
    directive = patch.get(DIRECTIVE)
    if directive == "replace":
        return _strip({k: v for k, v in patch.items() if k != DIRECTIVE}, type_name)
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise PatchError(f"Unknown patch type: {directive}", bad_request=True)
    retain = patch.get(RETAIN)
    if retain is not None:
        if not isinstance(retain, list):
            raise PatchError("$retainKeys must be a list", bad_request=True)
        original = {k: v for k, v in original.items() if k in retain}
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in (DIRECTIVE, RETAIN):
            continue
        if key.startswith(ORDER):
            orders[key[len(ORDER):]] = value
            continue
        if key.startswith(DELETE_PRIMITIVE):
            field = key[len(DELETE_PRIMITIVE):]
            if isinstance(original.get(field), list):
                original[field] = [v for v in original[field] if v not in value]
            continue
        ftype = _field_type(type_name, key)
        if value is None:
            original.pop(key, None)
            continue
        merged = _merge_value(original.get(key), value, ftype, schema.patch_meta(type_name, key))
        if merged is None and isinstance(value, dict) and value.get(DIRECTIVE) == "delete":
            original.pop(key, None)
        else:
            original[key] = merged
    for field, order in orders.items():
        if isinstance(original.get(field), list):
            meta = schema.patch_meta(type_name, field)
            original[field] = _reorder(original[field], order, meta.merge_key if meta else "")
    return original


def _merge_value(original: Any, patch: Any, ftype: str | None, meta: schema.PatchMeta | None) -> Any:
    if isinstance(patch, dict):
        if ftype is not None and ftype.startswith("{"):
            inner = schema.element_type(ftype)
            base = original if isinstance(original, dict) else {}
            result = dict(base)
            for k, v in patch.items():
                if v is None:
                    result.pop(k, None)
                else:
                    result[k] = _merge_value(base.get(k), v, inner, None)
            return result
        return _merge_map(original if isinstance(original, dict) else {}, patch, ftype)
    if isinstance(patch, list):
        elem = schema.element_type(ftype) if ftype and ftype.startswith("[") else None
        return _merge_list(original if isinstance(original, list) else [], patch, elem, meta)
    return copy.deepcopy(patch)


def _merge_list(original: list[Any], patch: list[Any], elem: str | None,
                meta: schema.PatchMeta | None) -> list[Any]:
    if any(isinstance(p, dict) and p.get(DIRECTIVE) == "replace" for p in patch):
        return [_strip(p, elem) for p in patch
                if not (isinstance(p, dict) and p.get(DIRECTIVE) == "replace")]
    if meta is None or "merge" not in meta.strategy.split(","):
        return [_strip(p, elem) if isinstance(p, dict) else copy.deepcopy(p) for p in patch]
    if not meta.merge_key:
        result = list(original)
        for item in patch:
            if item not in result:
                result.append(copy.deepcopy(item))
        return result
    key = meta.merge_key
    result = list(original)
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(f"the list items must be objects with the merge key {key!r}",
                             bad_request=True)
        if key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {key}",
                             bad_request=True)
        idx = next((i for i, o in enumerate(result)
                    if isinstance(o, dict) and o.get(key) == item[key]), -1)
        if item.get(DIRECTIVE) == "delete":
            if idx >= 0:
                del result[idx]
            continue
        if idx >= 0:
            result[idx] = _merge_map(result[idx], item, elem)
        else:
            result.append(_merge_map({}, item, elem))
    return result


def _strip(value: Any, type_name: str | None) -> Any:
    """A patch value with its directives applied against nothing (new content)."""
    if isinstance(value, dict):
        merged = _merge_map({}, {k: v for k, v in value.items() if k != DIRECTIVE}, type_name)
        return merged
    return copy.deepcopy(value)


def _reorder(items: list[Any], order: list[Any], key: str) -> list[Any]:
    def ident(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [ident(o) for o in order]
    named = {ident(i): i for i in items if ident(i) in wanted}
    head = [named[w] for w in wanted if w in named]
    tail = [i for i in items if ident(i) not in wanted]
    return head + tail
