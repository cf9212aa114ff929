"""Client listeners: accept, cap, TLS, and the timeouts that keep one client from hurting others.

pyetcd accepts connections itself (instead of aiohttp's ``TCPSite``) so that it can decide
about each one before HTTP starts:

* **connection cap** (``--max-connections``): beyond it a new connection gets a short
  ``503`` answer (``{"message":"too many open connections"}``, then close) on plain HTTP, or
  is closed at once on TLS (nothing can be said before a handshake); logged at most once a
  second;
* **TLS** (``https://`` listen URLs): the first bytes are peeked. A TLS handshake record goes
  on to the handshake (bounded by the header timeout); anything else, plain HTTP included,
  is closed without an answer, as etcd 3.4 does (curl: "Empty reply from server", etcdctl:
  "EOF"; a plain Go ``http.Server`` would answer 400, but etcd's listener does not);
* **header timeout** (``--header-timeout``, slowloris): a request's headers must be complete
  within this time from their first byte (and a new connection's first request from
  accept); otherwise the connection gets ``408`` and is closed. While a request is being
  served (a long watch included) no deadline runs; the body has its own deadline in
  :mod:`pyetcd.http`;
* **idle timeout** (``--idle-timeout``): connections that stay idle between requests are
  closed.

The server's transport, :mod:`pyetcd.h1`, keeps the header, body and idle deadlines itself
(one sweep of all connections, no timer per request) and counts its connections out
(``Listener(guarded=False)``); :class:`Guard` does the same around any other protocol (the
aiohttp transport of :mod:`pyetcd.http`).

etcd 3.4 itself sets none of these on its client listener (Go's ``http.Server`` defaults);
they are pyetcd's additions, with defaults generous enough for every real client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing.sharedctypes
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

log = logging.getLogger(__name__)

SECONDS = 1.0
ACCEPT_BATCH = 256  # connections taken from the backlog per wake-up of the accept loop
TLS_HANDSHAKE = 0x16
LOOKS_LIKE_HTTP = (b"GET /", b"HEAD ", b"POST ", b"PUT /", b"OPTIO")


def _http_reply(status: str, message: str) -> bytes:
    body = b'{"message":"' + message.encode() + b'"}'
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


TOO_MANY = _http_reply("503 Service Unavailable", "too many open connections")
HEADER_TIMEOUT = _http_reply("408 Request Timeout", "request header read timeout")


@dataclass(frozen=True, slots=True)
class Limits:
    max_connections: int = 10000  # open client connections, all listeners together
    header_timeout: float = 10 * SECONDS  # to read a request's headers (and a TLS handshake)
    idle_timeout: float = 300 * SECONDS  # keep-alive connection with no request


class Connections:
    """The open connections of all listeners: the count for the cap, and each one's guard."""

    def __init__(self, limits: Limits,
                 total: multiprocessing.sharedctypes.Synchronized[int] | None = None) -> None:
        self.limits = limits
        self.open = 0  # this process's connections
        # With --workers: the count of every front process together (shared memory), which
        # is what the cap applies to; None in a single process.
        self.total = total
        self.refused = 0
        self.guards: dict[asyncio.BaseTransport, Guard] = {}
        self._last_warning = 0.0

    def full(self) -> bool:
        count = self.open if self.total is None else self.total.value
        return count >= self.limits.max_connections

    def add(self, n: int) -> None:
        """A connection was admitted (+1) or has ended (-1)."""
        self.open += n
        total = self.total
        if total is not None:
            with total.get_lock():
                total.value += n

    def refuse(self, url: str, peer: object) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self._last_warning >= 1.0:
            self._last_warning = now
            log.warning('msg="refusing connection: too many open connections" url=%s peer=%s '
                        "open=%d limit=%d refused_total=%d", url, _peer(peer), self.open,
                        self.limits.max_connections, self.refused)

    def busy(self, transport: asyncio.BaseTransport | None, busy: bool) -> None:
        """The HTTP handler says a request is being served (no header deadline) or is done."""
        guard = self.guards.get(transport) if transport is not None else None
        if guard is not None:
            guard.set_busy(busy)


def _peer(peer: object) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)


class Guard(asyncio.Protocol):
    """Wraps aiohttp's protocol for one connection: counts it and runs the header deadline."""

    def __init__(self, inner: asyncio.Protocol, connections: Connections) -> None:
        self.inner = inner
        self.connections = connections
        self.transport: asyncio.Transport | None = None  # (uvloop's TLS one is no subclass)
        self.deadline: asyncio.TimerHandle | None = None
        self.is_busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.connections.guards[transport] = self
        self._arm()  # the first request's headers are due from accept on
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.is_busy and self.deadline is None:
            self._arm()
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.transport is not None:
            self.connections.guards.pop(self.transport, None)
        self.connections.add(-1)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def set_busy(self, busy: bool) -> None:
        self.is_busy = busy
        self._disarm()

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self.deadline = loop.call_later(self.connections.limits.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _expired(self) -> None:
        self.deadline = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        log.info('msg="closing connection: request headers not read in time" peer=%s '
                 "timeout=%.1fs", _peer(transport.get_extra_info("peername")),
                 self.connections.limits.header_timeout)
        transport.write(HEADER_TIMEOUT)
        transport.close()


class Listener:
    """One listen URL: a socket, an accept loop, and optionally TLS."""

    def __init__(self, url: str, host: str, port: int, protocol_factory: Callable[[], asyncio.Protocol],
                 connections: Connections, ssl_context: ssl.SSLContext | None = None,
                 guarded: bool = True, sock: socket.socket | None = None) -> None:
        self.url = url
        self.host = host
        self.port = port
        self.factory = protocol_factory
        self.connections = connections
        self.ssl_context = ssl_context
        # True: wrap each protocol in a Guard (deadlines, count); False: the protocol keeps
        # the deadlines and counts its connections out itself (pyetcd.h1).
        self.guarded = guarded
        self.sock: socket.socket | None = sock  # bound already (a front process), or by start()
        self.task: asyncio.Task[None] | None = None
        self.pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        sock = self.sock if self.sock is not None else bind(self.host, self.port)
        sock.setblocking(False)
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.task = asyncio.create_task(self._accept_loop(), name=f"accept {self.url}")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        for task in list(self.pending):
            task.cancel()
        await asyncio.gather(*self.pending, return_exceptions=True)
        if self.sock is not None:
            self.sock.close()

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        assert self.sock is not None
        sock = self.sock
        while True:
            try:
                conn, peer = await loop.sock_accept(sock)
                self._admit(conn, peer)
                # Take every connection already waiting, not one per loop turn: under load a
                # turn serves hundreds of requests, and a client whose connection sits in the
                # backlog meanwhile sees its first request wait for all of them.
                for _ in range(ACCEPT_BATCH):
                    try:
                        conn, peer = sock.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    conn.setblocking(False)
                    self._admit(conn, peer)
            except OSError as err:  # EMFILE and friends: back off instead of spinning
                log.warning('msg="accept failed" url=%s error="%s"', self.url, err)
                await asyncio.sleep(0.1)

    def _admit(self, conn: socket.socket, peer: object) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.connections.full():
            self.connections.refuse(self.url, peer)
            _refuse(conn, None if self.ssl_context else TOO_MANY)
            return
        self.connections.add(1)
        task = asyncio.create_task(self._serve(conn, peer))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _serve(self, conn: socket.socket, peer: object) -> None:
        loop = asyncio.get_running_loop()
        handed_over = False
        try:
            if self.ssl_context is not None and not await self._sniff_tls(conn, peer):
                return
            factory = self.factory
            if self.guarded:
                def factory() -> asyncio.Protocol:
                    return Guard(self.factory(), self.connections)
            await loop.connect_accepted_socket(
                factory, conn, ssl=self.ssl_context,
                ssl_handshake_timeout=self.connections.limits.header_timeout
                if self.ssl_context else None)
            handed_over = True
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as err:
            log.debug('msg="connection setup failed" url=%s peer=%s error="%s"', self.url,
                      _peer(peer), err)
        finally:
            if not handed_over:
                self.connections.add(-1)
                conn.close()

    async def _sniff_tls(self, conn: socket.socket, peer: object) -> bool:
        """Peek at the first bytes: a TLS handshake goes on; HTTP gets Go's 400."""
        head = b""
        deadline = time.monotonic() + self.connections.limits.header_timeout
        while len(head) < 5:
            left = deadline - time.monotonic()
            if left <= 0 or not await _readable(conn, left):
                return False
            try:
                head = conn.recv(5, socket.MSG_PEEK)
            except (BlockingIOError, InterruptedError):
                continue
            if not head:
                return False
            if head[0] == TLS_HANDSHAKE:
                return True
        log.debug('msg="not a TLS handshake on a TLS listener: closed" url=%s peer=%s '
                  "plain_http=%s", self.url, _peer(peer), head in LOOKS_LIKE_HTTP)
        with contextlib.suppress(OSError):
            conn.recv(1 << 16)  # read what came, so that closing sends FIN rather than RST
        return False


def bind(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket for one client URL (``reuse_port``: one of several on the
    same address, among which the kernel spreads new connections evenly)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024, reuse_port=reuse_port)


async def _readable(conn: socket.socket, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(conn.fileno(), wake)
    try:
        await asyncio.wait_for(ready, timeout)
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(conn.fileno())


def _refuse(conn: socket.socket, answer: bytes | None) -> None:
    """Answer (best effort, never blocking) and close."""
    try:
        if answer:
            conn.send(answer)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    conn.close()


def server_ssl_context(cert_file: str, key_file: str, trusted_ca_file: str = "",
                       client_cert_auth: bool = False) -> ssl.SSLContext:
    """etcd's ``TLSInfo.ServerConfig``: TLS 1.2+, and client certificates required and
    verified when ``--client-cert-auth`` or ``--trusted-ca-file`` is given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_file, key_file)
    if trusted_ca_file or client_cert_auth:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if trusted_ca_file:
            ctx.load_verify_locations(trusted_ca_file)
        else:
            ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return ctx
