"""Field ownership (``metadata.managedFields``) and the structured merge of server-side apply.

A *field set* is a set of paths; a path is a tuple of elements in kube's ``FieldsV1``
spelling: ``f:<field>`` (a map field), ``k:<json of the merge key>`` (an item of a keyed
list, e.g. ``k:{"name":"nginx"}``), ``v:<json value>`` (an item of a set-like list of
primitives). A keyed item's path also appears with a trailing ``.`` (the item itself).
Lists without a merge key are atomic: owned and replaced as a whole.

Pure functions only; :mod:`kubelite.registry.generic` applies them on every write:

* writes that are not apply (``operation: Update``) take over the fields they changed;
* an apply (``operation: Apply``) merges its configuration into the object, removes the
  fields the same manager applied before and no longer applies (unless another manager also
  owns them), and conflicts (409) when it would change a field another manager owns,
  unless ``force`` is set, in which case it takes the field over.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from kubelite.api import schema

Obj = dict[str, Any]
Path = tuple[str, ...]

# Metadata the server owns; never part of anyone's field set.
SERVER_META = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
               "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
               "generateName"}
TOP_SKIP = {"apiVersion", "kind"}


def _key_text(item: Obj, key: str) -> str:
    return "k:" + json.dumps({key: item.get(key)}, separators=(",", ":"))


def fieldset(obj: Obj, type_name: str | None, skip_status: bool = True) -> set[Path]:
    """Every leaf path of ``obj`` (server-owned metadata and, optionally, status excluded)."""
    out: set[Path] = set()
    for key, value in obj.items():
        if key in TOP_SKIP or (skip_status and key == "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            meta = {k: v for k, v in value.items() if k not in SERVER_META}
            if meta:  # name/namespace alone are nobody's fields
                _walk(meta, "V1ObjectMeta", ("f:metadata",), out)
            continue
        _walk(value, schema.field_type(type_name, key) if type_name else None, (f"f:{key}",), out,
              schema.patch_meta(type_name, key))
    return out


def _walk(value: Any, type_expr: str | None, path: Path, out: set[Path],
          meta: schema.PatchMeta | None = None) -> None:
    if isinstance(value, dict) and value:
        inner = schema.element_type(type_expr) if type_expr and type_expr.startswith("{") else None
        for k, v in value.items():
            if inner is not None or type_expr is None or type_expr.startswith("{"):
                _walk(v, inner, path + (f"f:{k}",), out)
            else:
                _walk(v, schema.field_type(type_expr, k), path + (f"f:{k}",), out,
                      schema.patch_meta(type_expr, k))
        return
    if isinstance(value, list) and value and meta is not None and "merge" in meta.strategy:
        elem = schema.element_type(type_expr) if type_expr else None
        for item in value:
            if meta.merge_key and isinstance(item, dict):
                item_path = path + (_key_text(item, meta.merge_key),)
                out.add(item_path + (".",))
                _walk({k: v for k, v in item.items()}, elem, item_path, out)
            elif not meta.merge_key:
                out.add(path + ("v:" + json.dumps(item, separators=(",", ":")),))
        return
    out.add(path)


def to_fields_v1(paths: set[Path]) -> Obj:
    tree: Obj = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    return tree


def from_fields_v1(tree: Any, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    if not isinstance(tree, dict) or not tree:
        if prefix:
            out.add(prefix)
        return out
    for key, sub in tree.items():
        out |= from_fields_v1(sub, prefix + (key,))
    return out


def describe(path: Path) -> str:
    """kube's text form of a path: ``.spec.containers[name="nginx"].image``."""
    text = ""
    for element in path:
        if element.startswith("f:"):
            text += "." + element[2:]
        elif element.startswith("k:"):
            key = json.loads(element[2:])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in key.items()) + "]"
        elif element.startswith("v:"):
            text += "[" + element[2:] + "]"
    return text


def _find(container: Any, element: str) -> tuple[bool, Any]:
    if element.startswith("f:") and isinstance(container, dict):
        name = element[2:]
        return (name in container, container.get(name))
    if element.startswith("k:") and isinstance(container, list):
        key = json.loads(element[2:])
        for item in container:
            if isinstance(item, dict) and all(item.get(k) == v for k, v in key.items()):
                return True, item
        return False, None
    if element.startswith("v:") and isinstance(container, list):
        value = json.loads(element[2:])
        return (value in container, value)
    return False, None


def value_at(obj: Obj, path: Path) -> tuple[bool, Any]:
    cur: Any = obj
    for element in path:
        if element == ".":
            return True, cur
        found, cur = _find(cur, element)
        if not found:
            return False, None
    return True, cur


def remove_path(obj: Obj, path: Path) -> None:
    """Delete the field or list item at ``path`` if present (an item's ``.`` removes it)."""
    if path and path[-1] == ".":
        path = path[:-1]
    if not path:
        return
    found, parent = value_at(obj, path[:-1]) if len(path) > 1 else (True, obj)
    if not found:
        return
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        key = json.loads(last[2:])
        parent[:] = [i for i in parent if not (isinstance(i, dict) and
                                               all(i.get(k) == v for k, v in key.items()))]
    elif last.startswith("v:") and isinstance(parent, list):
        value = json.loads(last[2:])
        parent[:] = [i for i in parent if i != value]


def merge(current: Any, config: Any, type_expr: str | None,
          meta: schema.PatchMeta | None = None) -> Any:
    """The structured merge of an applied configuration into the current object."""
    if isinstance(config, dict) and isinstance(current, dict):
        out = dict(current)
        for k, v in config.items():
            if type_expr is None or type_expr.startswith("{"):
                inner = schema.element_type(type_expr) if type_expr else None
                out[k] = merge(current.get(k), v, inner)
            else:
                out[k] = merge(current.get(k), v, schema.field_type(type_expr, k),
                               schema.patch_meta(type_expr, k))
        return out
    if (isinstance(config, list) and isinstance(current, list) and meta is not None
            and "merge" in meta.strategy):
        elem = schema.element_type(type_expr) if type_expr else None
        result = list(current)
        for item in config:
            if meta.merge_key and isinstance(item, dict):
                idx = next((i for i, c in enumerate(result) if isinstance(c, dict)
                            and c.get(meta.merge_key) == item.get(meta.merge_key)), -1)
                if idx >= 0:
                    result[idx] = merge(result[idx], item, elem)
                else:
                    result.append(copy.deepcopy(item))
            elif item not in result:
                result.append(copy.deepcopy(item))
        return result
    return copy.deepcopy(config)


def _remove_disowned(obj: Obj, paths: set[Path], owned_by_others: set[Path]) -> None:
    """Remove what a manager applied before and no longer applies, unless others own it.

    A list item the manager no longer applies goes as a whole (with the fields defaulting
    put in it), unless another manager owns something inside it; items go first, so that
    removing their fields one by one cannot leave a stripped item behind (a service port
    without its ``port``).
    """
    def owned_inside(prefix: Path) -> bool:
        return any(p[:len(prefix)] == prefix for p in owned_by_others)

    for path in sorted(paths, key=lambda p: (p[-1] != ".", len(p))):
        if path in owned_by_others:
            continue
        if path[-1] == "." and owned_inside(path[:-1]):
            continue
        if len(path) > 1 and path[-2].startswith("k:") and path[-1].startswith("f:") \
                and path[-1][2:] in json.loads(path[-2][2:]):
            continue  # a kept item keeps its key; a removed one already went whole
        remove_path(obj, path)


@dataclass(frozen=True, slots=True)
class Conflict:
    manager: str
    path: Path


def entries(obj: Obj) -> list[Obj]:
    return list((obj.get("metadata") or {}).get("managedFields") or [])


def owned(entry: Obj) -> set[Path]:
    return from_fields_v1(entry.get("fieldsV1") or {})


def _entry(manager: str, operation: str, api_version: str, when: str, paths: set[Path],
           subresource: str = "") -> Obj:
    out: Obj = {"manager": manager, "operation": operation, "apiVersion": api_version,
                "time": when, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        out["subresource"] = subresource
    return out


def _same(e: Obj, manager: str, operation: str, subresource: str) -> bool:
    return (e.get("manager") == manager and e.get("operation") == operation
            and e.get("subresource", "") == subresource)


def given_entries(obj: Obj) -> list[Obj] | None:
    """The ``managedFields`` a client sent, when usable as the new ownership (kube lets a
    write replace them: kubectl's client-side to server-side apply migration does so);
    ``None`` (keep the stored ones) when absent, empty or malformed, as kube falls back."""
    given = (obj.get("metadata") or {}).get("managedFields")
    if not isinstance(given, list) or not given:
        return None
    if given == [{}]:
        return []  # kube's documented way to strip every entry
    for e in given:
        if not isinstance(e, dict) or e.get("operation") not in ("Apply", "Update") \
                or not e.get("manager") or not isinstance(e.get("fieldsV1", {}), dict) \
                or e.get("fieldsType", "FieldsV1") != "FieldsV1":
            return None
    return [dict(e) for e in given]


def record_update(new: Obj, old: Obj | None, manager: str, api_version: str, when: str,
                  type_name: str | None, subresource: str = "",
                  base: list[Obj] | None = None) -> None:
    """A non-apply write by ``manager``: it takes over every field whose value it changed.

    ``base`` is the ownership to start from instead of ``old``'s (see :func:`given_entries`).
    """
    new_paths = fieldset(new, type_name, skip_status=not subresource)
    if subresource:
        new_paths = {p for p in new_paths if p[:1] == ("f:status",)}
    old_obj = old or {}
    changed = {p for p in new_paths
               if (not value_at(old_obj, p)[0] if p[-1] == "." else
                   value_at(old_obj, p) != value_at(new, p))}
    result: list[Obj] = []
    mine: set[Path] = set()
    for e in entries(old_obj) if base is None else base:
        paths = owned(e) & (new_paths | {p for p in owned(e) if p[:1] == ("f:status",)})
        if _same(e, manager, "Update", subresource):
            mine = paths
            continue
        paths -= changed
        if paths:
            result.append({**e, "fieldsV1": to_fields_v1(paths)})
    mine |= changed
    if mine:
        result.append(_entry(manager, "Update", api_version, when, mine, subresource))
    new.setdefault("metadata", {})["managedFields"] = result


def apply(current: Obj | None, config: Obj, manager: str, api_version: str, when: str,
          type_name: str | None, force: bool) -> tuple[Obj, list[Conflict]]:
    """Server-side apply of ``config`` by ``manager``: the merged object, or conflicts."""
    applied = fieldset(config, type_name)
    base = copy.deepcopy(current) if current is not None else {}
    others: list[Obj] = []
    previous: set[Path] = set()
    for e in entries(base):
        if _same(e, manager, "Apply", ""):
            previous = owned(e)
        else:
            others.append(e)
    conflicts: list[Conflict] = []
    for e in others:
        for path in owned(e) & applied:
            if path[-1] == ".":
                continue
            have, want = value_at(base, path), value_at(config, path)
            if isinstance(have[1], dict) and isinstance(want[1], dict):
                continue  # an empty struct someone set is not a value to fight over
            if have != want:
                conflicts.append(Conflict(str(e.get("manager", "")), path))
    if conflicts and not force:
        return base, conflicts
    owned_by_others = set().union(*(owned(e) for e in others)) if others else set()
    _remove_disowned(base, previous - applied, owned_by_others)
    merged = merge(base, {k: v for k, v in config.items() if k != "status"}, type_name)
    taken = {c.path for c in conflicts}
    kept: list[Obj] = []
    for e in others:
        paths = owned(e) - taken
        if paths:
            kept.append({**e, "fieldsV1": to_fields_v1(paths)})
    kept.append(_entry(manager, "Apply", api_version, when, applied))
    merged.setdefault("metadata", {})["managedFields"] = kept
    return merged, conflicts
