"""``describe service|namespace|configmap|secret|endpoints|serviceaccount`` and the
generic describer every other kind gets, in kubectl's layout. Pure."""

from __future__ import annotations

import base64
import re
from typing import Any

from kubelite.kubectl.describe.writer import (
    NONE,
    PrefixWriter,
    annotations_multiline,
    events_table,
    format_labels,
    labels_multiline,
    rfc1123z,
)

Obj = dict[str, Any]


def format_endpoints(endpoints: Obj | None, port_name: str) -> str:
    """A service port's ready endpoints as ``ip:port,...`` (at most three, then ``+ N more...``),
    from the v1 Endpoints object (see :mod:`kubelite.kubectl.cmd_describe` for why)."""
    if not endpoints:
        return NONE
    shown: list[str] = []
    count = 0
    for subset in endpoints.get("subsets") or []:
        ports = subset.get("ports") or []
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        if not ports:
            for ip in addresses:
                count += 1
                if len(shown) < 3:
                    shown.append(ip)
            continue
        for port in ports:
            if port.get("name", "") != port_name:
                continue
            for ip in addresses:
                count += 1
                if len(shown) < 3:
                    host = f"[{ip}]" if ":" in ip else ip
                    shown.append(f"{host}:{port.get('port')}")
    if not count:
        return NONE if not shown else ",".join(shown)
    text = ",".join(shown)
    return f"{text} + {count - 3} more..." if count > 3 else text


def describe_service(svc: Obj, endpoints: Obj | None, events: list[Obj] | None,
                     w: PrefixWriter) -> None:
    meta, spec, status = svc.get("metadata") or {}, svc.get("spec") or {}, svc.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type', '')}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or NONE}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or NONE}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        parts = []
        for item in ingress:
            text = item.get("ip") or item.get("hostname") or ""
            if item.get("ip") and item.get("ipMode"):
                text += f" ({item['ipMode']})"
            parts.append(text)
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(parts)}\n")
    for port in spec.get("ports") or []:
        name = port.get("name") or "<unset>"
        protocol = port.get("protocol", "")
        w.write(0, f"Port:\t{name}\t{port.get('port', 0)}/{protocol}\n")
        w.write(0, f"TargetPort:\t{port.get('targetPort', '')}/{protocol}\n")
        if port.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{port['nodePort']}/{protocol}\n")
        w.write(0, f"Endpoints:\t{format_endpoints(endpoints, port.get('name', ''))}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    if events is not None:
        events_table(w, events)


def describe_namespace(ns: Obj, w: PrefixWriter) -> None:
    meta, status = ns.get("metadata") or {}, ns.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t"
                       f"{rfc1123z(c.get('lastTransitionTime'))}\t{c.get('reason', '')}\t"
                       f"{c.get('message', '')}\n")


def describe_configmap(cm: Obj, events: list[Obj] | None, w: PrefixWriter) -> None:
    meta = cm.get("metadata") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    # kubectl prints these in Go's random map order; kubelite sorts them
    w.write(0, "\nData\n====\n")
    for key, value in sorted((cm.get("data") or {}).items()):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{value}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    for key, value in sorted((cm.get("binaryData") or {}).items()):
        w.write(0, f"{key}: {len(base64.b64decode(value))} bytes\n")
    w.write(0, "\n")
    if events is not None:
        events_table(w, events)


def describe_secret(secret: Obj, w: PrefixWriter) -> None:
    meta = secret.get("metadata") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    stype = secret.get("type", "")
    w.write(0, f"\nType:\t{stype}\n")
    w.write(0, "\nData\n====\n")
    for key, value in sorted((secret.get("data") or {}).items()):
        raw = base64.b64decode(value or "")
        if key == "token" and stype == "kubernetes.io/service-account-token":
            w.write(0, f"{key}:\t{raw.decode(errors='replace')}\n")
        else:
            w.write(0, f"{key}:\t{len(raw)} bytes\n")


def describe_endpoints(ep: Obj, events: list[Obj] | None, w: PrefixWriter) -> None:
    meta = ep.get("metadata") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, "Subsets:\n")
    for subset in ep.get("subsets") or []:
        ready = ",".join(a.get("ip", "") for a in subset.get("addresses") or []) or NONE
        not_ready = ",".join(a.get("ip", "") for a in subset.get("notReadyAddresses") or []) \
            or NONE
        w.write(1, f"Addresses:\t{ready}\n")
        w.write(1, f"NotReadyAddresses:\t{not_ready}\n")
        if subset.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                w.write(2, f"{port.get('name') or '<unset>'}\t{port.get('port', 0)}\t"
                           f"{port.get('protocol', '')}\n")
        w.write(0, "\n")
    if events is not None:
        events_table(w, events)


def describe_service_account(sa: Obj, secrets: list[Obj] | None, events: list[Obj] | None,
                             w: PrefixWriter) -> None:
    """``secrets``: the namespace's secrets (None if they could not be listed), to mark the
    referenced ones that do not exist and to find the account's token secrets."""
    meta = sa.get("metadata") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    tokens: list[str] = []
    missing: set[str] = set()
    pull = [s.get("name", "") for s in sa.get("imagePullSecrets") or []]
    mount = [s.get("name", "") for s in sa.get("secrets") or []]
    if secrets is not None:
        existing = set()
        for secret in secrets:
            smeta = secret.get("metadata") or {}
            annotations = smeta.get("annotations") or {}
            if (secret.get("type") == "kubernetes.io/service-account-token"
                    and annotations.get("kubernetes.io/service-account.name") == meta.get("name")
                    and annotations.get("kubernetes.io/service-account.uid") == meta.get("uid")):
                tokens.append(smeta.get("name", ""))
            existing.add(smeta.get("name", ""))
        missing = {n for n in pull + mount if n not in existing}
    sections = {"Image pull secrets:": pull, "Mountable secrets: ": mount,
                "Tokens:            ": tokens}
    for header in sorted(sections):
        names = sections[header]
        if not names:
            w.write(0, f"{header}\t<none>\n")
            continue
        prefix = header
        for name in names:
            w.write(0, f"{prefix}\t{name}{' (not found)' if name in missing else ''}\n")
            prefix = " " * 19
    if events is not None:
        events_table(w, events)


_ACRONYMS = {"API", "URL", "UID", "OSB", "GUID"}


def _camel_split(text: str) -> list[str]:
    """fatih/camelcase's Split: runs of lower, upper, digit and other characters, with the
    last capital of an upper run moved to a following lower run (``HTTPServer``)."""
    def kind(ch: str) -> int:
        return 1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 4

    runs: list[list[str]] = []
    last = 0
    for ch in text:
        k = kind(ch)
        if runs and k == last:
            runs[-1].append(ch)
        else:
            runs.append([ch])
        last = k
    for i in range(len(runs) - 1):
        if runs[i][0].isupper() and runs[i + 1][0].islower():
            runs[i + 1].insert(0, runs[i].pop())
    return ["".join(r) for r in runs if r]


def smart_label(field: str) -> str:
    if re.search(r"[^A-Za-z\-]", field):
        return field
    parts = [p for p in _camel_split(field) if p != "_"]
    return " ".join(p.upper() if p.upper() in _ACRONYMS else p[:1].upper() + p[1:]
                    for p in parts)


def _go_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e21 else f"{value:e}"
    return str(value)


SKIP = {".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
        ".metadata.annotations"}


def _unstructured(w: PrefixWriter, level: int, content: Obj, prefix: str) -> None:
    for field in sorted(content):
        value = content[field]
        path = f"{prefix}.{field}"
        if path in SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_go_value(child)}\n")
        else:
            w.write(level, f"{smart_label(field)}:\t{_go_value(value)}\n")


def describe_generic(obj: Obj, events: list[Obj] | None, w: PrefixWriter) -> None:
    meta = obj.get("metadata") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    _unstructured(w, 0, obj, "")
    if events is not None:
        events_table(w, events)
