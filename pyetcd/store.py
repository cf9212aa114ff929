"""Store: the etcd v2 key tree, the global index, the event history and the watchers.

Pure and deterministic: no I/O and no clock. Every operation takes ``now`` (Unix
nanoseconds) for the TTLs it shows, and expiry happens only when :meth:`Store.expire` is
called with a cutoff. Given the same calls with the same arguments, two stores end in the
same state with the same events; that is what lets a write-ahead log of requests (see
:mod:`pyetcd.apply`) rebuild a store exactly.

Invariants (etcd ``store.go``):

* ``index`` only grows; every successful write consumes exactly one index (a recursive
  delete too; each expired node one); reads and failed writes consume none;
* every successful write produces exactly one :class:`~pyetcd.event.Event`, which is
  appended to the history; all but refreshes are offered to the watchers;
* intermediate directories made by a write get that write's index;
* a directory's indices do not change when its children change.

Errors are :class:`~pyetcd.errors.EtcdError` with ``index`` = the current index and
``cause`` = the key at fault, as etcd reports them (the user-visible key).
"""

from __future__ import annotations

from typing import Any

from pyetcd import errors
from pyetcd.errors import EtcdError
from pyetcd.event import Action, Event
from pyetcd.history import EventHistory
from pyetcd.node import Node, NodeView
from pyetcd.stats import StoreStats
from pyetcd.ttl import ExpiryHeap
from pyetcd.watchers import Watcher, WatcherHub

# etcd treats expire times before 2000-01-01T00:00:00Z as "permanent" when it creates a
# node (times that wrapped around, or a zero time that went through JSON).
MIN_EXPIRE_TIME = 946_684_800 * 1_000_000_000
ROOT = "/"


def join(parent: str, name: str) -> str:
    return parent + name if parent == ROOT else parent + "/" + name


RECENT_DIRS = 16  # directories remembered by Store._make_dirs


class Store:
    def __init__(self) -> None:
        self.root = Node(ROOT, None, 0, None, None)
        self.index = 0
        self.history = EventHistory()
        self.hub = WatcherHub()
        self.ttl_heap = ExpiryHeap()
        self.stats = StoreStats()
        # etcd's internal /2 namespace (v2 auth): key -> value, None for a directory.
        # Never visible through /v2/keys; written only by write_internal().
        self.internal: dict[str, str | None] = {}
        # The directories the last writes went into (clients write runs of keys into a few
        # directories): _make_dirs returns them without walking their path. Removing any
        # directory clears it, so each is a live directory whose ancestors are all live
        # directories (a directory never turns into a file).
        self._recent_dirs: dict[str, Node] = {}

    # ---- reads -------------------------------------------------------------------------

    def get(self, key: str, recursive: bool, sorted_: bool, now: int) -> Event:
        try:
            node = self._lookup(key)
        except EtcdError:
            self.stats.gets_fail += 1
            raise
        self.stats.gets_success += 1
        view = node.listing(now, recursive, sorted_)
        return Event(Action.GET, view, None, self.index)

    def watch(self, key: str, recursive: bool, stream: bool, since: int) -> Watcher:
        """A watcher for events at or after ``since`` (0: the next index).

        When the history already holds a matching event the watcher comes back with it
        queued and is *not* registered: a stream watch satisfied from history therefore
        never gets another event (etcd's behaviour).
        """
        if since == 0:
            since = self.index + 1
        try:
            event = self.history.scan(key, recursive, since)
        except EtcdError as err:
            err.index = self.index
            raise
        if event is not None:
            watcher = Watcher(None, key, recursive, stream, since, self.index)
            watcher.events.append(event)
            return watcher
        watcher = Watcher(self.hub, key, recursive, stream, since, self.index)
        self.hub.add(watcher)
        return watcher

    # ---- writes ------------------------------------------------------------------------

    def set(self, key: str, dir_: bool, value: str, expire_time: int | None, refresh: bool,
            now: int) -> Event:
        """PUT without preconditions: replace a file (or create), never a directory."""
        if refresh:
            try:
                value = self._lookup(key).value or ""
            except EtcdError:
                self.stats.sets_fail += 1
                raise
        try:
            event = self._create(key, dir_, value, False, True, expire_time, Action.SET, now)
        except EtcdError:
            self.stats.sets_fail += 1
            raise
        self.stats.sets_success += 1
        if refresh:
            event = Event(event.action, event.node, event.prev_node, event.etcd_index, True)
        self._publish(event)
        return event

    def create(self, key: str, dir_: bool, value: str, unique: bool, expire_time: int | None,
               now: int) -> Event:
        """PUT prevExist=false, or POST (``unique``: an in-order child of ``key``)."""
        try:
            event = self._create(key, dir_, value, unique, False, expire_time, Action.CREATE, now)
        except EtcdError:
            self.stats.create_fail += 1
            raise
        self.stats.create_success += 1
        self._publish(event)
        return event

    def update(self, key: str, value: str, expire_time: int | None, refresh: bool,
               now: int) -> Event:
        """PUT prevExist=true: change a file's value (or any node's TTL) in place."""
        try:
            self._check_writable(key)
            node = self._lookup(key)
            if node.is_dir and value:
                raise EtcdError(errors.NOT_FILE, key, self.index)
        except EtcdError:
            self.stats.update_fail += 1
            raise
        if refresh:
            value = node.value or ""
        new_index = self.index + 1
        prev_view = node.bare_view(now)
        if not node.is_dir:
            # etcd's node.Write refuses directories, so a directory keeps its old
            # modifiedIndex although the event shows the new one (spec §2.8).
            node.value = value
            node.modified_index = new_index
        self._set_ttl(node, expire_time)
        node.touched()
        view = node.bare_view(now)
        view = NodeView(key, view.value, view.dir, view.expiration, view.ttl, None,
                        new_index, node.created_index)
        self.index = new_index
        self.stats.update_success += 1
        event = Event(Action.UPDATE, view, prev_view, new_index, refresh)
        self._publish(event)
        return event

    def compare_and_swap(self, key: str, prev_value: str, prev_index: int, value: str,
                         expire_time: int | None, refresh: bool, now: int) -> Event:
        try:
            self._check_writable(key)
            node = self._lookup(key)
            if node.is_dir:
                raise EtcdError(errors.NOT_FILE, key, self.index)
            self._compare(node, prev_value, prev_index)
        except EtcdError:
            self.stats.cas_fail += 1
            raise
        if refresh:
            value = node.value or ""
        self.index += 1
        prev_view = node.bare_view(now)
        node.value = value
        node.modified_index = self.index
        self._set_ttl(node, expire_time)
        node.touched()
        self.stats.cas_success += 1
        event = Event(Action.COMPARE_AND_SWAP, node.bare_view(now), prev_view, self.index, refresh)
        self._publish(event)
        return event

    def delete(self, key: str, dir_: bool, recursive: bool, now: int) -> Event:
        try:
            self._check_writable(key)
            node = self._lookup(key)
            if node.is_dir:
                if not (dir_ or recursive):
                    raise EtcdError(errors.NOT_FILE, key, self.index)
                if node.children and not recursive:
                    raise EtcdError(errors.DIR_NOT_EMPTY, key, self.index)
        except EtcdError:
            self.stats.delete_fail += 1
            raise
        self.stats.delete_success += 1
        return self._remove(node, Action.DELETE, now)

    def compare_and_delete(self, key: str, prev_value: str, prev_index: int, now: int) -> Event:
        # No root check (etcd's quirk): the root is a directory, so this fails with 102.
        try:
            node = self._lookup(key)
            if node.is_dir:
                raise EtcdError(errors.NOT_FILE, "" if key == ROOT else key, self.index)
            self._compare(node, prev_value, prev_index)
        except EtcdError:
            self.stats.cad_fail += 1
            raise
        self.stats.cad_success += 1
        return self._remove(node, Action.COMPARE_AND_DELETE, now)

    def expire(self, cutoff: int) -> list[Event]:
        """Remove, in expire-time order, every node that expires at or before ``cutoff``."""
        events: list[Event] = []
        while True:
            node = self.ttl_heap.top()
            if node is None or node.expire_time is None or node.expire_time > cutoff:
                return events
            self.stats.expire_count += 1
            events.append(self._remove(node, Action.EXPIRE, cutoff))

    def record_internal(self, key: str) -> Event:
        """One of etcd's own writes under ``/0`` (membership, cluster version).

        It consumes an index and a history slot, as in etcd, but touches no user key and
        no user watch can see it. A fresh etcd member makes three such writes.
        """
        self.index += 1
        view = NodeView(key, "", False, None, 0, None, self.index, self.index)
        event = Event(Action.SET, view, None, self.index, internal=True)
        self.history.add(event)
        return event

    def write_internal(self, key: str, value: str | None, delete: bool,
                       prev_exist: bool | None) -> Event:
        """A write under etcd's internal ``/2`` namespace (v2 users, roles, ``enabled``).

        Same rules as a user write with ``prevExist``: ``False`` creates (105 if present),
        ``True`` updates or deletes (100 if absent). ``value`` None makes a directory. It
        consumes an index and a history slot like etcd's own write, and no user watch or
        listing can see it.
        """
        exists = key in self.internal
        if delete or prev_exist is True:
            if not exists:
                self._count_internal(delete, prev_exist, ok=False)
                raise EtcdError(errors.KEY_NOT_FOUND, key, self.index)
        elif prev_exist is False and exists:
            self._count_internal(delete, prev_exist, ok=False)
            raise EtcdError(errors.NODE_EXIST, key, self.index)
        self._count_internal(delete, prev_exist, ok=True)
        self.index += 1
        if delete:
            del self.internal[key]
            action = Action.DELETE
        else:
            self.internal[key] = value
            action = Action.UPDATE if prev_exist else Action.CREATE if prev_exist is False \
                else Action.SET
        view = NodeView(key, value, value is None, None, 0, None, self.index, self.index)
        event = Event(action, view, None, self.index, internal=True)
        self.history.add(event)
        return event

    def _count_internal(self, delete: bool, prev_exist: bool | None, ok: bool) -> None:
        stats = self.stats
        name = "delete" if delete else "update" if prev_exist else "create" \
            if prev_exist is False else "sets"
        field = f"{name}_{'success' if ok else 'fail'}"
        setattr(stats, field, getattr(stats, field) + 1)

    # ---- helpers -----------------------------------------------------------------------

    def _lookup(self, key: str) -> Node:
        """The node at ``key``: 100 names the first missing component, 104 a file on the way."""
        node = self.root
        if key == ROOT:
            return node
        for name in key[1:].split("/"):
            children = node.children
            if children is None:
                raise EtcdError(errors.NOT_DIR, node.key, self.index)
            child = children.get(name)
            if child is None:
                raise EtcdError(errors.KEY_NOT_FOUND, join(node.key, name), self.index)
            node = child
        return node

    def _check_writable(self, key: str) -> None:
        if key == ROOT:
            raise EtcdError(errors.ROOT_READ_ONLY, ROOT, self.index)

    def _create(self, key: str, dir_: bool, value: str, unique: bool, replace: bool,
                expire_time: int | None, action: Action, now: int) -> Event:
        new_index = self.index + 1
        if unique:
            key = join(key, f"{new_index:020d}")
        self._check_writable(key)
        if expire_time is not None and expire_time < MIN_EXPIRE_TIME:
            expire_time = None
        parent_key, _, name = key.rpartition("/")
        parent = self._make_dirs(parent_key or ROOT, new_index)
        assert parent.children is not None
        existing = parent.children.get(name)
        prev_view = None
        if existing is not None:
            if not replace:
                raise EtcdError(errors.NODE_EXIST, key, self.index)
            if existing.is_dir:
                raise EtcdError(errors.NOT_FILE, key, self.index)
            prev_view = existing.bare_view(now)
            self._detach(existing)
        node = Node(key, parent, new_index, None if dir_ else value, expire_time)
        parent.children[node.name] = node  # the node's own name string: one copy per key
        if expire_time is not None:
            self.ttl_heap.push(node)
        self.index = new_index
        return Event(action, node.bare_view(now), prev_view, new_index)

    def _make_dirs(self, key: str, index: int) -> Node:
        """The directory at ``key``, creating missing ones with ``index``; 104 on a file."""
        recent = self._recent_dirs.get(key)
        if recent is not None:
            return recent
        node = self.root
        if key == ROOT:
            return node
        for name in key[1:].split("/"):
            assert node.children is not None
            child = node.children.get(name)
            if child is None:
                child = Node(join(node.key, name), node, index, None, None)
                node.children[child.name] = child
            elif not child.is_dir:
                raise EtcdError(errors.NOT_DIR, child.key, self.index)
            node = child
        if len(self._recent_dirs) >= RECENT_DIRS:
            self._recent_dirs.clear()
        self._recent_dirs[key] = node
        return node

    def _compare(self, node: Node, prev_value: str, prev_index: int) -> None:
        value_ok = not prev_value or node.value == prev_value
        index_ok = prev_index == 0 or node.modified_index == prev_index
        if value_ok and index_ok:
            return
        if not value_ok and not index_ok:
            cause = f"[{prev_value} != {node.value}] [{prev_index} != {node.modified_index}]"
        elif not value_ok:
            cause = f"[{prev_value} != {node.value}]"
        else:
            cause = f"[{prev_index} != {node.modified_index}]"
        raise EtcdError(errors.TEST_FAILED, cause, self.index)

    def _set_ttl(self, node: Node, expire_time: int | None) -> None:
        """etcd ``UpdateTTL``: no 2000-01-01 floor here, unlike creation."""
        node.expire_time = expire_time
        if expire_time is None:
            self.ttl_heap.remove(node)
        else:
            self.ttl_heap.push(node)

    def _remove(self, node: Node, action: Action, now: int) -> Event:
        """Remove ``node`` and its subtree as one event; wake watchers on removed paths."""
        self.index += 1
        prev_view = node.bare_view(now)
        view = NodeView(node.key, None, node.is_dir, None, 0, None, self.index, node.created_index)
        event = Event(action, view, prev_view, self.index)
        removed = node.walk()
        self._detach(node)
        for gone in removed:
            if gone.expire_time is not None:
                self.ttl_heap.remove(gone)
            gone.parent = None  # no parent<->child cycles left: reference counting frees it
            self.hub.notify_removed(event, gone.key)
        self._publish(event)
        return event

    def _detach(self, node: Node) -> None:
        if node.children is not None and self._recent_dirs:  # a directory goes away
            self._recent_dirs.clear()
        parent = node.parent
        node.parent = None
        if parent is not None and parent.children is not None:
            parent.children.pop(node.name, None)
        if node.expire_time is not None:
            self.ttl_heap.remove(node)

    def _publish(self, event: Event) -> None:
        self.history.add(event)
        if not event.refresh:
            self.hub.notify(event)

    # ---- snapshot ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-safe data (tree, index, history, stats); no watchers."""
        from pyetcd import snapshot

        return snapshot.dump(self)

    @classmethod
    def restore(cls, data: dict[str, Any]) -> Store:
        from pyetcd import snapshot

        return snapshot.load(data)
