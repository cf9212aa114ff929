"""Regenerate ``schema.json`` (the field tree of the kinds kubelite serves).

Developer tool, not imported at run time. It reads the *types* (field names and their
value types, nothing else) of the generated models in the official ``kubernetes`` Python
client (installed by the ``test`` extra) and writes a compact JSON tree:

    {"roots": {"v1/Pod": "V1Pod", ...},
     "types": {"V1Pod": {"apiVersion": "string", "metadata": "V1ObjectMeta", ...}, ...}}

A type expression is ``string``, ``integer``, ``boolean``, ``number``, ``time``,
``quantity`` (a string or a number), ``any`` (free-form, e.g. IntOrString or RawExtension), ``[T]`` (list of T), ``{T}`` (map of
string to T) or the name of another entry in ``types``. The client models describe a newer
API than 1.32 (a superset), so strict decoding accepts a few fields 1.32 would reject.

Run: ``.venv/bin/python -m kubelite.api.schema_gen > kubelite/api/schema.json``
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

ROOTS = {
    "v1/Pod": "V1Pod",
    "v1/Namespace": "V1Namespace",
    "v1/Node": "V1Node",
    "v1/Service": "V1Service",
    "v1/Endpoints": "V1Endpoints",
    "v1/ReplicationController": "V1ReplicationController",
    "v1/Event": "CoreV1Event",
    "v1/ConfigMap": "V1ConfigMap",
    "v1/Secret": "V1Secret",
    "v1/Binding": "V1Binding",
    "v1/ServiceAccount": "V1ServiceAccount",
    "apps/v1/Deployment": "V1Deployment",
    "apps/v1/ReplicaSet": "V1ReplicaSet",
    "autoscaling/v1/Scale": "V1Scale",
    "coordination.k8s.io/v1/Lease": "V1Lease",
    "discovery.k8s.io/v1/EndpointSlice": "V1EndpointSlice",
    "events.k8s.io/v1/Event": "EventsV1Event",
    "meta/v1/DeleteOptions": "V1DeleteOptions",
}

_SCALARS = {"str": "string", "int": "integer", "bool": "boolean", "float": "number",
            "datetime": "time", "date": "string", "object": "any", "bytearray": "string",
            "bytes": "string", "Dict[str, Any]": "any", "Any": "any"}


# Fields whose strings are resource.Quantity values, which JSON may also give as numbers
# (``cpu: 1``); the client models type them as plain strings.
QUANTITY_FIELDS = {"limits", "requests", "capacity", "allocatable", "overhead",
                   "allocatedResources", "sizeLimit", "storage", "hard", "used"}


def _expr(py_type: str, pending: list[str]) -> str:
    py_type = py_type.strip()
    m = re.fullmatch(r"(?:List|list)\[(.*)\]", py_type)
    if m:
        return "[" + _expr(m.group(1), pending) + "]"
    m = re.fullmatch(r"(?:Dict|dict)[\[(]str, (.*)[\])]", py_type)
    if m:
        return "{" + _expr(m.group(1), pending) + "}"
    if py_type in _SCALARS:
        return _SCALARS[py_type]
    pending.append(py_type)
    return py_type


def build() -> dict[str, Any]:
    from kubernetes.client import models

    types: dict[str, dict[str, str]] = {}
    pending = list(ROOTS.values())
    while pending:
        name = pending.pop()
        if name in types:
            continue
        cls = getattr(models, name)
        fields: dict[str, str] = {}
        for attr, py_type in sorted(cls.openapi_types.items()):
            expr = _expr(py_type, pending)
            if cls.attribute_map[attr] in QUANTITY_FIELDS:
                expr = expr.replace("string", "quantity")
            fields[cls.attribute_map[attr]] = expr
        types[name] = dict(sorted(fields.items()))
    return {"roots": ROOTS, "types": dict(sorted(types.items()))}


if __name__ == "__main__":
    json.dump(build(), sys.stdout, separators=(",", ":"), sort_keys=False)
    sys.stdout.write("\n")
