"""``kubelite describe TYPE [NAME_PREFIX] | TYPE/NAME | -f FILE | -l SELECTOR``.

The objects are found as kubectl finds them (a list when no name is given; when a single
name is not found, every object whose name starts with it), each is read again and its
related objects fetched (events about it, a deployment's replica sets, a controller's pods,
a node's pods and lease), then printed by the describer for its kind
(:mod:`kubelite.kubectl.describe`), separated by blank lines.

One deliberate difference: kubectl 1.32 lists a service's endpoints from
``discovery.k8s.io/v1`` EndpointSlices only, which kubelite's apiserver does not serve, so it
always prints ``Endpoints: <none>`` there. ``kubelite describe service`` reads the EndpointSlices
when the server has them and otherwise the service's ``v1 Endpoints`` object (what kubectl did
before EndpointSlices), so the endpoints kubelite's controllers maintain are shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kubelite.api import labels as label_sel
from kubelite.kubectl import builder
from kubelite.kubectl import flags as fl
from kubelite.kubectl.cmd_get import fetch_list, resolve_targets
from kubelite.kubectl.context import Context
from kubelite.kubectl.describe import core, nodes, pods, workloads
from kubelite.kubectl.describe.writer import PrefixWriter
from kubelite.kubectl.discovery import ApiResource
from kubelite.kubectl.errors import ApiError, CLIError, is_not_found, line_for, render
from kubelite.kubectl.rest import JSON

Obj = dict[str, Any]

FLAGS = [
    fl.Flag("filename", fl.Kind.STRINGS, short="f"),
    fl.Flag("recursive", fl.Kind.BOOL, short="R"),
    fl.Flag("selector", short="l"),
    fl.Flag("field-selector"),
    fl.Flag("all-namespaces", fl.Kind.BOOL, short="A"),
    fl.Flag("show-events", fl.Kind.BOOL, default=True),
    fl.Flag("chunk-size", fl.Kind.INT, default=500),
]


class Describer:
    """Reads what one describer needs from the server, then formats it."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.now = dt.datetime.now(dt.UTC)
        self.show_events = bool(ctx.flag("show-events"))

    def get(self, path: str, query: dict[str, str] | None = None) -> Obj:
        obj: Obj = self.ctx.client.get(path, query)
        return obj

    def events(self, obj: Obj, kind: str | None, uid: str | None = None) -> list[Obj] | None:
        if not self.show_events:
            return None
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace", "")
        fields = [f"involvedObject.name={meta.get('name', '')}",
                  f"involvedObject.namespace={ns}"]
        if kind:
            fields.append(f"involvedObject.kind={kind}")
        uid = meta.get("uid", "") if uid is None else uid
        if uid:
            fields.append(f"involvedObject.uid={uid}")
        path = f"/api/v1/namespaces/{ns}/events" if ns else "/api/v1/events"
        try:
            return list(self.get(path, {"fieldSelector": ",".join(fields)}).get("items") or [])
        except ApiError:
            return []

    def run(self, resource: ApiResource, namespace: str, name: str) -> str:
        w = PrefixWriter(self.now)
        obj = self.get(resource.path(namespace or None, name))
        handler: Callable[[Obj, PrefixWriter], None] = \
            DESCRIBERS.get((resource.group, resource.kind), Describer.generic).__get__(self)
        handler(obj, w)
        return w.text()

    # -- per kind ------------------------------------------------------------------------

    def pod(self, obj: Obj, w: PrefixWriter) -> None:
        pods.describe_pod(obj, self.events(obj, None), w)

    def service(self, obj: Obj, w: PrefixWriter) -> None:
        meta = obj.get("metadata") or {}
        endpoints = self._service_endpoints(meta.get("namespace", ""), meta.get("name", ""))
        core.describe_service(obj, endpoints, self.events(obj, "Service"), w)

    def _service_endpoints(self, ns: str, name: str) -> Obj | None:
        try:
            slices = self.get(f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
                              {"labelSelector": f"kubernetes.io/service-name={name}"})
            return _slices_as_endpoints(slices.get("items") or [])
        except ApiError as err:
            if err.code != 404:
                return None
        try:
            return self.get(f"/api/v1/namespaces/{ns}/endpoints/{name}")
        except ApiError:
            return None

    def node(self, obj: Obj, w: PrefixWriter) -> None:
        name = (obj.get("metadata") or {}).get("name", "")
        selector = f"spec.nodeName={name},status.phase!=Succeeded,status.phase!=Failed"
        node_pods: list[Obj] | None
        try:
            node_pods = list(self.get("/api/v1/pods", {"fieldSelector": selector}).get("items")
                             or [])
        except ApiError as err:
            if err.reason != "Forbidden":
                raise
            node_pods = None
        events = None
        if self.show_events:
            events = (self.events(obj, "Node") or []) + (self.events(obj, "Node", name) or [])
        lease, lease_error = None, ""
        try:
            lease = self.get(f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/"
                             f"{name}")
        except ApiError as err:
            lease_error = err.message
        nodes.describe_node(obj, node_pods, lease, lease_error, events, w)

    def namespace(self, obj: Obj, w: PrefixWriter) -> None:
        core.describe_namespace(obj, w)
        name = (obj.get("metadata") or {}).get("name", "")
        for resource, empty in (("resourcequotas", "No resource quota.\n"),
                                ("limitranges", "No LimitRange resource.\n")):
            try:
                items = self.get(f"/api/v1/namespaces/{name}/{resource}").get("items") or []
            except ApiError as err:
                if is_not_found(err):
                    continue
                raise
            w.write(0, "\n")
            if not items:
                w.write(0, empty)
            else:
                w.write(0, f"{resource}:\t{', '.join(i['metadata']['name'] for i in items)}\n")

    def deployment(self, obj: Obj, w: PrefixWriter) -> None:
        meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
        events = self.events(obj, "Deployment")
        old: list[Obj] = []
        new: list[Obj] = []
        try:
            selector = str(label_sel.from_label_selector(spec.get("selector")))
            listing = self.get(f"/apis/apps/v1/namespaces/{meta.get('namespace')}/replicasets",
                               {"labelSelector": selector})
            owned = [rs for rs in listing.get("items") or []
                     if any(r.get("controller") and r.get("uid") == meta.get("uid")
                            for r in (rs.get("metadata") or {}).get("ownerReferences") or [])]
            owned.sort(key=lambda rs: str((rs.get("metadata") or {}).get("creationTimestamp")))
            template = _without_hash(spec.get("template") or {})
            newest = next((rs for rs in owned
                           if _without_hash((rs.get("spec") or {}).get("template") or {})
                           == template), None)
            new = [newest] if newest is not None else []
            old = [rs for rs in owned if rs is not newest]
        except (ApiError, label_sel.SelectorError):
            pass
        workloads.describe_deployment(obj, old, new, events, w)

    def _controller_pods(self, obj: Obj, selector: str) -> tuple[int, int, int, int]:
        meta = obj.get("metadata") or {}
        listing = self.get(f"/api/v1/namespaces/{meta.get('namespace')}/pods",
                           {"labelSelector": selector})
        return workloads.pod_counts(listing.get("items") or [], str(meta.get("uid", "")))

    def replicaset(self, obj: Obj, w: PrefixWriter) -> None:
        counts, error = None, ""
        try:
            selector = str(label_sel.from_label_selector((obj.get("spec") or {}).get("selector")))
            counts = self._controller_pods(obj, selector)
        except ApiError as err:
            error = err.message
        workloads.describe_replicaset(obj, counts, error, self.events(obj, "ReplicaSet"), w)

    def replication_controller(self, obj: Obj, w: PrefixWriter) -> None:
        selector = str(label_sel.from_map((obj.get("spec") or {}).get("selector")))
        counts = self._controller_pods(obj, selector)
        workloads.describe_replication_controller(
            obj, counts, self.events(obj, "ReplicationController"), w)

    def configmap(self, obj: Obj, w: PrefixWriter) -> None:
        core.describe_configmap(obj, self.events(obj, "ConfigMap"), w)

    def secret(self, obj: Obj, w: PrefixWriter) -> None:
        core.describe_secret(obj, w)

    def endpoints(self, obj: Obj, w: PrefixWriter) -> None:
        core.describe_endpoints(obj, self.events(obj, "Endpoints"), w)

    def service_account(self, obj: Obj, w: PrefixWriter) -> None:
        ns = (obj.get("metadata") or {}).get("namespace", "")
        secrets: list[Obj] | None
        try:
            secrets = list(self.get(f"/api/v1/namespaces/{ns}/secrets").get("items") or [])
        except ApiError:
            secrets = None
        core.describe_service_account(obj, secrets, self.events(obj, "ServiceAccount"), w)

    def generic(self, obj: Obj, w: PrefixWriter) -> None:
        core.describe_generic(obj, self.events(obj, str(obj.get("kind", ""))), w)


DESCRIBERS: dict[tuple[str, str], Callable[..., None]] = {
    ("", "Pod"): Describer.pod,
    ("", "Service"): Describer.service,
    ("", "Node"): Describer.node,
    ("", "Namespace"): Describer.namespace,
    ("apps", "Deployment"): Describer.deployment,
    ("apps", "ReplicaSet"): Describer.replicaset,
    ("", "ReplicationController"): Describer.replication_controller,
    ("", "ConfigMap"): Describer.configmap,
    ("", "Secret"): Describer.secret,
    ("", "Endpoints"): Describer.endpoints,
    ("", "ServiceAccount"): Describer.service_account,
}


def _without_hash(template: Obj) -> Obj:
    import copy

    out = copy.deepcopy(template)
    (out.get("metadata") or {}).get("labels", {}).pop("pod-template-hash", None)
    return out


def _slices_as_endpoints(slices: list[Obj]) -> Obj | None:
    """EndpointSlices folded into the v1 Endpoints shape (ready endpoints only)."""
    if not slices:
        return None
    subsets = []
    for es in slices:
        addresses = [{"ip": (e.get("addresses") or [""])[0]} for e in es.get("endpoints") or []
                     if (e.get("conditions") or {}).get("ready") is not False]
        subsets.append({"addresses": addresses, "ports": es.get("ports") or []})
    return {"subsets": subsets}


def _objects(ctx: Context) -> tuple[list[builder.Target], list[BaseException]]:
    """Named targets to describe: lists expanded into their items."""
    targets = resolve_targets(ctx, "describe")
    found: list[builder.Target] = []
    errors: list[BaseException] = []
    query: dict[str, str] = {}
    if ctx.flag("selector"):
        query["labelSelector"] = ctx.flag("selector")
    if ctx.flag("field-selector"):
        query["fieldSelector"] = ctx.flag("field-selector")
    for target in targets:
        if target.name is not None:
            try:
                ctx.client.get(target.path)
                found.append(target)
            except ApiError as err:
                errors.append(err)
            continue
        try:
            listing = fetch_list(ctx, target, JSON, query, ctx.flag("chunk-size"))
        except ApiError as err:
            errors.append(err)
            continue
        for item in listing.get("items") or []:
            meta = item.get("metadata") or {}
            found.append(builder.Target(target.resource, meta.get("namespace", "")
                                        if target.resource.namespaced else "", meta.get("name")))
    return found, errors


def _by_prefix(ctx: Context, describer: Describer, original: ApiError) -> int:
    res = ctx.mapper.resource_for(ctx.args[0])
    target = builder.Target(res, ctx.namespace if res.namespaced else "")
    listing = fetch_list(ctx, target, JSON, {}, ctx.flag("chunk-size"))
    found = False
    for item in listing.get("items") or []:
        meta = item.get("metadata") or {}
        if str(meta.get("name", "")).startswith(ctx.args[1]):
            found = True
            ctx.out(describer.run(res, meta.get("namespace", ""), meta.get("name", "")) + "\n")
    if not found:
        raise original
    return 0


def run(ctx: Context) -> int:
    if not ctx.args and not ctx.flag("filename") and not ctx.flag("selector"):
        raise CLIError("You must specify the type of resource to describe. Use \"kubelite "
                       "api-resources\" for a complete list of supported resources.")
    describer = Describer(ctx)
    found, errors = _objects(ctx)
    if not found and len(errors) == 1 and is_not_found(errors[0]) and len(ctx.args) == 2 \
            and isinstance(errors[0], ApiError):
        return _by_prefix(ctx, describer, errors[0])
    first = True
    seen: set[str] = set()
    for target in found:
        assert target.name is not None
        try:
            text = describer.run(target.resource, target.namespace, target.name)
        except ApiError as err:
            if line_for(err) not in seen:
                seen.add(line_for(err))
                errors.append(err)
            continue
        ctx.out(text if first else f"\n\n{text}")
        first = False
    if not found and not errors:
        if ctx.flag("all-namespaces"):
            ctx.err("No resources found\n")
        else:
            ctx.err(f"No resources found in {ctx.namespace} namespace.\n")
    if not errors:
        return 0
    if len(errors) == 1:
        ctx.err(render(errors[0]) + "\n")
    else:
        for each in errors:
            ctx.err(line_for(each) + "\n")
    return 1
