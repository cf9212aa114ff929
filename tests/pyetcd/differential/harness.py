"""Differential testing: run the same request script against the real etcd and pyetcd.

A :class:`Case` is a list of steps. Each step's outcome (status, the headers that matter,
the body) is normalised so that values that legitimately differ between two servers do
not count: indices become relative to the index at the start of the case, expiration
timestamps become a marker, TTLs are compared within one second, unordered listings are
sorted, and the server's own URL becomes ``<url>``. Everything else must be identical.

Step targets and bodies may use ``{p}`` (a key prefix unique to the case) and ``{i+N}``
(the index at the start of the case plus N).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

FORM = "application/x-www-form-urlencoded"
COMPARED_HEADERS = ("Content-Type", "Allow", "Location", "X-Content-Type-Options",
                    "Access-Control-Allow-Methods", "Access-Control-Allow-Origin",
                    "Access-Control-Allow-Headers", "X-Etcd-Cluster-Id")
PRESENCE_HEADERS = ("X-Raft-Index", "X-Raft-Term")


@dataclass
class Req:
    method: str
    target: str
    body: bytes | str | None = None
    ctype: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sorted_nodes: bool = False  # keep the order of "nodes" (sorted=true listings)
    record: bool = True


@dataclass
class Watch:
    """Open a watch (GET with wait=true) and record its status and headers."""

    name: str
    target: str


@dataclass
class Read:
    """Read ``lines`` JSON lines from an open watch (``<timeout>`` if none comes)."""

    name: str
    lines: int = 1
    timeout: float = 3.0


@dataclass
class Ended:
    """Whether the watch response has ended (reads EOF within ``timeout``)."""

    name: str
    timeout: float = 1.0


@dataclass
class Sleep:
    seconds: float


@dataclass
class Repeat:
    """Send ``req`` ``count`` times; record only the last response."""

    count: int
    req: Req


Step = Req | Watch | Read | Ended | Sleep | Repeat


@dataclass
class Case:
    name: str
    steps: list[Step]
    fresh: bool = False  # needs servers of its own (root listings, history size)
    slow: bool = False

    def __str__(self) -> str:
        return self.name


def put(path: str, ctype: str = FORM, **form: str) -> Req:
    return Req("PUT", "/v2/keys" + path, urllib.parse.urlencode(form), ctype)


def post(path: str, **form: str) -> Req:
    return Req("POST", "/v2/keys" + path, urllib.parse.urlencode(form), FORM)


def get(path: str, sorted_nodes: bool = False) -> Req:
    return Req("GET", "/v2/keys" + path, sorted_nodes=sorted_nodes or "sorted=true" in path)


def delete(path: str) -> Req:
    return Req("DELETE", "/v2/keys" + path)


class WatchStream:
    """A raw-socket GET whose chunked body is read line by line with timeouts.

    (http.client cannot read again after a timeout; watches need "nothing came" answers.)
    """

    def __init__(self, host: str, port: int, target: str) -> None:
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        self.buf = b""
        self.body = b""
        self.eof = False
        while b"\r\n\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed before headers")
            self.buf += data
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = dict(line.split(": ", 1) for line in lines[1:])
        self.chunked = self.headers.get("Transfer-Encoding") == "chunked"

    def _decode(self) -> None:
        if not self.chunked:
            self.body += self.buf
            self.buf = b""
            return
        while b"\r\n" in self.buf:
            size_line, rest = self.buf.split(b"\r\n", 1)
            size = int(size_line, 16)
            if size == 0:
                self.eof = True
                self.buf = b""
                return
            if len(rest) < size + 2:
                return
            self.body += rest[:size]
            self.buf = rest[size + 2:]

    def readline(self, timeout: float) -> bytes | None:
        """One line; b"" at the end of the response; None when nothing came in time."""
        deadline = time.monotonic() + timeout
        while True:
            self._decode()
            if b"\n" in self.body:
                line, self.body = self.body.split(b"\n", 1)
                return line + b"\n"
            if self.eof:
                return b""
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not data:
                self.eof = True
            self.buf += data

    def close(self) -> None:
        self.sock.close()


_INDEX = re.compile(r"\{i([+-]\d+)?\}")


class Runner:
    """Runs a case against one server and returns its normalised transcript."""

    def __init__(self, url: str, prefix: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = url
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = prefix
        self.base = 0
        self.watches: dict[str, WatchStream] = {}
        self.ttls: list[int] = []

    def fill(self, text: str) -> str:
        text = text.replace("{p}", self.prefix)
        return _INDEX.sub(lambda m: str(self.base + int(m.group(1) or 0)), text)

    def run(self, case: Case) -> list[Any]:
        self.base = int(self._send(Req("GET", "/v2/keys/"))[1]["X-Etcd-Index"])
        out: list[Any] = []
        try:
            for step in case.steps:
                rec = self.step(step)
                if rec is not None:
                    out.append(rec)
        finally:
            for stream in self.watches.values():
                stream.close()
        return out

    def step(self, step: Step) -> Any:
        if isinstance(step, Req):
            status, headers, body = self._send(step)
            return self._record(status, headers, body, step.sorted_nodes) if step.record else None
        if isinstance(step, Repeat):
            for _ in range(step.count - 1):
                self._send(step.req)
            return self.step(step.req)
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        if isinstance(step, Watch):
            stream = WatchStream(self.host, self.port, self.fill(step.target))
            self.watches[step.name] = stream
            status, headers = stream.status, stream.headers  # headers must come at once
            return {"watch": step.name, **self._record(status, headers, b"", False)}
        if isinstance(step, Read):
            stream = self.watches[step.name]
            lines = []
            for _ in range(step.lines):
                line = stream.readline(step.timeout)
                if line is None or line == b"":
                    lines.append("<timeout>" if line is None else "<eof>")
                    break
                lines.append(self._body(line, False))
            return {"read": step.name, "lines": lines}
        if isinstance(step, Ended):
            line = self.watches[step.name].readline(step.timeout)
            return {"ended": step.name,
                    "extra": "<still open>" if line is None else self._body(line, False) if line else None}
        raise TypeError(step)

    def _send(self, req: Req) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            body = req.body
            if isinstance(body, str):
                body = self.fill(body).encode("utf-8", "surrogateescape")
            headers = dict(req.headers)
            if req.ctype is not None:
                headers["Content-Type"] = req.ctype
            conn.request(req.method, self.fill(req.target), body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, dict(resp.getheaders()), data
        finally:
            conn.close()

    def _record(self, status: int, headers: dict[str, str], body: bytes,
                sorted_nodes: bool) -> dict[str, Any]:
        norm_headers = {h: self._text(headers[h]) for h in COMPARED_HEADERS if h in headers}
        for h in PRESENCE_HEADERS:
            if h in headers:
                norm_headers[h] = "<present>"
        if "X-Etcd-Index" in headers:
            norm_headers["X-Etcd-Index"] = self._index(int(headers["X-Etcd-Index"]))
        if headers.get("Connection") == "close":
            norm_headers["Connection"] = "close"
        return {"status": status, "headers": norm_headers, "body": self._body(body, sorted_nodes)}

    def _index(self, value: int) -> int | str:
        return value if value == 0 else f"i{value - self.base:+d}"

    def _text(self, text: str) -> str:
        return text.replace(self.url, "<url>").replace(self.prefix, "{p}")

    def _body(self, body: bytes, sorted_nodes: bool) -> Any:
        text = body.decode("utf-8", "replace")
        lines = [ln for ln in text.split("\n") if ln]
        shapes: list[tuple[str, ...]] = []

        def keep_order(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            shapes.append(tuple(k for k, _ in pairs))
            return dict(pairs)

        try:
            parsed = [json.loads(ln, object_pairs_hook=keep_order) for ln in lines]
        except ValueError:
            return self._text(text)
        values = [self._json(v, sorted_nodes) for v in parsed]
        ending = "\\n" if text.endswith("\n") else ""
        # Field order of every object and every escape sequence, so that Go's exact
        # encoding (not only the parsed values) is compared.
        escapes = sorted(re.findall(r"\\u[0-9a-f]{4}|\\.", text))
        return {"json": values if len(values) != 1 else values[0], "ending": ending,
                "field_orders": sorted(shapes), "escapes": escapes}

    def _json(self, value: Any, sorted_nodes: bool, field_name: str = "") -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in ("modifiedIndex", "createdIndex"):
                    out[k] = self._index(v)
                elif k == "index":
                    out[k] = self._index(v)
                elif k == "expiration":
                    out[k] = "<time>"
                elif k == "ttl":
                    self.ttls.append(v)
                    out[k] = "<ttl>"
                elif k in ("startTime", "uptime"):
                    out[k] = "<time>"
                elif k == "cause" and isinstance(v, str) and value.get("errorCode") in (101, 401):
                    out[k] = re.sub(r"\d+", lambda m: str(self._index(int(m.group()))), v)
                else:
                    out[k] = self._json(v, sorted_nodes, k)
            if "nodes" in out and not sorted_nodes:
                out["nodes"] = sorted(out["nodes"], key=lambda n: json.dumps(n, sort_keys=True))
            return out
        if isinstance(value, list):
            return [self._json(v, sorted_nodes, field_name) for v in value]
        if isinstance(value, str):
            value = re.sub(r"(?<=/)\d{20}(?=/|$)", lambda m: f"<seq{self._index(int(m.group()))}>", value)
            return self._text(value)
        return value


def run_both(case: Case, ref_url: str, py_url: str, prefix: str) -> tuple[list[Any], list[Any]]:
    ref, py = Runner(ref_url, prefix), Runner(py_url, prefix)
    ref_out = ref.run(case)
    py_out = py.run(case)
    assert len(ref.ttls) == len(py.ttls), (ref.ttls, py.ttls)
    for a, b in zip(ref.ttls, py.ttls, strict=True):
        assert abs(a - b) <= 1, f"ttl differs: etcd {a} pyetcd {b}"
    return ref_out, py_out
