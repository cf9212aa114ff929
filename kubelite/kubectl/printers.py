"""Output formats: the server's ``Table`` for people, and ``-o yaml|json|name|jsonpath``.

kubectl 1.32 prints whatever columns the server's ``Table`` carries (the per-kind column
sets live in the apiserver, :mod:`kubelite.api.printers`); the client only decorates it:
a ``NAMESPACE`` column first with ``-A``, ``kind/`` before names when several kinds are
printed, label columns (``-L``) and ``LABELS`` (``--show-labels``) last, ``-o wide``
columns (``priority > 0``), upper-cased headers, and alignment by :class:`TabWriter`.
A cell is cut at its first line break and gets ``...``. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.kubectl import jsonpath, yamlout
from kubelite.kubectl.errors import CLIError
from kubelite.kubectl.tabwriter import TabWriter

Obj = dict[str, Any]
NONE = "<none>"
FORMATS = ("json", "yaml", "name", "wide", "jsonpath", "jsonpath-as-json", "jsonpath-file",
           "custom-columns", "custom-columns-file")
_EVENT_TYPES = {"ADDED": "ADDED   ", "MODIFIED": "MODIFIED", "DELETED": "DELETED ",
                "ERROR": "ERROR   "}


def format_labels(labels: dict[str, str] | None) -> str:
    """``a=1,b=2`` sorted by key, or ``<none>`` (apimachinery's labels.FormatLabels)."""
    if not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


@dataclass(frozen=True)
class OutputFormat:
    """``-o`` parsed: a kind (``""`` for the default table) and its argument."""

    kind: str = ""
    arg: str = ""

    @property
    def human(self) -> bool:
        return self.kind in ("", "wide")

    @classmethod
    def parse(cls, text: str) -> OutputFormat:
        if text in ("", "wide", "json", "yaml", "name"):
            return cls(text)
        kind, eq, arg = text.partition("=")
        if kind in FORMATS and eq:
            if kind == "custom-columns-file":
                try:
                    with open(arg) as f:
                        lines = f.read().splitlines()
                except OSError as exc:
                    raise CLIError(f"error reading {arg}: {exc.strerror}") from None
                if len(lines) < 2:
                    raise CLIError("custom-columns file must have a header line and a "
                                   "paths line")
                headers, paths = lines[0].split(), lines[1].split()
                if len(headers) != len(paths):
                    raise CLIError(f"number of headers ({len(headers)}) and field specifications "
                                   f"({len(paths)}) don't match")
                return cls("custom-columns", ",".join(f"{h}:{p}" for h, p in
                                                      zip(headers, paths, strict=True)))
            if kind == "jsonpath-file":
                try:
                    with open(arg) as f:
                        return cls("jsonpath", f.read())
                except OSError as exc:
                    raise CLIError(f"error reading --template {arg}, {exc.strerror}") from None
            if kind.startswith("jsonpath"):
                try:
                    jsonpath.parse(arg)
                except jsonpath.JSONPathError as exc:
                    raise CLIError(f"error parsing jsonpath {arg}, {exc}") from None
            return cls(kind, arg)
        if kind in ("jsonpath", "jsonpath-as-json", "custom-columns"):
            raise CLIError(f"{kind} template format specified but no template given")
        raise CLIError(f'unable to match a printer suitable for the output format "{text}", '
                       "allowed formats are: " + ",".join(sorted(FORMATS)))


def name_of(group_kind: str, obj: Obj) -> str:
    """``pod/nginx``, ``deployment.apps/web`` (the ``-o name`` form)."""
    name = (obj.get("metadata") or {}).get("name", "")
    return f"{group_kind.lower()}/{name}"


def print_object(fmt: OutputFormat, obj: Any, out: Callable[[str], object]) -> None:
    """Print one object or list in a machine format (yaml, json, jsonpath, name)."""
    if fmt.kind == "json":
        out(yamlout.to_json(obj))
    elif fmt.kind == "yaml":
        out(yamlout.to_yaml(obj))
    elif fmt.kind in ("jsonpath", "jsonpath-as-json"):
        try:
            out(jsonpath.execute(fmt.arg, obj, as_json=fmt.kind == "jsonpath-as-json"))
        except jsonpath.JSONPathError as exc:
            raise CLIError(f"error executing jsonpath {go_quote(fmt.arg)}: Error executing "
                           f"template: {exc}. Printing more information for debugging the "
                           f"template:\n\ttemplate was:\n\t\t{fmt.arg}\n\tobject given to "
                           f"jsonpath engine was:\n\t\t{go_sharp_v(obj)}\n\n") from None
    else:
        raise CLIError(f"unsupported output format {fmt.kind}")


def go_quote(text: str) -> str:
    """Go's ``%q`` of a string."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_sharp_v(value: Any) -> str:
    """Go's ``%#v`` of a decoded JSON value (``map[string]interface {}{"a":1}``)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{go_quote(str(k))}:{go_sharp_v(value[k])}" for k in sorted(value))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(go_sharp_v(v) for v in value) + "}"
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "interface {}(nil)"
    return _cell_text(value)


def kind_prefix(obj: Obj) -> str:
    """``pod`` or ``deployment.apps`` from an object's apiVersion and kind."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    kind = str(obj.get("kind", ""))
    return f"{kind}.{group}".lower() if group else kind.lower()


@dataclass
class TableOptions:
    wide: bool = False
    no_headers: bool = False
    with_namespace: bool = False
    kind: str = ""           # "pod", "deployment.apps": prefix names with it when set
    show_labels: bool = False
    label_columns: list[str] = field(default_factory=list)


class TablePrinter:
    """Prints server Tables one after another into one tab writer (kubectl's
    HumanReadablePrinter): the header once per column set, rows as they come."""

    def __init__(self, writer: TabWriter, options: TableOptions):
        self.w = writer
        self.options = options
        self.printed_headers = False
        self.last_columns: list[Obj] | None = None

    def print_table(self, table: Obj, event_type: str = "") -> None:
        columns = table.get("columnDefinitions") or []
        no_headers = self.options.no_headers
        if self.printed_headers and (not columns or columns == self.last_columns):
            no_headers = True
        if not columns:
            columns = self.last_columns or []
        elif columns != self.last_columns:
            self.last_columns = columns
            self.printed_headers = False
        rows = table.get("rows") or []
        if rows:
            self.printed_headers = True
        headers, cells = self._decorate(columns, rows)
        if event_type:
            headers = ["EVENT", *headers]
            cells = [[_EVENT_TYPES.get(event_type, event_type), *row] for row in cells]
        if not no_headers:
            if not rows:
                return
            self.w.write("\t".join(headers) + "\n")
        for row in cells:
            self.w.write("\t".join(row) + "\n")

    def _decorate(self, columns: list[Obj], rows: list[Obj]) -> tuple[list[str], list[list[str]]]:
        opts = self.options
        shown = [i for i, c in enumerate(columns) if opts.wide or not c.get("priority")]
        name_col = -1
        if opts.kind:
            name_col = next((i for i, c in enumerate(columns)
                             if c.get("format") == "name" and c.get("type") == "string"), -1)
        headers = [str(columns[i].get("name", "")).upper() for i in shown]
        label_headers = [label.split("/")[-1].upper() for label in opts.label_columns]
        if opts.with_namespace:
            headers = ["NAMESPACE", *headers]
        headers += label_headers
        if opts.show_labels:
            headers.append("LABELS")
        out: list[list[str]] = []
        for row in rows:
            raw = list(row.get("cells") or [])
            meta = ((row.get("object") or {}).get("metadata") or {})
            if name_col >= 0 and name_col < len(raw):
                raw[name_col] = f"{opts.kind}/{_cell_text(raw[name_col])}"
            cells = [_cell(raw[i]) if i < len(raw) else "" for i in shown]
            if opts.with_namespace:
                cells = [str(meta.get("namespace", "")), *cells]
            row_labels = meta.get("labels") or {}
            cells += [str(row_labels.get(key, "")) for key in opts.label_columns]
            if opts.show_labels:
                cells.append(format_labels(row_labels))
            out.append(cells)
        return headers, out

    def print_status(self, status: Obj, event_type: str = "") -> None:
        """A watch ERROR (a ``Status``) as kubectl prints it: STATUS REASON MESSAGE."""
        headers = ["STATUS", "REASON", "MESSAGE"]
        row = [str(status.get("status", "")), str(status.get("reason", "")),
               str(status.get("message", ""))]
        if event_type:
            headers, row = ["EVENT", *headers], [_EVENT_TYPES.get(event_type, event_type), *row]
        if not self.options.no_headers:
            self.w.write("\t".join(headers) + "\n")
        self.w.write("\t".join(row) + "\n")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return _go_print(value)
    return str(value)


def _go_print(value: Any) -> str:
    """Go's ``fmt.Sprint`` of a decoded JSON map or slice (``map[a:1]``, ``[x y]``)."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_print(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_print(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    return _cell_text(value)


def _cell(value: Any) -> str:
    text = _cell_text(value)
    for i, ch in enumerate(text):
        if ch in "\f\n\r":
            return text[:i] + "..."
    return text
