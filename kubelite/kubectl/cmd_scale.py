"""``kubelite scale --replicas=N``: deployments, replica sets, replication controllers.

As kubectl does: each named object is read first; then a merge patch
``{"spec":{"replicas":N}}`` goes to its ``scale`` subresource, or, with
``--current-replicas`` / ``--resource-version``, the ``Scale`` is read, checked
(``Expected replicas to be 2, was 4``) and written back with its resourceVersion.
Prints ``deployment.apps/web scaled``. ``--timeout`` waits until ``status.replicas``
reaches the new size, checking once a second as kubectl does.
"""

from __future__ import annotations

import time
from typing import Any

from kubelite.kubectl import builder, manifest
from kubelite.kubectl import flags as fl
from kubelite.kubectl.cmd_get import fetch_list
from kubelite.kubectl.context import Context
from kubelite.kubectl.errors import ApiError, CLIError, line_for
from kubelite.kubectl.rest import JSON

Obj = dict[str, Any]

FLAGS = [
    fl.Flag("replicas", fl.Kind.INT, default=-1),
    fl.Flag("current-replicas", fl.Kind.INT, default=-1),
    fl.Flag("resource-version"),
    fl.Flag("filename", fl.Kind.STRINGS, short="f"),
    fl.Flag("recursive", fl.Kind.BOOL, short="R"),
    fl.Flag("selector", short="l"),
    fl.Flag("all", fl.Kind.BOOL),
    fl.Flag("output", short="o"),
    fl.Flag("timeout", fl.Kind.DURATION, default="0s"),
    fl.Flag("dry-run", default="none", no_opt="unchanged"),
    fl.Flag("record", fl.Kind.BOOL),
]


def _objects(ctx: Context) -> tuple[list[tuple[builder.Target, Obj]], list[BaseException]]:
    errors: list[BaseException] = []
    if ctx.flag("filename"):
        docs, read_errs = manifest.read(ctx.flag("filename"), ctx.flag("recursive"), ctx.stdin)
        targets, map_errs = builder.targets_from_documents(ctx.mapper, docs, ctx.namespace,
                                                           ctx.namespace_explicit)
        errors += [*read_errs, *map_errs]
    else:
        targets = builder.targets_from_args(ctx.mapper, ctx.args, ctx.namespace, False,
                                            "kubelite")
        if any(t.name is None for t in targets) and not (ctx.flag("all") or ctx.flag("selector")):
            raise CLIError("resource(s) were provided, but no name was specified")
    found: list[tuple[builder.Target, Obj]] = []
    query = {"labelSelector": ctx.flag("selector")} if ctx.flag("selector") else {}
    for target in targets:
        try:
            if target.name is None:
                listing = fetch_list(ctx, target, JSON, query)
                for item in listing.get("items") or []:
                    meta = item.get("metadata") or {}
                    found.append((builder.Target(target.resource, meta.get("namespace", ""),
                                                 meta.get("name")), item))
            else:
                found.append((target, ctx.client.get(target.path)))
        except ApiError as err:
            errors.append(err)
    return found, errors


def _scale_once(ctx: Context, target: builder.Target, replicas: int, dry_run: bool) -> None:
    path = target.resource.path(target.namespace or None, target.name, "scale")
    query = {"dryRun": "All"} if dry_run else None
    current, version = ctx.flag("current-replicas"), ctx.flag("resource-version")
    if current == -1 and not version:
        body = f'{{"spec":{{"replicas":{replicas}}}}}'.encode()
        ctx.client.request("PATCH", path, query, body,
                           content_type="application/merge-patch+json")
        return
    scale: Obj = ctx.client.get(path)
    spec_replicas = int((scale.get("spec") or {}).get("replicas") or 0)
    if current != -1 and current != spec_replicas:
        raise CLIError(f"Expected replicas to be {current}, was {spec_replicas}")
    rv = str((scale.get("metadata") or {}).get("resourceVersion", ""))
    if version and version != rv:
        raise CLIError(f"Expected resource version to be {version}, was {rv}")
    scale.setdefault("spec", {})["replicas"] = replicas
    ctx.client.request("PUT", path, query, scale)


def _wait_for_replicas(ctx: Context, target: builder.Target, replicas: int,
                       timeout: float) -> None:
    path = target.resource.path(target.namespace or None, target.name, "scale")
    deadline = time.monotonic() + timeout
    while True:
        scale: Obj = ctx.client.get(path)
        if int((scale.get("status") or {}).get("replicas") or 0) == replicas:
            return
        if time.monotonic() >= deadline:
            raise CLIError("timed out waiting for the condition")
        time.sleep(1.0)  # kubectl polls the scale once a second too


def run(ctx: Context) -> int:
    replicas = int(ctx.flag("replicas"))
    if not ctx.parsed.changed("replicas"):
        raise CLIError('required flag(s) "replicas" not set')
    if replicas < 0:
        raise CLIError("The --replicas=COUNT flag is required, and COUNT must be greater than "
                       "or equal to 0")
    if ctx.flag("output") not in ("", "name"):
        raise CLIError(f"unexpected -o output mode: {ctx.flag('output')}")
    dry_run = ctx.flag("dry-run")
    if dry_run not in ("none", "client", "server"):
        raise CLIError(f'Invalid dry-run value ({dry_run}). Must be "none", "server", or '
                       '"client".')
    objects, errors = _objects(ctx)
    if ctx.flag("resource-version") and len(objects) > 1:
        raise CLIError("cannot use --resource-version with multiple resources")
    if not objects:
        if errors:
            raise CLIError("no objects passed to scale " + line_for(errors[0])
                           .removeprefix("Error from server (NotFound): "))
        raise CLIError("no objects passed to scale")
    timeout = fl.parse_duration(ctx.flag("timeout")) or 0.0
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")
    for target, _ in objects:
        if dry_run != "client":
            _scale_once(ctx, target, replicas, dry_run == "server")
            if timeout and dry_run == "none":
                _wait_for_replicas(ctx, target, replicas, timeout)
        name = f"{target.resource.group_kind.lower()}/{target.name}"
        ctx.out(name + "\n" if ctx.flag("output") == "name" else f"{name} scaled{suffix}\n")
    if errors:
        from kubelite.kubectl.errors import render
        ctx.err((render(errors[0]) if len(errors) == 1 else
                 "\n".join(line_for(e) for e in errors)) + "\n")
        return 1
    return 0
