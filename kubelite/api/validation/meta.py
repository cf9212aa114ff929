"""ObjectMeta rules shared by every kind (kube's ``ValidateObjectMeta``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubelite.api.validation.fields import FieldError, Path
from kubelite.api.validation.names import (
    check,
    is_dns1123_label,
    is_dns1123_subdomain,
    validate_annotations,
    validate_labels,
)

NameRule = Callable[[str], list[str]]
META = Path("metadata")


def validate_object_meta(obj: dict[str, Any], namespaced: bool,
                         name_rule: NameRule = is_dns1123_subdomain) -> list[FieldError]:
    meta = obj.get("metadata") or {}
    errs: list[FieldError] = []
    name = meta.get("name", "")
    generate = meta.get("generateName", "")
    if not name and not generate:
        errs.append(META.child("name").required("name or generateName is required"))
    elif name:
        errs += check(META.child("name"), name, name_rule(name))
    if generate and not name:
        # The server appends 5 characters, so a trailing '-' is fine.
        trimmed = generate[:-1] if generate.endswith("-") else generate
        errs += check(META.child("generateName"), generate, name_rule(trimmed or "a"))
    ns = meta.get("namespace", "")
    if namespaced:
        if not ns:
            errs.append(META.child("namespace").required())
        else:
            errs += check(META.child("namespace"), ns, is_dns1123_label(ns))
    elif ns:
        errs.append(META.child("namespace").forbidden("not allowed on this type"))
    errs += validate_labels(meta.get("labels"), META.child("labels"))
    errs += validate_annotations(meta.get("annotations"), META.child("annotations"))
    for i, ref in enumerate(meta.get("ownerReferences") or []):
        p = META.child("ownerReferences").index(i)
        for fld in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(fld):
                errs.append(p.child(fld).required() if fld != "uid" else
                            p.child("uid").invalid("", "uid must not be empty"))
    fin = meta.get("finalizers") or []
    for i, f in enumerate(fin):
        if not isinstance(f, str) or not f:
            errs.append(META.child("finalizers").index(i).invalid(f, "must be a qualified name"))
    return errs


_IMMUTABLE_META = ("name", "namespace", "uid", "creationTimestamp")


def validate_object_meta_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    nm, om = new.get("metadata") or {}, old.get("metadata") or {}
    errs = []
    for fld in _IMMUTABLE_META:
        if fld in nm and nm.get(fld) != om.get(fld):
            errs.append(META.child(fld).invalid(nm.get(fld), "field is immutable"))
    return errs
