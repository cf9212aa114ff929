"""The aiohttp shell: bytes in, :class:`~pyetcd.api.V2Api` in the middle, bytes out.

The server runs on :mod:`pyetcd.h1` (a raw protocol with httptools, about three times
faster); this aiohttp transport is kept as a second, independent implementation of the same
wire behaviour: the http test tier runs every test against both.

Thin on purpose. It uses aiohttp's low-level server (no router, no middleware: the API
does its own routing, as etcd's ServeMux does) and passes the raw request target, so path
cleaning and ``%2F`` handling follow Go rather than aiohttp. Responses go out without the
``Server`` header aiohttp would add (etcd sends none).

Watches: the response headers are flushed before waiting (clients rely on this to know the
watch is registered), then each event is written as one JSON line; a long-poll ends after
the first event, a stream goes on until the client leaves or its watcher is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiohttp import HttpVersion11, web
from aiohttp.web_request import BaseRequest

from pyetcd.api import Reply, WatchReply
from pyetcd.auth import NO_CREDENTIALS, Credentials
from pyetcd.codec import error_json, event_json
from pyetcd.errors import RAFT_INTERNAL, EtcdError
from pyetcd.listener import Connections
from pyetcd.request import MAX_FORM_BYTES
from pyetcd.service import EtcdService
from pyetcd.watchers import Watcher

log = logging.getLogger(__name__)


class _NoServerHeader:
    """Drop aiohttp's ``Server`` header (etcd, like Go's net/http, sends none)."""

    async def _prepare_headers(self) -> None:
        await super()._prepare_headers()  # type: ignore[misc]
        self._headers.popall("Server", None)  # type: ignore[attr-defined]


class EtcdResponse(_NoServerHeader, web.Response):
    pass


class EtcdStreamResponse(_NoServerHeader, web.StreamResponse):
    pass


# What net/http reads and discards of an unread body before it gives up on the connection.
DISCARD_LIMIT = 256 << 10


async def read_body(request: BaseRequest) -> tuple[bytes, bool]:
    """The body, cut after ``MAX_FORM_BYTES + 1`` bytes (enough to tell error 210).

    Also says whether the connection must close: as in Go, when more than
    :data:`DISCARD_LIMIT` bytes would be left unread.
    """
    length = request.content_length
    if length is not None and length <= MAX_FORM_BYTES:
        return await request.content.readexactly(length), False  # the usual small form
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_FORM_BYTES:
        chunk = await request.content.readany()
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    discarded = 0
    while discarded <= DISCARD_LIMIT:
        chunk = await request.content.readany()
        if not chunk:
            return b"".join(chunks), False
        discarded += len(chunk)
    return b"".join(chunks), True


class Handler:
    """The request handler for aiohttp's low-level ``web.Server``.

    Keeps the watchers it is serving, so that shutdown can end every watch response
    (including stream watches answered from history, which no hub knows about).
    """

    def __init__(self, service: EtcdService, clock: Callable[[], int] = time.time_ns,
                 connections: Connections | None = None, max_watchers: int = 0,
                 body_timeout: float = 300.0) -> None:
        self.service = service
        self.api = service.api
        self.clock = clock
        self.watchers: set[Watcher] = set()
        self.connections = connections  # the listeners' guards (header deadlines)
        self.max_watchers = max_watchers  # open watch responses; 0: no limit
        self.body_timeout = body_timeout  # seconds to receive a whole request body

    async def __call__(self, request: BaseRequest) -> web.StreamResponse:
        if self.connections is None:
            return await self._serve(request)
        self.connections.busy(request.transport, True)
        try:
            return await self._serve(request)
        finally:
            self.connections.busy(request.transport, False)

    async def _serve(self, request: BaseRequest) -> web.StreamResponse:
        if request.body_exists:
            if request.headers.get("Expect", "").lower() == "100-continue" and \
                    request.version == HttpVersion11:
                # Go answers this before the body is read; curl otherwise waits a second.
                await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                request.writer.output_size = 0
            try:
                async with asyncio.timeout(self.body_timeout):
                    body, close = await read_body(request)
            except TimeoutError:
                log.info('msg="closing connection: request body not read in time" peer=%s '
                         "timeout=%.1fs", request.remote, self.body_timeout)
                response = EtcdResponse(status=408, body=b'{"message":"request body read timeout"}',
                                        content_type="application/json")
                response.force_close()
                return response
        else:
            body, close = b"", False
        # A write returns once it is on disk (and applied); everything else at once.
        result = await self.service.handle_async(request.method, request.raw_path, body,
                                                 request.headers.get("Content-Type"),
                                                 self.clock(), credentials(request))
        if isinstance(result, Reply):
            response = EtcdResponse(status=result.status, headers=result.headers,
                                    body=result.body)
            if result.close or close:
                response.force_close()
            return response
        if self.max_watchers and len(self.watchers) >= self.max_watchers:
            return self._too_many_watchers(result)
        self.watchers.add(result.watcher)
        try:
            return await serve_watch(request, result)
        finally:
            self.watchers.discard(result.watcher)

    def _too_many_watchers(self, reply: WatchReply) -> web.StreamResponse:
        """etcd's form for a request the server could not serve (its ``writeKeyError`` for
        non-v2 errors): error 300 with the reason as cause, HTTP 500, index 0. Go clients
        then try another member; a single pyetcd asks the client to come back later."""
        reply.watcher.remove()
        log.warning('msg="refusing watch: too many watchers" open=%d limit=%d',
                    len(self.watchers), self.max_watchers)
        err = EtcdError(RAFT_INTERNAL, f"pyetcd: too many watchers (limit {self.max_watchers})", 0)
        reply_ = self.api.error_reply(err)
        return EtcdResponse(status=reply_.status, headers=reply_.headers, body=error_json(err))

    def close_watches(self) -> None:
        """End every watch response (server shutdown); clients re-watch elsewhere."""
        for watcher in list(self.watchers):
            watcher.remove()


def credentials(request: BaseRequest) -> Credentials:
    """The ``Authorization`` header and the TLS client certificate's common names."""
    authorization = request.headers.get("Authorization", "")
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if not authorization and ssl_object is None:
        return NO_CREDENTIALS
    names: tuple[str, ...] = ()
    if ssl_object is not None:
        cert = ssl_object.getpeercert()
        if cert:
            names = tuple(value for rdn in cert.get("subject", ()) for key, value in rdn
                          if key == "commonName")
    return Credentials(authorization, names)


async def serve_watch(request: BaseRequest, reply: WatchReply) -> web.StreamResponse:
    watcher = reply.watcher
    wake = asyncio.Event()
    watcher.wakeup = wake.set
    response = EtcdStreamResponse(status=200, headers=reply.headers)
    response.enable_chunked_encoding()
    try:
        await response.prepare(request)  # sends the headers now: the watch is live
        await _pump(response, watcher, reply.stream, wake)
        await response.write_eof()
    finally:
        watcher.wakeup = None
        watcher.remove()
    return response


async def _pump(response: web.StreamResponse, watcher: Watcher, stream: bool,
                wake: asyncio.Event) -> None:
    """Write queued events until done: one event (long-poll) or forever (stream)."""
    while True:
        while watcher.events:
            event = watcher.events.popleft()
            await response.write(event_json(event))
            if not stream:
                return
        if watcher.closed:
            return  # dropped (too slow, or shutdown): end the response, the client re-watches
        wake.clear()
        await wake.wait()
