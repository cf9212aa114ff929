"""The building blocks of ``describe`` output, in kubectl's layout.

Every describer writes lines through a :class:`PrefixWriter` (two spaces per level) into a
tab writer laid out as kubectl's ``tabbedString`` does (``minwidth=0, padding=2``), so
``Name:\\tnginx`` lines align in blocks exactly as kubectl aligns them. The helpers here are
the shared sections: labels, annotations (the last-applied annotation is skipped, long values
wrapped), tolerations, taints, the events table, timestamps in RFC 1123 with the numeric zone.
Pure: the current time is an argument.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kubelite.api.meta import human_duration, parse_time
from kubelite.kubectl.tabwriter import TabWriter

Obj = dict[str, Any]
NONE = "<none>"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ANNOTATION_LEN = 140


class PrefixWriter:
    """kubectl's describe PrefixWriter over a tab writer."""

    def __init__(self, now: dt.datetime):
        self.chunks: list[str] = []
        self.tw = TabWriter(self.chunks.append, minwidth=0, padding=2)
        self.now = now

    def write(self, level: int, text: str) -> None:
        self.tw.write("  " * level + text)

    def line(self, text: str = "") -> None:
        self.tw.write(text + "\n")

    def flush(self) -> None:
        self.tw.flush()

    def text(self) -> str:
        self.tw.flush()
        return "".join(self.chunks)


def rfc1123z(timestamp: str | None) -> str:
    """Go's ``time.RFC1123Z`` in the local zone (``Mon, 02 Jan 2006 15:04:05 -0700``); the
    zero time when unset, as kubectl prints it."""
    t = parse_time(timestamp)
    if t is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    return t.astimezone().strftime("%a, %d %b %Y %H:%M:%S %z")


def since(timestamp: str | None, now: dt.datetime) -> str:
    t = parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return human_duration((now - t).total_seconds())


def go_bool(value: Any) -> str:
    return "true" if value else "false"


def labels_multiline(w: PrefixWriter, title: str, labels: dict[str, str] | None,
                     initial: str = "", inner: str = "\t") -> None:
    w.write(0, f"{initial}{title}:{inner}")
    keys = sorted(labels or {})
    if not keys:
        w.line(NONE)
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, initial + inner)
        w.write(0, f"{key}={(labels or {})[key]}\n")


def annotations_multiline(w: PrefixWriter, title: str, annotations: dict[str, str] | None
                          ) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    if not keys:
        w.line(NONE)
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = str((annotations or {})[key]).removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for part in value.split("\n"):
                short = part if len(part) <= MAX_ANNOTATION_LEN - 2 else \
                    part[:MAX_ANNOTATION_LEN - 2] + "..."
                w.write(0, f"\t  {short}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def tolerations_multiline(w: PrefixWriter, title: str, tolerations: list[Obj] | None,
                          initial: str = "", inner: str = "\t") -> None:
    w.write(0, f"{initial}{title}:{inner}")
    items = sorted(tolerations or [], key=lambda t: str(t.get("key", "")))
    if not items:
        w.line(NONE)
        return
    for i, tol in enumerate(items):
        if i:
            w.write(0, initial + inner)
        text = str(tol.get("key", ""))
        if tol.get("value"):
            text += f"={tol['value']}"
        if tol.get("effect"):
            text += f":{tol['effect']}"
        if tol.get("operator") == "Exists" and not tol.get("value"):
            text += " op=Exists" if tol.get("key") or tol.get("effect") else "op=Exists"
        if tol.get("tolerationSeconds") is not None:
            text += f" for {tol['tolerationSeconds']}s"
        w.write(0, text + "\n")


def taints_multiline(w: PrefixWriter, title: str, taints: list[Obj] | None) -> None:
    w.write(0, f"{title}:\t")
    items = sorted(taints or [], key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    if not items:
        w.line(NONE)
        return
    for i, taint in enumerate(items):
        if i:
            w.write(0, "\t")
        text = str(taint.get("key", ""))
        if taint.get("value"):
            text += f"={taint['value']}"
        w.write(0, f"{text}:{taint.get('effect', '')}\n")


def _event_time(event: Obj) -> dt.datetime:
    series = event.get("series") or {}
    for text in (series.get("lastObservedTime"), event.get("lastTimestamp"),
                 event.get("eventTime")):
        t = parse_time(text)
        if t is not None:
            return t
    return dt.datetime.min.replace(tzinfo=dt.UTC)


def events_table(w: PrefixWriter, events: list[Obj] | None) -> None:
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for event in sorted(events, key=_event_time):
        first = since(event.get("eventTime"), w.now) if event.get("eventTime") else \
            since(event.get("firstTimestamp"), w.now)
        series = event.get("series")
        count = int(event.get("count") or 0)
        if series:
            interval = (f"{since(series.get('lastObservedTime'), w.now)} "
                        f"(x{series.get('count', 0)} over {first})")
        elif count > 1:
            interval = f"{since(event.get('lastTimestamp'), w.now)} (x{count} over {first})"
        else:
            interval = first
        source = (event.get("source") or {}).get("component") or \
            event.get("reportingComponent") or ""
        w.write(1, f"{event.get('type', '')}\t{event.get('reason', '')}\t{interval}\t{source}\t"
                   f"{str(event.get('message', '')).strip()}\n")


def controller_of(obj: Obj) -> str:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


def format_labels(labels: dict[str, str] | None) -> str:
    if not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: Obj | None) -> str:
    """A label selector as apimachinery prints it: requirements sorted by key,
    ``app=web,tier in (a,b),!old``; ``""`` for an empty one."""
    if selector is None:
        return ""
    parts = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        op = expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or []))
        key = str(expr.get("key", ""))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(op, key)
        parts.append((key, text))
    return ",".join(text for _, text in sorted(parts, key=lambda p: p[0]))


def format_label_selector(selector: Obj | None) -> str:
    """apimachinery's ``FormatLabelSelector``: the selector, or ``<none>``."""
    return selector_string(selector) or NONE
