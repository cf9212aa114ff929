"""etcd v2 watch events -> Kubernetes watch events, with filter transitions (a table)."""

from __future__ import annotations

import json

import pytest

from kubelite.storage.watch import EventType, RawEvent, translate


def _v(app: str) -> str:
    return json.dumps({"metadata": {"name": "p", "labels": {"app": app}}})


def web_only(obj: dict[str, object]) -> bool:
    return obj["metadata"]["labels"]["app"] == "web"  # type: ignore[index]


@pytest.mark.parametrize("action,value,prev,expected,from_prev", [
    ("create", _v("web"), None, EventType.ADDED, False),
    ("set", _v("web"), None, EventType.ADDED, False),
    ("set", _v("web"), _v("web"), EventType.MODIFIED, False),
    ("compareAndSwap", _v("web"), _v("web"), EventType.MODIFIED, False),
    ("update", _v("web"), _v("web"), EventType.MODIFIED, False),
    ("compareAndSwap", _v("web"), _v("db"), EventType.ADDED, False),
    ("compareAndSwap", _v("db"), _v("web"), EventType.DELETED, True),
    ("compareAndSwap", _v("db"), _v("db"), None, False),
    ("create", _v("db"), None, None, False),
    ("delete", None, _v("web"), EventType.DELETED, True),
    ("compareAndDelete", None, _v("web"), EventType.DELETED, True),
    ("expire", None, _v("web"), EventType.DELETED, True),
    ("delete", None, _v("db"), None, False),
    ("get", _v("web"), None, None, False),
])
def test_translate(action: str, value: str | None, prev: str | None,
                   expected: EventType | None, from_prev: bool) -> None:
    raw = RawEvent(action, "/registry/pods/default/p", 42, value, prev, 41 if prev else 0)
    event = translate(raw, web_only)
    if expected is None:
        assert event is None
        return
    assert event is not None and event.type is expected
    assert event.object["metadata"]["resourceVersion"] == "42"
    source = prev if from_prev else value
    assert source is not None
    assert event.object["metadata"]["labels"] == json.loads(source)["metadata"]["labels"]
