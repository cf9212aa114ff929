"""Per-kind validation: the function each registry strategy calls on create and update."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from typing import Any

from kubelite.api import labels as labelsel
from kubelite.api.validation.fields import FieldError, Path
from kubelite.api.validation.meta import validate_object_meta, validate_object_meta_update
from kubelite.api.validation.names import (
    check,
    is_config_key,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_port_name,
    is_port_number,
    validate_labels,
)
from kubelite.api.validation.pods import PROTOCOLS, validate_pod_spec, validate_pod_update

Obj = dict[str, Any]
SPEC = Path("spec")
SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
AFFINITIES = ["ClientIP", "None"]


def pod(obj: Obj) -> list[FieldError]:
    return validate_object_meta(obj, True) + validate_pod_spec(obj.get("spec"), SPEC)


def pod_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(new, old) + pod(new) + validate_pod_update(new, old)


def namespace(obj: Obj) -> list[FieldError]:
    return validate_object_meta(obj, False, is_dns1123_label)


def node(obj: Obj) -> list[FieldError]:
    errs = validate_object_meta(obj, False)
    for i, taint in enumerate((obj.get("spec") or {}).get("taints") or []):
        p = SPEC.child("taints").index(i)
        if not taint.get("key"):
            errs.append(p.child("key").required())
        eff = taint.get("effect")
        if eff not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            errs.append(p.child("effect").not_supported(eff, ["NoExecute", "NoSchedule",
                                                              "PreferNoSchedule"]))
    return errs


def _service_port(port: Obj, p: Path, multi: bool, names: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    name = port.get("name", "")
    if multi and not name:
        errs.append(p.child("name").required())
    elif name:
        errs += check(p.child("name"), name, is_dns1123_label(name))
        if name in names:
            errs.append(p.child("name").duplicate(name))
        names.add(name)
    if "port" not in port:
        errs.append(p.child("port").required())
    else:
        errs += check(p.child("port"), port["port"], is_port_number(port["port"]))
    proto = port.get("protocol", "TCP")
    if proto not in PROTOCOLS:
        errs.append(p.child("protocol").not_supported(proto, PROTOCOLS))
    target = port.get("targetPort")
    if isinstance(target, str):
        errs += check(p.child("targetPort"), target, is_port_name(target))
    elif target is not None:
        errs += check(p.child("targetPort"), target, is_port_number(target))
    node_port = port.get("nodePort")
    if node_port:
        errs += check(p.child("nodePort"), node_port, is_port_number(node_port))
    return errs


def service(obj: Obj) -> list[FieldError]:
    errs = validate_object_meta(obj, True, is_dns1035_label)
    spec = obj.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    if stype not in SERVICE_TYPES:
        errs.append(SPEC.child("type").not_supported(stype, SERVICE_TYPES))
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if not ports and stype != "ExternalName" and not headless:
        errs.append(SPEC.child("ports").required())
    names: set[str] = set()
    seen: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        p = SPEC.child("ports").index(i)
        errs += _service_port(port, p, len(ports) > 1, names)
        key = (port.get("port"), port.get("protocol", "TCP"))
        if key in seen:
            errs.append(p.duplicate({"port": key[0], "protocol": key[1]}))
        seen.add(key)
        if stype == "ClusterIP" and port.get("nodePort"):
            errs.append(p.child("nodePort").forbidden(
                "may not be used when `type` is 'ClusterIP'"))
    if stype == "ExternalName":
        ext = spec.get("externalName", "")
        if not ext:
            errs.append(SPEC.child("externalName").required())
        else:
            errs += check(SPEC.child("externalName"), ext, is_dns1123_subdomain(ext.rstrip(".")))
    aff = spec.get("sessionAffinity")
    if aff is not None and aff not in AFFINITIES:
        errs.append(SPEC.child("sessionAffinity").not_supported(aff, AFFINITIES))
    errs += validate_labels(spec.get("selector"), SPEC.child("selector"))
    ip = spec.get("clusterIP")
    if ip and ip != "None":
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            errs.append(SPEC.child("clusterIPs").index(0).invalid(
                ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
    for i, ext_ip in enumerate(spec.get("externalIPs") or []):
        try:
            ipaddress.ip_address(ext_ip)
        except ValueError:
            errs.append(SPEC.child("externalIPs").index(i).invalid(ext_ip, "must be a valid IP address"))
    return errs


def service_update(new: Obj, old: Obj) -> list[FieldError]:
    errs = validate_object_meta_update(new, old) + service(new)
    old_ip = (old.get("spec") or {}).get("clusterIP")
    new_ip = (new.get("spec") or {}).get("clusterIP")
    old_type = (old.get("spec") or {}).get("type")
    new_type = (new.get("spec") or {}).get("type")
    if old_ip and new_ip != old_ip and "ExternalName" not in (old_type, new_type):
        errs.append(SPEC.child("clusterIPs").index(0).invalid(
            [new_ip] if new_ip else [], "may not change once set"))
    return errs


def _data_keys(data: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    for key in (data or {}):
        errs += check(path, key, is_config_key(key))
    return errs


# kube's MaxSecretSize: the data of a ConfigMap or Secret (decoded bytes) is at most 1 MiB
MAX_DATA_BYTES = 1024 * 1024


def _decoded_size(value: Any) -> int:
    try:
        return len(base64.b64decode(value or "", validate=True))
    except (binascii.Error, ValueError):
        return 0  # reported as illegal base64 data instead


def configmap(obj: Obj) -> list[FieldError]:
    errs = validate_object_meta(obj, True) + _data_keys(obj.get("data"), Path("data"))
    errs += _data_keys(obj.get("binaryData"), Path("binaryData"))
    for key in set(obj.get("data") or {}) & set(obj.get("binaryData") or {}):
        errs.append(Path("data").invalid(key, "duplicate of key present in binaryData"))
    size = sum(len(str(v or "").encode()) for v in (obj.get("data") or {}).values())
    size += sum(_decoded_size(v) for v in (obj.get("binaryData") or {}).values())
    if size > MAX_DATA_BYTES:
        # kube names the whole object with an empty path, printed "[]"
        errs.append(Path("[]").too_long(MAX_DATA_BYTES))
    return errs


def secret(obj: Obj) -> list[FieldError]:
    errs = validate_object_meta(obj, True) + _data_keys(obj.get("data"), Path("data"))
    for key, value in (obj.get("data") or {}).items():
        try:
            base64.b64decode(value or "", validate=True)
        except (binascii.Error, ValueError):
            errs.append(Path("data").key(key).invalid("<secret contents redacted>",
                                                      "illegal base64 data"))
    if sum(_decoded_size(v) for v in (obj.get("data") or {}).values()) > MAX_DATA_BYTES:
        errs.append(Path("data").too_long(MAX_DATA_BYTES))
    return errs


def endpoints(obj: Obj) -> list[FieldError]:
    errs = validate_object_meta(obj, True)
    for i, subset in enumerate(obj.get("subsets") or []):
        p = Path("subsets").index(i)
        for fld in ("addresses", "notReadyAddresses"):
            for j, addr in enumerate(subset.get(fld) or []):
                try:
                    ipaddress.ip_address(addr.get("ip", ""))
                except ValueError:
                    errs.append(p.child(fld).index(j).child("ip").invalid(
                        addr.get("ip", ""), "must be a valid IP address"))
        for j, port in enumerate(subset.get("ports") or []):
            errs += check(p.child("ports").index(j).child("port"), port.get("port"),
                          is_port_number(port.get("port")))
    return errs


def event(obj: Obj) -> list[FieldError]:
    errs = validate_object_meta(obj, True)
    involved = obj.get("involvedObject") or obj.get("regarding")
    ns = (obj.get("metadata") or {}).get("namespace")
    if isinstance(involved, dict) and involved.get("namespace") and involved["namespace"] != ns:
        field = "involvedObject" if "involvedObject" in obj else "regarding"
        errs.append(Path(field).child("namespace").invalid(
            involved["namespace"], "does not match event.namespace"))
    return errs


def _selector_matches_template(sel: labelsel.Selector, template: Obj, path: Path) -> list[FieldError]:
    tlabels = (template.get("metadata") or {}).get("labels") or {}
    if not sel.empty() and not sel.matches(tlabels):
        return [path.child("template").child("metadata").child("labels").invalid(
            tlabels, "`selector` does not match template `labels`")]
    return []


def _replicas(spec: Obj, path: Path) -> list[FieldError]:
    r = spec.get("replicas")
    if r is not None and (not isinstance(r, int) or r < 0):
        return [path.child("replicas").invalid(r, "must be greater than or equal to 0")]
    return []


def _template(spec: Obj, path: Path) -> list[FieldError]:
    template = spec.get("template")
    if not isinstance(template, dict):
        return [path.child("template").required()]
    tp = path.child("template")
    errs = validate_labels((template.get("metadata") or {}).get("labels"),
                           tp.child("metadata").child("labels"))
    errs += validate_pod_spec(template.get("spec"), tp.child("spec"))
    rp = (template.get("spec") or {}).get("restartPolicy", "Always")
    if rp != "Always":
        errs.append(tp.child("spec").child("restartPolicy").not_supported(rp, ["Always"]))
    return errs


def _label_selector_spec(obj: Obj) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs = _replicas(spec, SPEC)
    sel_obj = spec.get("selector")
    if sel_obj is None:
        errs.append(SPEC.child("selector").required())
    else:
        try:
            sel = labelsel.from_label_selector(sel_obj)
        except labelsel.SelectorError as exc:
            return errs + [SPEC.child("selector").invalid(sel_obj, str(exc))]
        if sel.empty():
            errs.append(SPEC.child("selector").invalid(sel_obj, "empty selector is invalid for deployment"))
        errs += validate_labels(sel_obj.get("matchLabels"), SPEC.child("selector").child("matchLabels"))
        if isinstance(spec.get("template"), dict):
            errs += _selector_matches_template(sel, spec["template"], SPEC)
    return errs + _template(spec, SPEC)


def replicaset(obj: Obj) -> list[FieldError]:
    return validate_object_meta(obj, True) + _label_selector_spec(obj)


def deployment(obj: Obj) -> list[FieldError]:
    errs = validate_object_meta(obj, True) + _label_selector_spec(obj)
    strategy = (obj.get("spec") or {}).get("strategy") or {}
    stype = strategy.get("type", "RollingUpdate")
    if stype not in ("RollingUpdate", "Recreate"):
        errs.append(SPEC.child("strategy").child("type").not_supported(
            stype, ["Recreate", "RollingUpdate"]))
    if stype == "Recreate" and strategy.get("rollingUpdate"):
        errs.append(SPEC.child("strategy").child("rollingUpdate").forbidden(
            "may not be specified when strategy `type` is 'Recreate'"))
    return errs


def _selector_immutable(new: Obj, old: Obj) -> list[FieldError]:
    ns, os_ = (new.get("spec") or {}).get("selector"), (old.get("spec") or {}).get("selector")
    if ns != os_:
        return [SPEC.child("selector").invalid(ns, "field is immutable")]
    return []


def replicaset_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(new, old) + replicaset(new) + _selector_immutable(new, old)


def deployment_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_object_meta_update(new, old) + deployment(new) + _selector_immutable(new, old)


def replicationcontroller(obj: Obj) -> list[FieldError]:
    errs = validate_object_meta(obj, True)
    spec = obj.get("spec") or {}
    errs += _replicas(spec, SPEC)
    sel = spec.get("selector") or {}
    if not sel:
        errs.append(SPEC.child("selector").required())
    errs += validate_labels(sel, SPEC.child("selector"))
    if isinstance(spec.get("template"), dict):
        errs += _selector_matches_template(labelsel.from_map(sel), spec["template"], SPEC)
    return errs + _template(spec, SPEC)


def lease(obj: Obj) -> list[FieldError]:
    errs = validate_object_meta(obj, True)
    dur = (obj.get("spec") or {}).get("leaseDurationSeconds")
    if dur is not None and (not isinstance(dur, int) or dur <= 0):
        errs.append(SPEC.child("leaseDurationSeconds").invalid(dur, "must be greater than 0"))
    return errs


def generic(namespaced: bool) -> Callable[[Obj], list[FieldError]]:
    def validate(obj: Obj) -> list[FieldError]:
        return validate_object_meta(obj, namespaced)
    return validate


def update_of(create: Callable[[Obj], list[FieldError]]) -> Callable[[Obj, Obj], list[FieldError]]:
    def validate(new: Obj, old: Obj) -> list[FieldError]:
        return validate_object_meta_update(new, old) + create(new)
    return validate


__all__ = ["is_dns1123_subdomain"]
