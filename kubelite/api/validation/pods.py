"""Pod spec rules (a useful subset of kube's ``ValidatePodSpec``)."""

from __future__ import annotations

from typing import Any

from kubelite.api import quantity
from kubelite.api.validation.fields import FieldError, Path
from kubelite.api.validation.names import (
    check,
    is_config_key,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_env_var_name,
    is_port_name,
    is_port_number,
)

RESTART_POLICIES = ["Always", "OnFailure", "Never"]
DNS_POLICIES = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]


def _ports(ports: Any, path: Path, names: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, port in enumerate(ports or []):
        p = path.index(i)
        if "containerPort" not in port:
            errs.append(p.child("containerPort").required())
        else:
            errs += check(p.child("containerPort"), port["containerPort"],
                          is_port_number(port["containerPort"]))
        if port.get("hostPort"):
            errs += check(p.child("hostPort"), port["hostPort"], is_port_number(port["hostPort"]))
        proto = port.get("protocol", "TCP")
        if proto not in PROTOCOLS:
            errs.append(p.child("protocol").not_supported(proto, PROTOCOLS))
        name = port.get("name")
        if name:
            errs += check(p.child("name"), name, is_port_name(name))
            if name in names:
                errs.append(p.child("name").duplicate(name))
            names.add(name)
    return errs


def _env(env: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, var in enumerate(env or []):
        p = path.index(i)
        name = var.get("name", "")
        if not name:
            errs.append(p.child("name").required())
        else:
            errs += check(p.child("name"), name, is_env_var_name(name))
        src = var.get("valueFrom")
        if src is not None and var.get("value"):
            errs.append(p.child("valueFrom").invalid(
                "", "may not be specified when `value` is not empty"))
        if isinstance(src, dict):
            for ref in ("configMapKeyRef", "secretKeyRef"):
                if ref in src and src[ref].get("key"):
                    errs += check(p.child("valueFrom").child(ref).child("key"),
                                  src[ref]["key"], is_config_key(src[ref]["key"]))
    return errs


STANDARD_RESOURCES = {"cpu", "memory", "ephemeral-storage", "storage"}


def _resources(res: Any, path: Path) -> list[FieldError]:
    """Requests and limits: known or qualified names, non-negative, request <= limit."""
    if not isinstance(res, dict):
        return []
    errs: list[FieldError] = []
    values: dict[str, dict[str, Any]] = {}
    for kind in ("limits", "requests"):
        for name, raw in (res.get(kind) or {}).items():
            p = path.child(kind).key(name)
            if name not in STANDARD_RESOURCES and not name.startswith("hugepages-") \
                    and "/" not in name:
                errs.append(p.invalid(name, "must be a standard resource type or fully "
                                            "qualified"))
                continue
            try:
                value = quantity.parse(raw)
            except ValueError:
                continue  # reported as a decode error (400) before validation
            if value < 0:
                errs.append(p.invalid(str(raw), "must be greater than or equal to 0"))
            values.setdefault(kind, {})[name] = (value, raw)
    for name, (request, raw) in values.get("requests", {}).items():
        limit = values.get("limits", {}).get(name)
        if limit is not None and request > limit[0]:
            errs.append(path.child("requests").key(name).invalid(
                str(raw), f"must be less than or equal to {name} limit of {limit[1]}"))
    return errs


def _container(c: dict[str, Any], path: Path, volumes: set[str], port_names: set[str],
               need_image: bool = True) -> list[FieldError]:
    errs: list[FieldError] = []
    name = c.get("name", "")
    if not name:
        errs.append(path.child("name").required())
    else:
        errs += check(path.child("name"), name, is_dns1123_label(name))
    image = c.get("image", "")
    if need_image and (not image or not image.strip()):
        errs.append(path.child("image").required())
    elif image and image != image.strip():
        errs.append(path.child("image").invalid(image, "must not have leading or trailing whitespace"))
    policy = c.get("imagePullPolicy")
    if policy is not None and policy not in PULL_POLICIES:
        errs.append(path.child("imagePullPolicy").not_supported(policy, PULL_POLICIES))
    tmp = c.get("terminationMessagePolicy")
    if tmp is not None and tmp not in TERMINATION_MESSAGE_POLICIES:
        errs.append(path.child("terminationMessagePolicy").not_supported(
            tmp, TERMINATION_MESSAGE_POLICIES))
    errs += _ports(c.get("ports"), path.child("ports"), port_names)
    errs += _resources(c.get("resources"), path.child("resources"))
    errs += _env(c.get("env"), path.child("env"))
    for i, mount in enumerate(c.get("volumeMounts") or []):
        p = path.child("volumeMounts").index(i)
        if not mount.get("name"):
            errs.append(p.child("name").required())
        elif mount["name"] not in volumes:
            errs.append(p.child("name").not_found(mount["name"]))
        if not mount.get("mountPath"):
            errs.append(p.child("mountPath").required())
    return errs


def validate_pod_spec(spec: Any, path: Path) -> list[FieldError]:
    if not isinstance(spec, dict):
        return [path.required()]
    errs: list[FieldError] = []
    volumes: set[str] = set()
    for i, vol in enumerate(spec.get("volumes") or []):
        p = path.child("volumes").index(i)
        name = vol.get("name", "")
        if not name:
            errs.append(p.child("name").required())
            continue
        errs += check(p.child("name"), name, is_dns1123_label(name))
        if name in volumes:
            errs.append(p.child("name").duplicate(name))
        volumes.add(name)
    containers = spec.get("containers") or []
    if not containers:
        errs.append(path.child("containers").required())
    seen: set[str] = set()
    port_names: set[str] = set()
    for field_name in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(field_name) or []):
            p = path.child(field_name).index(i)
            errs += _container(c, p, volumes, port_names)
            name = c.get("name")
            if name:
                if name in seen:
                    errs.append(p.child("name").duplicate(name))
                seen.add(name)
    rp = spec.get("restartPolicy")
    if rp is not None and rp not in RESTART_POLICIES:
        errs.append(path.child("restartPolicy").not_supported(rp, RESTART_POLICIES))
    dp = spec.get("dnsPolicy")
    if dp is not None and dp not in DNS_POLICIES:
        errs.append(path.child("dnsPolicy").not_supported(dp, DNS_POLICIES))
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace < 0:
        errs.append(path.child("terminationGracePeriodSeconds").invalid(
            grace, "must be greater than or equal to 0"))
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and (not isinstance(ads, int) or ads <= 0):
        errs.append(path.child("activeDeadlineSeconds").invalid(ads, "must be between 1 and 2147483647, inclusive"))
    node = spec.get("nodeName")
    if node:
        errs += check(path.child("nodeName"), node, is_dns1123_subdomain(node))
    for key, value in (spec.get("nodeSelector") or {}).items():
        if not isinstance(value, str):
            errs.append(path.child("nodeSelector").key(key).invalid(value, "must be a string"))
    return errs


# Fields of a pod spec that an update may change (kube's ValidatePodUpdate).
UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def _mutable_view(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with every field a pod update may change blanked out."""
    view = {k: v for k, v in spec.items()
            if k not in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")}
    for fld in ("containers", "initContainers"):
        if fld in view:
            view[fld] = [{k: v for k, v in c.items() if k != "image"} for c in view[fld]]
    return view


def validate_pod_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    ns, os_ = new.get("spec") or {}, old.get("spec") or {}
    errs: list[FieldError] = []
    if _mutable_view(ns) != _mutable_view(os_):
        errs.append(Path("spec").forbidden(UPDATE_FORBIDDEN))
    old_tol = os_.get("tolerations") or []
    new_tol = ns.get("tolerations") or []
    if any(t not in new_tol for t in old_tol):
        errs.append(Path("spec").child("tolerations").forbidden(
            "existing toleration can not be modified except its tolerationSeconds"))
    for i, c in enumerate(ns.get("containers") or []):
        if not c.get("image"):
            errs.append(Path("spec").child("containers").index(i).child("image").required())
    return errs
