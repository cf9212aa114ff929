"""Conversion between ``v1 Event`` (the stored form) and ``events.k8s.io/v1 Event``.

Both versions are served from the same objects under ``<prefix>/events``; the field
correspondence is kube's (``regarding`` = ``involvedObject``, ``note`` = ``message``,
``reportingController`` = ``reportingComponent``, the ``deprecated*`` fields = the old
``source``/``firstTimestamp``/``lastTimestamp``/``count``). Pure.
"""

from __future__ import annotations

import uuid
from typing import Any

Obj = dict[str, Any]

# (core v1 field, events.k8s.io/v1 field)
EVENT_FIELDS = (
    ("involvedObject", "regarding"),
    ("related", "related"),
    ("message", "note"),
    ("reason", "reason"),
    ("type", "type"),
    ("eventTime", "eventTime"),
    ("series", "series"),
    ("reportingComponent", "reportingController"),
    ("reportingInstance", "reportingInstance"),
    ("action", "action"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
)
EVENTS_API_VERSION = "events.k8s.io/v1"

# field selector names of events.k8s.io/v1 -> the stored (core) names
EVENT_FIELD_LABELS = {"regarding." + k: "involvedObject." + k for k in
                      ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
                       "fieldPath")}
EVENT_FIELD_LABELS["reportingController"] = "reportingComponent"


def event_to_events_v1(core: Obj) -> Obj:
    out: Obj = {"apiVersion": EVENTS_API_VERSION, "kind": "Event",
                "metadata": core.get("metadata") or {}}
    for old, new in EVENT_FIELDS:
        if core.get(old) is not None:
            out[new] = core[old]
    return out


def events_v1_to_event(external: Obj) -> Obj:
    out: Obj = {"apiVersion": "v1", "kind": "Event", "metadata": external.get("metadata") or {}}
    for old, new in EVENT_FIELDS:
        if external.get(new) is not None:
            out[old] = external[new]
    return out


# -- EndpointSlices mirrored from Endpoints -------------------------------------------------

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MIRROR_MANAGER = "endpointslicemirroring-controller.k8s.io"


def slice_name(endpoints_name: str, index: int, count: int) -> str:
    return endpoints_name if count <= 1 else f"{endpoints_name}-{index}"


def endpoints_to_slices(ep: Obj) -> list[Obj]:
    """``discovery.k8s.io/v1`` EndpointSlices mirroring one ``v1`` Endpoints: one per subset
    (kube's EndpointSliceMirroring controller does the same for Endpoints it did not make)."""
    meta = ep.get("metadata") or {}
    subsets = ep.get("subsets") or [{}]
    out = []
    for i, subset in enumerate(subsets):
        endpoints = []
        for key, ready in (("addresses", True), ("notReadyAddresses", False)):
            for addr in subset.get(key) or []:
                entry: Obj = {"addresses": [addr.get("ip", "")],
                              "conditions": {"ready": ready, "serving": ready,
                                             "terminating": False}}
                for fld in ("nodeName", "targetRef", "hostname"):
                    if addr.get(fld):
                        entry[fld] = addr[fld]
                endpoints.append(entry)
        ports = [{k: v for k, v in (("name", p.get("name", "")), ("port", p.get("port")),
                                    ("protocol", p.get("protocol", "TCP")),
                                    ("appProtocol", p.get("appProtocol"))) if v is not None}
                 for p in subset.get("ports") or []]
        labels = dict(meta.get("labels") or {})
        labels[SERVICE_NAME_LABEL] = meta.get("name", "")
        labels[MANAGED_BY_LABEL] = MIRROR_MANAGER
        slice_meta = {k: meta[k] for k in ("namespace", "uid", "resourceVersion",
                                           "creationTimestamp") if k in meta}
        if i and "uid" in meta:
            try:
                slice_meta["uid"] = str(uuid.uuid5(uuid.UUID(meta["uid"]), str(i)))
            except ValueError:
                pass
        slice_meta["name"] = slice_name(meta.get("name", ""), i, len(subsets))
        slice_meta["labels"] = labels
        out.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": slice_meta, "addressType": "IPv4", "endpoints": endpoints,
                    "ports": ports})
    return out
