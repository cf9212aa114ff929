"""Server-side printing: ``meta.k8s.io/v1 Table`` for ``kubectl get``.

kubectl 1.32 prints the columns the server sends (headers upper-cased, ``priority > 0``
only with ``-o wide``), so the per-kind column sets and cell rules of kube's
``printers.go`` live here: pure functions of an object and ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kubelite.api import conversion, labels, meta

Obj = dict[str, Any]
Column = dict[str, Any]
NONE = "<none>"


def col(name: str, typ: str = "string", priority: int = 0, fmt: str = "",
        description: str = "") -> Column:
    out: Column = {"name": name, "type": typ, "format": fmt,
                   "description": description or name, "priority": priority}
    return out


NAME = col("Name", fmt="name", description="Name must be unique within a namespace.")
AGE = col("Age", description="CreationTimestamp is the time the object was created.")
CONTAINERS = col("Containers", priority=1, description="Names of each container in the template.")
IMAGES = col("Images", priority=1, description="Images referenced by each container in the template.")
SELECTOR = col("Selector", priority=1, description="Label selector of the pods.")


def _age(obj: Obj, now: dt.datetime) -> str:
    return meta.age((obj.get("metadata") or {}).get("creationTimestamp"), now)


# -- pods -------------------------------------------------------------------------------

def _terminated_reason(term: Obj, prefix: str = "") -> str:
    if term.get("reason"):
        return prefix + str(term["reason"])
    if term.get("signal"):
        return f"{prefix}Signal:{term['signal']}"
    return f"{prefix}ExitCode:{term.get('exitCode', 0)}"


def pod_status_text(pod: Obj) -> str:
    """The STATUS cell: phase, overridden by container states and deletion."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_specs = spec.get("initContainers") or []
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            reason = _terminated_reason(term, "Init:")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated"):
                reason = _terminated_reason(state["terminated"])
            elif state.get("running") and cs.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in status.get("conditions") or [])
            reason = "Running" if ready else "NotReady"
    m = pod.get("metadata") or {}
    if m.get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return str(reason)


def _restarts(pod: Obj, now: dt.datetime) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    total = sum(int(cs.get("restartCount") or 0) for cs in statuses)
    last: dt.datetime | None = None
    for cs in statuses:
        fin = meta.parse_time(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        if fin is not None and (last is None or fin > last):
            last = fin
    if total and last is not None:
        return f"{total} ({meta.human_duration((now - last).total_seconds())} ago)"
    return str(total)


def pod_row(pod: Obj, now: dt.datetime) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready = sum(1 for cs in status.get("containerStatuses") or [] if cs.get("ready"))
    gates = spec.get("readinessGates") or []
    gates_text = NONE
    if gates:
        true = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
        gates_text = f"{sum(1 for g in gates if g.get('conditionType') in true)}/{len(gates)}"
    return [pod["metadata"]["name"], f"{ready}/{len(spec.get('containers') or [])}",
            pod_status_text(pod), _restarts(pod, now), _age(pod, now),
            status.get("podIP") or NONE, spec.get("nodeName") or NONE,
            status.get("nominatedNodeName") or NONE, gates_text]


POD_COLUMNS = [
    NAME,
    col("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
    col("Status", description="The aggregate status of the containers in this pod."),
    col("Restarts", description="The number of times the containers in this pod have been "
        "restarted and when the last container in this pod has restarted."),
    AGE,
    col("IP", priority=1, description="IP address allocated to the pod."),
    col("Node", priority=1, description="The node the pod is bound to."),
    col("Nominated Node", priority=1, description="The node the scheduler nominated."),
    col("Readiness Gates", priority=1, description="Readiness gates that are satisfied."),
]


# -- workloads --------------------------------------------------------------------------

def _template_parts(obj: Obj) -> tuple[str, str]:
    containers = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers") or []
    return (",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers))


def _selector_text(obj: Obj, plain_map: bool = False) -> str:
    sel = (obj.get("spec") or {}).get("selector")
    if sel is None:
        return NONE
    try:
        text = str(labels.from_map(sel) if plain_map else labels.from_label_selector(sel))
    except labels.SelectorError:
        return NONE
    return text or NONE


def deployment_row(obj: Obj, now: dt.datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _template_parts(obj)
    return [obj["metadata"]["name"],
            f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            int(status.get("updatedReplicas", 0)), int(status.get("availableReplicas", 0)),
            _age(obj, now), names, images, _selector_text(obj)]


DEPLOYMENT_COLUMNS = [
    NAME,
    col("Ready", description="Number of the pod with ready state"),
    col("Up-to-date", "integer", description="Total number of non-terminated pods targeted by "
        "this deployment that have the desired template spec."),
    col("Available", "integer", description="Total number of available pods (ready for at "
        "least minReadySeconds) targeted by this deployment."),
    AGE, CONTAINERS, IMAGES, SELECTOR,
]


def replicaset_row(obj: Obj, now: dt.datetime, plain_map: bool = False) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _template_parts(obj)
    return [obj["metadata"]["name"], int(spec.get("replicas", 0)), int(status.get("replicas", 0)),
            int(status.get("readyReplicas", 0)), _age(obj, now), names, images,
            _selector_text(obj, plain_map)]


REPLICASET_COLUMNS = [
    NAME,
    col("Desired", "integer", description="Replicas is the number of desired replicas."),
    col("Current", "integer", description="Replicas is the most recently observed number of replicas."),
    col("Ready", "integer", description="The number of ready replicas for this replica set."),
    AGE, CONTAINERS, IMAGES, SELECTOR,
]


# -- services and endpoints -------------------------------------------------------------

def _service_external(spec: Obj, status: Obj) -> str:
    stype = spec.get("type", "ClusterIP")
    ext = list(spec.get("externalIPs") or [])
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(ext) if ext else NONE
    if stype == "LoadBalancer":
        ingress = [i.get("ip") or i.get("hostname") for i in
                   ((status.get("loadBalancer") or {}).get("ingress") or [])]
        found = [x for x in ingress + ext if x]
        return ",".join(found) if found else "<pending>"
    if stype == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_ports(spec: Obj) -> str:
    parts = []
    for p in spec.get("ports") or []:
        port = f"{p.get('port')}"
        if p.get("nodePort"):
            port += f":{p['nodePort']}"
        parts.append(f"{port}/{p.get('protocol', 'TCP')}")
    return ",".join(parts) if parts else NONE


def service_row(obj: Obj, now: dt.datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    sel = spec.get("selector") or {}
    return [obj["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP") or NONE,
            _service_external(spec, status), _service_ports(spec), _age(obj, now),
            str(labels.from_map(sel)) if sel else NONE]


SERVICE_COLUMNS = [
    NAME,
    col("Type", description="type determines how the Service is exposed."),
    col("Cluster-IP", description="clusterIP is the IP address of the service."),
    col("External-IP", description="externalIPs is a list of IP addresses for which nodes in "
        "the cluster will also accept traffic for this service."),
    col("Port(s)", description="The list of ports that are exposed by this service."),
    AGE,
    col("Selector", priority=1, description="Route service traffic to pods with label keys and "
        "values matching this selector."),
]


def endpoints_row(obj: Obj, now: dt.datetime) -> list[Any]:
    entries: list[str] = []
    for subset in obj.get("subsets") or []:
        ports = subset.get("ports") or [{}]
        for addr in subset.get("addresses") or []:
            for port in ports:
                entries.append(f"{addr.get('ip')}:{port['port']}" if "port" in port
                               else str(addr.get("ip")))
    text = NONE
    if entries:
        text = ",".join(entries[:3])
        if len(entries) > 3:
            text += f" + {len(entries) - 3} more..."
    return [obj["metadata"]["name"], text, _age(obj, now)]


# -- nodes and namespaces ---------------------------------------------------------------

def node_status_text(node: Obj) -> str:
    conds = {c.get("type"): c.get("status") for c in (node.get("status") or {}).get("conditions") or []}
    ready = conds.get("Ready")
    text = "Ready" if ready == "True" else "NotReady" if ready == "False" else "Unknown"
    if (node.get("spec") or {}).get("unschedulable"):
        text += ",SchedulingDisabled"
    return text


def node_row(obj: Obj, now: dt.datetime) -> list[Any]:
    node_labels = (obj.get("metadata") or {}).get("labels") or {}
    roles = sorted({k.split("/", 1)[1] for k in node_labels
                    if k.startswith("node-role.kubernetes.io/") and "/" in k}
                   | ({node_labels["kubernetes.io/role"]} if node_labels.get("kubernetes.io/role") else set()))
    status = obj.get("status") or {}
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        for a in status.get("addresses") or []:
            if a.get("type") == kind:
                return str(a.get("address"))
        return NONE

    return [obj["metadata"]["name"], node_status_text(obj), ",".join(r for r in roles if r) or NONE,
            _age(obj, now), info.get("kubeletVersion", ""), address("InternalIP"),
            address("ExternalIP"), info.get("osImage") or "<unknown>",
            info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


NODE_COLUMNS = [
    NAME,
    col("Status", description="The status of the node"),
    col("Roles", description="The roles of the node"),
    AGE,
    col("Version", description="Kubelet Version reported by the node."),
    col("Internal-IP", priority=1, description="The node's internal IP address."),
    col("External-IP", priority=1, description="The node's external IP address."),
    col("OS-Image", priority=1, description="OS Image reported by the node."),
    col("Kernel-Version", priority=1, description="Kernel Version reported by the node."),
    col("Container-Runtime", priority=1, description="Container runtime version reported by the node."),
]


def namespace_row(obj: Obj, now: dt.datetime) -> list[Any]:
    return [obj["metadata"]["name"], (obj.get("status") or {}).get("phase", ""), _age(obj, now)]


# -- events -----------------------------------------------------------------------------

def event_row(ev: Obj, now: dt.datetime) -> list[Any]:
    if ev.get("apiVersion") == conversion.EVENTS_API_VERSION:
        ev = conversion.events_v1_to_event(ev)
    first = ev.get("firstTimestamp") or ev.get("eventTime")
    last = ev.get("lastTimestamp") or ev.get("eventTime") or first
    series = ev.get("series") or {}
    count = int(series.get("count") or ev.get("count") or 1)
    last_seen = meta.age(last, now)
    if series.get("lastObservedTime"):
        last_seen = (f"{meta.age(series['lastObservedTime'], now)} (x{count} over "
                     f"{meta.age(first, now)})")
    elif count > 1:
        last_seen = f"{meta.age(last, now)} (x{count} over {meta.age(first, now)})"
    inv = ev.get("involvedObject") or {}
    source = ev.get("source") or {}
    src = source.get("component") or ev.get("reportingComponent") or ""
    if source.get("host"):
        src += ", " + source["host"]
    return [last_seen, ev.get("type", ""), ev.get("reason", ""),
            f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}", inv.get("fieldPath", ""),
            src, ev.get("message", ""), meta.age(first, now), str(count), ev["metadata"]["name"]]


EVENT_COLUMNS = [
    col("Last Seen"), col("Type"), col("Reason"), col("Object"),
    col("Subobject", priority=1), col("Source", priority=1), col("Message"),
    col("First Seen", priority=1), col("Count", priority=1), col("Name", priority=1, fmt="name"),
]


# -- config -----------------------------------------------------------------------------

def configmap_row(obj: Obj, now: dt.datetime) -> list[Any]:
    return [obj["metadata"]["name"], len(obj.get("data") or {}) + len(obj.get("binaryData") or {}),
            _age(obj, now)]


def secret_row(obj: Obj, now: dt.datetime) -> list[Any]:
    return [obj["metadata"]["name"], obj.get("type", "Opaque"), len(obj.get("data") or {}),
            _age(obj, now)]


def lease_row(obj: Obj, now: dt.datetime) -> list[Any]:
    return [obj["metadata"]["name"], (obj.get("spec") or {}).get("holderIdentity", ""),
            _age(obj, now)]


def serviceaccount_row(obj: Obj, now: dt.datetime) -> list[Any]:
    return [obj["metadata"]["name"], len(obj.get("secrets") or []), _age(obj, now)]


def componentstatus_row(obj: Obj, now: dt.datetime) -> list[Any]:
    cond: Obj = next(iter(obj.get("conditions") or []), {})
    return [obj["metadata"]["name"], "Healthy" if cond.get("status") == "True" else "Unhealthy",
            cond.get("message", ""), cond.get("error", "")]


def default_row(obj: Obj, now: dt.datetime) -> list[Any]:
    m = obj.get("metadata") or {}
    return [m.get("name", ""), m.get("creationTimestamp")]


Row = Callable[[Obj, dt.datetime], list[Any]]

PRINTERS: dict[str, tuple[list[Column], Row]] = {
    "pods": (POD_COLUMNS, pod_row),
    "deployments": (DEPLOYMENT_COLUMNS, deployment_row),
    "replicasets": (REPLICASET_COLUMNS, replicaset_row),
    "replicationcontrollers": (REPLICASET_COLUMNS, lambda o, n: replicaset_row(o, n, True)),
    "services": (SERVICE_COLUMNS, service_row),
    "endpoints": ([NAME, col("Endpoints", description="Endpoints of the service."), AGE],
                  endpoints_row),
    "nodes": (NODE_COLUMNS, node_row),
    "namespaces": ([NAME, col("Status", description="The status of the namespace"), AGE],
                   namespace_row),
    "events": (EVENT_COLUMNS, event_row),
    "configmaps": ([NAME, col("Data", "integer", description="Number of data entries."), AGE],
                   configmap_row),
    "secrets": ([NAME, col("Type"), col("Data", description="Number of data entries."), AGE],
                secret_row),
    "leases": ([NAME, col("Holder", description="The holder of the lease."), AGE], lease_row),
    "serviceaccounts": ([NAME, col("Secrets"), AGE], serviceaccount_row),
    "componentstatuses": ([NAME, col("Status"), col("Message"), col("Error")],
                          componentstatus_row),
}
DEFAULT_PRINTER: tuple[list[Column], Row] = (
    [NAME, col("Created At", "date", description="The creation time.")], default_row)


def row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata") or {}}


def table(plural: str, objects: list[Obj], now: dt.datetime, resource_version: str = "",
          include: str = "Metadata", with_columns: bool = True) -> Obj:
    """A ``Table`` with one row per object."""
    columns, row = PRINTERS.get(plural, DEFAULT_PRINTER)
    rows = []
    for obj in objects:
        entry: Obj = {"cells": row(obj, now)}
        ro = row_object(obj, include)
        if ro is not None:
            entry["object"] = ro
        rows.append(entry)
    out: Obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"resourceVersion": resource_version} if resource_version else {}}
    if with_columns:
        out["columnDefinitions"] = columns
    out["rows"] = rows
    return out
