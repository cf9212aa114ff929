"""Responses as etcd's Go v2 client sees them, and their three printed forms.

The Go client decodes the server's JSON into ``client.Response`` / ``client.Node`` and
etcdctl prints *that* struct, not the server's bytes: ``-o json`` re-encodes it with Go's
``encoding/json`` (every field present, ``"nodes":null``, ``"prevNode":null``, ``<`` as
``\\u003c``, field order of the Go struct), and ``expiration`` is re-formatted as Go formats
a ``time.Time``. This module reproduces the decoding rules (what is accepted, what becomes a
"response is invalid json" error) and the printing. Pure code: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_UINT64_MAX = (1 << 64) - 1
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


class Malformed(ValueError):
    """The body does not decode into the Go client's struct."""


@dataclass(frozen=True, slots=True)
class Node:
    key: str = ""
    dir: bool = False
    value: str = ""
    nodes: tuple[Node, ...] | None = None  # None is Go's nil slice, printed as null
    created_index: int = 0
    modified_index: int = 0
    expiration: str | None = None  # already in Go's RFC3339Nano form
    ttl: int = 0


@dataclass(frozen=True, slots=True)
class Response:
    action: str
    node: Node | None
    prev_node: Node | None
    index: int  # the X-Etcd-Index header


# -- decoding --------------------------------------------------------------------------------


def decode_response(body: bytes, etcd_index: int) -> Response:
    """Decode a 200/201 keys body; raises :class:`Malformed` where Go's decoder fails."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Malformed(str(exc)) from None
    if data is None:
        return Response("", None, None, etcd_index)
    if not isinstance(data, dict):
        raise Malformed("not an object")
    return Response(
        action=_typed(data, "action", str, ""),
        node=_node_or_none(data.get("node")),
        prev_node=_node_or_none(data.get("prevNode")),
        index=etcd_index,
    )


def _node_or_none(raw: Any) -> Node | None:
    return None if raw is None else decode_node(raw)


def decode_node(raw: Any) -> Node:
    if not isinstance(raw, dict):
        raise Malformed("node is not an object")
    nodes_raw = raw.get("nodes")
    if nodes_raw is not None and not isinstance(nodes_raw, list):
        raise Malformed("nodes is not an array")
    expiration = raw.get("expiration")
    if expiration is not None:
        if not isinstance(expiration, str):
            raise Malformed("expiration is not a string")
        expiration = go_time(expiration)
    return Node(
        key=_typed(raw, "key", str, ""),
        dir=_typed(raw, "dir", bool, False),
        value=_typed(raw, "value", str, ""),
        nodes=None if nodes_raw is None else tuple(decode_node(n) for n in nodes_raw),
        created_index=_uint(raw, "createdIndex"),
        modified_index=_uint(raw, "modifiedIndex"),
        expiration=expiration,
        ttl=_int(raw, "ttl"),
    )


def _typed(raw: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    value = raw.get(name)
    if value is None:
        return default
    if type(value) is not kind:
        raise Malformed(f"{name} has the wrong type")
    return value


def _uint(raw: dict[str, Any], name: str) -> int:
    value = _typed(raw, name, int, 0)
    if not 0 <= value <= _UINT64_MAX:
        raise Malformed(f"{name} out of range")
    return int(value)


def _int(raw: dict[str, Any], name: str) -> int:
    value = _typed(raw, name, int, 0)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise Malformed(f"{name} out of range")
    return int(value)


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$"
)


def go_time(text: str) -> str:
    """Re-format an RFC 3339 time the way Go's ``time.Time.MarshalJSON`` prints it.

    Go keeps the parsed wall clock and offset, prints nanoseconds with trailing zeros
    removed (no fraction when zero) and writes a zero offset as ``Z``.
    """
    m = _RFC3339.match(text)
    if m is None:
        raise Malformed(f"bad time {text!r}")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    nanos = (frac or "")[:9].ljust(9, "0")
    fraction = nanos.rstrip("0")
    if zone in ("+00:00", "-00:00"):
        zone = "Z"
    return (f"{year}-{month}-{day}T{hour}:{minute}:{second}"
            + (f".{fraction}" if fraction else "") + zone)


# -- Go encoding/json ------------------------------------------------------------------------

_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                 "<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json_string(s: str) -> str:
    """A JSON string as Go 1.19's ``encoding/json`` writes it (HTML-safe escaping)."""
    out = ['"']
    for ch in s:
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        elif "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")  # lone surrogate / undecodable byte: Go writes U+FFFD
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def node_json(node: Node | None) -> str:
    if node is None:
        return "null"
    parts = [f'"key":{go_json_string(node.key)}']
    if node.dir:
        parts.append('"dir":true')
    parts.append(f'"value":{go_json_string(node.value)}')
    if node.nodes is None:
        parts.append('"nodes":null')
    else:
        parts.append('"nodes":[' + ",".join(node_json(n) for n in node.nodes) + "]")
    parts.append(f'"createdIndex":{node.created_index}')
    parts.append(f'"modifiedIndex":{node.modified_index}')
    if node.expiration is not None:
        parts.append(f'"expiration":"{node.expiration}"')
    if node.ttl:
        parts.append(f'"ttl":{node.ttl}')
    return "{" + ",".join(parts) + "}"


def response_json(resp: Response) -> str:
    return (f'{{"action":{go_json_string(resp.action)},"node":{node_json(resp.node)},'
            f'"prevNode":{node_json(resp.prev_node)}}}')


# -- etcdctl's printResponseKey --------------------------------------------------------------


def format_response(resp: Response, output: str) -> tuple[str, str]:
    """``(stdout, stderr)`` text etcdctl prints for a response in format ``output``.

    The Go code dereferences ``Node`` (and ``PrevNode`` for a simple ``delete``) without a
    nil check; those crash etcdctl, and here print as if the node were empty.
    """
    node = resp.node or Node()
    if output == "simple":
        if resp.action != "delete":
            return f"{node.value}\n", ""
        prev = resp.prev_node or Node()
        return f"PrevNode.Value: {prev.value}\n", ""
    if output == "extended":
        lines = [f"Key: {node.key}", f"Created-Index: {node.created_index}",
                 f"Modified-Index: {node.modified_index}"]
        if resp.prev_node is not None:
            lines.append(f"PrevNode.Value: {resp.prev_node.value}")
        lines += [f"TTL: {node.ttl}", f"Index: {resp.index}"]
        if resp.action != "delete":
            lines += ["", node.value]
        return "\n".join(lines) + "\n", ""
    if output == "json":
        return response_json(resp) + "\n", ""
    return "", f"Unsupported output format: {output}\n"
