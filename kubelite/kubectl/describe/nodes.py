"""``describe node``: conditions, addresses, capacity, system info, the lease, and the
requests and limits of the pods on it (kubectl's ``describeNode``). Pure."""

from __future__ import annotations

from typing import Any

from kubelite.kubectl.describe.quantity import ZERO, Quantity, canonical
from kubelite.kubectl.describe.writer import (
    NONE,
    PrefixWriter,
    annotations_multiline,
    events_table,
    labels_multiline,
    rfc1123z,
    since,
    taints_multiline,
)

Obj = dict[str, Any]


def node_roles(node: Obj) -> list[str]:
    roles = set()
    for key, value in ((node.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/"):]:
            roles.add(key[len("node-role.kubernetes.io/"):])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return sorted(roles)


def _pod_resources(pod: Obj) -> tuple[dict[str, Quantity], dict[str, Quantity]]:
    """A pod's effective requests and limits (sum of containers, at least the largest init
    container, plus overhead), as kubectl's resource helper computes them."""
    spec = pod.get("spec") or {}
    result: list[dict[str, Quantity]] = []
    for key in ("requests", "limits"):
        total: dict[str, Quantity] = {}
        for c in spec.get("containers") or []:
            for name, value in ((c.get("resources") or {}).get(key) or {}).items():
                total[name] = total.get(name, ZERO) + Quantity.parse(value) if name in total \
                    else Quantity.parse(value)
        for c in spec.get("initContainers") or []:
            for name, value in ((c.get("resources") or {}).get(key) or {}).items():
                q = Quantity.parse(value)
                if name not in total or q.value > total[name].value:
                    total[name] = q
        for name, value in (spec.get("overhead") or {}).items():
            total[name] = total[name] + Quantity.parse(value) if name in total \
                else Quantity.parse(value)
        result.append(total)
    return result[0], result[1]


def _pct(part: Quantity, whole: Quantity, milli: bool) -> int:
    denominator = whole.milli_value() if milli else whole.int_value()
    if not denominator:
        return 0
    numerator = part.milli_value() if milli else part.int_value()
    return int(numerator / denominator * 100)


def describe_node_resources(pods: list[Obj], node: Obj, w: PrefixWriter) -> None:
    status = node.get("status") or {}
    allocatable = {k: Quantity.parse(v) for k, v in
                   (status.get("allocatable") or status.get("capacity") or {}).items()}
    cpu_total, mem_total = allocatable.get("cpu", ZERO), allocatable.get("memory", ZERO)
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits"
               "\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------"
               "\t---\n")
    totals: list[dict[str, Quantity]] = [{}, {}]
    for pod in pods:
        reqs, limits = _pod_resources(pod)
        for total, values in zip(totals, (reqs, limits), strict=True):
            for name, q in values.items():
                total[name] = total[name] + q if name in total else q
        cpu_r, cpu_l = reqs.get("cpu", ZERO), limits.get("cpu", ZERO)
        mem_r, mem_l = reqs.get("memory", ZERO), limits.get("memory", ZERO)
        meta = pod.get("metadata") or {}
        w.write(1, f"{meta.get('namespace', '')}\t{meta.get('name', '')}\t\t"
                   f"{cpu_r} ({_pct(cpu_r, cpu_total, True)}%)\t"
                   f"{cpu_l} ({_pct(cpu_l, cpu_total, True)}%)\t"
                   f"{mem_r} ({_pct(mem_r, mem_total, False)}%)\t"
                   f"{mem_l} ({_pct(mem_l, mem_total, False)}%)\t"
                   f"{since(meta.get('creationTimestamp'), w.now)}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., "
               "overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    reqs, limits = totals
    for name, milli in (("cpu", True), ("memory", False), ("ephemeral-storage", False)):
        r, lim = reqs.get(name, ZERO), limits.get(name, ZERO)
        whole = allocatable.get(name, ZERO)
        w.write(1, f"{name}\t{r} ({_pct(r, whole, milli)}%)\t{lim} ({_pct(lim, whole, milli)}%)\n")
    standard = {"cpu", "memory", "ephemeral-storage", "pods", "storage"}
    huge = sorted(k for k in allocatable if k.startswith("hugepages-"))
    extended = sorted(k for k in allocatable if k not in standard and k not in huge
                      and not k.startswith("requests.") and not k.startswith("limits."))
    for name in huge:
        r, lim = reqs.get(name, ZERO), limits.get(name, ZERO)
        whole = allocatable[name]
        w.write(1, f"{name}\t{r} ({_pct(r, whole, False)}%)\t{lim} ({_pct(lim, whole, False)}%)\n")
    for name in extended:
        w.write(1, f"{name}\t{reqs.get(name, ZERO)}\t{limits.get(name, ZERO)}\n")


def describe_node(node: Obj, pods: list[Obj] | None, lease: Obj | None, lease_error: str,
                  events: list[Obj] | None, w: PrefixWriter) -> None:
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, \
        node.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or NONE}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    taints_multiline(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    if lease is not None:
        lspec = lease.get("spec") or {}
        w.write(0, "Lease:\n")
        w.write(1, f"HolderIdentity:\t{lspec.get('holderIdentity') or '<unset>'}\n")
        acquire = lspec.get("acquireTime")
        renew = lspec.get("renewTime")
        w.write(1, f"AcquireTime:\t{rfc1123z(acquire) if acquire else '<unset>'}\n")
        w.write(1, f"RenewTime:\t{rfc1123z(renew) if renew else '<unset>'}\n")
    else:
        w.write(0, f"Lease:\tFailed to get lease: {lease_error}\n")
    conditions = status.get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\t"
                   "Message\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \t"
                       f"{rfc1123z(c.get('lastHeartbeatTime'))} \t"
                       f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t"
                       f"{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for address in status.get("addresses") or []:
        w.write(1, f"{address.get('type', '')}:\t{address.get('address', '')}\n")
    for key, title in (("capacity", "Capacity"), ("allocatable", "Allocatable")):
        values = status.get(key) or {}
        if values:
            w.write(0, f"{title}:\n")
            for name in sorted(values):
                w.write(0, f"  {name}:\t{canonical(values[name])}\n")
    info = status.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for title, field in (("Machine ID", "machineID"), ("System UUID", "systemUUID"),
                         ("Boot ID", "bootID"), ("Kernel Version", "kernelVersion"),
                         ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
                         ("Architecture", "architecture"),
                         ("Container Runtime Version", "containerRuntimeVersion"),
                         ("Kubelet Version", "kubeletVersion"),
                         ("Kube-Proxy Version", "kubeProxyVersion")):
        w.write(0, f"  {title}:\t{info.get(field, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    if pods is not None:
        describe_node_resources(pods, node, w)
    else:
        w.write(0, "Pods:\tnot authorized\n")
    if events is not None:
        events_table(w, events)
