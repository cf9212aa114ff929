"""Conversion between ``v1 Event`` (the stored form) and ``events.k8s.io/v1 Event``.

Both versions are served from the same objects under ``<prefix>/events``; the field
correspondence is kube's (``regarding`` = ``involvedObject``, ``note`` = ``message``,
``reportingController`` = ``reportingComponent``, the ``deprecated*`` fields = the old
``source``/``firstTimestamp``/``lastTimestamp``/``count``). Pure.
"""

from __future__ import annotations

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
