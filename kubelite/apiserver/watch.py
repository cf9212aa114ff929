"""The watch stream: chunked JSON lines ``{"type": ..., "object": ...}``.

Semantics (kube's): ``resourceVersion`` unset or ``"0"`` starts with a synthetic ADDED for
every matching object; otherwise the events strictly after it are sent. A version etcd no
longer remembers ends the stream with one ERROR event carrying a 410 ``Expired`` Status.
``sendInitialEvents=true`` adds a BOOKMARK annotated ``k8s.io/initial-events-end`` after
the initial ADDED events. With ``allowWatchBookmarks=true`` a BOOKMARK carrying the last
sent resourceVersion follows every quiet ``bookmark_interval`` (60 s). Events wait for a slow
client in a bounded queue; when it is full the watch ends (the client re-watches from its
last resourceVersion), so a stuck client never holds memory or etcd. The stream ends after ``timeoutSeconds`` or, without it, after a
random time between ``--min-request-timeout`` and twice that (as kube-apiserver), and when
the client goes away (the handler is cancelled).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from kubelite.api import errors, printers
from kubelite.api.resources import Resource
from kubelite.apiserver import decode, respond
from kubelite.apiserver.negotiation import TABLE_TYPE, Rendering, choose
from kubelite.apiserver.state import ApiServer
from kubelite.registry.generic import Store
from kubelite.storage.watch import EventType, WatchEvent

Obj = dict[str, Any]
log = logging.getLogger(__name__)


def _since(request: web.Request) -> int | None:
    rv = request.query.get("resourceVersion", "")
    if rv in ("", "0"):
        return None
    try:
        value = int(rv)
    except ValueError as exc:
        raise errors.bad_request(f'invalid resource version "{rv}"') from exc
    return value


def _timeout(request: web.Request, server: ApiServer) -> float:
    seconds = decode.query_int(request, "timeoutSeconds")
    if seconds is not None and seconds > 0:
        return float(seconds)
    base = server.min_request_timeout
    return float(base + server.rng.random() * base)


def encode_event(event: WatchEvent, rendering: Rendering, res: Resource, server: ApiServer,
                 include: str) -> bytes:
    obj = event.object
    if rendering is Rendering.TABLE and event.type not in (EventType.ERROR, EventType.BOOKMARK):
        obj = printers.table(res.plural, [obj], server.clock(),
                             (obj.get("metadata") or {}).get("resourceVersion", ""), include)
    elif rendering is Rendering.PARTIAL and event.type is not EventType.ERROR:
        obj = respond.partial(obj)
    return respond.dumps({"type": event.type.value, "object": obj}) + b"\n"


def bookmark(res: Resource, rv: int, initial_end: bool) -> WatchEvent:
    m: Obj = {"resourceVersion": str(rv)}
    if initial_end:
        m["annotations"] = {"k8s.io/initial-events-end": "true"}
    return WatchEvent(EventType.BOOKMARK, {"kind": res.kind, "apiVersion": res.api_version,
                                           "metadata": m})


class _End:
    pass


END = _End()
QUEUE_EVENTS = 1000  # events buffered for one client; beyond it the client is too slow


def new_queue(limit: int = QUEUE_EVENTS) -> asyncio.Queue[WatchEvent | _End]:
    # two slots more than ``limit``: room for a final ERROR and END whatever happens
    return asyncio.Queue(limit + 2)


async def _pump(source: AsyncIterator[WatchEvent], queue: asyncio.Queue[WatchEvent | _End],
                log_name: str) -> None:
    """Move events from storage into ``queue``; a full queue ends the watch (rule 7).

    Nothing already queued is ever dropped: the client receives every event up to the
    overflow and then the end of the stream, and re-watches from the last one it got.
    """
    limit = queue.maxsize - 2
    try:
        async for event in source:
            if queue.qsize() >= limit:
                log.warning("watch dropped: client too slow resource=%s buffered=%d",
                            log_name, queue.qsize())
                break
            queue.put_nowait(event)
    except errors.StatusError as err:
        queue.put_nowait(WatchEvent(EventType.ERROR, err.to_status()))
    finally:
        queue.put_nowait(END)


async def serve(request: web.Request, server: ApiServer, res: Resource, store: Store,
                namespace: str | None) -> web.StreamResponse:
    rendering = choose(request.headers.get("Accept"), allow_table=True)
    if rendering in (Rendering.NONE, Rendering.YAML):
        rendering = Rendering.JSON
    flt = decode.list_filter(request)
    since = _since(request)
    initial = decode.query_bool(request, "sendInitialEvents")
    bookmarks = decode.query_bool(request, "allowWatchBookmarks")
    include = request.query.get("includeObject", "Metadata")
    timeout = _timeout(request, server)
    content_type = TABLE_TYPE if rendering is Rendering.TABLE else "application/json"
    resp = web.StreamResponse(status=200, headers={"Content-Type": content_type,
                                                   "Cache-Control": "no-cache, private"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)

    async def send(event: WatchEvent) -> None:
        await resp.write(encode_event(event, rendering, res, server, include))

    queue = new_queue()
    pump: asyncio.Task[None] | None = None
    try:
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            async with asyncio.timeout(timeout):
                try:
                    if since is None:
                        items, since = await store.list(namespace, flt)
                        for item in items:
                            await send(WatchEvent(EventType.ADDED, item))
                        if initial:
                            await send(bookmark(res, since, True))
                except errors.StatusError as err:
                    await send(WatchEvent(EventType.ERROR, err.to_status()))
                    since = None
                if since is not None:
                    pump = asyncio.create_task(_pump(store.watch(namespace, since, flt), queue,
                                                     res.plural))
                    await _relay(queue, send, res, since, bookmarks, server.bookmark_interval)
    finally:
        # also when the client went away and this handler is being cancelled
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
    with contextlib.suppress(ConnectionResetError):
        await resp.write_eof()
    return resp


async def _relay(queue: asyncio.Queue[WatchEvent | _End], send: Any, res: Resource,
                 last_rv: int, bookmarks: bool, interval: float) -> None:
    """Send queued events; with bookmarks, a BOOKMARK after ``interval`` of quiet."""
    while True:
        try:
            item = await asyncio.wait_for(queue.get(), interval if bookmarks else None)
        except TimeoutError:
            await send(bookmark(res, last_rv, False))
            continue
        if isinstance(item, _End):
            return
        rv = (item.object.get("metadata") or {}).get("resourceVersion")
        if item.type is not EventType.ERROR and rv:
            last_rv = int(rv)
        await send(item)
