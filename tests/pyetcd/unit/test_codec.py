"""Go encoding/json and RFC3339Nano output, byte for byte."""

from __future__ import annotations

import pytest

from pyetcd.codec import error_json, event_json, go_string, node_json, rfc3339nano
from pyetcd.errors import EtcdError
from pyetcd.event import Action, Event
from pyetcd.godur import duration_string
from pyetcd.node import NodeView, ttl_seconds

pytestmark = pytest.mark.unit
S = 1_000_000_000


@pytest.mark.parametrize(("text", "out"), [
    ("plain", '"plain"'),
    ("<a>&b", '"\\u003ca\\u003e\\u0026b"'),
    ('q"\\', '"q\\"\\\\"'),
    ("\n\r\t\b\f\x01\x7f", '"\\n\\r\\t\\u0008\\u000c\\u0001\x7f"'),
    ("\u2028\u2029", '"\\u2028\\u2029"'),
    ("h\u00e9 \u65e5", '"h\u00e9 \u65e5"'),
    (b"\xff\xe2\x82ok".decode("utf-8", "surrogateescape"), '"\\ufffd\\ufffd\\ufffdok"'),
])
def test_go_string(text: str, out: str) -> None:
    assert go_string(text) == out


@pytest.mark.parametrize(("ns", "out"), [
    (1795669952534847131, "2026-11-26T05:12:32.534847131Z"),
    (1795669952500000000, "2026-11-26T05:12:32.5Z"),
    (1795669952000000000, "2026-11-26T05:12:32Z"),
])
def test_rfc3339nano(ns: int, out: str) -> None:
    assert rfc3339nano(ns) == out


@pytest.mark.parametrize(("left", "ttl"), [(5 * S, 5), (S // 2, 1), (1, 1), (0, 0), (-S // 2, 0),
                                           (-S, -1), (-3 * S // 2, -1)])
def test_ttl_rounding(left: int, ttl: int) -> None:
    assert ttl_seconds(1_000 * S + left, 1_000 * S) == ttl


def test_node_field_order_and_omission() -> None:
    file = NodeView("/a", "", False, 1795669952 * S, 5, None, 4, 3)
    assert node_json(file) == (b'{"key":"/a","value":"","expiration":"2026-11-26T05:12:32Z",'
                               b'"ttl":5,"modifiedIndex":4,"createdIndex":3}')
    root = NodeView("", None, True, None, 0, (), 0, 0)
    assert node_json(root) == b'{"dir":true}'
    listing = NodeView("/d", None, True, None, 0, (NodeView("/d/x", "1", modified_index=2,
                                                            created_index=2),), 1, 1)
    assert node_json(listing) == (b'{"key":"/d","dir":true,"nodes":[{"key":"/d/x","value":"1",'
                                  b'"modifiedIndex":2,"createdIndex":2}],"modifiedIndex":1,'
                                  b'"createdIndex":1}')


def test_event_and_error_bodies() -> None:
    node = NodeView("/a", "2", modified_index=5, created_index=5)
    prev = NodeView("/a", "1", modified_index=4, created_index=4)
    event = Event(Action.SET, node, prev, 5)
    assert event_json(event) == (b'{"action":"set","node":{"key":"/a","value":"2","modifiedIndex":5,'
                                 b'"createdIndex":5},"prevNode":{"key":"/a","value":"1",'
                                 b'"modifiedIndex":4,"createdIndex":4}}\n')
    assert event_json(event) is event_json(event)  # rendered once
    assert event_json(event, no_value=True) == b'{"action":"set"}\n'
    assert error_json(EtcdError(100, "/a", 9)) == (
        b'{"errorCode":100,"message":"Key not found","cause":"/a","index":9}\n')
    assert error_json(EtcdError(102, "", 9)) == b'{"errorCode":102,"message":"Not a file","index":9}\n'


@pytest.mark.parametrize(("ns", "out"), [(0, "0s"), (999, "999ns"), (1500, "1.5µs"),
                                         (6433371279, "6.433371279s"), (61 * S, "1m1s"),
                                         (3723 * S + 5, "1h2m3.000000005s"), (2 * S // 1000, "2ms")])
def test_go_duration(ns: int, out: str) -> None:
    assert duration_string(ns) == out
