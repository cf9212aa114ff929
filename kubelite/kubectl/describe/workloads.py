"""``describe deployment|replicaset|replicationcontroller`` in kubectl's layout. Pure."""

from __future__ import annotations

from typing import Any

from kubelite.kubectl.describe.pods import describe_pod_template
from kubelite.kubectl.describe.writer import (
    PrefixWriter,
    annotations_multiline,
    controller_of,
    events_table,
    format_label_selector,
    format_labels,
    labels_multiline,
    rfc1123z,
    selector_string,
)

Obj = dict[str, Any]


def pod_counts(pods: list[Obj], owner_uid: str) -> tuple[int, int, int, int]:
    """Running / Waiting / Succeeded / Failed pods controlled by ``owner_uid``."""
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in pods:
        refs = (pod.get("metadata") or {}).get("ownerReferences") or []
        if not any(r.get("controller") and r.get("uid") == owner_uid for r in refs):
            continue
        phase = (pod.get("status") or {}).get("phase", "")
        if phase in counts:
            counts[phase] += 1
    return counts["Running"], counts["Pending"], counts["Succeeded"], counts["Failed"]


def _conditions(conditions: list[Obj] | None, w: PrefixWriter) -> None:
    if not conditions:
        return
    w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
    w.write(1, "----\t------\t------\n")
    for c in conditions:
        w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")


def _intstr(value: Any, default: str) -> str:
    if value is None:
        return default
    return str(value)


def _rs_summary(sets: list[Obj]) -> str:
    parts = [f"{(rs.get('metadata') or {}).get('name', '')} "
             f"({(rs.get('status') or {}).get('replicas', 0)}/"
             f"{(rs.get('spec') or {}).get('replicas', 0)} replicas created)" for rs in sets]
    return ", ".join(parts) or "<none>"


def describe_deployment(d: Obj, old_sets: list[Obj], new_sets: list[Obj],
                        events: list[Obj] | None, w: PrefixWriter) -> None:
    meta, spec, status = d.get("metadata") or {}, d.get("spec") or {}, d.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{spec.get('replicas', 0)} desired | "
               f"{status.get('updatedReplicas', 0)} updated | {status.get('replicas', 0)} total | "
               f"{status.get('availableReplicas', 0)} available | "
               f"{status.get('unavailableReplicas', 0)} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"]
        w.write(0, f"RollingUpdateStrategy:\t{_intstr(ru.get('maxUnavailable'), '<nil>')} max "
                   f"unavailable, {_intstr(ru.get('maxSurge'), '<nil>')} max surge\n")
    describe_pod_template(spec.get("template"), w)
    _conditions(status.get("conditions"), w)
    if old_sets or new_sets:
        w.write(0, f"OldReplicaSets:\t{_rs_summary(old_sets)}\n")
        w.write(0, f"NewReplicaSet:\t{_rs_summary(new_sets)}\n")
    if events is not None:
        events_table(w, events)


def describe_replicaset(rs: Obj, counts: tuple[int, int, int, int] | None, pod_error: str,
                        events: list[Obj] | None, w: PrefixWriter) -> None:
    meta, spec, status = rs.get("metadata") or {}, rs.get("spec") or {}, rs.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if controller_of(rs):
        w.write(0, f"Controlled By:\t{controller_of(rs)}\n")
    w.write(0, f"Replicas:\t{status.get('replicas', 0)} current / {spec.get('replicas', 0)} "
               "desired\n")
    w.write(0, "Pods Status:\t")
    if pod_error or counts is None:
        w.write(0, f"error in fetching pods: {pod_error}\n")
    else:
        w.write(0, f"{counts[0]} Running / {counts[1]} Waiting / {counts[2]} Succeeded / "
                   f"{counts[3]} Failed\n")
    describe_pod_template(spec.get("template"), w)
    _conditions(status.get("conditions"), w)
    if events is not None:
        events_table(w, events)


def describe_replication_controller(rc: Obj, counts: tuple[int, int, int, int],
                                    events: list[Obj] | None, w: PrefixWriter) -> None:
    meta, spec, status = rc.get("metadata") or {}, rc.get("spec") or {}, rc.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Replicas:\t{status.get('replicas', 0)} current / {spec.get('replicas', 0)} "
               "desired\n")
    w.write(0, f"Pods Status:\t{counts[0]} Running / {counts[1]} Waiting / {counts[2]} "
               f"Succeeded / {counts[3]} Failed\n")
    describe_pod_template(spec.get("template"), w)
    _conditions(status.get("conditions"), w)
    if events is not None:
        events_table(w, events)
