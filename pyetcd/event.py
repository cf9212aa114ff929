"""Events: the result of every store operation, and what watchers and the history hold.

An :class:`Event` is immutable once made (etcd clones events before changing
``EtcdIndex``; here the index a response reports is passed beside the event instead).

* ``index`` is the index that identifies the event in the history: the event node's
  ``modifiedIndex`` (for writes, the index the write consumed);
* ``etcd_index`` is the store's index when the event was made (``X-Etcd-Index`` of the
  response to the request that made it);
* ``refresh`` events (TTL refreshes) are kept in the history but never delivered;
* ``internal`` events stand for etcd's own writes under ``/0`` (cluster membership and
  version): they consume indices and occupy history slots exactly as in etcd, and no user
  watch ever matches them.
"""

from __future__ import annotations

import enum
from dataclasses import field

from pyetcd.node import NodeView
from pyetcd.values import value_class


class Action(enum.Enum):
    GET = "get"
    SET = "set"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    COMPARE_AND_SWAP = "compareAndSwap"
    COMPARE_AND_DELETE = "compareAndDelete"
    EXPIRE = "expire"


# Actions that remove nodes: watchers on removed descendants wake with the event.
REMOVING = frozenset({Action.DELETE, Action.COMPARE_AND_DELETE, Action.EXPIRE})
# Actions whose response body ``noValueOnSuccess`` reduces to ``{"action": ...}``.
NO_VALUE_ACTIONS = frozenset({Action.SET, Action.CREATE, Action.UPDATE, Action.COMPARE_AND_SWAP})


@value_class
class Event:
    action: Action
    node: NodeView
    prev_node: NodeView | None
    etcd_index: int
    refresh: bool = False
    internal: bool = False
    # The encoded body, filled in by the codec the first time it is needed.
    json_cache: list[bytes] = field(default_factory=list, compare=False, repr=False)

    @property
    def index(self) -> int:
        return self.node.modified_index

    @property
    def key(self) -> str:
        return self.node.key

    @property
    def is_created(self) -> bool:
        """etcd answers 201 for a create, and for a set that replaced nothing."""
        return self.action is Action.CREATE or (self.action is Action.SET and self.prev_node is None)
