"""The Go v2 client's request loop, over the shared :class:`pyetcd.client.EtcdClient`.

etcdctl's exit codes and messages depend on how etcd's Go client (``client/client.go``)
walks its endpoints, so this module keeps those rules while the HTTP itself goes through the
project's shared client, one :class:`EtcdClient` per endpoint:

* Endpoints are tried starting at the *pinned* one; a success pins that endpoint. A
  connection error or a 5xx answer moves on to the next endpoint; when all fail the error
  is a :class:`ClusterError` listing every endpoint's error ("client: etcd cluster is
  unavailable or misconfigured; error #0: ...").
* A *one-shot* request (delete, and create with ``prevExist=false``) is never retried on
  another endpoint: its first error is returned as is and the next endpoint is pinned.
* Each request may wait ``--timeout`` for the response ("client: endpoint X exceeded header
  timeout"); long-poll watches have no such limit. The whole command runs under
  ``--total-timeout``, whose expiry is "context deadline exceeded".
* ``--debug`` prints each attempt as a ``cURL Command:`` line before sending it.

Deliberate differences: Go shuffles the endpoint list at random; here the order given is
kept (so messages that list several endpoints are deterministic). Redirects (3xx) are not
followed; etcd only sends them for paths the client has already cleaned.
"""

from __future__ import annotations

import asyncio
import http
import os
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from pyetcd.client import ClusterUnavailable, EtcdClient
from pyetcd.ctl.goflag import go_quote
from pyetcd.ctl.gourl import Endpoint, canonical_url_path, join

T = TypeVar("T")

# Both exist since aiohttp 3.10; older versions fall back to the generic branches.
_DNS_ERROR: Any = getattr(aiohttp, "ClientConnectorDNSError", ())
_CONNECT_TIMEOUT: Any = getattr(aiohttp, "ConnectionTimeoutError", ())


# -- errors, with the Go client's texts --------------------------------------------------------


class GoError(Exception):
    """An error whose ``str()`` is the Go client's ``Error()`` text.

    ``connection`` is what etcdctl's ``isConnectionError`` answers for it: it decides
    between exit code 2 (bad connection) and 4 (server error) when syncing the cluster.
    """

    connection = False


class DialError(GoError):
    connection = True


class ReadError(GoError):
    connection = True


class DeadlineExceeded(GoError):
    connection = True  # context.DeadlineExceeded is a net.Error whose Timeout() is true

    def __init__(self) -> None:
        super().__init__("context deadline exceeded")


class ClusterError(GoError):
    """Every endpoint failed."""

    def __init__(self, errors: Sequence[GoError]):
        self.errors = list(errors)
        text = "client: etcd cluster is unavailable or misconfigured"
        text += "".join(f"; error #{i}: {e}\n" for i, e in enumerate(self.errors))
        super().__init__(text)

    @property
    def connection(self) -> bool:  # type: ignore[override]
        return all(e.connection for e in self.errors)

    def detail(self) -> str:
        return "".join(f"error #{i}: {e}\n" for i, e in enumerate(self.errors))


INVALID_JSON = "client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint"
EMPTY_BODY = "client: response body is empty"
NO_ENDPOINTS = "client: no endpoints available"


class NoEndpoints(GoError):
    def __init__(self) -> None:
        super().__init__(NO_ENDPOINTS)


def go_errno_text(err: int | None, fallback: str) -> str:
    """Go's ``syscall.Errno`` text: the C message with a lower-case first letter."""
    if not err:
        return fallback
    text = os.strerror(err)
    return text[:1].lower() + text[1:]


def describe_http_error(exc: BaseException, endpoint: Endpoint) -> GoError:
    """Turn an aiohttp failure into the error Go's HTTP transport would have reported."""
    hostport = _hostport(endpoint)
    tls = _tls_error(exc)
    if tls is not None:
        return tls
    if isinstance(exc, _DNS_ERROR):
        return DialError(f"dial tcp: lookup {exc.host}: no such host")
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = go_errno_text(exc.os_error.errno, str(exc.os_error))
        return DialError(f"dial tcp {hostport}: connect: {reason}")
    if isinstance(exc, _CONNECT_TIMEOUT):
        return DialError(f"dial tcp {hostport}: i/o timeout")
    if isinstance(exc, asyncio.TimeoutError):
        return GoError(f"client: endpoint {endpoint} exceeded header timeout")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return GoError("EOF")
    if isinstance(exc, aiohttp.ClientOSError):
        return ReadError(f"read tcp {hostport}: read: {go_errno_text(exc.errno, str(exc))}")
    return GoError(str(exc) or type(exc).__name__)


def _tls_error(exc: BaseException) -> GoError | None:
    """TLS failures in Go's words. Go does not count them as connection errors (a sync
    that fails this way is ignored), so neither do we."""
    cause = exc.__cause__ if isinstance(exc.__cause__, ssl.SSLError) else None
    if isinstance(exc, aiohttp.ClientConnectorCertificateError) or isinstance(
            cause, ssl.SSLCertVerificationError):
        return GoError("x509: certificate signed by unknown authority")
    if cause is None:
        return None
    reason = (cause.reason or "").upper()
    if reason.endswith("ALERT_BAD_CERTIFICATE"):
        return GoError("remote error: tls: bad certificate")
    if reason.endswith("ALERT_CERTIFICATE_REQUIRED"):
        return GoError("remote error: tls: certificate required")
    return GoError(f"tls: {(cause.reason or str(cause)).lower().replace('_', ' ')}")


def _hostport(endpoint: Endpoint) -> str:
    host = endpoint.host
    if ":" in host.rsplit("]", 1)[-1]:
        return host
    return f"{host}:{443 if endpoint.scheme == 'https' else 80}"


# -- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, independent of the endpoint it is sent to.

    ``path`` is joined to the endpoint's own path: canonically (trailing slash kept) for
    the keys API, with Go's ``path.Join`` for the members API.
    """

    method: str
    path: str
    query: str = ""
    body: bytes | None = None  # None: no body (GET, DELETE); b"": an empty form
    wait: bool = False  # a long-poll watch: no per-request timeout
    keys: bool = True

    def url(self, endpoint: Endpoint) -> str:
        if self.keys:
            full = canonical_url_path(endpoint.path + self.path)
        else:
            full = join(endpoint.path, self.path) or "/"
        return endpoint.url(full, self.query)

    def curl(self, endpoint: Endpoint) -> str:
        line = f"curl -X {self.method} {self.url(endpoint)}"
        if self.body is not None:
            line += f" -d {go_quote(self.body.decode('latin-1'))}"
        return line


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Any
    body: bytes


@dataclass
class ClientConfig:
    endpoints: list[Endpoint]
    header_timeout: float = 2.0  # --timeout; 0 means none
    dial_timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None
    username: str | None = None
    password: str | None = None


class GoClient:
    """etcd's ``httpClusterClient``: endpoints, pinning, failover, one-shot requests."""

    def __init__(self, config: ClientConfig, debug: Callable[[str], None] | None = None):
        self.config = config
        self.endpoints = list(config.endpoints)
        self.pinned = 0
        self._debug = debug
        self._clients: dict[str, EtcdClient] = {}

    def endpoint_strings(self) -> list[str]:
        return [str(e) for e in self.endpoints]

    def enable_debug(self, debug: Callable[[str], None]) -> None:
        self._debug = debug

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    def _client_for(self, endpoint: Endpoint) -> EtcdClient:
        client = self._clients.get(endpoint.base)
        if client is None:
            client = EtcdClient(
                [endpoint.base], ssl_context=self.config.ssl_context,
                username=self.config.username, password=self.config.password,
                request_timeout=self.config.header_timeout or 0,
                dial_timeout=self.config.dial_timeout,
            )
            self._clients[endpoint.base] = client
        return client

    async def _attempt(self, endpoint: Endpoint, req: Request) -> Reply:
        if self._debug is not None:
            self._debug(f"cURL Command: {req.curl(endpoint)}\n")
        if endpoint.scheme not in ("http", "https"):
            raise GoError(f'unsupported protocol scheme "{endpoint.scheme}"')
        if not endpoint.host:
            raise GoError("http: no Host in request URL")
        timeout = None if req.wait or not self.config.header_timeout else self.config.header_timeout
        url = req.url(endpoint)
        try:
            status, headers, body = await self._client_for(endpoint).request(
                req.method, url[len(endpoint.base):], body=req.body, timeout=timeout,
                retry_on_other_endpoints=False,
            )
        except ClusterUnavailable as exc:
            raise describe_http_error(exc.errors[0][1], endpoint) from None
        except aiohttp.ClientError as exc:
            raise describe_http_error(exc, endpoint) from None
        return Reply(status, headers, body)

    async def do(self, req: Request, *, one_shot: bool = False) -> Reply:
        """Send ``req`` with the Go client's failover rules (see the module docstring)."""
        n = len(self.endpoints)
        if n == 0:
            raise NoEndpoints()
        errors: list[GoError] = []
        pinned = self.pinned
        for i in range(pinned, pinned + n):
            k = i % n
            endpoint = self.endpoints[k]
            err: GoError | None = None
            try:
                reply = await self._attempt(endpoint, req)
            except GoError as exc:
                errors.append(exc)
                err = exc
            else:
                if reply.status // 100 == 5:
                    errors.append(_server_error(reply.status, endpoint))
                    err = errors[0]
            if err is not None:
                if not one_shot:
                    continue
                self.pinned = (k + 1) % n
                raise err
            self.pinned = k
            return reply
        raise ClusterError(errors)


def _server_error(status: int, endpoint: Endpoint) -> GoError:
    if status in (500, 503):
        return GoError(f"client: etcd member {endpoint} has no leader")
    try:
        text = http.HTTPStatus(status).phrase
    except ValueError:
        text = ""
    return GoError(f"client: etcd member {endpoint} returns server error [{text}]")


async def with_deadline(work: Awaitable[T], seconds: float) -> T:
    """Run ``work`` under a Go ``context.WithTimeout``: expiry is "context deadline exceeded"."""
    try:
        async with asyncio.timeout(max(seconds, 0.0)):
            return await work
    except TimeoutError:
        raise DeadlineExceeded() from None
