"""kubectl's JSONPath templates (``-o jsonpath=...``), as client-go's ``util/jsonpath``
reads and prints them.

A template is literal text with ``{actions}``. An action is a path from the current value:
``.field`` (``\\.`` escapes a dot in a key), ``['key']``, ``[n]``, ``[start:end:step]``,
``[*]``, ``[a,b]`` unions, ``..`` recursive descent, ``*`` wildcards, filters
``[?(@.x=="y")]`` (``==  != < > <= >=`` and existence), quoted literals (``{"\n"}``), and
``{range <path>}...{end}`` loops whose body runs once per result, with that result as the
current value. Missing keys yield nothing (kubectl's ``--allow-missing-template-keys``).

Printing follows client-go: several results of one action are separated by a space, maps and
lists print as compact JSON, ``null`` as ``null``, everything else as Go's ``fmt.Print``.
Pure.
"""

from __future__ import annotations

from typing import Any

from kubelite.kubectl.jsonpath.evaluate import evaluate
from kubelite.kubectl.jsonpath.nodes import Action, Ident, JSONPathError, Text
from kubelite.kubectl.jsonpath.parser import parse
from kubelite.kubectl.yamlout import compact_json

__all__ = ["Action", "JSONPathError", "evaluate", "execute", "parse"]


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return compact_json(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e21 else str(int(value))
    return str(value)


def _print(results: list[Any], as_json: bool) -> str:
    if as_json:
        from kubelite.kubectl.yamlout import to_json
        return to_json(results)
    return " ".join(_text(r) for r in results)


def execute(template: str, data: Any, as_json: bool = False) -> str:
    """Render ``template`` against ``data`` (``range``/``end`` loops included)."""
    items = parse(template)
    out: list[str] = []
    _run(items, 0, len(items), data, out, as_json)
    return "".join(out)


def _find_end(items: list[Text | Action], start: int) -> int:
    depth = 0
    for i in range(start, len(items)):
        item = items[i]
        if isinstance(item, Action) and item.nodes and isinstance(item.nodes[0], Ident):
            if item.nodes[0].name == "range":
                depth += 1
            elif item.nodes[0].name == "end":
                if depth == 0:
                    return i
                depth -= 1
    raise JSONPathError("unclosed range")


def _run(items: list[Text | Action], start: int, stop: int, data: Any, out: list[str],
         as_json: bool) -> None:
    i = start
    while i < stop:
        item = items[i]
        if isinstance(item, Text):
            out.append(_print([item.text], as_json))
            i += 1
            continue
        first = item.nodes[0] if item.nodes else None
        if isinstance(first, Ident) and first.name == "end":
            raise JSONPathError("not in range, nothing to end")
        if isinstance(first, Ident) and first.name == "range":
            end = _find_end(items, i + 1)
            for value in evaluate([data], item.nodes[1:]):
                _run(items, i + 1, end, value, out, as_json)
            i = end + 1
            continue
        out.append(_print(evaluate([data], item.nodes), as_json))
        i += 1
