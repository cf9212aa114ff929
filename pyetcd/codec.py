"""Go ``encoding/json`` and ``time.RFC3339Nano`` output, byte for byte.

etcd writes every v2 body with Go's ``json.NewEncoder(w).Encode(v)``; clients that compare
bodies (and our differential tests) see Go's exact bytes, so this module reproduces them:

* strings: ``"`` and ``\\`` escaped; ``\\n``, ``\\r``, ``\\t`` short forms; every other control
  character as ``\\u00XX`` (Go 1.19, which etcd 3.4.23 is built with, has no ``\\b``/``\\f``
  short forms); ``<``, ``>``, ``&`` as ``\\u003c``, ``\\u003e``, ``\\u0026`` (HTML-safe
  escaping); U+2028/U+2029 escaped; other non-ASCII written as raw UTF-8;
* invalid UTF-8: keys and values are byte strings in etcd. pyetcd keeps them as ``str``
  decoded with ``surrogateescape``, so each undecodable byte is one lone surrogate; Go writes
  each invalid byte as ``\\ufffd``, and so do we;
* integers plainly; objects in the field order of the Go struct, with ``omitempty`` rules
  applied by the callers that know the struct;
* ``Encode`` appends ``"\\n"``.

Expiration times are integers (nanoseconds since the Unix epoch, UTC) everywhere in the core;
:func:`rfc3339nano` renders them as Go does (fraction trimmed of trailing zeros, ``Z``).
"""

from __future__ import annotations

import datetime
import re

# Characters a Go string literal in JSON escapes, mapped to their escapes. Lone surrogates
# (our stand-ins for invalid UTF-8 bytes) become \ufffd.
_ESCAPES: dict[int, str] = {c: f"\\u{c:04x}" for c in range(0x20)}
_ESCAPES.update({
    ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"', ord("\\"): "\\\\",
    ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
    0x2028: "\\u2028", 0x2029: "\\u2029",
})
_ESCAPES.update({c: "\\ufffd" for c in range(0xD800, 0xE000)})
_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')


def go_string(s: str) -> str:
    """The JSON literal (with quotes) Go's encoder writes for ``s``."""
    if _NEEDS_ESCAPE.search(s) is None:
        return '"' + s + '"'
    return '"' + s.translate(_ESCAPES) + '"'


def go_bytes(s: str) -> bytes:
    """:func:`go_string` as UTF-8 bytes (safe: every surrogate has been escaped)."""
    return go_string(s).encode()


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def rfc3339nano(unix_ns: int) -> str:
    """Go's ``t.UTC().Format(time.RFC3339Nano)`` for a Unix time in nanoseconds."""
    seconds, nanos = divmod(unix_ns, 1_000_000_000)
    stamp = (_EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        stamp += "." + f"{nanos:09d}".rstrip("0")
    return stamp + "Z"


# ---- v2 bodies -----------------------------------------------------------------------------
# Imported here (not at the top) only to keep the string rules above free of store types.
from pyetcd.errors import EtcdError  # noqa: E402
from pyetcd.event import Event  # noqa: E402
from pyetcd.node import NodeView  # noqa: E402


def node_json(view: NodeView) -> bytes:
    """A ``NodeExtern`` object: fields in Go struct order, ``omitempty`` applied."""
    if view.json_cache:
        return view.json_cache[0]
    if (view.value is not None and view.key and view.modified_index and view.created_index
            and view.expiration is None and not view.ttl and not view.dir and not view.nodes):
        # The usual file: the same bytes as the general case below, in one format.
        body = b'{"key":%s,"value":%s,"modifiedIndex":%d,"createdIndex":%d}' % (
            go_bytes(view.key), go_bytes(view.value), view.modified_index, view.created_index)
        view.json_cache.append(body)
        return body
    parts = []
    if view.key:
        parts.append(b'"key":' + go_bytes(view.key))
    if view.value is not None:
        parts.append(b'"value":' + go_bytes(view.value))
    if view.dir:
        parts.append(b'"dir":true')
    if view.expiration is not None:
        parts.append(b'"expiration":"' + rfc3339nano(view.expiration).encode() + b'"')
    if view.ttl:
        parts.append(b'"ttl":%d' % view.ttl)
    if view.nodes:
        parts.append(b'"nodes":[' + b",".join(node_json(n) for n in view.nodes) + b"]")
    if view.modified_index:
        parts.append(b'"modifiedIndex":%d' % view.modified_index)
    if view.created_index:
        parts.append(b'"createdIndex":%d' % view.created_index)
    body = b"{" + b",".join(parts) + b"}"
    view.json_cache.append(body)
    return body


_ACTIONS: dict[object, bytes] = {}


def event_json(event: Event, no_value: bool = False) -> bytes:
    """The body of an event response or watch chunk: ``{action,node,prevNode}`` + newline.

    ``no_value`` (``noValueOnSuccess``) drops ``node`` and ``prevNode``; callers decide
    for which actions it applies.
    """
    action = _ACTIONS.get(event.action)
    if action is None:
        action = _ACTIONS[event.action] = b'{"action":' + go_bytes(event.action.value)
    if no_value:
        return action + b"}\n"
    if event.json_cache:
        return event.json_cache[0]
    body = action + b',"node":' + node_json(event.node)
    if event.prev_node is not None:
        body += b',"prevNode":' + node_json(event.prev_node)
    body += b"}\n"
    event.json_cache.append(body)
    return body


def error_json(err: EtcdError) -> bytes:
    """``{"errorCode","message","cause"(omitted when empty),"index"}`` + newline."""
    cause = b',"cause":' + go_bytes(err.cause) if err.cause else b""
    return (b'{"errorCode":%d,"message":' % err.code + go_bytes(err.message) + cause
            + b',"index":%d}\n' % err.index)
