"""``kubelite version``, ``api-resources``, ``api-versions`` and ``cluster-info``."""

from __future__ import annotations

from typing import Any

from kubelite import __version__
from kubelite.kubectl import flags as fl
from kubelite.kubectl.context import Context
from kubelite.kubectl.errors import ApiError, CLIError
from kubelite.kubectl.tabwriter import TabWriter
from kubelite.kubectl.yamlout import to_yaml

Obj = dict[str, Any]

VERSION_FLAGS = [fl.Flag("client", fl.Kind.BOOL), fl.Flag("output", short="o")]
API_RESOURCES_FLAGS = [
    fl.Flag("output", short="o"),
    fl.Flag("no-headers", fl.Kind.BOOL),
    fl.Flag("api-group"),
    fl.Flag("namespaced", fl.Kind.BOOL, default=True),
    fl.Flag("verbs", fl.Kind.STRINGS),
    fl.Flag("sort-by"),
    fl.Flag("cached", fl.Kind.BOOL),
    fl.Flag("categories", fl.Kind.STRINGS),
]
FLAGS_BY_COMMAND = {"version": VERSION_FLAGS, "api-resources": API_RESOURCES_FLAGS,
                    "api-versions": [], "cluster-info": []}
FLAGS: list[fl.Flag] = []


def client_version() -> Obj:
    """kubelite's own version, in the shape of kubectl's ``clientVersion``."""
    major, minor = "1", "32"
    return {"major": major, "minor": minor, "gitVersion": f"v1.32.0+kubelite-{__version__}",
            "gitCommit": "", "gitTreeState": "", "buildDate": "", "goVersion": "python3",
            "compiler": "cpython", "platform": "linux/amd64"}


def version(ctx: Context) -> int:
    output = ctx.flag("output")
    if output not in ("", "json", "yaml"):
        raise CLIError("--output must be 'yaml' or 'json'")
    info: Obj = {"clientVersion": client_version()}
    server_error: BaseException | None = None
    if not ctx.flag("client"):
        try:
            info["serverVersion"] = ctx.client.get("/version")
        except (ApiError, Exception) as exc:  # noqa: BLE001 - printed after the client part
            server_error = exc
    if output == "json":
        import json
        ctx.out(json.dumps(info, indent=2) + "\n")
    elif output == "yaml":
        ctx.out(to_yaml(info))
    else:
        ctx.out(f"Client Version: {info['clientVersion']['gitVersion']}\n")
        if "serverVersion" in info:
            ctx.out(f"Server Version: {info['serverVersion'].get('gitVersion', '')}\n")
    if server_error is not None:
        raise server_error
    return 0


def api_resources(ctx: Context) -> int:
    output = ctx.flag("output")
    if output not in ("", "wide", "name"):
        raise CLIError(f"--output {output} is not available")
    resources = list(ctx.mapper.resources)
    if ctx.parsed.changed("api-group"):
        resources = [r for r in resources if r.group == ctx.flag("api-group")]
    if ctx.parsed.changed("namespaced"):
        resources = [r for r in resources if r.namespaced == ctx.flag("namespaced")]
    for verb in ctx.flag("verbs"):
        resources = [r for r in resources if verb in r.verbs]
    for category in ctx.flag("categories"):
        resources = [r for r in resources if category in r.categories]
    sort_by = ctx.flag("sort-by")
    if sort_by == "kind":
        resources.sort(key=lambda r: r.kind)
    elif sort_by == "name":
        resources.sort(key=lambda r: r.plural)
    elif sort_by:
        raise CLIError("--sort-by accepts only name or kind")
    else:
        resources.sort(key=lambda r: (r.group, r.plural))
    if output == "name":
        for r in resources:
            ctx.out((f"{r.plural}.{r.group}" if r.group else r.plural) + "\n")
        return 0
    w = TabWriter(ctx.out)
    if not ctx.flag("no-headers"):
        header = "NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND"
        w.write(header + ("\tVERBS\tCATEGORIES\n" if output == "wide" else "\n"))
    for r in resources:
        line = (f"{r.plural}\t{','.join(r.short_names)}\t{r.api_version}\t"
                f"{'true' if r.namespaced else 'false'}\t{r.kind}")
        if output == "wide":
            line += f"\t{','.join(sorted(r.verbs))}\t{','.join(r.categories)}"
        w.write(line + "\n")
    w.flush()
    return 0


def api_versions(ctx: Context) -> int:
    versions = sorted({r.api_version for r in ctx.mapper.resources})
    for v in versions:
        ctx.out(v + "\n")
    return 0


def cluster_info(ctx: Context) -> int:
    if ctx.args:
        raise CLIError(f'unknown command "{ctx.args[0]}" for "kubelite cluster-info"')
    ctx.client.get("/api")
    ctx.out(f"Kubernetes control plane is running at {ctx.conn.server}\n")
    try:
        listing = ctx.client.get("/api/v1/namespaces/kube-system/services",
                                 {"labelSelector": "kubernetes.io/cluster-service=true"})
    except ApiError:
        listing = {}
    for svc in listing.get("items") or []:
        meta = svc.get("metadata") or {}
        name = (meta.get("labels") or {}).get("kubernetes.io/name") or meta.get("name", "")
        ctx.out(f"{name} is running at {ctx.conn.server}/api/v1/namespaces/kube-system/"
                f"services/{meta.get('name', '')}/proxy\n")
    ctx.out("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'."
            "\n")
    return 0


RUN_BY_COMMAND = {"version": version, "api-resources": api_resources,
                  "api-versions": api_versions, "cluster-info": cluster_info}
