"""``kubelite get -w``: print the current state, then one line (or object) per change.

As kubectl does it: a list is printed and watched from the list's ``resourceVersion``; a
single named object is printed, then watched from ``resourceVersion=0`` with a
``metadata.name`` field selector, and the synthetic ``ADDED`` event that such a watch starts
with is not printed. Tables keep their column widths from one event to the next. The
command ends (exit 0) when the server closes the watch; an ``ERROR`` event (say ``410
Expired``) is printed as ``STATUS REASON MESSAGE`` first.
"""

from __future__ import annotations

import json
from typing import Any

from kubelite.kubectl import builder
from kubelite.kubectl.cmd_get import _fill_item_kinds, _query, fetch, strip_managed_fields
from kubelite.kubectl.context import Context
from kubelite.kubectl.errors import CLIError
from kubelite.kubectl.printers import (
    OutputFormat,
    TableOptions,
    TablePrinter,
    kind_prefix,
    name_of,
    print_object,
)
from kubelite.kubectl.rest import JSON, TABLE_ACCEPT
from kubelite.kubectl.tabwriter import TabWriter

Obj = dict[str, Any]


class _Output:
    """Prints objects or tables one at a time, as kubectl's printers in a watch."""

    def __init__(self, ctx: Context, fmt: OutputFormat, target: builder.Target):
        self.ctx = ctx
        self.fmt = fmt
        self.count = 0
        self.events = bool(ctx.flag("output-watch-events"))
        self.writer = TabWriter(ctx.out, remember_widths=True)
        with_ns = bool(ctx.flag("all-namespaces")) and target.resource.namespaced
        self.table = TablePrinter(self.writer, TableOptions(
            wide=fmt.kind == "wide", no_headers=ctx.flag("no-headers"), with_namespace=with_ns,
            show_labels=ctx.flag("show-labels"), label_columns=ctx.flag("label-columns")))

    def show(self, obj: Obj, event_type: str = "") -> None:
        if self.fmt.human:
            if obj.get("kind") == "Table":
                self.table.print_table(obj, event_type if self.events else "")
            elif obj.get("kind") == "Status":
                self.table.print_status(obj, event_type if self.events else "")
            self.writer.flush()
            self.ctx.stdout.flush()
            return
        if not self.ctx.flag("show-managed-fields") and self.fmt.kind in ("yaml", "json"):
            strip_managed_fields(obj)
        shown: Obj = {"type": event_type or "ADDED", "object": obj} if self.events else obj
        if self.fmt.kind == "name":
            self.ctx.out(name_of(kind_prefix(obj), obj) + "\n")
        else:
            if self.fmt.kind == "yaml" and self.count:
                self.ctx.out("---\n")
            print_object(self.fmt, shown, self.ctx.out)
        self.count += 1
        self.ctx.stdout.flush()


def watch(ctx: Context, fmt: OutputFormat, targets: list[builder.Target]) -> int:
    if not targets:
        raise CLIError("no resources found")
    if len({t.resource for t in targets}) > 1:
        # the builder's SingleResourceType check
        raise CLIError("you may only specify a single resource type")
    target = targets[0]
    accept = TABLE_ACCEPT if fmt.human else JSON
    current = fetch(ctx, target, accept)
    output = _Output(ctx, fmt, target)
    is_list = target.name is None
    if not ctx.flag("watch-only"):
        if fmt.human or not is_list:
            output.show(current)
        else:
            for item in _fill_item_kinds(current):
                output.show(item)
    query = _query(ctx, {"watch": "true"})
    if is_list:
        query["resourceVersion"] = str((current.get("metadata") or {}).get("resourceVersion", ""))
    else:
        query["resourceVersion"] = "0"
        query["fieldSelector"] = f"metadata.name={target.name}"
    skip_first = not is_list
    path = target.resource.path(target.namespace or None)
    for line in ctx.client.stream(path, query, accept=accept):
        if not line.strip():
            continue
        event = json.loads(line)
        obj = event.get("object") or {}
        if skip_first:
            skip_first = False
            continue
        if not fmt.human and event.get("type") == "ERROR":
            continue
        if not fmt.human and "kind" not in obj:
            obj["kind"] = target.resource.kind
            obj["apiVersion"] = target.resource.api_version
        output.show(obj, str(event.get("type", "")))
    return 0
