"""The ``/openapi/v2`` document (Swagger 2.0), as JSON and as gnostic protobuf. Pure.

Why it exists: kubectl validates on the client whatever its OpenAPI v3 query-parameter
verifier refuses, and that verifier refuses ``v1 List`` outright (and any kind the server's
v3 documents do not list). The client-side validator reads ``/openapi/v2`` **only as
protobuf** (``application/com.github.proto-openapi.spec.v2@v1.0+protobuf``); without it
``kubectl apply -f list.yaml`` fails with "the server could not find the requested
resource". With it, kubectl checks each item of a List against these definitions (unknown
fields and wrong types, with kube's definition names in its messages, e.g. ``unknown field
"x" in io.k8s.api.core.v1.PodSpec``), then sends every item with ``fieldValidation=Strict``.

Contents: ``definitions`` only, built from ``schema.json`` (the same field tree the server's
strict decoding uses), the kinds carrying ``x-kubernetes-group-version-kind``. There are
deliberately no ``paths``: kubectl looks up a kind's PATCH ``consumes`` there to decide to
build strategic merge patches from this document; without them it keeps using its compiled
-in types, whose patch metadata is complete. ``required`` is not listed (the server's 422
names missing fields).

The protobuf encoding writes the few messages of gnostic's ``OpenAPIv2.proto`` this needs:
Document{swagger=1, info=2, definitions=9}, Info{title=1, version=2}, Definitions and
Properties{additional_properties=1 (NamedSchema{name=1, value=2})}, Schema{_ref=1,
format=2, additional_properties=21 (AdditionalPropertiesItem{schema=1}), type=22
(TypeItem{value=1}), items=23 (ItemsItem{schema=1}), properties=25, vendor_extension=31
(NamedAny{name=1, value=2 (Any{yaml=2})})}.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from kubelite.api import schema

Obj = dict[str, Any]
GVK_EXTENSION = "x-kubernetes-group-version-kind"
PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
PROTOBUF_RESPONSE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
META_TYPES = {"ObjectMeta", "OwnerReference", "ManagedFieldsEntry", "LabelSelector",
              "LabelSelectorRequirement", "DeleteOptions", "Preconditions", "Condition"}
# Python client model name prefix -> kube package of the definition
PACKAGES = (("V1Deployment", "apps"), ("V1ReplicaSet", "apps"),
            ("V1RollingUpdateDeployment", "apps"), ("V1Scale", "autoscaling"),
            ("V1Lease", "coordination"), ("V1EndpointSlice", "discovery"),
            ("V1EndpointConditions", "discovery"), ("V1EndpointHints", "discovery"),
            ("V1ForZone", "discovery"), ("V1ForNode", "discovery"),
            ("DiscoveryV1", "discovery"), ("EventsV1", "events"), ("CoreV1", "core"))


def definition_name(model: str) -> str:
    """kube's definition name of a client model: ``V1PodSpec`` -> ``io.k8s.api.core.v1.PodSpec``."""
    if model == "V1Endpoint":
        return "io.k8s.api.discovery.v1.Endpoint"
    for prefix, package in PACKAGES:
        if model.startswith(prefix):
            short = model[len(prefix):] if prefix.endswith("V1") else model[2:]
            return f"io.k8s.api.{package}.v1.{short}"
    short = model[2:]
    return META + short if short in META_TYPES else f"io.k8s.api.core.v1.{short}"


def _type_schema(expr: str) -> Obj:
    scalar = {"string": {"type": "string"}, "integer": {"type": "integer", "format": "int64"},
              "number": {"type": "number", "format": "double"}, "boolean": {"type": "boolean"},
              "time": {"type": "string", "format": "date-time"},
              "quantity": {"type": "string"},  # a Quantity: kubectl's "string" takes numbers
              "any": {}}
    if expr in scalar:
        return dict(scalar[expr])
    if expr.startswith("["):
        return {"type": "array", "items": _type_schema(expr[1:-1])}
    if expr.startswith("{"):
        return {"type": "object", "additionalProperties": _type_schema(expr[1:-1])}
    return {"$ref": "#/definitions/" + definition_name(expr)}


def document() -> Obj:
    """The Swagger 2.0 document: one definition per type of ``schema.json``."""
    kinds: dict[str, list[Obj]] = {}
    for root, model in schema.roots().items():
        group_version, _, kind = root.rpartition("/")
        group, _, version = group_version.rpartition("/")
        group = "" if group == "meta" else group  # DeleteOptions: kube lists it under v1 too
        kinds.setdefault(model, []).append({"group": group, "kind": kind, "version": version})
    definitions: Obj = {}
    for model in sorted(schema.types()):
        fields = schema.types()[model]
        entry: Obj = {"type": "object",
                      "properties": {k: _type_schema(v) for k, v in sorted(fields.items())}}
        if model in kinds:
            entry[GVK_EXTENSION] = kinds[model]
        definitions[definition_name(model)] = entry
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": {}, "definitions": dict(sorted(definitions.items()))}


# -- protobuf (wire format: varint keys, length-delimited strings and messages) ------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _gvk_yaml(gvks: list[Obj]) -> str:
    """The extension's value as YAML (a JSON flow sequence is YAML too)."""
    return json.dumps(gvks, separators=(", ", ": "))


def _schema(node: Obj) -> bytes:
    out = bytearray()
    if "$ref" in node:
        out += _field(1, node["$ref"])
    if "format" in node:
        out += _field(2, node["format"])
    if "additionalProperties" in node:
        out += _field(21, _field(1, _schema(node["additionalProperties"])))
    if "type" in node:
        out += _field(22, _field(1, node["type"]))
    if "items" in node:
        out += _field(23, _field(1, _schema(node["items"])))
    if "properties" in node:
        props = b"".join(_field(1, _field(1, name) + _field(2, _schema(sub)))
                         for name, sub in node["properties"].items())
        out += _field(25, props)
    if GVK_EXTENSION in node:
        any_value = _field(2, _gvk_yaml(node[GVK_EXTENSION]))
        out += _field(31, _field(1, GVK_EXTENSION) + _field(2, any_value))
    return bytes(out)


def encode_protobuf(doc: Obj) -> bytes:
    """``doc`` (from :func:`document`) as a gnostic ``openapi.v2.Document``."""
    info = _field(1, doc["info"]["title"]) + _field(2, doc["info"]["version"])
    definitions = b"".join(_field(1, _field(1, name) + _field(2, _schema(node)))
                           for name, node in doc["definitions"].items())
    return _field(1, doc["swagger"]) + _field(2, info) + _field(9, definitions)


@functools.cache
def rendered() -> tuple[bytes, bytes, str]:
    """(JSON, protobuf, ETag) of the document, computed once."""
    doc = document()
    as_json = json.dumps(doc, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha512(as_json).hexdigest()[:32].upper() + '"'
    return as_json, encode_protobuf(doc), etag
