"""Limits that keep one bad client from hurting others, driven with raw sockets.

A pyetcd process with small limits: slowloris senders (headers or body trickled) are cut
off with 408 while other clients are served; idle keep-alive connections are closed; the
connection cap answers 503 politely; the watcher cap answers error 300. Counts stay small
(the machine allows 20000 open files for everything running on it).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import procs

pytestmark = pytest.mark.e2e
MAX_CONNECTIONS = 12
MAX_WATCHERS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[procs.ServerProcess]:
    extra = ["--max-connections", str(MAX_CONNECTIONS), "--max-watchers", str(MAX_WATCHERS),
             "--header-timeout", "1s", "--idle-timeout", "2s"]
    with procs.pyetcd(tmp_path_factory.mktemp("limits"), extra=extra) as s:
        yield s


def connect(server: procs.ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_all(sock: socket.socket, timeout: float = 10) -> bytes:
    """Everything until the server closes (or ``timeout``)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def get(server: procs.ServerProcess, path: str = "/v2/keys/") -> int:
    with connect(server) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return int(read_all(s).split(b" ", 2)[1])


def test_slow_headers_are_cut_off_while_others_are_served(server: procs.ServerProcess) -> None:
    slow = connect(server)
    started = time.monotonic()
    slow.sendall(b"GET /v2/keys/ HTTP/1.1\r\n")
    for i in range(3):  # a header line every 0.3 s, never the blank line
        slow.sendall(f"X-Slow-{i}: 1\r\n".encode())
        assert get(server) == 200  # everybody else is served meanwhile
        time.sleep(0.3)
    answer = read_all(slow)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert answer.endswith(b'{"message":"request header read timeout"}')
    assert 0.9 <= time.monotonic() - started < 5
    slow.close()
    assert 'msg="closing connection: request headers not read in time"' in server.log()


def test_a_connection_that_never_sends_is_closed(server: procs.ServerProcess) -> None:
    with connect(server) as silent:
        assert read_all(silent).startswith(b"HTTP/1.1 408 ")


def test_slow_body_is_cut_off(server: procs.ServerProcess) -> None:
    with connect(server) as s:
        s.sendall(b"PUT /v2/keys/slowbody HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n\r\nvalue=")
        answer = read_all(s)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b'{"message":"request body read timeout"}')
    assert get(server, "/v2/keys/slowbody") == 404  # nothing was written


def test_idle_keep_alive_connection_is_closed(server: procs.ServerProcess) -> None:
    with connect(server) as s:
        s.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        assert read_all(s, 10) == b""  # then nothing until the server closes
        assert 1.5 <= time.monotonic() - started < 8


def test_a_long_watch_is_not_cut_by_the_header_timeout(server: procs.ServerProcess) -> None:
    with connect(server) as w:
        w.sendall(b"GET /v2/keys/lw?wait=true HTTP/1.1\r\nHost: x\r\n\r\n")
        w.settimeout(5)
        assert w.recv(65536).startswith(b"HTTP/1.1 200 ")
        time.sleep(1.5)  # longer than the header timeout
        with connect(server) as s:
            s.sendall(b"PUT /v2/keys/lw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 7\r\n\r\nvalue=1")
            read_all(s)
        assert b'"action":"set"' in w.recv(65536)


def _wait_until(check: object, timeout: float = 10) -> None:
    """The server counts a connection gone when its close reaches it: poll, bounded."""
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_connection_cap_answers_503_and_recovers(server: procs.ServerProcess) -> None:
    held = []
    try:
        for _ in range(MAX_CONNECTIONS):
            s = connect(server)
            s.sendall(b"GET /v2/keys/hold?wait=true HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            assert s.recv(65536).startswith(b"HTTP/1.1 200 ")  # a long watch holds it
            held.append(s)
            if len(held) == MAX_WATCHERS:
                break
        while len(held) < MAX_CONNECTIONS:  # the rest: keep-alive connections after a GET
            s = connect(server)
            s.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            assert s.recv(65536).startswith(b"HTTP/1.1 200 ")
            held.append(s)
        with connect(server) as extra:
            answer = read_all(extra)
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert answer.endswith(b'{"message":"too many open connections"}')
    finally:
        for s in held:
            s.close()
    _wait_until(lambda: get(server) == 200)
    assert 'msg="refusing connection: too many open connections"' in server.log()


def test_watcher_cap_answers_error_300(server: procs.ServerProcess) -> None:
    watches = []
    try:
        for _ in range(MAX_WATCHERS):
            s = connect(server)
            s.sendall(b"GET /v2/keys/capped?wait=true HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            assert s.recv(65536).startswith(b"HTTP/1.1 200 ")
            watches.append(s)
        with connect(server) as s:
            s.sendall(b"GET /v2/keys/capped?wait=true HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            head, _, body = read_all(s).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 500 ")
        assert json.loads(body) == {"errorCode": 300, "message": "Raft Internal Error",
                                    "cause": f"pyetcd: too many watchers (limit {MAX_WATCHERS})",
                                    "index": 0}
    finally:
        for s in watches:
            s.close()
    _wait_until(lambda: _watch_opens(server))
    assert 'msg="refusing watch: too many watchers"' in server.log()


def _watch_opens(server: procs.ServerProcess) -> bool:
    with connect(server) as s:
        s.sendall(b"GET /v2/keys/capped?wait=true HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        return s.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_bad_limit_values_are_refused(tmp_path: Path) -> None:
    from pyetcd.config import Config, ConfigError

    with pytest.raises(ConfigError, match="max-connections"):
        Config.from_args(["--max-connections", "0"], env={})
    with pytest.raises(ConfigError, match="header-timeout"):
        Config.from_args(["--header-timeout", "soon"], env={})
    config = Config.from_args(["--idle-timeout", "500ms"], env={"ETCD_MAX_WATCHERS": "7"})
    assert (config.idle_timeout, config.max_watchers) == (0.5, 7)
