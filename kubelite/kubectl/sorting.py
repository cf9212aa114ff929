"""``get --sort-by=<jsonpath>``: rows and items ordered by a field, as kubectl orders them
(numbers by value, strings that are both quantities by amount, other strings by bytes,
objects without the field first). Pure."""

from __future__ import annotations

from typing import Any

from kubelite.kubectl import jsonpath
from kubelite.kubectl.customcolumns import relaxed
from kubelite.kubectl.describe.quantity import Quantity
from kubelite.kubectl.errors import CLIError

Obj = dict[str, Any]


def _less(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        raise CLIError(f"unsortable type: {type(a).__name__}")
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a < b
    if isinstance(a, str) and isinstance(b, str):
        try:
            return Quantity.parse(a).value < Quantity.parse(b).value
        except ValueError:
            return a < b
    if isinstance(a, list) and isinstance(b, list):
        for x, y in zip(a, b, strict=False):
            if not _less(x, y):
                return False
        return True
    raise CLIError(f"unsortable type: {type(a).__name__}")


def _parse(field: str) -> tuple[str, list[Any]]:
    try:
        path = relaxed(field)
        template = jsonpath.parse(path)
    except jsonpath.JSONPathError as exc:
        raise CLIError(f"sorting error: {exc}") from None
    return path, next((t.nodes for t in template if isinstance(t, jsonpath.Action)), [])


def _values(obj: Any, nodes: list[Any]) -> list[Any]:
    try:
        return jsonpath.evaluate([obj], nodes)
    except jsonpath.JSONPathError:
        return []


def _go_sort(items: list[tuple[list[Any], Any]]) -> list[Any]:
    """Go's ``sort.Sort`` as kubectl calls it, with its ``Less`` (an object without the field
    is "less" than anything). Go sorts up to 12 items by insertion, exactly as here; for longer
    lists only the relative order of equal or missing values can differ."""
    def less(x: list[Any], y: list[Any]) -> bool:
        if not x:
            return True
        if not y:
            return False
        return _less(x[0], y[0])

    out = list(items)
    for i in range(1, len(out)):
        j = i
        while j > 0 and less(out[j][0], out[j - 1][0]):
            out[j], out[j - 1] = out[j - 1], out[j]
            j -= 1
    return [obj for _, obj in out]


def sort_objects(objects: list[Obj], field: str) -> list[Obj]:
    """``objects`` ordered by the first value ``field`` (a JSONPath) finds in each."""
    path, nodes = _parse(field)
    keyed = [(_values(o, nodes), o) for o in objects]
    if objects and not any(values for values, _ in keyed):
        raise CLIError(f'couldn\'t find any field with path "{path}" in the list of objects')
    return _go_sort(keyed)


def sort_table(table: Obj, field: str) -> None:
    """Order a Table's rows by ``field`` of each row's full object (in place)."""
    rows = table.get("rows") or []
    if len(rows) < 2:
        return
    path, nodes = _parse(field)
    keyed = [(_values(r.get("object") or {}, nodes), r) for r in rows]
    if not any(values for values, _ in keyed):
        raise CLIError(f'couldn\'t find any field with path "{path}" in the list of objects')
    table["rows"] = _go_sort(keyed)


def check_tables(tables: list[Obj], field: str) -> None:
    """With several tables kubectl looks for the field on the Table objects themselves,
    which normally lack it: that is an error, as there."""
    path, nodes = _parse(field)
    if len(tables) > 1 and not any(_values(t, nodes) for t in tables):
        raise CLIError(f'couldn\'t find any field with path "{path}" in the list of objects')
