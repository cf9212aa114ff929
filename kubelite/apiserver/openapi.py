"""A minimal OpenAPI v3 (one document per group version), built from the resource table
and ``schema.json``. Pure.

kubectl uses it for two things: the query-parameter verifier looks for a PATCH operation
with the object's ``x-kubernetes-group-version-kind`` that lists ``fieldValidation`` (then
it sends ``fieldValidation=Strict`` and leaves validation to the server), and ``kubectl
explain`` reads ``components.schemas``. PATCH operations deliberately declare no request
body: kubectl then computes strategic merge patches from its compiled-in types.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kubelite.api import schema
from kubelite.api.resources import GROUP_VERSIONS, Resource, in_group_version

Obj = dict[str, Any]
QUERY = ("dryRun", "fieldManager", "fieldValidation", "pretty")


def _params(*names: str) -> list[Obj]:
    return [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
            for n in names]


def _type_schema(expr: str) -> Obj:
    if expr == "string":
        return {"type": "string"}
    if expr == "integer":
        return {"type": "integer", "format": "int64"}
    if expr == "number":
        return {"type": "number", "format": "double"}
    if expr == "boolean":
        return {"type": "boolean"}
    if expr == "time":
        return {"type": "string", "format": "date-time"}
    if expr == "quantity":
        return {"x-kubernetes-int-or-string": True}
    if expr == "any":
        return {}
    if expr.startswith("["):
        return {"type": "array", "items": _type_schema(expr[1:-1])}
    if expr.startswith("{"):
        return {"type": "object", "additionalProperties": _type_schema(expr[1:-1])}
    return {"$ref": f"#/components/schemas/{expr}"}


def _collect(type_name: str, seen: set[str]) -> None:
    if type_name in seen or type_name not in schema.types():
        return
    seen.add(type_name)
    for expr in schema.types()[type_name].values():
        inner = expr.strip("[]{}")
        if inner not in schema.SCALARS:
            _collect(inner, seen)


def _op(res: Resource, action: str, op_id: str, params: tuple[str, ...], ref: str) -> Obj:
    return {
        "operationId": op_id,
        "parameters": _params(*params),
        "responses": {"200": {"description": "OK", "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": res.group, "version": res.version,
                                            "kind": res.kind},
    }


def document(group: str, version: str) -> Obj | None:
    """The ``/openapi/v3/api/v1`` or ``/openapi/v3/apis/<g>/<v>`` document."""
    if (group, version) not in GROUP_VERSIONS:
        return None
    paths: Obj = {}
    seen: set[str] = set()
    roots: dict[str, Resource] = {}
    for res in in_group_version(group, version):
        if not res.schema_root:
            continue
        ref = schema.root_type(res.schema_root)
        roots[ref] = res
        _collect(ref, seen)
        base = res.url_prefix + ("/namespaces/{namespace}/" if res.namespaced else "/")
        name_op = res.kind
        paths[base + res.plural] = {
            "get": _op(res, "list", f"list{name_op}", ("labelSelector", "fieldSelector"), ref),
            "post": _op(res, "post", f"create{name_op}", QUERY, ref),
        }
        paths[base + res.plural + "/{name}"] = {
            "get": _op(res, "get", f"read{name_op}", ("pretty",), ref),
            "put": _op(res, "put", f"replace{name_op}", QUERY, ref),
            "patch": _op(res, "patch", f"patch{name_op}", QUERY + ("force",), ref),
            "delete": _op(res, "delete", f"delete{name_op}", ("dryRun", "gracePeriodSeconds"), ref),
        }
    schemas: Obj = {}
    for name in sorted(seen):
        props = {k: _type_schema(v) for k, v in schema.types()[name].items()}
        entry: Obj = {"type": "object", "properties": props}
        if name in roots:
            r = roots[name]
            entry["x-kubernetes-group-version-kind"] = [
                {"group": r.group, "kind": r.kind, "version": r.version}]
        schemas[name] = entry
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths, "components": {"schemas": schemas}}


def _rel(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def index(hashes: dict[str, str]) -> Obj:
    return {"paths": {rel: {"serverRelativeURL": f"/openapi/v3/{rel}?hash={h}"}
                      for rel, h in hashes.items()}}


def build_all() -> tuple[Obj, dict[str, bytes]]:
    """(the ``/openapi/v3`` index, rendered documents by relative path)."""
    docs: dict[str, bytes] = {}
    hashes: dict[str, str] = {}
    for group, version in GROUP_VERSIONS:
        doc = document(group, version)
        if doc is None:
            continue
        rel = _rel(group, version)
        body = json.dumps(doc, separators=(",", ":")).encode()
        docs[rel] = body
        hashes[rel] = hashlib.sha512(body).hexdigest()[:64].upper()
    return index(hashes), docs
