"""Content negotiation: which representation a client accepts and which body it sent. Pure.

Answers are JSON unless the client asks for a ``Table`` (kubectl get), a
``PartialObjectMetadata`` view, aggregated discovery, or YAML. Protobuf is never produced;
a client that accepts *only* protobuf gets 406.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
TABLE_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"
DISCOVERY_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
DISCOVERY_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


class Rendering(enum.Enum):
    JSON = "json"
    YAML = "yaml"
    TABLE = "table"
    PARTIAL = "partial"        # PartialObjectMetadata(List)
    DISCOVERY_V2 = "discovery-v2"
    DISCOVERY_V2BETA1 = "discovery-v2beta1"
    NONE = "none"              # nothing acceptable


@dataclass(frozen=True, slots=True)
class MediaType:
    type: str
    params: dict[str, str]


def parse_accept(header: str | None) -> list[MediaType]:
    if not header:
        return [MediaType("*/*", {})]
    out = []
    for item in header.split(","):
        fields = [f.strip() for f in item.split(";")]
        if not fields[0]:
            continue
        params = {}
        for f in fields[1:]:
            k, _, v = f.partition("=")
            params[k.strip().lower()] = v.strip()
        out.append(MediaType(fields[0].lower(), params))
    return out or [MediaType("*/*", {})]


def choose(header: str | None, *, allow_table: bool, allow_discovery: bool = False) -> Rendering:
    """The first acceptable representation in the client's order."""
    for mt in parse_accept(header):
        as_ = mt.params.get("as", "")
        g, v = mt.params.get("g", ""), mt.params.get("v", "")
        if mt.type in (JSON, "application/*", "*/*"):
            if as_ == "Table" and g == "meta.k8s.io" and v in ("v1", "v1beta1"):
                if allow_table:
                    return Rendering.TABLE
                continue
            if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList") and g == "meta.k8s.io":
                return Rendering.PARTIAL
            if as_ == "APIGroupDiscoveryList" and g == "apidiscovery.k8s.io":
                if allow_discovery and v in ("v2", "v2beta1"):
                    return Rendering.DISCOVERY_V2 if v == "v2" else Rendering.DISCOVERY_V2BETA1
                continue
            if as_:
                continue
            return Rendering.JSON
        if mt.type in (YAML, "application/x-yaml", "text/yaml") and not mt.params.get("as"):
            return Rendering.YAML
    return Rendering.NONE


class BodyType(enum.Enum):
    JSON = "json"
    YAML = "yaml"
    PROTOBUF = "protobuf"
    JSON_PATCH = "json-patch"
    MERGE_PATCH = "merge-patch"
    STRATEGIC_PATCH = "strategic-merge-patch"
    APPLY_PATCH = "apply-patch"
    UNKNOWN = "unknown"


BODY_TYPES = {
    "": BodyType.JSON,
    JSON: BodyType.JSON,
    "application/yaml": BodyType.YAML,
    "application/x-yaml": BodyType.YAML,
    "text/yaml": BodyType.YAML,
    PROTOBUF: BodyType.PROTOBUF,
    "application/json-patch+json": BodyType.JSON_PATCH,
    "application/merge-patch+json": BodyType.MERGE_PATCH,
    "application/strategic-merge-patch+json": BodyType.STRATEGIC_PATCH,
    "application/apply-patch+yaml": BodyType.APPLY_PATCH,
    "application/apply-patch+cbor": BodyType.UNKNOWN,
}


def body_type(content_type: str | None) -> BodyType:
    base = (content_type or "").split(";")[0].strip().lower()
    return BODY_TYPES.get(base, BodyType.UNKNOWN)
