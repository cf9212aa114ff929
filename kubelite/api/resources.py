"""The table of resources kubelite serves: names, kinds, scope, verbs, subresources.

Discovery (aggregated and legacy), OpenAPI, the URL router and the registries are all
generated from :data:`RESOURCES`; adding a resource starts here. ``etcd_dir`` is the
directory under ``--etcd-prefix`` (the resource's plural name, as the brief asks;
core/v1 and events.k8s.io/v1 events share ``events``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CRUD = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
STATUS_VERBS = ("get", "patch", "update")


@dataclass(frozen=True, slots=True)
class Subresource:
    name: str
    verbs: tuple[str, ...]
    group: str = ""
    version: str = "v1"
    kind: str = ""  # empty: the parent's kind


@dataclass(frozen=True, slots=True)
class Resource:
    plural: str
    singular: str
    kind: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = CRUD
    subresources: tuple[Subresource, ...] = ()
    etcd_dir: str = ""
    schema_root: str = ""  # key of schema.json "roots"
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def directory(self) -> str:
        return self.etcd_dir or self.plural

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def subresource(self, name: str) -> Subresource | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None

    @property
    def url_prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"


SCALE = Subresource("scale", STATUS_VERBS, "autoscaling", "v1", "Scale")
STATUS = Subresource("status", STATUS_VERBS)

RESOURCES: tuple[Resource, ...] = (
    Resource("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",),
             verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
             subresources=(STATUS, Subresource("finalize", ("update",))),
             schema_root="v1/Namespace"),
    Resource("pods", "pod", "Pod", "", "v1", True, ("po",), ("all",),
             subresources=(
                 Subresource("attach", ("create", "get"), "", "v1", "PodAttachOptions"),
                 Subresource("binding", ("create",), "", "v1", "Binding"),
                 Subresource("exec", ("create", "get"), "", "v1", "PodExecOptions"),
                 Subresource("log", ("get",)),
                 STATUS,
             ), schema_root="v1/Pod"),
    Resource("bindings", "binding", "Binding", "", "v1", True, verbs=("create",),
             schema_root="v1/Binding"),
    Resource("nodes", "node", "Node", "", "v1", False, ("no",), subresources=(STATUS,),
             schema_root="v1/Node"),
    Resource("services", "service", "Service", "", "v1", True, ("svc",), ("all",),
             verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update",
                    "watch"),
             subresources=(STATUS,), schema_root="v1/Service"),
    Resource("endpoints", "endpoints", "Endpoints", "", "v1", True, ("ep",),
             schema_root="v1/Endpoints"),
    Resource("replicationcontrollers", "replicationcontroller", "ReplicationController", "",
             "v1", True, ("rc",), ("all",), subresources=(SCALE, STATUS),
             etcd_dir="controllers", schema_root="v1/ReplicationController"),
    Resource("events", "event", "Event", "", "v1", True, ("ev",), schema_root="v1/Event"),
    Resource("configmaps", "configmap", "ConfigMap", "", "v1", True, ("cm",),
             schema_root="v1/ConfigMap"),
    Resource("secrets", "secret", "Secret", "", "v1", True, schema_root="v1/Secret"),
    Resource("componentstatuses", "componentstatus", "ComponentStatus", "", "v1", False,
             ("cs",), verbs=("get", "list")),
    Resource("serviceaccounts", "serviceaccount", "ServiceAccount", "", "v1", True, ("sa",),
             schema_root="v1/ServiceAccount"),
    Resource("deployments", "deployment", "Deployment", "apps", "v1", True, ("deploy",),
             ("all",), subresources=(SCALE, STATUS), schema_root="apps/v1/Deployment"),
    Resource("replicasets", "replicaset", "ReplicaSet", "apps", "v1", True, ("rs",), ("all",),
             subresources=(SCALE, STATUS), schema_root="apps/v1/ReplicaSet"),
    Resource("leases", "lease", "Lease", "coordination.k8s.io", "v1", True,
             schema_root="coordination.k8s.io/v1/Lease"),
    Resource("events", "event", "Event", "events.k8s.io", "v1", True, ("ev",),
             schema_root="events.k8s.io/v1/Event"),
    Resource("endpointslices", "endpointslice", "EndpointSlice", "discovery.k8s.io", "v1", True,
             verbs=("get", "list", "watch"), schema_root="discovery.k8s.io/v1/EndpointSlice"),
)

# Group versions in discovery order; the core group ("") is served under /api.
GROUP_VERSIONS: tuple[tuple[str, str], ...] = (
    ("", "v1"), ("apps", "v1"), ("events.k8s.io", "v1"), ("coordination.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
)


def lookup(group: str, version: str, plural: str) -> Resource | None:
    for res in RESOURCES:
        if res.group == group and res.version == version and res.plural == plural:
            return res
    return None


def in_group_version(group: str, version: str) -> list[Resource]:
    return [r for r in RESOURCES if r.group == group and r.version == version]


def by_kind(api_version: str, kind: str) -> Resource | None:
    for res in RESOURCES:
        if res.api_version == api_version and res.kind == kind:
            return res
    return None
