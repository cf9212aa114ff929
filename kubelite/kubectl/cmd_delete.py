"""``kubelite delete``: by name, ``kind/name``, ``-f``, ``-l`` or ``--all``.

As kubectl does: one ``DELETE`` per object with ``DeleteOptions`` (``propagationPolicy`` from
``--cascade``, ``gracePeriodSeconds`` from ``--grace-period``/``--now``/``--force``; a grace
period of 0 without ``--force`` becomes 1), ``pod "nginx" deleted`` per object, errors after
the others were tried, ``No resources found`` when a selector matched nothing; then, unless
``--wait=false``, wait until every deleted object is really gone (a pod on a node
terminates gracefully first), bounded by ``--timeout``.

``--dry-run=server`` sends ``dryRun`` in the DeleteOptions body, as kubectl does (an apiserver
reads the query only when there is no body).
"""

from __future__ import annotations

import json
import time
from typing import Any

from kubelite.kubectl import builder, manifest
from kubelite.kubectl import flags as fl
from kubelite.kubectl.cmd_get import fetch_list
from kubelite.kubectl.context import Context
from kubelite.kubectl.errors import ApiError, CLIError, is_not_found, line_for, render
from kubelite.kubectl.rest import JSON

Obj = dict[str, Any]
WEEK = 168 * 3600.0
WATCH_SLICE = 300  # seconds per watch request; relisted after each

FLAGS = [
    fl.Flag("filename", fl.Kind.STRINGS, short="f"),
    fl.Flag("recursive", fl.Kind.BOOL, short="R"),
    fl.Flag("selector", short="l"),
    fl.Flag("field-selector"),
    fl.Flag("all", fl.Kind.BOOL),
    fl.Flag("all-namespaces", fl.Kind.BOOL, short="A"),
    fl.Flag("grace-period", fl.Kind.INT, default=-1),
    fl.Flag("now", fl.Kind.BOOL),
    fl.Flag("force", fl.Kind.BOOL),
    fl.Flag("wait", fl.Kind.BOOL, default=True),
    fl.Flag("timeout", fl.Kind.DURATION, default="0s"),
    fl.Flag("cascade", default="background", no_opt="background"),
    fl.Flag("ignore-not-found", fl.Kind.BOOL),
    fl.Flag("output", short="o"),
    fl.Flag("dry-run", default="none", no_opt="unchanged"),
    fl.Flag("chunk-size", fl.Kind.INT, default=500),
]

CASCADE = {"background": "Background", "true": "Background", "foreground": "Foreground",
           "orphan": "Orphan", "false": "Orphan"}


def _grace_period(ctx: Context) -> int:
    grace = int(ctx.flag("grace-period"))
    if ctx.flag("now"):
        if grace != -1:
            raise CLIError("--now and --grace-period cannot be specified together")
        grace = 1
    if grace == 0 and not ctx.flag("force"):
        grace = 1
    if ctx.flag("force") and grace < 0:
        grace = 0
    if grace > 0 and ctx.flag("force"):
        raise CLIError("--force and --grace-period greater than 0 cannot be specified together")
    return grace


def _targets(ctx: Context) -> tuple[list[builder.Target], list[BaseException]]:
    if ctx.flag("filename"):
        docs, errs = manifest.read(ctx.flag("filename"), ctx.flag("recursive"), ctx.stdin)
        targets, map_errs = builder.targets_from_documents(ctx.mapper, docs, ctx.namespace,
                                                           ctx.namespace_explicit)
        return targets, [*errs, *map_errs]
    if not ctx.args:
        raise CLIError("You must provide one or more resources by argument or filename.\n"
                       "Example resource specifications include:\n   '-f rsrc.yaml'\n"
                       "   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'",
                       raw=False)
    targets = builder.targets_from_args(ctx.mapper, ctx.args, ctx.namespace,
                                        ctx.flag("all-namespaces"), "kubelite")
    selecting = ctx.flag("all") or ctx.flag("selector") or ctx.flag("field-selector")
    listed = [t for t in targets if t.name is None]
    if listed and not selecting:
        raise CLIError("resource(s) were provided, but no name was specified")
    if selecting and any(t.name is not None for t in targets):
        raise CLIError("name cannot be provided when a selector is specified")
    expanded: list[builder.Target] = []
    errors: list[BaseException] = []
    query: dict[str, str] = {}
    if ctx.flag("selector"):
        query["labelSelector"] = ctx.flag("selector")
    if ctx.flag("field-selector"):
        query["fieldSelector"] = ctx.flag("field-selector")
    for target in targets:
        if target.name is not None:
            expanded.append(target)
            continue
        try:
            listing = fetch_list(ctx, target, JSON, query)
        except ApiError as err:
            errors.append(err)
            continue
        for item in listing.get("items") or []:
            meta = item.get("metadata") or {}
            expanded.append(builder.Target(target.resource, meta.get("namespace", "") if
                                           target.resource.namespaced else "", meta.get("name")))
    return expanded, errors


def run(ctx: Context) -> int:
    output = ctx.flag("output")
    if output not in ("", "name"):
        raise CLIError(f"unexpected -o output mode: {output}. We only support '-o name'")
    if ctx.flag("all") and (ctx.flag("selector") or ctx.flag("field-selector")):
        # the resource builder refuses this before any other check (note the final space)
        raise CLIError("setting 'all' parameter but found a non empty selector. ")
    cascade = CASCADE.get(str(ctx.flag("cascade")).lower())
    if cascade is None:
        raise CLIError(f'invalid cascade value ({ctx.flag("cascade")}). Must be "background", '
                       '"foreground", or "orphan".')
    dry_run = ctx.flag("dry-run")
    if dry_run not in ("none", "client", "server"):
        raise CLIError(f'Invalid dry-run value ({dry_run}). Must be "none", "server", or '
                       '"client".')
    grace = _grace_period(ctx)
    if grace == 0 and ctx.flag("force"):
        ctx.err("Warning: Immediate deletion does not wait for confirmation that the running "
                "resource has been terminated. The resource may continue to run on the cluster "
                "indefinitely.\n")
    ignore_not_found = ctx.flag("ignore-not-found")
    if not ctx.parsed.changed("ignore-not-found") and (
            ctx.flag("all") or ctx.flag("selector") or ctx.flag("field-selector")):
        ignore_not_found = True
    targets, errors = _targets(ctx)
    options: Obj = {"propagationPolicy": cascade}
    if grace >= 0:
        options = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": grace,
                   "propagationPolicy": cascade}
    deleted: list[tuple[builder.Target, str]] = []
    warned_cluster = not ctx.namespace_explicit or ctx.flag("all-namespaces")
    for target in targets:
        if not warned_cluster and not target.resource.namespaced:
            ctx.err("Warning: deleting cluster-scoped resources, not scoped to the provided "
                    "namespace\n")
            warned_cluster = True
        try:
            uid = _delete(ctx, target, options, dry_run)
        except ApiError as err:
            if ignore_not_found and is_not_found(err):
                continue
            errors.append(err.with_source("deleting", target.source))
            continue
        deleted.append((target, uid))
        _print(ctx, target, grace, dry_run)
    if not targets and not errors:
        ctx.out("No resources found\n")
        return 0
    if ctx.flag("wait") and dry_run == "none":
        timeout = fl.parse_duration(ctx.flag("timeout")) or 0.0
        deadline = time.monotonic() + (timeout or WEEK)
        for target, uid in deleted:
            try:
                wait_deleted(ctx, target, uid, deadline)
            except (ApiError, CLIError) as err:
                errors.append(err)
    return _report(ctx, errors)


def _report(ctx: Context, errors: list[BaseException]) -> int:
    if not errors:
        return 0
    if len(errors) == 1:
        ctx.err(render(errors[0]) + "\n")
    else:
        for err in errors:
            ctx.err(line_for(err) + "\n")
    return 1


def _delete(ctx: Context, target: builder.Target, options: Obj, dry_run: str) -> str:
    if dry_run == "client":
        return ""
    if dry_run == "server":
        options = {**options, "dryRun": ["All"]}
    resp = ctx.client.request("DELETE", target.path, None, options)
    body = resp.json() or {}
    if body.get("kind") == "Status":
        return str((body.get("details") or {}).get("uid", ""))
    return str((body.get("metadata") or {}).get("uid", ""))


def _print(ctx: Context, target: builder.Target, grace: int, dry_run: str) -> None:
    kind = target.resource.group_kind.lower()
    if ctx.flag("output") == "name":
        ctx.out(f"{kind}/{target.name}\n")
        return
    operation = "force deleted" if grace == 0 else "deleted"
    operation += {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")
    ctx.out(f'{kind} "{target.name}" {operation}\n')
    ctx.stdout.flush()


def wait_deleted(ctx: Context, target: builder.Target, uid: str, deadline: float) -> None:
    """Return once the object is gone (or replaced by one with another uid)."""
    try:
        current = ctx.client.get(target.path)
    except ApiError as err:
        if is_not_found(err):
            return
        raise
    if uid and (current.get("metadata") or {}).get("uid") != uid:
        return
    selector = {"fieldSelector": f"metadata.name={target.name}"}
    list_target = builder.Target(target.resource, target.namespace)
    timed_out = CLIError(f"timed out waiting for the condition on "
                         f"{target.resource.qualified_plural}/{target.name}")
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise timed_out
        listing = ctx.client.get(list_target.path, selector)
        if not listing.get("items"):
            return
        rv = str((listing.get("metadata") or {}).get("resourceVersion", ""))
        query = {**selector, "watch": "true", "resourceVersion": rv,
                 "timeoutSeconds": str(max(1, min(WATCH_SLICE, int(remaining))))}
        for line in ctx.client.stream(list_target.path, query, timeout=remaining + 5):
            if not line.strip():
                continue
            event = json.loads(line)
            if event.get("type") == "DELETED":
                return
            if time.monotonic() >= deadline:
                raise timed_out
