"""A front process's side of ``--workers`` (see :mod:`pyetcd.workers`): :class:`CoreLink`,
the service that :mod:`pyetcd.h1` connections call in a front, which forwards every request
to the core process and delivers its answers.

:meth:`CoreLink.handle` always answers later: it queues a request frame and returns None;
the connection's ``respond`` gets the reply (rendered by the core; see
:func:`pyetcd.h1.wired_reply`) or a :class:`WatchReply` whose watcher is a
:class:`RemoteWatcher`. Frames queued in one turn of the event loop leave in one write.

A :class:`RemoteWatcher` has the interface h1 uses of a store watcher: a bounded queue of
events (here already JSON), ``closed``, ``wakeup`` and ``remove``. Events arrive as fast as
the store makes them; the connection takes them only while its socket accepts writes, so a
client that does not read fills the queue and is dropped exactly as the store drops a slow
watcher (:data:`pyetcd.watchers.QUEUE_CAPACITY` events behind); the core is then told.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import cast

from pyetcd import entries, frames
from pyetcd.api import Reply, WatchReply, parse_key_write
from pyetcd.auth import NO_CREDENTIALS, Credentials
from pyetcd.h1 import wired_reply
from pyetcd.service import Respond, Result
from pyetcd.watchers import QUEUE_CAPACITY, Watcher

log = logging.getLogger(__name__)


class RemoteWatcher:
    __slots__ = ("link", "rid", "events", "closed", "wakeup")

    def __init__(self, link: CoreLink, rid: int) -> None:
        self.link = link
        self.rid = rid
        self.events: deque[bytes] = deque()
        self.closed = False
        self.wakeup: Callable[[], None] | None = None

    def deliver(self, body: bytes) -> None:
        if self.closed:
            return
        if len(self.events) >= QUEUE_CAPACITY:
            log.warning('msg="watcher dropped: queue full" request=%d', self.rid)
            self.remove(dropped=True)
            return
        self.events.append(body)
        if self.wakeup is not None:
            self.wakeup()

    def end(self) -> None:
        """The core ended the watch (after its last event)."""
        if not self.closed:
            self.closed = True
            if self.wakeup is not None:
                self.wakeup()

    def remove(self, dropped: bool = False) -> None:
        """The client went away (or is too slow: ``dropped``): unregister in the core;
        idempotent."""
        if self.closed:
            return
        self.closed = True
        self.link.cancel(self.rid, dropped)
        if self.wakeup is not None:
            self.wakeup()


class CoreLink(asyncio.Protocol):
    """The front's end of its socket pair to the core; also the service h1 calls."""

    def __init__(self, on_lost: Callable[[], None] | None = None) -> None:
        self.on_lost = on_lost
        self.reader = frames.FrameReader()
        self.transport: asyncio.Transport | None = None
        self.outbox = frames.Outbox(asyncio.get_running_loop().call_soon, self._write)
        self.next_id = 0
        self.pending: dict[int, Respond] = {}
        self.watches: dict[int, RemoteWatcher] = {}
        self.closed = False

    # ---- the service interface (pyetcd.h1.Service) ---------------------------------------

    def handle(self, method: str, target: str, body: bytes, content_type: str | None,
               now: int, respond: Respond,
               creds: Credentials = NO_CREDENTIALS) -> Result | None:
        rid = self.next_id = self.next_id + 1
        self.pending[rid] = respond
        sent_creds = None if creds is NO_CREDENTIALS else (creds.authorization, creds.cert_names)
        write = parse_key_write(method, target, body, content_type, now)
        if write is None:
            self.outbox.put((frames.REQUEST, rid, method, target, body, content_type, now,
                        sent_creds))
        else:  # parsed (and its WAL entry encoded) here, not in the core
            req, path = write
            self.outbox.put((frames.WRITE, rid, method, path, req.to_tuple(),
                        entries.encode_request(req), sent_creds))
        return None

    def cancel(self, rid: int, dropped: bool = False) -> None:
        if self.watches.pop(rid, None) is not None:
            self.outbox.put((frames.CANCEL, rid, dropped))

    def ready(self) -> None:
        self.outbox.put((frames.READY, 0))

    def stopping(self) -> None:
        self.outbox.put((frames.STOPPING, 0))

    # ---- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        pending = self.pending
        for message in self.reader.feed(data):
            kind, rid = message[0], message[1]
            try:
                if kind == frames.PLAIN:
                    pending.pop(rid)(Reply(message[2], message[3], message[4], message[5]))
                elif kind == frames.REPLY:
                    pending.pop(rid)(wired_reply(message[2], message[3], message[4]))
                elif kind == frames.EVENT:
                    watcher = self.watches.get(rid)
                    if watcher is not None:
                        watcher.deliver(message[2])
                elif kind == frames.WATCH:
                    self._watch(rid, message[2], message[3])
                elif kind == frames.END:
                    ended = self.watches.pop(rid, None)
                    if ended is not None:
                        ended.end()
            except Exception:  # one connection's failure must not end the others
                log.exception('msg="answer delivery failed" request=%d', rid)

    def _watch(self, rid: int, headers: dict[str, str], stream: bool) -> None:
        watcher = RemoteWatcher(self, rid)
        self.watches[rid] = watcher
        # h1 takes any object with the watcher interface h1 uses (see RemoteWatcher).
        self.pending.pop(rid)(WatchReply(headers, cast(Watcher, watcher), stream))
        if watcher.wakeup is None:  # the client left before the watch began: undo it
            watcher.remove()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.transport = None
        if self.on_lost is not None:
            self.on_lost()

    def _write(self, frame: bytes) -> None:
        if self.transport is not None:
            self.transport.write(frame)
