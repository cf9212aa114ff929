"""apply(): the dispatch table, and replay of logged requests rebuilding the same store."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pyetcd.apply import apply
from pyetcd.event import Action, Event
from pyetcd.request import KeyRequest, Method, parse_key_request, read_form, sync_request
from pyetcd.store import Store
from pyetcd.watchers import Watcher

pytestmark = pytest.mark.unit
S = 1_000_000_000
T0 = 1_800_000_000 * S


def req(method: str, query: str = "", now: int = T0, key: str = "/k") -> KeyRequest:
    return parse_key_request(method, key, read_form(method, query, b"", None), now)


@pytest.mark.parametrize(("setup", "method", "query", "action"), [
    (False, "PUT", "value=1", Action.SET),
    (True, "PUT", "value=1&prevExist=true", Action.UPDATE),
    (True, "PUT", "value=1&prevExist=true&prevValue=v", Action.COMPARE_AND_SWAP),
    (True, "PUT", "value=1&prevExist=true&prevIndex=1", Action.COMPARE_AND_SWAP),
    (False, "PUT", "value=1&prevExist=false&prevValue=zz", Action.CREATE),
    (True, "PUT", "value=1&prevValue=v", Action.COMPARE_AND_SWAP),
    (True, "PUT", "value=1&prevIndex=0", Action.SET),
    (False, "POST", "value=1&prevExist=true&prevValue=zz", Action.CREATE),
    (True, "DELETE", "prevValue=v", Action.COMPARE_AND_DELETE),
    (True, "DELETE", "prevIndex=1", Action.COMPARE_AND_DELETE),
    (True, "DELETE", "", Action.DELETE),
    (True, "GET", "", Action.GET),
    (True, "HEAD", "", Action.GET),
    (True, "GET", "wait=true&quorum=true", Action.GET),
])
def test_dispatch_table(setup: bool, method: str, query: str, action: Action) -> None:
    store = Store()
    if setup:
        apply(store, req("PUT", "value=v"))
    result = apply(store, req(method, query))
    assert isinstance(result, Event) and result.action is action


def test_wait_makes_a_watcher_and_sync_expires() -> None:
    store = Store()
    assert isinstance(apply(store, req("GET", "wait=true")), Watcher)
    apply(store, req("PUT", "value=v&ttl=1"))
    assert apply(store, sync_request(T0 + S // 2)) == []
    expired = apply(store, sync_request(T0 + S))
    assert isinstance(expired, list) and expired[0].action is Action.EXPIRE


def test_replaying_logged_writes_rebuilds_the_same_store() -> None:
    """What a WAL will do: log ``to_dict()`` of every write, replay into an empty store."""
    live, log = Store(), []
    script = [("PUT", "/a", "value=1&ttl=3", 0), ("POST", "/q", "value=x", 1), ("PUT", "/d/x", "dir=true", 1),
              ("PUT", "/a", "value=2&prevValue=1", 2), ("DELETE", "/d", "recursive=true", 2),
              ("PUT", "/a", "refresh=true&ttl=9", 3), ("PUT", "/b", "prevExist=true", 3)]
    for method, key, query, second in script:
        request = req(method, query, T0 + second * S, key)
        log.append(request.to_dict())
        try:
            apply(live, request)
        except Exception:  # noqa: BLE001 - failed writes are logged too; replay fails them alike
            pass
    log.append(sync_request(T0 + 20 * S).to_dict())
    apply(live, KeyRequest.from_dict(log[-1]))
    replayed = Store()
    for item in log:
        try:
            apply(replayed, KeyRequest.from_dict(item))
        except Exception:  # noqa: BLE001
            pass
    assert replayed.snapshot() == live.snapshot()
    assert replayed.index == live.index == 7
    assert KeyRequest.from_dict(log[0]).method is Method.PUT


PURE_MODULES = ["node", "event", "history", "watchers", "ttl", "store", "request", "apply",
                "codec", "goform", "snapshot", "stats", "api", "cluster", "godur", "readcache",
                "values", "frames"]
FORBIDDEN = {"asyncio", "aiohttp", "socket", "time", "selectors", "threading", "uvloop"}


@pytest.mark.parametrize("module", PURE_MODULES)
def test_core_modules_do_no_io(module: str) -> None:
    """STYLE rule 1: the core imports nothing that does I/O or reads the clock."""
    path = Path(__file__).parents[3] / "pyetcd" / f"{module}.py"
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN
