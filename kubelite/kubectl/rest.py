"""A small synchronous REST client for the apiserver (standard library ``http.client``).

A CLI runs one request after another, so blocking I/O keeps it simple and quick to start.
Every non-2xx answer becomes an :class:`~kubelite.kubectl.errors.ApiError` (the server's
``Status``); a refused or failed connection becomes
:class:`~kubelite.kubectl.errors.ConnectionFailed` naming ``host:port`` as kubectl does.
Streaming answers (watches, ``logs -f``) are read line by line from :meth:`RestClient.stream`.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kubelite import __version__ as KUBELITE_VERSION
from kubelite.kubectl.errors import ApiError, ConnectionFailed
from kubelite.kubectl.kubeconfig import Connection

JSON = "application/json"
TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
USER_AGENT = f"kubelite/v{KUBELITE_VERSION} (linux/amd64)"

Query = list[tuple[str, str]] | dict[str, str] | None


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class RestClient:
    """Requests against one server; a fresh connection is kept and reused."""

    def __init__(self, conn: Connection, command: str = ""):
        self.conn = conn
        parsed = urllib.parse.urlsplit(conn.server)
        self.scheme = parsed.scheme or "http"
        self.host = parsed.hostname or "localhost"
        default_port = 443 if self.scheme == "https" else 80
        self.port = parsed.port or default_port
        self.base_path = parsed.path.rstrip("/")
        self.hostport = parsed.netloc
        self.command = command
        self.warnings: list[str] = []
        self._http: http.client.HTTPConnection | None = None
        self._ssl: ssl.SSLContext | None = None

    # -- connection ---------------------------------------------------------------------

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is not None:
            return self._ssl
        ctx = ssl.create_default_context()
        if self.conn.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif self.conn.ca_file:
            ctx.load_verify_locations(cafile=self.conn.ca_file)
        elif self.conn.ca_data:
            ctx.load_verify_locations(cadata=self.conn.ca_data.decode())
        if self.conn.cert_file or self.conn.cert_data:
            with tempfile.TemporaryDirectory() as tmp:
                cert, key = self.conn.cert_file, self.conn.key_file
                if self.conn.cert_data:
                    cert = f"{tmp}/cert.pem"
                    with open(cert, "wb") as f:
                        f.write(self.conn.cert_data)
                if self.conn.key_data:
                    key = f"{tmp}/key.pem"
                    with open(key, "wb") as f:
                        f.write(self.conn.key_data)
                ctx.load_cert_chain(cert, key or None)
        self._ssl = ctx
        return ctx

    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=self._ssl_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _headers(self, accept: str, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": USER_AGENT}
        if self.command:
            headers["Kubectl-Command"] = self.command
        if content_type:
            headers["Content-Type"] = content_type
        if self.conn.token:
            headers["Authorization"] = f"Bearer {self.conn.token}"
        elif self.conn.username:
            raw = f"{self.conn.username}:{self.conn.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        return headers

    def url(self, path: str, query: Query = None) -> str:
        items = list(query.items()) if isinstance(query, dict) else list(query or [])
        qs = urllib.parse.urlencode(items, quote_via=urllib.parse.quote)
        return self.base_path + path + ("?" + qs if qs else "")

    def _send(self, method: str, target: str, body: bytes | None, headers: dict[str, str],
              timeout: float | None, reuse: bool) -> http.client.HTTPResponse:
        for attempt in (0, 1):
            conn = self._http if reuse and self._http is not None else self._connect(timeout)
            try:
                conn.request(method, target, body=body, headers=headers)
                resp = conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if reuse and self._http is conn and attempt == 0:
                    self._http = None
                    continue  # a kept-alive connection the server closed: retry once
                raise
            except ConnectionRefusedError:
                conn.close()
                raise ConnectionFailed(self.hostport, "connection refused", True) from None
            except socket.gaierror as exc:
                conn.close()
                raise ConnectionFailed(self.hostport, f"dial tcp: lookup {self.host}: "
                                       f"{_gai_text(exc)}", False) from None
            except TimeoutError:
                conn.close()
                raise ConnectionFailed(self.hostport, f"dial tcp {self.hostport}: i/o timeout",
                                       False) from None
            except ssl.SSLCertVerificationError as exc:
                conn.close()
                raise ConnectionFailed(self.hostport, _verify_text(exc), False) from None
            except ssl.SSLError as exc:
                conn.close()
                raise ConnectionFailed(self.hostport, f"tls: {exc.reason or exc}", False) from None
            except OSError as exc:
                conn.close()
                raise ConnectionFailed(self.hostport, f"dial tcp {self.hostport}: "
                                       f"{exc.strerror or exc}", False) from None
            if reuse:
                self._http = conn
            return resp
        raise AssertionError("unreachable")

    # -- requests -----------------------------------------------------------------------

    def request(self, method: str, path: str, query: Query = None, body: Any = None,
                content_type: str | None = None, accept: str = JSON,
                ok_statuses: tuple[int, ...] = ()) -> Response:
        """Send one request; a non-2xx answer raises :class:`ApiError`."""
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            content_type = content_type or JSON
        headers = self._headers(accept, content_type)
        resp = self._send(method, self.url(path, query), data, headers, self.conn.timeout, True)
        raw = resp.read()
        self._collect_warnings(resp)
        if resp.getheader("Connection", "").lower() == "close" and self._http is not None:
            self.close()
        if not 200 <= resp.status < 300 and resp.status not in ok_statuses:
            raise ApiError.from_response(resp.status, raw, resp.getheader("Content-Type", ""))
        return Response(resp.status, resp.headers, raw)

    def _collect_warnings(self, resp: http.client.HTTPResponse) -> None:
        for value in resp.headers.get_all("Warning") or []:
            text = value
            parts = value.split(" ", 2)
            if len(parts) == 3 and parts[0] == "299":
                text = parts[2].strip()
                if text.startswith('"') and text.endswith('"'):
                    text = text[1:-1].replace('\\"', '"')
            self.warnings.append(text)

    def get(self, path: str, query: Query = None, accept: str = JSON) -> Any:
        return self.request("GET", path, query, accept=accept).json()

    def stream(self, path: str, query: Query = None, accept: str = JSON,
               lines: bool = True, timeout: float | None = None) -> Iterator[bytes]:
        """Yield the body of a streaming GET line by line (watches), or as the chunks
        arrive (``lines=False``, followed logs)."""
        headers = self._headers(accept, None)
        resp = self._send("GET", self.url(path, query), None, headers, timeout, False)
        try:
            if not 200 <= resp.status < 300:
                raise ApiError.from_response(resp.status, resp.read(),
                                             resp.getheader("Content-Type", ""))
            while True:
                try:
                    line = resp.readline() if lines else resp.read1(65536)
                except TimeoutError:
                    return
                if not line:
                    return
                yield line
        finally:
            resp.close()


# OpenSSL verification codes -> Go's crypto/x509 wording, as kubectl reports them
_X509_ERRORS = {
    18: "x509: certificate signed by unknown authority",   # self-signed certificate
    19: "x509: certificate signed by unknown authority",   # self-signed in chain
    20: "x509: certificate signed by unknown authority",   # unable to get issuer
    21: "x509: certificate signed by unknown authority",   # unable to verify the first cert
    10: "x509: certificate has expired or is not yet valid",
    9: "x509: certificate has expired or is not yet valid",
}


def _verify_text(exc: ssl.SSLCertVerificationError) -> str:
    text = _X509_ERRORS.get(exc.verify_code or 0)
    if text is None and "match" in str(exc.verify_message):
        text = f"x509: {exc.verify_message}"
    return f"tls: failed to verify certificate: {text or exc.verify_message}"


def _gai_text(exc: socket.gaierror) -> str:
    if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
        return "no such host"
    return str(exc.strerror or exc)
