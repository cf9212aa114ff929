"""HTTP/1.1 connections on a raw ``asyncio.Protocol`` with httptools' C parser (the transport).

Bytes in, :meth:`EtcdService.handle <pyetcd.service.EtcdService.handle>` in the middle, bytes
out, with no per-request objects beyond the parser's callbacks: this is what makes pyetcd
fast enough to stand beside etcd (aiohttp's request, response, stream and header objects
cost about as much as the whole v2 API).

What a connection does, as Go's ``net/http`` server does it (etcd's wire format):

* **one request at a time, in order** (keep-alive and pipelining): a request parsed while an
  earlier one is still being answered (a durable write waiting for its fsync, or a watch)
  waits in the connection's backlog and is executed only after that answer went out, so a
  pipelined GET after a PUT sees the PUT, as on etcd;
* **replies** are written as Go writes them: the handler's headers (already in Go's sorted
  order), then ``Date``, then ``Content-Length`` or ``Transfer-Encoding: chunked``, then
  ``Connection: close`` when the connection ends with this reply; HEAD gets the length of the
  body it does not get; a request target with a bad escape gets Go's bare ``400 Bad
  Request``; unparsable HTTP gets the same and the connection is closed;
* **watches**: the headers go out at once (the client then knows the watch is registered),
  then each event as one chunk; a long-poll ends after its first event, a stream goes on
  until the client leaves or its watcher is dropped (its queue filled while the socket could
  not take more: events are taken from the watcher's bounded queue only while the transport
  accepts writes, so a slow reader is dropped as etcd drops it, never buffered without end);
* ``Expect: 100-continue`` is answered before the body is read;
* **limits** (see :mod:`pyetcd.listener`): the connection cap is counted here; the header
  deadline (from accept, and from the first byte of each request), the body deadline and the
  idle keep-alive timeout are enforced by one sweep of all connections every
  :data:`SWEEP_INTERVAL` seconds, rather than by a timer per request; the body is read up to
  the 10 MiB form limit plus one byte, and a connection whose body goes on for more than
  256 KiB past that is answered and closed, as Go does; headers beyond
  :data:`MAX_HEADER_BYTES` get Go's 431.

Durable writes: ``service.handle`` returns None and later calls the connection's
``_write_done`` (after the fsync, from the event loop, in log order). One connection has at
most one request in flight, so that answer always belongs to its current request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import Protocol, cast

import httptools

from pyetcd.api import Reply, V2Api, WatchReply
from pyetcd.auth import NO_CREDENTIALS, Credentials
from pyetcd.codec import error_json, event_json
from pyetcd.errors import RAFT_INTERNAL, EtcdError
from pyetcd.event import Event
from pyetcd.listener import HEADER_TIMEOUT, Connections, Limits, _peer
from pyetcd.request import MAX_FORM_BYTES
from pyetcd.service import Respond, Result
from pyetcd.watchers import Watcher

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 0.25  # seconds between checks of the header, body and idle deadlines
MAX_HEADER_BYTES = 1 << 20  # Go's http.DefaultMaxHeaderBytes (request line + headers)
DISCARD_LIMIT = 256 << 10  # what Go reads past an oversized body before it closes instead
BACKLOG_PAUSE = 32  # pipelined requests waiting before the connection stops reading
LINGER = 0.5  # seconds a closing connection drains the client's input (Go's rstAvoidanceDelay)

BAD_REQUEST = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
               b"Connection: close\r\n\r\n400 Bad Request")
HEADERS_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                     b"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
                     b"431 Request Header Fields Too Large")
BODY_TIMEOUT = (b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: 39\r\n\r\n"
                b'{"message":"request body read timeout"}')
NO_HOST = (b"HTTP/1.1 400 Bad Request: missing required Host header\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
           b"400 Bad Request: missing required Host header")
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
CHUNK_END = b"0\r\n\r\n"


def _status_lines(version: str) -> dict[int, str]:
    return {s.value: f"HTTP/{version} {s.value} {s.phrase}\r\n" for s in HTTPStatus}


STATUS_11 = _status_lines("1.1")
STATUS_10 = _status_lines("1.0")


class _Date:
    """The ``Date`` header line, rendered once per second."""

    second = 0
    line = ""
    line_bytes = b""

    @classmethod
    def get(cls) -> str:
        now = int(time.time())
        if now != cls.second:
            cls.second = now
            cls.line = "Date: " + formatdate(now, usegmt=True) + "\r\n"
            cls.line_bytes = cls.line.encode()
        return cls.line

    @classmethod
    def get_bytes(cls) -> bytes:
        if int(time.time()) != cls.second:
            cls.get()
        return cls.line_bytes


class Service(Protocol):
    """What a connection calls: :meth:`pyetcd.service.EtcdService.handle`, or in a front
    process (``--workers``) :meth:`pyetcd.front.RemoteService.handle`."""

    def handle(self, method: str, target: str, body: bytes, content_type: str | None,
               now: int, respond: Respond, creds: Credentials = ...) -> Result | None: ...


def reply_wire(reply: Reply) -> tuple[bytes, bytes]:
    """The usual rendering of ``reply`` (HTTP/1.1, keep-alive): the bytes before the Date
    line and the bytes after it; kept on the reply for reuse."""
    wire = reply.wire
    if wire is None:
        lines = (STATUS_11.get(reply.status)
                 or f"HTTP/1.1 {reply.status} status code {reply.status}\r\n")
        lines += "".join([f"{name}: {value}\r\n" for name, value in reply.headers.items()])
        wire = reply.wire = (lines.encode("latin-1"), b"Content-Length: %d\r\n\r\n%s"
                             % (len(reply.body), reply.body))
    return wire


def wired_reply(head: bytes, tail: bytes, close: bool) -> Reply:
    """A reply that arrived rendered (:func:`reply_wire`, from the core process): its status
    now, its headers and body only if a rendering other than the usual one needs them."""
    return Reply(int(head[9:12]), _WIRED, b"", close, (head, tail))


_WIRED: dict[str, str] = {}  # the headers of a wired reply: still in its wire


def _unwire(reply: Reply) -> Reply:
    assert reply.wire is not None
    head, tail = reply.wire
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:-1]:
        name, _, value = line.partition(": ")
        headers[name] = value
    return Reply(reply.status, headers, tail.split(b"\r\n\r\n", 1)[1], reply.close)


def render_reply(reply: Reply, http10: bool, head: bool, close: bool, keep_alive_10: bool) -> bytes:
    """A whole response as Go writes it (see the module docstring for the order)."""
    if not (http10 or head or close):  # the usual case: kept on the reply for reuse
        wire = reply.wire if reply.wire is not None else reply_wire(reply)
        return wire[0] + _Date.get_bytes() + wire[1]
    if reply.headers is _WIRED:
        reply = _unwire(reply)
    if reply.close and reply.status == 400 and reply.body == b"400 Bad Request":
        return BAD_REQUEST  # Go's own answer to a request it cannot route at all
    lines = (STATUS_10 if http10 else STATUS_11).get(reply.status) or \
        f"HTTP/1.1 {reply.status} status code {reply.status}\r\n"
    for name, value in reply.headers.items():
        lines += name + ": " + value + "\r\n"
    lines += _Date.get() + "Content-Length: " + str(len(reply.body)) + "\r\n"
    if close and not http10:
        lines += "Connection: close\r\n"
    elif keep_alive_10:
        lines += "Connection: keep-alive\r\n"
    head_bytes = (lines + "\r\n").encode("latin-1")
    return head_bytes if head else head_bytes + reply.body


def render_stream_head(headers: dict[str, str], http10: bool) -> bytes:
    """The head of a watch response: chunked on HTTP/1.1; on 1.0 the body ends with the
    connection."""
    lines = (STATUS_10 if http10 else STATUS_11)[200]
    for name, value in headers.items():
        lines += name + ": " + value + "\r\n"
    lines += _Date.get()
    if not http10:
        lines += "Transfer-Encoding: chunked\r\n"
    return (lines + "\r\n").encode("latin-1")


def origin_form(target: bytes) -> bytes:
    """The path and query of an absolute-form target (``http://host/v2/keys/a?x``), which
    Go routes like ``/v2/keys/a?x``; any other target as it is."""
    if b"://" not in target:
        return target
    rest = target.split(b"://", 1)[1]
    start = len(rest)
    for separator in (b"/", b"?"):
        i = rest.find(separator)
        if 0 <= i < start:
            start = i
    path = rest[start:]
    return path if path.startswith(b"/") else b"/" + path


def refuse_watch(api: V2Api, reply: WatchReply, open_watches: int, limit: int) -> Reply:
    """The watcher cap's answer, in etcd's form for a request the server could not serve
    (its ``writeKeyError`` for non-v2 errors): error 300 with the reason as cause, HTTP 500,
    index 0."""
    reply.watcher.remove()
    log.warning('msg="refusing watch: too many watchers" open=%d limit=%d', open_watches, limit)
    err = EtcdError(RAFT_INTERNAL, f"pyetcd: too many watchers (limit {limit})", 0)
    reply_ = api.error_reply(err)
    return Reply(reply_.status, reply_.headers, error_json(err))


class _Stop(Exception):
    """Raised in a parser callback to stop parsing this connection's input."""

    def __init__(self, answer: bytes | None) -> None:
        self.answer = answer


# A parsed request: method, target, body, Content-Type, credentials, HTTP/1.0, HEAD,
# keep-alive, must close after answering (body too large).
Request = tuple[str, str, bytes, str | None, Credentials, bool, bool, bool, bool]


class H1Server:
    """What every connection shares: the service, the limits, and the open connections.

    Call it to get a protocol for a new connection (it is the listeners' protocol factory).
    """

    def __init__(self, service: Service, clock: Callable[[], int] = time.time_ns,
                 connections: Connections | None = None, max_watchers: int = 0,
                 body_timeout: float = 300.0) -> None:
        self.service = service
        # For the watcher cap's error reply (a front process has no API: its core keeps the cap).
        self.api: V2Api | None = getattr(service, "api", None)
        self.clock = clock
        self.connections = connections if connections is not None else Connections(Limits())
        self.max_watchers = max_watchers  # open watch responses; 0: no limit
        self.body_timeout = body_timeout  # seconds to receive a whole request body
        self.open: set[H1Connection] = set()
        self.stopping = False  # shutdown: answer what is in flight, serve nothing new
        self.watching: set[H1Connection] = set()  # connections answering a watch
        self.now = 0.0  # the loop's time at the last sweep (a coarse clock for deadlines)
        self._sweeper: asyncio.TimerHandle | None = None

    def __call__(self) -> H1Connection:
        if self._sweeper is None:
            self._sweep()
        return H1Connection(self)

    def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        self.now = now = loop.time()
        limits = self.connections.limits
        for conn in list(self.open):
            conn.check_deadlines(now, limits)
        self._sweeper = loop.call_later(SWEEP_INTERVAL, self._sweep)

    def close_watches(self) -> None:
        """End every watch response (server shutdown); clients re-watch elsewhere."""
        for conn in list(self.watching):
            if conn.watcher is not None:
                conn.watcher.remove()

    def close_idle(self) -> None:
        """Shutdown: close every connection that is not answering a request; the others
        close after their answer."""
        self.stopping = True
        for conn in list(self.open):
            if not conn.busy:
                conn.close()

    def stop(self) -> None:
        """Close every connection (after the in-flight writes were answered)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        for conn in list(self.open):
            conn.close()


class H1Connection(asyncio.Protocol):
    __slots__ = (
        "server", "service", "parser", "transport", "tls_names", "closed", "input_done",
        "url", "content_type", "authorization", "expect", "header_bytes", "has_body", "has_host",
        "body", "body_size", "reading_since", "body_since", "idle_since",
        "busy", "current", "backlog", "read_paused", "write_paused",
        "watcher", "watch_stream", "pump_scheduled", "write_done", "linger",
    )

    def __init__(self, server: H1Server) -> None:
        self.server = server
        self.service = server.service
        self.parser = httptools.HttpRequestParser(self)
        # Go reads a body by Transfer-Encoding when Content-Length is there too; so does this.
        self.parser.set_dangerous_leniencies(lenient_chunked_length=True)
        self.transport: asyncio.Transport | None = None
        self.tls_names: tuple[str, ...] | None = None  # None: not TLS
        self.closed = False
        self.input_done = False  # parse error, oversized body, EOF: no more requests
        # The request being parsed.
        self.url = b""
        self.content_type: bytes | None = None
        self.authorization = b""
        self.expect = False
        self.header_bytes = 0
        self.has_body = False
        self.has_host = False
        self.body: list[bytes] = []
        self.body_size = 0
        # Deadlines (loop time when the wait began; None: not waiting for that).
        self.reading_since: float | None = None
        self.body_since: float | None = None
        self.idle_since: float | None = None
        # The request being answered, and those waiting behind it.
        self.busy = False
        self.current: Request | None = None
        self.backlog: deque[Request | bytes] = deque()
        self.read_paused = False
        self.write_paused = False
        self.watcher: Watcher | None = None  # or a front's RemoteWatcher (same interface)
        self.watch_stream = False
        self.pump_scheduled = False
        self.write_done = self._write_done  # bound once: passed with every write
        self.linger: asyncio.TimerHandle | None = None  # closing: FIN sent, input dropped

    # ---- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.server.open.add(self)
        self.reading_since = self.server.now  # the first request's headers are due from now
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            cert = ssl_object.getpeercert()
            self.tls_names = tuple(value for rdn in (cert or {}).get("subject", ())
                                   for key, value in rdn if key == "commonName")

    def data_received(self, data: bytes) -> None:
        if self.input_done:
            return
        self.idle_since = None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as err:
            cause = err.__context__
            # Hold no exception past this block: its traceback holds this frame (a cycle).
            answer = cause.answer if isinstance(cause, _Stop) else BAD_REQUEST
            if not isinstance(cause, _Stop):
                log.error('msg="request handling failed" error=%r', cause)
            del cause
            self._stop_reading(answer)
        except httptools.HttpParserError:
            self._stop_reading(BAD_REQUEST)
        except httptools.HttpParserUpgrade:
            # An Upgrade request (Go serves it as any other; nothing here upgrades): it has
            # been answered like any request, but the parser will not go on after it, so
            # the connection ends once that answer is out.
            self._stop_reading(None)

    def eof_received(self) -> bool | None:
        """The client finished sending: answer what it asked for, then close. A watch ends:
        a client that stops sending is gone (Go's CloseNotify)."""
        self.input_done = True
        if self.watcher is not None or not (self.busy or self.backlog):
            return None  # the transport closes
        self.backlog.append(b"")  # an empty final answer: close after the ones before
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.linger is not None:
            self.linger.cancel()
            self.linger = None
        server = self.server
        server.open.discard(self)
        server.connections.add(-1)
        self.backlog.clear()
        if self.watcher is not None:
            self._end_watch_registration()
        # Break the cycles through the parser's callbacks and the bound write_done, so
        # that reference counting frees this connection (see pyetcd.gcpolicy).
        self.parser = None  # type: ignore[assignment]
        self.write_done = None  # type: ignore[assignment]
        self.transport = None

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.watcher is not None:
            self._pump()

    # ---- parser callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.content_type = None
        self.authorization = b""
        self.expect = False
        self.has_body = False
        self.has_host = False
        self.header_bytes = 0
        self.body = []
        self.body_size = 0
        if self.reading_since is None:
            self.reading_since = self.server.now

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.header_bytes += len(url)
        if self.header_bytes > MAX_HEADER_BYTES:
            raise _Stop(HEADERS_TOO_LARGE)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value) + 4
        if self.header_bytes > MAX_HEADER_BYTES:
            raise _Stop(HEADERS_TOO_LARGE)
        name = name.lower()
        if name == b"host":
            if self.has_host:
                raise _Stop(BAD_REQUEST)  # Go refuses a second Host header
            self.has_host = True
        elif name == b"content-type":
            if self.content_type is None:  # Go's Header.Get: the first one
                self.content_type = value
        elif name == b"content-length":
            self.has_body = value.strip() not in (b"0", b"")
        elif name == b"transfer-encoding":
            self.has_body = True
        elif name == b"authorization":
            if not self.authorization:
                self.authorization = value
        elif name == b"expect":
            self.expect = value.lower() == b"100-continue"

    def on_headers_complete(self) -> None:
        self.reading_since = None
        if not self.has_host and self.parser.get_http_version() == "1.1":
            raise _Stop(NO_HOST)  # Go: HTTP/1.1 requires Host
        if self.has_body:
            self.body_since = self.server.now
            if self.expect and self.parser.get_http_version() == "1.1":
                # Go answers this before the body is read; curl otherwise waits a second.
                if not self.busy and not self.backlog and self.transport is not None:
                    self.transport.write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self.body_size <= MAX_FORM_BYTES:
            self.body.append(body)
        self.body_size += len(body)
        if self.body_size > MAX_FORM_BYTES + 1 + DISCARD_LIMIT:
            # Go gives up reading: answer (error 210) and close instead of reading on.
            self._request_complete(must_close=True)
            raise _Stop(None)

    def on_message_complete(self) -> None:
        self._request_complete(must_close=False)

    # ---- serving ---------------------------------------------------------------------------

    def _request_complete(self, must_close: bool) -> None:
        self.body_since = None
        parser = self.parser
        body = b"".join(self.body) if self.body else b""
        if len(body) > MAX_FORM_BYTES + 1:
            body = body[:MAX_FORM_BYTES + 1]
        method = parser.get_method().decode()
        creds = NO_CREDENTIALS
        if self.authorization or self.tls_names is not None:
            creds = Credentials(self.authorization.decode("utf-8", "surrogateescape"),
                                self.tls_names or ())
        ctype = self.content_type
        http10 = parser.get_http_version() == "1.0"
        url = self.url if self.url[:1] == b"/" else origin_form(self.url)
        request: Request = (
            method, url.decode("utf-8", "surrogateescape"), body,
            None if ctype is None else ctype.decode("utf-8", "surrogateescape"),
            creds, http10, method == "HEAD", parser.should_keep_alive() and not must_close,
            must_close)
        if self.server.stopping:
            self._close_after_reply()
            return
        if self.busy or self.backlog:
            self.backlog.append(request)
            if len(self.backlog) >= BACKLOG_PAUSE and not self.read_paused and self.transport:
                self.read_paused = True
                self.transport.pause_reading()
            return
        self._serve(request)

    def _serve(self, request: Request) -> None:
        """Execute one request; its answer goes out now, or later (a write, a watch)."""
        self.current = request
        self.busy = True
        try:
            result = self.service.handle(request[0], request[1], request[2], request[3],
                                         self.server.clock(), self.write_done, request[4])
        except Exception:
            log.exception('msg="request handling failed"')
            result = Reply(500, {"Content-Type": "text/plain; charset=utf-8"},
                           b"Internal Server Error", close=True)
        if result is None:
            return  # a durable write: _write_done answers it
        if type(result) is Reply:
            self._reply(result)
        else:
            self._start_watch(cast(WatchReply, result))

    def _write_done(self, result: Result) -> None:
        """The committer's answer to this connection's current write (after its fsync)."""
        if self.closed or not self.busy:
            return  # the client went away meanwhile
        if type(result) is Reply:
            self._reply(result)
        else:
            self._start_watch(cast(WatchReply, result))

    def _reply(self, reply: Reply) -> None:
        request = self.current
        assert request is not None and self.transport is not None
        http10, head, keep_alive = request[5], request[6], request[7]
        close = reply.close or not keep_alive
        self.transport.write(render_reply(reply, http10, head, close, http10 and keep_alive))
        self._done(close)

    def _done(self, close: bool) -> None:
        """The current request is answered: close, or go on with the next one."""
        self.busy = False
        self.current = None
        if close or self.server.stopping:
            self._close_after_reply()
            return
        if self.backlog:
            self._drain_backlog()
        if not self.busy:
            self.idle_since = self.server.now

    def _drain_backlog(self) -> None:
        while self.backlog and not self.busy and not self.closed:
            item = self.backlog.popleft()
            if isinstance(item, bytes):  # a final answer (bad input or EOF): then close
                if item and self.transport is not None:
                    self.transport.write(item)
                self._close_after_reply()
                return
            self._serve(item)
        if self.read_paused and not self.backlog and self.transport is not None:
            self.read_paused = False
            self.transport.resume_reading()

    def _stop_reading(self, answer: bytes | None) -> None:
        """No more requests from this connection: answer what came before, then close."""
        self.reading_since = self.body_since = None
        self.input_done = True
        if self.busy or self.backlog:
            self.backlog.append(answer or b"")
            return
        if answer and self.transport is not None:
            self.transport.write(answer)
        self._close_after_reply()

    def _close_after_reply(self) -> None:
        """Go's ``closeWriteAndWait``: send FIN after the answer, read and drop whatever the
        client still sends for up to :data:`LINGER` seconds, then close. Closing a socket
        with unread input sends RST, which can destroy the answer before the client reads it
        (an oversized body, or requests pipelined after ``Connection: close``)."""
        transport = self.transport
        self.input_done = True
        if transport is None or transport.is_closing():
            return
        if self.linger is not None or not transport.can_write_eof():
            transport.close()
            return
        try:
            transport.write_eof()
        except (OSError, RuntimeError):
            transport.close()
            return
        self.linger = asyncio.get_running_loop().call_later(LINGER, self.close)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    # ---- watches ---------------------------------------------------------------------------

    def _start_watch(self, reply: WatchReply) -> None:
        server = self.server
        if server.max_watchers and len(server.watching) >= server.max_watchers:
            self._reply(self._too_many_watchers(reply))
            return
        assert self.transport is not None and self.current is not None
        server.watching.add(self)
        self.watcher = reply.watcher
        self.watch_stream = reply.stream
        self.transport.write(render_stream_head(reply.headers, self.current[5]))
        reply.watcher.wakeup = self._wake
        self._pump()

    def _too_many_watchers(self, reply: WatchReply) -> Reply:
        server = self.server
        assert server.api is not None
        return refuse_watch(server.api, reply, len(server.watching), server.max_watchers)

    def _wake(self) -> None:
        # Called from inside the store's notify loop: write later, never re-enter the store.
        if not self.pump_scheduled:
            self.pump_scheduled = True
            asyncio.get_running_loop().call_soon(self._pump)

    def _pump(self) -> None:
        """Write the watcher's queued events while the socket takes them."""
        self.pump_scheduled = False
        watcher = self.watcher
        if watcher is None or self.closed or self.current is None:
            return
        transport = self.transport
        assert transport is not None
        chunked = not self.current[5]
        events = watcher.events
        while events and not self.write_paused:
            event = cast("Event | bytes", events.popleft())  # bytes: rendered by a core
            body = event if type(event) is bytes else event_json(cast(Event, event))
            if not self.watch_stream:  # a long-poll: this event ends the response
                transport.write(b"%x\r\n%s\r\n%s" % (len(body), body, CHUNK_END) if chunked
                                else body)
                self._end_watch()
                return
            transport.write(b"%x\r\n%s\r\n" % (len(body), body) if chunked else body)
        if watcher.closed and not events:  # dropped (too slow, or shutdown): end it
            if chunked:
                transport.write(CHUNK_END)
            self._end_watch()

    def _end_watch(self) -> None:
        self._end_watch_registration()
        request = self.current
        assert request is not None
        self._done(request[5] or not request[7])  # HTTP/1.0: the body ended with the connection

    def _end_watch_registration(self) -> None:
        watcher = self.watcher
        assert watcher is not None
        self.watcher = None
        watcher.wakeup = None
        watcher.remove()
        self.server.watching.discard(self)

    # ---- deadlines (the server's sweep) ----------------------------------------------------

    def check_deadlines(self, now: float, limits: Limits) -> None:
        if self.closed or self.transport is None or self.transport.is_closing():
            return
        if self.reading_since is not None and not self.busy \
                and now - self.reading_since > limits.header_timeout:
            log.info('msg="closing connection: request headers not read in time" peer=%s '
                     "timeout=%.1fs", _peer(self.transport.get_extra_info("peername")),
                     limits.header_timeout)
            self._deadline(HEADER_TIMEOUT)
        elif self.body_since is not None and now - self.body_since > self.server.body_timeout:
            log.info('msg="closing connection: request body not read in time" peer=%s '
                     "timeout=%.1fs", _peer(self.transport.get_extra_info("peername")),
                     self.server.body_timeout)
            self._deadline(BODY_TIMEOUT)
        elif self.idle_since is not None and not self.busy \
                and now - self.idle_since > limits.idle_timeout:
            self.close()

    def _deadline(self, answer: bytes) -> None:
        self.reading_since = self.body_since = None
        assert self.transport is not None
        self.transport.write(answer)
        self.closed = True  # ignore whatever else arrives
        self.transport.close()
