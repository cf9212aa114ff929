"""Protobuf request bodies (``application/vnd.kubernetes.protobuf``) for the kinds that
``kubectl create <kind>`` sends that way.

kubectl 1.32's typed clients POST protobuf for ``create namespace|configmap|secret|
serviceaccount|deployment|service`` and never fall back to JSON, so kubelite decodes the
envelope (``k8s\\x00`` + ``runtime.Unknown``) and the messages those commands fill in,
from the field numbers of kube's ``generated.proto`` (recorded from kubectl's requests).
Anything else, or a field this table does not know carrying a value, is an honest 415: use
``kubectl apply -f`` / ``create -f`` (JSON) for those.

Go's protobuf writes every non-pointer field, so zero values (``""``, ``0``, ``false``,
empty messages) are dropped, as JSON's ``omitempty`` would; fields that are pointers in Go
(``replicas``, ``revisionHistoryLimit`` ...) keep a zero.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from kubelite.api import errors
from kubelite.api.resources import Resource

MAGIC = b"k8s\x00"
Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class F:
    name: str
    kind: str            # string | bytes | int | bool | map | bytesmap | <Message> | intorstr | quantity
    repeated: bool = False
    keep_zero: bool = False


STRING, INT, BOOL = "string", "int", "bool"

MESSAGES: dict[str, dict[int, F]] = {
    "Unknown": {1: F("typeMeta", "TypeMeta"), 2: F("raw", "bytes"),
                3: F("contentEncoding", STRING), 4: F("contentType", STRING)},
    "TypeMeta": {1: F("apiVersion", STRING), 2: F("kind", STRING)},
    "Time": {1: F("seconds", INT), 2: F("nanos", INT)},
    "ObjectMeta": {1: F("name", STRING), 2: F("generateName", STRING), 3: F("namespace", STRING),
                   4: F("selfLink", STRING), 5: F("uid", STRING), 6: F("resourceVersion", STRING),
                   7: F("generation", INT), 8: F("creationTimestamp", "Time"),
                   9: F("deletionTimestamp", "Time"), 10: F("deletionGracePeriodSeconds", INT),
                   11: F("labels", "map"), 12: F("annotations", "map"),
                   13: F("ownerReferences", "OwnerReference", True),
                   14: F("finalizers", STRING, True)},
    "OwnerReference": {1: F("kind", STRING), 3: F("name", STRING), 4: F("uid", STRING),
                       5: F("apiVersion", STRING), 6: F("controller", BOOL),
                       7: F("blockOwnerDeletion", BOOL)},
    "Namespace": {1: F("metadata", "ObjectMeta"), 2: F("spec", "NamespaceSpec"),
                  3: F("status", "NamespaceStatus")},
    "NamespaceSpec": {1: F("finalizers", STRING, True)},
    "NamespaceStatus": {1: F("phase", STRING)},
    "ConfigMap": {1: F("metadata", "ObjectMeta"), 2: F("data", "map"),
                  3: F("binaryData", "bytesmap"), 4: F("immutable", BOOL)},
    "Secret": {1: F("metadata", "ObjectMeta"), 2: F("data", "bytesmap"), 3: F("type", STRING),
               4: F("stringData", "map"), 5: F("immutable", BOOL)},
    "ServiceAccount": {1: F("metadata", "ObjectMeta"),
                       2: F("secrets", "ObjectReference", True),
                       3: F("imagePullSecrets", "LocalObjectReference", True),
                       4: F("automountServiceAccountToken", BOOL, keep_zero=True)},
    "ObjectReference": {1: F("kind", STRING), 2: F("namespace", STRING), 3: F("name", STRING),
                        4: F("uid", STRING), 5: F("apiVersion", STRING)},
    "LocalObjectReference": {1: F("name", STRING)},
    "Service": {1: F("metadata", "ObjectMeta"), 2: F("spec", "ServiceSpec"),
                3: F("status", "Ignored")},
    "ServiceSpec": {1: F("ports", "ServicePort", True), 2: F("selector", "map"),
                    3: F("clusterIP", STRING), 4: F("type", STRING),
                    5: F("externalIPs", STRING, True), 7: F("sessionAffinity", STRING),
                    8: F("loadBalancerIP", STRING), 9: F("loadBalancerSourceRanges", STRING, True),
                    10: F("externalName", STRING), 11: F("externalTrafficPolicy", STRING),
                    12: F("healthCheckNodePort", INT), 13: F("publishNotReadyAddresses", BOOL),
                    18: F("clusterIPs", STRING, True), 19: F("ipFamilies", STRING, True)},
    "ServicePort": {1: F("name", STRING), 2: F("protocol", STRING), 3: F("port", INT),
                    4: F("targetPort", "intorstr"), 5: F("nodePort", INT),
                    6: F("appProtocol", STRING)},
    "IntOrString": {1: F("type", INT), 2: F("intVal", INT), 3: F("strVal", STRING)},
    "Deployment": {1: F("metadata", "ObjectMeta"), 2: F("spec", "DeploymentSpec"),
                   3: F("status", "Ignored")},
    "DeploymentSpec": {1: F("replicas", INT, keep_zero=True), 2: F("selector", "LabelSelector"),
                       3: F("template", "PodTemplateSpec"), 4: F("strategy", "DeploymentStrategy"),
                       5: F("minReadySeconds", INT),
                       6: F("revisionHistoryLimit", INT, keep_zero=True), 7: F("paused", BOOL),
                       9: F("progressDeadlineSeconds", INT, keep_zero=True)},
    "DeploymentStrategy": {1: F("type", STRING), 2: F("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: F("maxUnavailable", "intorstr"), 2: F("maxSurge", "intorstr")},
    "LabelSelector": {1: F("matchLabels", "map"),
                      2: F("matchExpressions", "LabelSelectorRequirement", True)},
    "LabelSelectorRequirement": {1: F("key", STRING), 2: F("operator", STRING),
                                 3: F("values", STRING, True)},
    "PodTemplateSpec": {1: F("metadata", "ObjectMeta"), 2: F("spec", "PodSpec")},
    "PodSpec": {2: F("containers", "Container", True), 3: F("restartPolicy", STRING),
                4: F("terminationGracePeriodSeconds", INT, keep_zero=True),
                5: F("activeDeadlineSeconds", INT), 6: F("dnsPolicy", STRING),
                7: F("nodeSelector", "map"), 8: F("serviceAccountName", STRING),
                9: F("serviceAccount", STRING), 10: F("nodeName", STRING),
                11: F("hostNetwork", BOOL), 12: F("hostPID", BOOL), 13: F("hostIPC", BOOL),
                16: F("hostname", STRING), 17: F("subdomain", STRING),
                19: F("schedulerName", STRING), 20: F("initContainers", "Container", True),
                24: F("priorityClassName", STRING)},
    "Container": {1: F("name", STRING), 2: F("image", STRING), 3: F("command", STRING, True),
                  4: F("args", STRING, True), 5: F("workingDir", STRING),
                  6: F("ports", "ContainerPort", True), 7: F("env", "EnvVar", True),
                  8: F("resources", "ResourceRequirements"),
                  13: F("terminationMessagePath", STRING), 14: F("imagePullPolicy", STRING),
                  16: F("stdin", BOOL), 17: F("stdinOnce", BOOL), 18: F("tty", BOOL),
                  20: F("terminationMessagePolicy", STRING)},
    "ContainerPort": {1: F("name", STRING), 2: F("hostPort", INT), 3: F("containerPort", INT),
                      4: F("protocol", STRING), 5: F("hostIP", STRING)},
    "EnvVar": {1: F("name", STRING), 2: F("value", STRING)},
    "ResourceRequirements": {1: F("limits", "quantitymap"), 2: F("requests", "quantitymap")},
    "Quantity": {1: F("string", STRING)},
}
ROOTS = {"Namespace", "ConfigMap", "Secret", "ServiceAccount", "Service", "Deployment"}


class _Unsupported(Exception):
    pass


def _varint(data: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if i >= len(data):
            raise _Unsupported("truncated varint")
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
            out.append((number, value))
        elif wire == 2:
            n, i = _varint(data, i)
            if i + n > len(data):
                raise _Unsupported("truncated field")
            out.append((number, data[i:i + n]))
            i += n
        else:
            raise _Unsupported(f"wire type {wire}")
    return out


def _empty(value: Any) -> bool:
    return value in ("", 0, False, None, b"") or value == {} or value == []


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _map_entry(data: bytes) -> tuple[str, bytes]:
    key, value = "", b""
    for number, raw in _fields(data):
        if isinstance(raw, int):
            raise _Unsupported("map entry")
        if number == 1:
            key = raw.decode()
        elif number == 2:
            value = raw
    return key, value


def _scalar(f: F, raw: int | bytes) -> Any:
    if f.kind == INT:
        if not isinstance(raw, int):
            raise _Unsupported(f"{f.name} is not a varint")
        return _signed(raw)
    if f.kind == BOOL:
        return bool(raw)
    if not isinstance(raw, bytes):
        raise _Unsupported(f"{f.name} is not length-delimited")
    if f.kind == STRING:
        return raw.decode()
    if f.kind == "bytes":
        return raw
    if f.kind == "intorstr":
        ios = _message("IntOrString", raw)
        return ios.get("strVal", "") if ios.get("type") == 1 else ios.get("intVal", 0)
    return _message(f.kind, raw)


def _message(name: str, data: bytes) -> Obj:
    if name == "Ignored":
        return {}
    table = MESSAGES[name]
    out: Obj = {}
    for number, raw in _fields(data):
        f = table.get(number)
        if f is None:
            if _empty(raw) or (isinstance(raw, bytes) and _all_empty(raw)):
                continue
            raise _Unsupported(f"field {number} of {name}")
        if f.kind in ("map", "bytesmap", "quantitymap"):
            if not isinstance(raw, bytes):
                raise _Unsupported(f.name)
            key, value = _map_entry(raw)
            if f.kind == "map":
                out.setdefault(f.name, {})[key] = value.decode()
            elif f.kind == "bytesmap":
                out.setdefault(f.name, {})[key] = base64.b64encode(value).decode()
            else:
                out.setdefault(f.name, {})[key] = _message("Quantity", value).get("string", "")
            continue
        value = _scalar(f, raw)
        if f.repeated:
            out.setdefault(f.name, []).append(value)
        elif not _empty(value) or f.keep_zero:
            out[f.name] = value
    if name == "Time" and out:
        import datetime as dt
        when = dt.datetime.fromtimestamp(out.get("seconds", 0), dt.UTC)
        return {"__time__": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return {k: _unwrap(v) for k, v in out.items() if not _empty(_unwrap(v)) or
            table_keep(table, k)}


def table_keep(table: dict[int, F], name: str) -> bool:
    return any(f.name == name and f.keep_zero for f in table.values())


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict) and "__time__" in value:
        return value["__time__"]
    return value


def _all_empty(data: bytes) -> bool:
    try:
        return all(_empty(v) or (isinstance(v, bytes) and _all_empty(v)) for _, v in _fields(data))
    except _Unsupported:
        return False


def decode(data: bytes, res: Resource) -> dict[str, Any]:
    """The JSON form of a protobuf body for ``res``; 415 when it cannot be decoded."""
    try:
        if not data.startswith(MAGIC):
            raise _Unsupported("missing the k8s protobuf envelope")
        envelope = _message("Unknown", data[len(MAGIC):])
        type_meta = envelope.get("typeMeta") or {}
        kind = type_meta.get("kind", "")
        if kind not in ROOTS or envelope.get("contentEncoding"):
            raise _Unsupported(f"kind {kind or '?'}")
        obj = _message(kind, envelope.get("raw", b""))
    except (_Unsupported, UnicodeDecodeError, KeyError) as exc:
        raise errors.unsupported_media_type(
            "application/vnd.kubernetes.protobuf",
            "application/json, application/yaml (kubelite decodes protobuf only for the "
            "Namespace, ConfigMap, Secret, ServiceAccount, Service and Deployment that "
            f"`kubectl create` sends: {exc}; use `kubectl apply -f` with a manifest)") from exc
    obj.pop("status", None)
    return {"apiVersion": type_meta.get("apiVersion", res.api_version), "kind": kind, **obj}
