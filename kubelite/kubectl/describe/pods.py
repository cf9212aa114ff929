"""``describe pod`` and the pod template sections of the workload describers, in kubectl's
layout (kubectl's ``describePod``, ``describeContainers``, ``DescribePodTemplate``). Pure.
"""

from __future__ import annotations

from typing import Any

from kubelite.kubectl.describe.containers import (
    describe_containers,
    describe_resources,
    describe_volumes,
    env_resolver,
)
from kubelite.kubectl.describe.quantity import Quantity
from kubelite.kubectl.describe.writer import (
    NONE,
    PrefixWriter,
    annotations_multiline,
    controller_of,
    events_table,
    labels_multiline,
    rfc1123z,
    since,
    tolerations_multiline,
)

Obj = dict[str, Any]


def describe_pod(pod: Obj, events: list[Obj] | None, w: PrefixWriter) -> None:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    if not spec.get("nodeName"):
        w.write(0, "Node:\t<none>\n")
    else:
        w.write(0, f"Node:\t{spec['nodeName']}/{status.get('hostIP', '')}\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    phase = status.get("phase", "")
    if meta.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], w.now)})\n")
        w.write(0, f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    seccomp = ((spec.get("securityContext") or {}).get("seccompProfile") or {})
    if seccomp:
        w.write(0, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
        if seccomp.get("type") == "Localhost":
            w.write(0, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    _pod_ips(status, w)
    if controller_of(pod):
        w.write(0, f"Controlled By:\t{controller_of(pod)}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("resources") is not None:
        w.write(0, "Resources:\n")
        describe_resources(spec["resources"], w, 1)
    env = env_resolver(pod)
    if spec.get("initContainers"):
        describe_containers("Init Containers", spec["initContainers"],
                            status.get("initContainerStatuses"), env, w, "")
    describe_containers("Containers", spec.get("containers") or [],
                        status.get("containerStatuses"), env, w, "")
    if spec.get("ephemeralContainers"):
        describe_containers("Ephemeral Containers", spec["ephemeralContainers"],
                            status.get("ephemeralContainerStatuses"), env, w, "")
    conditions = status.get("conditions") or []
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in spec["readinessGates"]:
            value = next((str(c.get("status")) for c in conditions
                          if c.get("type") == gate.get("conditionType")), NONE)
            w.write(1, f"{gate.get('conditionType', '')} \t{value} \n")
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \n")
    describe_volumes(spec.get("volumes"), w, "")
    w.write(0, f"QoS Class:\t{qos_class(pod)}\n")
    labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    _topology_spread(spec.get("topologySpreadConstraints"), w, "")
    if events is not None:
        events_table(w, events)


def _pod_ips(status: Obj, w: PrefixWriter) -> None:
    ips = status.get("podIPs") or []
    if not ips:
        w.write(0, "IPs:\t<none>\n")
        return
    w.write(0, "IPs:\n")
    for ip in ips:
        w.write(1, f"IP:\t{ip.get('ip', '')}\n")


def _topology_spread(constraints: list[Obj] | None, w: PrefixWriter, space: str) -> None:
    if not constraints:
        return
    from kubelite.kubectl.describe.writer import format_label_selector

    w.write(0, f"{space}Topology Spread Constraints:\t")
    for i, c in enumerate(sorted(constraints, key=lambda c: str(c.get("topologyKey", "")))):
        if i:
            w.write(0, space + "\t")
        text = (f"{c.get('topologyKey', '')}:{c.get('whenUnsatisfiable', '')} when max skew "
                f"{c.get('maxSkew', 0)} is exceeded")
        if c.get("labelSelector") is not None:
            text += f" for selector {format_label_selector(c['labelSelector'])}"
        w.write(0, text + "\n")


def qos_class(pod: Obj) -> str:
    """``status.qosClass``, else computed as the kubelet does."""
    status = pod.get("status") or {}
    if status.get("qosClass"):
        return str(status["qosClass"])
    spec = pod.get("spec") or {}
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        for name, value in (res.get("requests") or {}).items():
            if name in ("cpu", "memory") and Quantity.parse(value).value != 0:
                requests[name] = requests.get(name, Quantity.parse(0)) + Quantity.parse(value)
        seen = set()
        for name, value in (res.get("limits") or {}).items():
            if name in ("cpu", "memory") and Quantity.parse(value).value != 0:
                seen.add(name)
                limits[name] = limits.get(name, Quantity.parse(0)) + Quantity.parse(value)
        if seen != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(requests.get(k, limits[k]).value == limits[k].value for k in limits):
        return "Guaranteed"
    return "Burstable"


def describe_pod_template(template: Obj | None, w: PrefixWriter) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        annotations_multiline(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        describe_containers("Init Containers", spec["initContainers"], None, None, w, "  ")
    describe_containers("Containers", spec.get("containers") or [], None, None, w, "  ")
    describe_volumes(spec.get("volumes"), w, "  ")
    _topology_spread(spec.get("topologySpreadConstraints"), w, "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))
