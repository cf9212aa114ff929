"""The core process's side of ``--workers`` (see :mod:`pyetcd.workers`): the service's
answers to the requests that front processes send over their socket pairs.

One :class:`FrontLink` per front. It reads the front's frames (:mod:`pyetcd.frames`), calls
:meth:`EtcdService.handle <pyetcd.service.EtcdService.handle>` for each request, exactly
as a connection of :mod:`pyetcd.h1` does in a single process, and sends the answers back:
a reply rendered once (:func:`pyetcd.h1.reply_wire`, kept on the reply, so a cached GET
answer is rendered once for all fronts), or a watch as headers, events and an end.

Batching is where the second core pays off: every answer is queued and the queue is written
once per turn of the event loop, so the answers of one group commit (30-60 writes) leave in
one frame and one ``write``; every request that arrives in one read is handled in the same
turn, so they share one group commit.

Watches: the core's :class:`~pyetcd.watchers.Watcher` is emptied into frames as soon as it
has events, so its queue never fills here; the front keeps the same bounded queue in front
of the client's socket and drops a slow watcher as the store would (and then cancels it
here). The watcher cap (``--max-watchers``) is counted here, over all fronts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import cast

from pyetcd import frames
from pyetcd.api import Reply, WatchReply
from pyetcd.auth import NO_CREDENTIALS, Credentials
from pyetcd.codec import event_json
from pyetcd.h1 import refuse_watch, reply_wire
from pyetcd.request import KeyRequest
from pyetcd.service import EtcdService, Result
from pyetcd.watchers import Watcher

log = logging.getLogger(__name__)

INTERNAL_ERROR = Reply(500, {"Content-Type": "text/plain; charset=utf-8"},
                       b"Internal Server Error", close=True)


def _credentials(sent: tuple[str, list[str]] | None) -> Credentials:
    """The credentials a front sent with a request (see :mod:`pyetcd.frames`)."""
    return NO_CREDENTIALS if sent is None else Credentials(sent[0], tuple(sent[1]))


class Core:
    """What the links share: the service, the watcher count and cap, and the open links."""

    def __init__(self, service: EtcdService, max_watchers: int = 0,
                 on_lost: Callable[[FrontLink], None] | None = None,
                 on_stopping: Callable[[FrontLink], None] | None = None) -> None:
        self.service = service
        self.max_watchers = max_watchers  # 0: no limit
        self.watching = 0  # open watch responses, all fronts together
        self.links: set[FrontLink] = set()
        self.on_lost = on_lost  # a front's link closed
        self.on_stopping = on_stopping  # a front was told to stop
        self.gone = asyncio.Event()  # set when no link is left

    def close_watches(self) -> None:
        """Shutdown: end every watch (the fronts end their responses)."""
        for link in list(self.links):
            link.close_watches()


class FrontLink(asyncio.Protocol):
    __slots__ = ("core", "service", "name", "reader", "transport", "outbox", "watches",
                 "ready", "stopping", "closed")

    def __init__(self, core: Core, name: str) -> None:
        self.core = core
        self.service = core.service
        self.name = name
        self.reader = frames.FrameReader()
        self.transport: asyncio.Transport | None = None
        self.outbox = frames.Outbox(asyncio.get_running_loop().call_soon, self._write)
        self.watches: dict[int, Watcher] = {}
        self.ready = asyncio.Event()
        self.stopping = False  # the front is stopping in order (it got SIGTERM/SIGINT)
        self.closed = False

    # ---- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.core.links.add(self)
        self.core.gone.clear()

    def data_received(self, data: bytes) -> None:
        handle, handle_write = self.service.handle, self.service.handle_write
        for message in self.reader.feed(data):
            kind, rid = message[0], message[1]
            if kind == frames.REQUEST:
                _, _, method, target, body, ctype, now, creds = message
                try:
                    result = handle(method, target, body, ctype, now, partial(self._answer, rid),
                                    _credentials(creds))
                except Exception:
                    log.exception('msg="request handling failed"')
                    result = INTERNAL_ERROR
                if result is not None:
                    self._answer(rid, result)
            elif kind == frames.WRITE:
                _, _, method, path, fields, entry, creds = message
                try:
                    result = handle_write(method, path, KeyRequest.from_tuple(fields), entry,
                                          partial(self._answer_plain, rid),
                                          _credentials(creds))
                except Exception:
                    log.exception('msg="request handling failed"')
                    result = INTERNAL_ERROR
                if result is not None:
                    self._answer(rid, result)
            elif kind == frames.CANCEL:
                if self._cancel(rid) and message[2]:
                    self.service.api.store.hub.dropped += 1  # the front dropped a slow one
            elif kind == frames.READY:
                self.ready.set()
            elif kind == frames.STOPPING:
                self.stopping = True
                if self.core.on_stopping is not None:
                    self.core.on_stopping(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.close_watches()
        self.transport = None
        core = self.core
        core.links.discard(self)
        if not core.links:
            core.gone.set()
        if core.on_lost is not None:
            core.on_lost(self)

    # ---- answers -------------------------------------------------------------------------

    def _answer(self, rid: int, result: Result) -> None:
        """The service's answer to request ``rid`` (at once, or after its fsync)."""
        if self.closed:
            return  # the front went away
        if type(result) is Reply:
            head, tail = result.wire if result.wire is not None else reply_wire(result)
            self.outbox.put((frames.REPLY, rid, head, tail, result.close))
            return
        watch = cast(WatchReply, result)
        core = self.core
        if core.max_watchers and core.watching >= core.max_watchers:
            refused = refuse_watch(core.service.api, watch, core.watching, core.max_watchers)
            head, tail = reply_wire(refused)
            self.outbox.put((frames.REPLY, rid, head, tail, refused.close))
            return
        core.watching += 1
        watcher = watch.watcher
        self.watches[rid] = watcher
        self.outbox.put((frames.WATCH, rid, watch.headers, watch.stream))
        watcher.wakeup = partial(self._pump, rid, watcher)
        self._pump(rid, watcher)

    def _answer_plain(self, rid: int, result: Result) -> None:
        """The answer to a WRITE: not rendered here (the front does it), unless the API
        rendered it already (an event's answer: see ``V2Api._event_wire``)."""
        if type(result) is Reply and result.wire is None:
            if not self.closed:
                self.outbox.put((frames.PLAIN, rid, result.status, result.headers, result.body,
                            result.close))
            return
        self._answer(rid, result)

    def _pump(self, rid: int, watcher: Watcher) -> None:
        """Move the watcher's events into frames (called by the store as they happen)."""
        events = watcher.events
        while events:
            self.outbox.put((frames.EVENT, rid, event_json(events.popleft())))
        if watcher.closed and self.watches.pop(rid, None) is not None:
            watcher.wakeup = None
            self.core.watching -= 1
            self.outbox.put((frames.END, rid))

    def _cancel(self, rid: int) -> bool:
        """The front's client went away: forget the watch (True if it was still open)."""
        watcher = self.watches.pop(rid, None)
        if watcher is None:
            return False
        self.core.watching -= 1
        watcher.wakeup = None
        watcher.remove()
        return True

    def close_watches(self) -> None:
        for rid, watcher in list(self.watches.items()):
            if self.closed:
                self._cancel(rid)
            else:
                watcher.remove()  # its wakeup sends the END

    def _write(self, frame: bytes) -> None:
        if self.transport is not None:
            self.transport.write(frame)
