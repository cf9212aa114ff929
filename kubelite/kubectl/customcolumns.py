"""``-o custom-columns=HEADER:.path,...``: one column per JSONPath, as kubectl prints them
(several results joined by ``,``, nothing found shown as ``<none>``, values as Go's ``%v``)."""

from __future__ import annotations

import re
from typing import Any

from kubelite.kubectl import jsonpath
from kubelite.kubectl.context import Context
from kubelite.kubectl.errors import CLIError
from kubelite.kubectl.printers import _go_print
from kubelite.kubectl.tabwriter import TabWriter

_RELAXED = re.compile(r"^\{?(\.?[^{}]*)\}?$")


def relaxed(path: str) -> str:
    """kubectl's ``RelaxedJSONPathExpression``: ``metadata.name`` -> ``{.metadata.name}``."""
    if not path:
        return path
    m = _RELAXED.match(path)
    if m is None:
        raise CLIError("unexpected path string, expected a 'name1.name2' or '.name1.name2' "
                       "or '{name1.name2}' or '{.name1.name2}'")
    inner = m.group(1)
    return "{" + (inner if inner.startswith(".") else "." + inner) + "}"


def parse_spec(spec: str) -> list[tuple[str, list[Any]]]:
    columns = []
    for part in spec.split(","):
        header, colon, path = part.partition(":")
        if not colon:
            raise CLIError(f"unexpected custom-columns spec: {part}, expected <header>:"
                           "<json-path-expr>")
        template = jsonpath.parse(relaxed(path))
        nodes = next((t.nodes for t in template if isinstance(t, jsonpath.Action)), [])
        columns.append((header, nodes))
    return columns


def print_custom_columns(ctx: Context, spec: str, items: list[dict[str, Any]],
                         no_headers: bool) -> None:
    columns = parse_spec(spec)
    w = TabWriter(ctx.out)
    if not no_headers:
        w.write("\t".join(h for h, _ in columns) + "\n")
    for item in items:
        cells = []
        for _, nodes in columns:
            try:
                values = jsonpath.evaluate([item], nodes)
            except jsonpath.JSONPathError:
                values = []
            cells.append(",".join(_go_print(v) for v in values) if values else "<none>")
        w.write("\t".join(cells) + "\n")
    w.flush()
