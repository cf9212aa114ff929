"""pyetcd.h1 on the wire: raw bytes in, Go's bytes out, pipelining, watches, limits.

In process, on a loopback port, with raw sockets (asyncio streams), so every byte the
transport writes is checked: header order as Go writes it, HEAD, HTTP/1.0, Connection:
close, chunked watches, pipelined requests answered in order (a GET pipelined after a
durable PUT sees the PUT), 100-continue, oversized bodies and headers, bad HTTP.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pyetcd.api import V2Api
from pyetcd.config import Config
from pyetcd.core import Core, FrontLink
from pyetcd.front import CoreLink
from pyetcd.h1 import H1Server
from pyetcd.request import MAX_FORM_BYTES
from pyetcd.server import open_service
from pyetcd.service import EtcdService
from tests.pyetcd.http.conftest import T0

DATE = re.compile(rb"Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n")
CORS = (b"Access-Control-Allow-Headers: accept, content-type, authorization\r\n"
        b"Access-Control-Allow-Methods: POST, GET, OPTIONS, PUT, DELETE\r\n"
        b"Access-Control-Allow-Origin: *\r\n")


def put_request(key: str, value: str, extra: str = "") -> bytes:
    body = f"value={value}".encode()
    return (f"PUT /v2/keys{key} HTTP/1.1\r\nHost: x\r\n{extra}Content-Type: "
            f"application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


class Wire:
    """A raw client connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, head_request: bool = False) -> tuple[bytes, bytes]:
        """One Content-Length response: (head with the Date line blanked, body)."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 5)
        length = re.search(rb"Content-Length: (\d+)", head)
        body = b""
        if length and not head_request:
            body = await asyncio.wait_for(self.reader.readexactly(int(length.group(1))), 5)
        return DATE.sub(b"Date: -\r\n", head), body

    async def rest(self) -> bytes:
        return await asyncio.wait_for(self.reader.read(), 5)

    def close(self) -> None:
        self.writer.close()


class Harness:
    def __init__(self, service: EtcdService, link: CoreLink | None = None) -> None:
        self.service = service
        self.h1 = H1Server(service if link is None else link, clock=lambda: T0)
        self.port = 0

    async def connect(self) -> Wire:
        return Wire(*await asyncio.open_connection("127.0.0.1", self.port))


async def _serve(service: EtcdService, split: bool = False) -> AsyncIterator[Harness]:
    """h1 around the service; ``split``: h1 as a ``--workers`` front, the service in a core
    at the other end of a socket pair (both in this loop)."""
    loop = asyncio.get_running_loop()
    link: CoreLink | None = None
    if split:
        front_end, core_end = socket.socketpair()
        await loop.connect_accepted_socket(lambda: FrontLink(Core(service), "test"), core_end)
        _, link = await loop.connect_accepted_socket(CoreLink, front_end)
    harness = Harness(service, link)
    server = await loop.create_server(harness.h1, "127.0.0.1", 0)
    harness.port = server.sockets[0].getsockname()[1]
    try:
        yield harness
    finally:
        harness.h1.stop()
        server.close()
        await server.wait_closed()
        if link is not None and link.transport is not None:
            link.transport.close()


@pytest.fixture(params=["h1", "split"])
async def wire(request: pytest.FixtureRequest, api: V2Api) -> AsyncIterator[Harness]:
    async for harness in _serve(EtcdService(api), request.param == "split"):
        yield harness


@pytest.fixture(params=["h1", "split"])
async def durable(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    config = Config(name="t", data_dir=tmp_path / "t.etcd",
                    advertise_client_urls=("http://127.0.0.1:2379",))
    service = await open_service(config, T0)
    try:
        async for harness in _serve(service, request.param == "split"):
            yield harness
    finally:
        await service.close()


async def test_reply_bytes_are_gos(wire: Harness, api: V2Api) -> None:
    c = await wire.connect()
    await c.send(put_request("/a", "1"))
    head, body = await c.response()
    cluster = api.cluster.cluster_hex.encode()
    assert head == (b"HTTP/1.1 201 Created\r\n" + CORS + b"Content-Type: application/json\r\n"
                    b"X-Etcd-Cluster-Id: " + cluster + b"\r\nX-Etcd-Index: 4\r\n"
                    b"X-Raft-Index: 5\r\nX-Raft-Term: 2\r\nDate: -\r\n"
                    b"Content-Length: 84\r\n\r\n")
    assert body == b'{"action":"set","node":{"key":"/a","value":"1","modifiedIndex":4,"createdIndex":4}}\n'
    await c.send(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
    head, body = await c.response()
    assert head == (b"HTTP/1.1 404 Not Found\r\n" + CORS + b"Content-Type: text/plain; "
                    b"charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nDate: -\r\n"
                    b"Content-Length: 19\r\n\r\n")
    assert body == b"404 page not found\n"
    c.close()


async def test_head_http10_and_connection_close(wire: Harness) -> None:
    c = await wire.connect()
    await c.send(put_request("/a", "1"))
    await c.response()
    await c.send(b"HEAD /v2/keys/a HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _ = await c.response(head_request=True)
    assert b"Content-Length: 84\r\n" in head
    await c.send(b"GET /v2/keys/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, body = await c.response()
    assert head.endswith(b"Content-Length: 84\r\nConnection: close\r\n\r\n")
    assert await c.rest() == b""  # and closed; the HEAD above had no body
    c = await wire.connect()
    await c.send(b"GET /v2/keys/a HTTP/1.0\r\n\r\n")
    head, body = await c.response()
    assert head.startswith(b"HTTP/1.0 200 OK\r\n") and b"Connection" not in head
    assert await c.rest() == b""


async def test_pipelined_requests_are_answered_in_order_and_see_earlier_writes(
        durable: Harness) -> None:
    c = await durable.connect()
    await c.send(put_request("/p", "1") + b"GET /v2/keys/p HTTP/1.1\r\nHost: x\r\n\r\n"
                 + put_request("/p", "2") + b"GET /v2/keys/p HTTP/1.1\r\nHost: x\r\n\r\n")
    answers = [await c.response() for _ in range(4)]
    assert [a[0].split(b"\r\n", 1)[0] for a in answers] == [
        b"HTTP/1.1 201 Created", b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK"]
    assert b'"value":"1"' in answers[1][1] and b'"action":"get"' in answers[1][1]
    assert b'"value":"2"' in answers[3][1] and b'"action":"get"' in answers[3][1]
    c.close()


async def test_watch_is_chunked_and_disconnect_unregisters(wire: Harness, api: V2Api) -> None:
    c = await wire.connect()
    await c.send(b"GET /v2/keys/d?wait=true&recursive=true&stream=true HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await asyncio.wait_for(c.reader.readuntil(b"\r\n\r\n"), 5)
    assert head.endswith(b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert api.store.hub.count == 1
    other = await wire.connect()
    for i in range(2):
        await other.send(put_request(f"/d/{i}", "v"))
        await other.response()
        size = int(await asyncio.wait_for(c.reader.readuntil(b"\r\n"), 5), 16)
        chunk = await c.reader.readexactly(size + 2)
        assert chunk.startswith(b'{"action":"set","node":{"key":"/d/%d"' % i)
        assert chunk.endswith(b"}\n\r\n")
    c.close()
    for _ in range(100):
        if api.store.hub.count == 0:
            break
        await asyncio.sleep(0.01)
    assert api.store.hub.count == 0 and not wire.h1.watching


async def test_long_poll_ends_with_the_last_chunk_and_connection_goes_on(wire: Harness) -> None:
    c = await wire.connect()
    await c.send(b"GET /v2/keys/w?wait=true HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.wait_for(c.reader.readuntil(b"\r\n\r\n"), 5)
    other = await wire.connect()
    await other.send(put_request("/w", "x"))
    await other.response()
    rest = await asyncio.wait_for(c.reader.readuntil(b"0\r\n\r\n"), 5)
    assert b'"action":"set"' in rest
    await c.send(b"GET /v2/keys/w HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive goes on
    head, body = await c.response()
    assert head.startswith(b"HTTP/1.1 200 OK") and b'"value":"x"' in body


async def test_expect_100_continue_comes_before_the_body_is_sent(wire: Harness) -> None:
    c = await wire.connect()
    await c.send(b"PUT /v2/keys/e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: "
                 b"application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n")
    assert await asyncio.wait_for(c.reader.readuntil(b"\r\n\r\n"), 5) == \
        b"HTTP/1.1 100 Continue\r\n\r\n"
    await c.send(b"value=1")
    head, _ = await c.response()
    assert head.startswith(b"HTTP/1.1 201 Created")


@pytest.mark.parametrize("extra, closed", [(1000, False), (300 << 10, True)])
async def test_oversized_body_gets_210_and_close_only_far_past_the_limit(
        wire: Harness, extra: int, closed: bool) -> None:
    c = await wire.connect()
    body = b"value=" + b"x" * (MAX_FORM_BYTES + extra)
    c.writer.write(b"PUT /v2/keys/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
                   b"x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    head, answer = await c.response()
    assert b'"errorCode":210' in answer
    assert (b"Connection: close" in head) is closed
    c.close()


async def test_bad_http_and_huge_headers_get_gos_answers(wire: Harness) -> None:
    c = await wire.connect()
    await c.send(b"GARBAGE\r\n\r\n")
    assert await c.rest() == (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; "
                              b"charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request")
    c = await wire.connect()
    await c.send(b"GET /v2/keys/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    assert (await c.rest()).startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    c = await wire.connect()
    await c.send(b"GET /v2/keys/%zz HTTP/1.1\r\nHost: x\r\n\r\n")  # a bad escape: Go's bare 400
    assert (await c.rest()).startswith(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain")


OTHER_REQUESTS = [
    ("PUT", "/v2/keys/t?ttl=1", b"value=1"), ("POST", "/v2/keys/q", b"value=1"),
    ("PUT", "/v2/keys/t?prevValue=zz", b"value=2"), ("HEAD", "/v2/keys/t", b""),
    ("GET", "/v2/keys/t?wait=true&waitIndex=1", b""), ("OPTIONS", "/v2/keys/t", b""),
    ("GET", "/v2/keys//t", b""), ("PATCH", "/v2/keys/t", b""), ("GET", "/metrics", b""),
    ("GET", "/v2/stats/store", b""), ("GET", "/v2/stats/self", b""), ("GET", "/health", b""),
    ("GET", "/version", b""), ("GET", "/v2/members", b""), ("GET", "/v2/machines", b""),
    ("GET", "/v2/auth/users", b""), ("GET", "/v2/auth/enable", b""),
    ("PUT", "/v2/keys/f?value=%zz", b""), ("GET", "/v2/keys/?recursive=true&sorted=true", b""),
    ("PUT", "/v2/keys/f", b"value=%zz"), ("PUT", "/v2/keys/f?prevIndex=abc", b"value=1"),
    ("PUT", "/v2/keys/f?ttl=abc", b"value=1"), ("GET", "/v2/keys/f?wait=maybe", b""),
    ("PUT", "/v2/keys/f;x", b"value=1"), ("POST", "/v2/members", b"{}"),
    ("PUT", "/v2/auth/users/bob", b'{"user":"bob","password":"pw"}'),
    ("GET", "/v2/auth/users/bob", b""), ("DELETE", "/v2/auth/users/bob", b""),
    ("PUT", "/v2/keys/f?prevExist=false", b"value=1"), ("PUT", "/v2/keys/f?prevExist=false", b"value=1"),
    ("DELETE", "/v2/keys/f?prevValue=zz", b""), ("DELETE", "/v2/keys/?recursive=true", b""),
]


async def test_serving_requests_makes_no_cyclic_garbage(durable: Harness) -> None:
    """pyetcd.gcpolicy freezes live objects on the promise that the request path makes no
    reference cycles: with the collector off, every kind of request, answer and watch, a
    closed connection included, leaves nothing for it to find."""
    import gc

    async def exercise() -> None:
        c = await durable.connect()
        w = await durable.connect()
        await w.send(b"GET /v2/keys/g?wait=true&recursive=true HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(w.reader.readuntil(b"\r\n\r\n"), 5)
        for i in range(20):
            await c.send(put_request(f"/g/{i}", "v"))
            await c.response()
            for target in (f"/v2/keys/g/{i}", "/v2/keys/nope", "/v2/keys/g?recursive=true",
                           "/v2/keys/%zz", "/nothing"):
                await c.send(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                if target != "/v2/keys/%zz":
                    await c.response()
                else:
                    await c.rest()
                    c.close()
                    c = await durable.connect()
            await c.send(f"DELETE /v2/keys/g/{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await c.response()
        for method, target, body in OTHER_REQUESTS:  # every other kind of answer once
            await c.send(f"{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
                         f"x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
                         .encode() + body)
            await c.response(head_request=method == "HEAD")
        durable.service.sync(T0 + 10**12)  # the expiry sweep: an expire event, logged
        await durable.service.durable.committer.drain()  # type: ignore[union-attr]
        await asyncio.wait_for(w.reader.readuntil(b"0\r\n\r\n"), 5)
        c.close()
        w.close()
        await asyncio.sleep(0.05)  # let the server see both connections go

    await exercise()  # warm up: first-use caches, lazily made metric children
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await exercise()
        gc.collect()
        ours = [o for o in gc.garbage
                if type(o).__module__.startswith(("pyetcd", "httptools"))
                or getattr(o, "__self__", None).__class__.__module__.startswith("pyetcd")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    # (asyncio's own selector transports keep a cycle through their bound read callback;
    # uvloop's, which the server runs on, are C objects; neither is pyetcd's.)
    assert ours == []


async def test_go_rules_for_host_upgrade_and_chunked_with_length(wire: Harness) -> None:
    c = await wire.connect()
    await c.send(b"GET /version HTTP/1.1\r\n\r\n")  # HTTP/1.1 without Host: Go's 400
    assert await c.rest() == (b"HTTP/1.1 400 Bad Request: missing required Host header\r\n"
                              b"Content-Type: text/plain; charset=utf-8\r\nConnection: close"
                              b"\r\n\r\n400 Bad Request: missing required Host header")
    c = await wire.connect()
    await c.send(b"GET /version HTTP/1.0\r\n\r\n")  # HTTP/1.0 needs none
    assert (await c.rest()).startswith(b"HTTP/1.0 200 OK\r\n")
    c = await wire.connect()  # an Upgrade request is answered as any other
    await c.send(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                 b"Upgrade: websocket\r\n\r\n")
    head, body = await c.response()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"etcdserver" in body
    c = await wire.connect()  # Transfer-Encoding wins over Content-Length, as in Go
    await c.send(b"PUT /v2/keys/te HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
                 b"x-www-form-urlencoded\r\nContent-Length: 3\r\nTransfer-Encoding: chunked"
                 b"\r\n\r\n7\r\nvalue=1\r\n0\r\n\r\n")
    head, body = await c.response()
    assert head.startswith(b"HTTP/1.1 201 Created") and b'"value":"1"' in body


@pytest.mark.parametrize("target, path", [("http://h:2379/v2/keys/ab?recursive=true", "/ab"),
                                          ("http://h/v2/keys/ab", "/ab")])
async def test_absolute_form_targets_are_routed_on_their_path(wire: Harness, target: str,
                                                              path: str) -> None:
    c = await wire.connect()
    await c.send(put_request(path, "1"))
    await c.response()
    await c.send(f"GET {target} HTTP/1.1\r\nHost: h\r\n\r\n".encode())
    head, body = await c.response()
    assert head.startswith(b"HTTP/1.1 200 OK") and b'"key":"/ab"' in body


async def test_a_second_host_header_is_refused(wire: Harness) -> None:
    c = await wire.connect()
    await c.send(b"GET /version HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")
    assert (await c.rest()).startswith(b"HTTP/1.1 400 Bad Request\r\n")


@pytest.mark.parametrize("target, form", [
    ("/v2/keys/a/b", "value=1"), ("/v2/keys/a/b", "value=2"), ("/v2/keys/q", "value=%25"),
    ("/v2/keys/d?dir=true", ""), ("/v2/keys/a/b?prevValue=2", "value=3"),
    ("/v2/keys/a/b?noValueOnSuccess=true", "value=4"), ("/v2/keys/a", ""),
])
def test_event_answers_rendered_by_the_api_are_what_h1_renders(api: V2Api, target: str,
                                                                form: str) -> None:
    from dataclasses import replace

    from pyetcd.api import Reply
    from pyetcd.h1 import reply_wire

    api.handle("PUT", "/v2/keys/a/b", b"value=0", "application/x-www-form-urlencoded", T0)
    for method in ("PUT", "POST", "GET"):
        reply = api.handle(method, target, form.encode(), "application/x-www-form-urlencoded",
                           T0)
        assert type(reply) is Reply
        if reply.status < 300:
            assert reply.wire is not None
            assert reply.wire == reply_wire(replace(reply, wire=None))
