"""apply(store, request): the one entry point through which every request reaches the store.

This is etcd's ``applyV2Request`` plus the GET branch of ``Do``: a table from the shape of
a :class:`~pyetcd.request.KeyRequest` to one store operation (spec §5). Everything that
changes the store passes through here, with the request's own timestamp, so a log of the
requests for which ``request.is_write`` holds, replayed in order into an empty store,
rebuilds the same store (same keys, indices, TTL deadlines and history).

| request                                          | store operation                |
|--------------------------------------------------|--------------------------------|
| SYNC                                             | expire(time)                   |
| GET quorum=true                                  | get (even with wait=true)      |
| GET wait=true                                    | watch                          |
| GET, HEAD                                        | get                            |
| POST                                             | create(unique)                 |
| PUT prevExist=true, no prevIndex/prevValue       | update                         |
| PUT prevExist=true, prevIndex or prevValue       | compareAndSwap                 |
| PUT prevExist=false                              | create                         |
| PUT prevIndex or prevValue                       | compareAndSwap                 |
| PUT                                              | set                            |
| DELETE prevIndex or prevValue                    | compareAndDelete               |
| DELETE                                           | delete                         |
| internal (``/2``: v2 auth data), PUT or DELETE   | write_internal                 |
"""

from __future__ import annotations

from pyetcd.event import Event
from pyetcd.request import KeyRequest, Method
from pyetcd.store import Store
from pyetcd.watchers import Watcher


def apply(store: Store, req: KeyRequest) -> Event | Watcher | list[Event]:
    """Run ``req`` against ``store``; raises :class:`~pyetcd.errors.EtcdError` on failure.

    Returns the event of a read or write, the watcher of a watch, or the expire events of
    a SYNC.
    """
    method, now = req.method, req.time
    if req.internal:
        value = None if req.dir else req.value
        return store.write_internal(req.key, value, method is Method.DELETE, req.prev_exist)
    if method is Method.GET or method is Method.HEAD:
        if req.wait and not req.quorum and method is Method.GET:
            return store.watch(req.key, req.recursive, req.stream, req.wait_index)
        return store.get(req.key, req.recursive, req.sorted, now)
    if method is Method.PUT:
        return _put(store, req)
    if method is Method.POST:
        return store.create(req.key, req.dir, req.value, True, req.expiration, now)
    if method is Method.DELETE:
        if req.prev_index or req.prev_value:
            return store.compare_and_delete(req.key, req.prev_value, req.prev_index, now)
        return store.delete(req.key, req.dir, req.recursive, now)
    if method is Method.SYNC:
        return store.expire(now)
    raise ValueError(f"unknown method {method}")


def _put(store: Store, req: KeyRequest) -> Event:
    now = req.time
    compare = bool(req.prev_index or req.prev_value)
    if req.prev_exist is True:
        if compare:
            return store.compare_and_swap(req.key, req.prev_value, req.prev_index, req.value,
                                          req.expiration, req.refresh, now)
        return store.update(req.key, req.value, req.expiration, req.refresh, now)
    if req.prev_exist is False:
        return store.create(req.key, req.dir, req.value, False, req.expiration, now)
    if compare:
        return store.compare_and_swap(req.key, req.prev_value, req.prev_index, req.value,
                                      req.expiration, req.refresh, now)
    return store.set(req.key, req.dir, req.value, req.expiration, req.refresh, now)
