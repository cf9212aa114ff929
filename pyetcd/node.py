"""The key tree: :class:`Node` (stored, mutable) and :class:`NodeView` (its JSON view).

Invariants:

* a node is a file (``value`` is a ``str``, ``children`` is ``None``) or a directory
  (``value`` is ``None``, ``children`` is a dict name -> Node); never both;
* ``key`` is the user-visible path (``/a/b``); the root's key is ``/``. etcd keeps user keys
  under an internal ``/1`` prefix and strips it on output; pyetcd never adds it, so there is
  nothing to strip (the root renders with no ``key``, as etcd's stripped ``/1`` does);
* ``expire_time`` is ``None`` for permanent nodes, else Unix nanoseconds. It may lie in the
  past (an Update with a TTL that wrapped around, etcd accepts that too); the next sweep then
  removes the node;
* a :class:`NodeView` is a frozen snapshot (etcd's ``NodeExtern``): events keep the view taken
  when they happened, so history replays show the TTL as it was then, as etcd does.

Hidden nodes are those whose own name starts with ``_``: listings skip them, direct reads
do not.
"""

from __future__ import annotations

from dataclasses import field

from pyetcd.values import value_class

NANOS_PER_SECOND = 1_000_000_000


@value_class
class NodeView:
    """A node as one response shows it (etcd ``NodeExtern``); ``key`` is ``""`` for the root."""

    key: str
    value: str | None = None  # None: omitted (dirs, and nodes of delete-type events)
    dir: bool = False
    expiration: int | None = None  # Unix ns, None when permanent
    ttl: int = 0
    nodes: tuple[NodeView, ...] | None = None  # None or empty: omitted
    modified_index: int = 0
    created_index: int = 0
    # The encoded JSON object, filled in by the codec the first time it is needed.
    json_cache: list[bytes] = field(default_factory=list, compare=False, repr=False)


def ttl_seconds(expire_time: int, now: int) -> int:
    """Seconds left, as etcd shows them: rounded up when positive, towards zero when not."""
    left = expire_time - now
    if left < 0:  # Go's integer division truncates towards zero
        return -(-left // NANOS_PER_SECOND)
    return -(-left // NANOS_PER_SECOND)  # ceiling


class Node:
    """One stored node. Only :mod:`pyetcd.store` mutates nodes."""

    __slots__ = ("key", "name", "parent", "created_index", "modified_index", "expire_time",
                 "value", "children", "_view")

    def __init__(self, key: str, parent: Node | None, created_index: int,
                 value: str | None, expire_time: int | None) -> None:
        self.key = key
        self.name = key.rsplit("/", 1)[-1]
        self.parent = parent
        self.created_index = created_index
        self.modified_index = created_index
        self.expire_time = expire_time
        self.value = value
        self.children: dict[str, Node] | None = {} if value is None else None
        self._view: NodeView | None = None  # cached view of a permanent file

    @property
    def is_dir(self) -> bool:
        return self.children is not None

    @property
    def is_hidden(self) -> bool:
        return self.name.startswith("_")

    @property
    def is_permanent(self) -> bool:
        return self.expire_time is None

    def touched(self) -> None:
        """Forget the cached view; call after every change to this node."""
        self._view = None

    def view(self, now: int, recursive: bool = False, sorted_: bool = False,
             keep: bool = True) -> NodeView:
        """etcd ``Repr``: a dir lists its non-hidden children only when ``recursive``.

        The view of a permanent file (and the JSON rendered from it) is kept on the node
        for the next read when ``keep``; writes pass False: a view with its JSON costs
        about as much memory as the node itself, so only nodes that are read keep one.
        """
        if self.children is None:
            if self.expire_time is None:
                view = self._view
                if view is None:
                    view = NodeView(self.key, self.value, False, None, 0, None,
                                    self.modified_index, self.created_index)
                    if keep:
                        self._view = view
                return view
            return NodeView(self.key, self.value, False, self.expire_time,
                            ttl_seconds(self.expire_time, now),
                            None, self.modified_index, self.created_index)
        nodes = self.list_children(now, recursive, sorted_) if recursive else None
        return self._dir_view(now, nodes)

    def listing(self, now: int, recursive: bool, sorted_: bool) -> NodeView:
        """etcd ``loadInternalNode``: what a GET of this node shows (dirs list one level)."""
        if self.children is None:
            return self.view(now)
        return self._dir_view(now, self.list_children(now, recursive, sorted_))

    def list_children(self, now: int, recursive: bool, sorted_: bool) -> tuple[NodeView, ...]:
        assert self.children is not None
        children = [c.view(now, recursive, sorted_)
                    for c in self.children.values() if not c.name.startswith("_")]
        if sorted_:
            children.sort(key=_view_sort_key)
        return tuple(children)

    def _dir_view(self, now: int, nodes: tuple[NodeView, ...] | None) -> NodeView:
        expiration, ttl = None, 0
        if self.expire_time is not None:
            expiration, ttl = self.expire_time, ttl_seconds(self.expire_time, now)
        key = "" if self.parent is None else self.key
        return NodeView(key, None, True, expiration, ttl, nodes or None,
                        self.modified_index, self.created_index)

    def bare_view(self, now: int) -> NodeView:
        """The view a write's event shows (``node``, ``prevNode``): never lists children,
        and is not kept on the node."""
        return self.view(now, recursive=False, keep=False)

    def walk(self) -> list[Node]:
        """This node and every descendant, children before their parent (removal order)."""
        out: list[Node] = []
        stack: list[tuple[Node, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded or node.children is None or not node.children:
                out.append(node)
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in node.children.values())
        return out


def _view_sort_key(view: NodeView) -> bytes:
    # etcd sorts by key as Go strings compare: byte order of the UTF-8 (raw) bytes.
    return view.key.encode("utf-8", "surrogateescape")
