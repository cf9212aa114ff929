"""``kubelite get``: list or show objects, as tables, YAML, JSON, names or JSONPath; ``-w``
keeps printing changes.

Human output asks the server for ``Table``s (one request per list or name) and prints them
as kubectl does: one table per kind with a blank line between kinds, ``kind/`` before names
when several kinds are shown, ``No resources found in <ns> namespace.`` on stderr when
nothing matched. Machine output fetches plain objects: one named object prints as itself,
anything else as a ``v1 List``. Errors (say one name of several is missing) are printed
after the output, and the exit code is 1.
"""

from __future__ import annotations

from typing import Any

from kubelite.kubectl import builder, manifest
from kubelite.kubectl import flags as fl
from kubelite.kubectl.context import Context
from kubelite.kubectl.errors import ApiError, CLIError, UsageError, is_not_found
from kubelite.kubectl.printers import OutputFormat, TableOptions, TablePrinter, print_object
from kubelite.kubectl.rest import TABLE_ACCEPT
from kubelite.kubectl.tabwriter import TabWriter

Obj = dict[str, Any]
CHUNK_SIZE = 500

FLAGS = [
    fl.Flag("output", short="o"),
    fl.Flag("selector", short="l"),
    fl.Flag("field-selector"),
    fl.Flag("all-namespaces", fl.Kind.BOOL, short="A"),
    fl.Flag("watch", fl.Kind.BOOL, short="w"),
    fl.Flag("watch-only", fl.Kind.BOOL),
    fl.Flag("output-watch-events", fl.Kind.BOOL),
    fl.Flag("show-labels", fl.Kind.BOOL),
    fl.Flag("label-columns", fl.Kind.STRINGS, short="L"),
    fl.Flag("no-headers", fl.Kind.BOOL),
    fl.Flag("show-kind", fl.Kind.BOOL),
    fl.Flag("ignore-not-found", fl.Kind.BOOL),
    fl.Flag("filename", fl.Kind.STRINGS, short="f"),
    fl.Flag("recursive", fl.Kind.BOOL, short="R"),
    fl.Flag("chunk-size", fl.Kind.INT, default=CHUNK_SIZE),
    fl.Flag("raw"),
    fl.Flag("server-print", fl.Kind.BOOL, default=True),
    fl.Flag("show-managed-fields", fl.Kind.BOOL),
    fl.Flag("sort-by"),
]

NO_TYPE = (
    'You must specify the type of resource to get. Use "kubelite api-resources" for a complete '
    "list of supported resources.\n\nerror: Required resource not specified.\n"
    'Use "kubelite explain <resource>" for a detailed description of that resource (e.g. '
    "kubelite explain pods).\nSee 'kubelite get -h' for help and examples")


def _query(ctx: Context, extra: dict[str, str] | None = None) -> dict[str, str]:
    q: dict[str, str] = {}
    if ctx.flag("selector"):
        q["labelSelector"] = ctx.flag("selector")
    if ctx.flag("field-selector"):
        q["fieldSelector"] = ctx.flag("field-selector")
    q.update(extra or {})
    return q


def _fill_item_kinds(listing: Obj) -> list[Obj]:
    """List items as kubectl's unstructured decoding sees them: with apiVersion and kind."""
    items = listing.get("items") or []
    kind = str(listing.get("kind", ""))
    kind = kind[:-4] if kind.endswith("List") else kind
    for item in items:
        if isinstance(item, dict):
            item.setdefault("apiVersion", listing.get("apiVersion", ""))
            item.setdefault("kind", kind)
    return list(items)


def fetch_list(ctx: Context, target: builder.Target, accept: str, query: dict[str, str],
               chunk: int = CHUNK_SIZE) -> Obj:
    """GET a list (with the given selectors), following ``metadata.continue`` pages (rows or
    items concatenated)."""
    query = dict(query)
    if chunk > 0:
        query["limit"] = str(chunk)
    result: Obj | None = None
    while True:
        try:
            page = ctx.client.get(target.path, query, accept=accept)
        except ApiError as err:
            raise enhance_list_error(err, target, query) from None
        if result is None:
            result = page
        else:
            key = "rows" if page.get("kind") == "Table" else "items"
            result.setdefault(key, []).extend(page.get(key) or [])
            result["metadata"] = page.get("metadata") or {}
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            break
        query["continue"] = token
    assert result is not None
    (result.get("metadata") or {}).pop("continue", None)
    return result


def enhance_list_error(err: ApiError, target: builder.Target, query: dict[str, str]
                       ) -> ApiError:
    """cli-runtime's ``EnhanceListError``: name the list and its selectors in 400s/404s."""
    if err.reason not in ("BadRequest", "NotFound"):
        return err
    res = target.resource
    subject = f"{res.group}/{res.version}, Resource={res.plural}"
    status = dict(err.status)
    labels, fields = query.get("labelSelector", ""), query.get("fieldSelector", "")
    if not labels and not fields:
        status["message"] = f'Unable to list "{subject}": {err.message}'
    else:
        status["message"] = (f'Unable to find "{subject}" that match label selector "{labels}", '
                             f'field selector "{fields}": {err.message}')
    return ApiError(status)


def fetch(ctx: Context, target: builder.Target, accept: str, extra: dict[str, str] | None = None
          ) -> Obj:
    if target.name is None:
        return fetch_list(ctx, target, accept, _query(ctx, extra), ctx.flag("chunk-size"))
    obj: Obj = ctx.client.get(target.path, dict(extra or {}), accept=accept)
    return obj


def resolve_targets(ctx: Context, command: str = "get") -> list[builder.Target]:
    if ctx.flag("filename"):
        docs, errs = manifest.read(ctx.flag("filename"), ctx.flag("recursive"), ctx.stdin)
        if errs:
            raise errs[0]
        targets, errors = builder.targets_from_documents(ctx.mapper, docs, ctx.namespace,
                                                         ctx.namespace_explicit)
        if errors:
            raise errors[0]
        return targets
    return builder.targets_from_args(ctx.mapper, ctx.args, ctx.namespace,
                                     ctx.flag("all-namespaces"), "kubelite")


def _check_args(ctx: Context) -> None:
    if not ctx.args and not ctx.flag("filename"):
        raise UsageError(NO_TYPE, raw=True)
    named = (any("/" in a for a in ctx.args) or len(ctx.args) > 1)
    if named and ctx.flag("selector"):
        raise CLIError("name cannot be provided when a selector is specified")
    if named and ctx.flag("all-namespaces") and ctx.args:
        raise CLIError("a resource cannot be retrieved by name across all namespaces")


def run(ctx: Context) -> int:
    if ctx.flag("raw"):
        return _raw(ctx)
    fmt = OutputFormat.parse(ctx.flag("output"))
    _check_args(ctx)
    if ctx.flag("watch") or ctx.flag("watch-only"):
        from kubelite.kubectl.watch import watch
        return watch(ctx, fmt, resolve_targets(ctx))
    targets = resolve_targets(ctx)
    if fmt.human:
        return _print_human(ctx, fmt, targets)
    return _print_generic(ctx, fmt, targets)


def _raw(ctx: Context) -> int:
    resp = ctx.client.request("GET", ctx.flag("raw"))
    ctx.out(resp.body.decode(errors="replace"))
    return 0


def _report(ctx: Context, errors: list[BaseException]) -> int:
    from kubelite.kubectl.errors import line_for, render

    if not errors:
        return 0
    if len(errors) == 1:
        ctx.err(render(errors[0]) + "\n")
    else:
        for err in errors:
            ctx.err(line_for(err) + "\n")
    return 1


def _print_human(ctx: Context, fmt: OutputFormat, targets: list[builder.Target]) -> int:
    tables: list[tuple[builder.Target, Obj]] = []
    errors: list[BaseException] = []
    for target in targets:
        try:
            sort_by = ctx.flag("sort-by")
            # sorting needs the full objects in the rows (kubectl asks for them too)
            # --server-print=false: plain objects, printed as NAME and AGE like kubectl does
            accept = TABLE_ACCEPT if ctx.flag("server-print") else "application/json"
            table = fetch(ctx, target, accept,
                          {"includeObject": "Object"} if sort_by else None)
            tables.append((target, table))
        except ApiError as err:
            if ctx.flag("ignore-not-found") and is_not_found(err):
                continue
            errors.append(err)
    if ctx.flag("sort-by"):
        from kubelite.kubectl.sorting import check_tables, sort_table
        check_tables([t for _, t in tables], ctx.flag("sort-by"))
        for _, table in tables:
            if table.get("kind") == "Table":
                try:
                    sort_table(table, ctx.flag("sort-by"))
                except CLIError:
                    # kubectl's table printer fails here and get ignores the printer's
                    # error: the table is not printed at all
                    table["rows"] = []
    with_kind = ctx.flag("show-kind") or len({t.resource for t, _ in tables}) > 1
    written = 0
    separator = False  # a blank line is owed before the next table that prints anything

    def count(text: str) -> None:
        nonlocal written, separator
        if not text:
            return
        if separator:
            ctx.out("\n")
            separator = False
        written += len(text)
        ctx.out(text)

    w = TabWriter(count, remember_widths=True)
    printer: TablePrinter | None = None
    last = None
    all_namespaced = not ctx.flag("all-namespaces")
    sticky_ns = False
    for target, table in tables:
        all_namespaced = all_namespaced and target.resource.namespaced
        if printer is None or target.resource != last:
            w.flush()
            w.reset_widths()
            if last is not None and not ctx.flag("no-headers") and written:
                separator = True
            # kubectl sets "with namespace" on its shared print flags and never clears it, so
            # after a namespaced kind with -A even cluster-scoped kinds get the column
            sticky_ns = sticky_ns or (ctx.flag("all-namespaces") and target.resource.namespaced)
            with_ns = sticky_ns
            printer = TablePrinter(w, TableOptions(
                wide=fmt.kind == "wide", no_headers=ctx.flag("no-headers"),
                with_namespace=with_ns,
                kind=target.resource.group_kind.lower() if with_kind else "",
                show_labels=ctx.flag("show-labels"), label_columns=ctx.flag("label-columns")))
            last = target.resource
        if table.get("kind") != "Table":
            table = _pseudo_table(table)
        printer.print_table(table)
    w.flush()
    if not written and not ctx.flag("ignore-not-found") and not errors:
        if all_namespaced:
            ctx.err(f"No resources found in {ctx.namespace} namespace.\n")
        else:
            ctx.err("No resources found\n")
    return _report(ctx, errors)


def _pseudo_table(obj: Obj) -> Obj:
    """A server that ignored the Table request: kubectl prints NAME and AGE."""
    import datetime as dt

    from kubelite.api.meta import age

    items = obj.get("items") if "items" in obj else [obj]
    now = dt.datetime.now(dt.UTC)
    rows = [{"cells": [(i.get("metadata") or {}).get("name", ""),
                       age((i.get("metadata") or {}).get("creationTimestamp"), now)],
             "object": i} for i in items or []]
    return {"kind": "Table", "columnDefinitions": [
        {"name": "Name", "type": "string", "format": "name", "priority": 0},
        {"name": "Age", "type": "string", "format": "", "priority": 0}], "rows": rows}


def strip_managed_fields(obj: Obj) -> None:
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)


def _print_generic(ctx: Context, fmt: OutputFormat, targets: list[builder.Target]) -> int:
    single = len(targets) == 1 and targets[0].name is not None
    items: list[Obj] = []
    errors: list[BaseException] = []
    for target in targets:
        try:
            obj = fetch(ctx, target, "application/json")
        except ApiError as err:
            if ctx.flag("ignore-not-found") and is_not_found(err):
                continue
            if single:
                raise
            errors.append(err)
            continue
        if target.name is None or "items" in obj and str(obj.get("kind", "")).endswith("List"):
            items.extend(_fill_item_kinds(obj))
        else:
            items.append(obj)
    if not ctx.flag("show-managed-fields") and fmt.kind in ("yaml", "json"):
        for item in items:
            strip_managed_fields(item)
    if ctx.flag("sort-by"):
        from kubelite.kubectl.sorting import sort_objects
        items = sort_objects(items, ctx.flag("sort-by"))
    if single and len(items) == 1:
        _print_items(ctx, fmt, items[0], [items[0]])
    else:
        if not items and ctx.flag("ignore-not-found"):
            return _report(ctx, errors)
        listing = {"apiVersion": "v1", "items": items, "kind": "List",
                   "metadata": {"resourceVersion": ""}}
        _print_items(ctx, fmt, listing, items)
    return _report(ctx, errors)


def _print_items(ctx: Context, fmt: OutputFormat, whole: Obj, items: list[Obj]) -> None:
    from kubelite.kubectl.printers import kind_prefix, name_of

    if fmt.kind == "name":
        for item in items:
            ctx.out(name_of(kind_prefix(item), item) + "\n")
        return
    if fmt.kind == "custom-columns":
        from kubelite.kubectl.customcolumns import print_custom_columns
        print_custom_columns(ctx, fmt.arg, items, ctx.flag("no-headers"))
        return
    print_object(fmt, whole, ctx.out)

