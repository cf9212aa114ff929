"""Store snapshots: the whole store state as JSON-safe data, and back.

A snapshot holds the tree (keys, values, directories, indices, expire times), the global
index, the event history (so ``waitIndex`` watches keep working across a restore, as in
etcd, whose v2 snapshot includes the history), the stats counters and etcd's internal
``/2`` namespace (v2 auth users, roles and the on/off switch). Watchers are not
state: clients re-watch after a restart.

Strings are kept as Python ``str`` (invalid UTF-8 bytes as lone surrogates), which
``json.dumps`` writes as ``\\udcXX`` escapes and ``json.loads`` reads back unchanged.
Format version 1; readers reject other versions.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from pyetcd.event import Action, Event
from pyetcd.node import Node, NodeView
from pyetcd.stats import StoreStats

if TYPE_CHECKING:
    from pyetcd.store import Store

VERSION = 1


def dump(store: Store) -> dict[str, Any]:
    return {
        "version": VERSION,
        "index": store.index,
        "root": _dump_node(store.root),
        "history": [_dump_event(e) for e in store.history.events()],
        "stats": dataclasses.asdict(store.stats),
        "internal": dict(store.internal),
    }


def load(data: dict[str, Any]) -> Store:
    from pyetcd.store import Store

    if data.get("version") != VERSION:
        raise ValueError(f"unsupported snapshot version {data.get('version')!r}")
    store = Store()
    store.index = int(data["index"])
    store.root = _load_node(data["root"], None, store)
    for item in data["history"]:
        store.history.add(_load_event(item))
    store.stats = StoreStats(**data["stats"])
    store.internal = dict(data.get("internal", {}))
    return store


def _dump_node(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"key": node.key, "created": node.created_index,
                           "modified": node.modified_index}
    if node.expire_time is not None:
        out["expire"] = node.expire_time
    if node.children is None:
        out["value"] = node.value
    else:
        out["children"] = [_dump_node(c) for c in node.children.values()]
    return out


def _load_node(data: dict[str, Any], parent: Node | None, store: Store) -> Node:
    node = Node(data["key"], parent, data["created"], data.get("value"), data.get("expire"))
    node.modified_index = data["modified"]
    if "children" in data:
        node.children = {}
        for child in data["children"]:
            loaded = _load_node(child, node, store)
            node.children[loaded.name] = loaded
    if node.expire_time is not None:
        store.ttl_heap.push(node)
    return node


def _dump_view(view: NodeView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    out = dataclasses.asdict(view)
    out.pop("json_cache")
    if view.nodes is not None:
        out["nodes"] = [_dump_view(v) for v in view.nodes]
    return out


def _load_view(data: dict[str, Any] | None) -> NodeView | None:
    if data is None:
        return None
    nodes = data.pop("nodes", None)
    children = tuple(v for v in (_load_view(n) for n in nodes) if v) if nodes else None
    return NodeView(**data, nodes=children)


def _dump_event(event: Event) -> dict[str, Any]:
    return {"action": event.action.value, "node": _dump_view(event.node),
            "prev": _dump_view(event.prev_node), "etcd_index": event.etcd_index,
            "refresh": event.refresh, "internal": event.internal}


def _load_event(data: dict[str, Any]) -> Event:
    node = _load_view(dict(data["node"]))
    assert node is not None
    prev = _load_view(dict(data["prev"])) if data["prev"] is not None else None
    return Event(Action(data["action"]), node, prev, data["etcd_index"], data["refresh"],
                 data["internal"])
