"""An asyncio client for the etcd v2 keys API, shared by pyetcdctl, pyflannel and kubelite.

It speaks plain HTTP/1.1 form requests exactly as etcd's Go v2 client does, so it works
unchanged against pyetcd and against a real etcd 3.4 started with ``--enable-v2=true``.

Endpoints are tried in order; a connection failure moves on to the next one and the
endpoint that answered last is tried first next time. When every endpoint fails the call
raises :class:`ClusterUnavailable` with the Go client's message. A ``create`` (``prevExist
=false``) is never retried on another endpoint after the request may have been sent,
because a retried create could fail with 105 against our own first write.

Errors returned by the server are raised as :class:`pyetcd.errors.EtcdError`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from pyetcd.errors import EtcdError

FORM = "application/x-www-form-urlencoded"
DEFAULT_ENDPOINTS = ("http://127.0.0.1:2379",)


@dataclass(frozen=True, slots=True)
class Node:
    """One node of a v2 response (``node`` or ``prevNode``)."""

    key: str
    value: str | None = None
    dir: bool = False
    expiration: str | None = None
    ttl: int | None = None
    modified_index: int = 0
    created_index: int = 0
    nodes: tuple[Node, ...] = ()

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Node:
        return cls(
            key=body.get("key", "/"),
            value=body.get("value"),
            dir=bool(body.get("dir", False)),
            expiration=body.get("expiration"),
            ttl=body.get("ttl"),
            modified_index=int(body.get("modifiedIndex", 0)),
            created_index=int(body.get("createdIndex", 0)),
            nodes=tuple(cls.from_dict(n) for n in body.get("nodes", ())),
        )

    def walk(self) -> list[Node]:
        """This node and every descendant, depth first."""
        out = [self]
        for child in self.nodes:
            out.extend(child.walk())
        return out

    def leaves(self) -> list[Node]:
        """Every file (non-dir node) in this subtree."""
        return [n for n in self.walk() if not n.dir]


@dataclass(frozen=True, slots=True)
class Response:
    """A successful v2 keys response; ``etcd_index`` is the ``X-Etcd-Index`` header."""

    action: str
    node: Node | None
    prev_node: Node | None
    etcd_index: int
    raft_index: int = 0
    raft_term: int = 0
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_http(cls, body: dict[str, Any], headers: Any) -> Response:
        return cls(
            action=body.get("action", ""),
            node=Node.from_dict(body["node"]) if "node" in body else None,
            prev_node=Node.from_dict(body["prevNode"]) if "prevNode" in body else None,
            etcd_index=_int_header(headers, "X-Etcd-Index"),
            raft_index=_int_header(headers, "X-Raft-Index"),
            raft_term=_int_header(headers, "X-Raft-Term"),
            raw=body,
        )


class ClusterUnavailable(Exception):
    """No endpoint could be reached; the message lists each endpoint's error."""

    def __init__(self, errors: Sequence[tuple[str, BaseException]]):
        self.errors = list(errors)
        detail = "; ".join(
            f"error #{i}: {_describe(exc)}" for i, (_, exc) in enumerate(self.errors)
        )
        super().__init__(f"client: etcd cluster is unavailable or misconfigured; {detail}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"dial tcp {exc.host}:{exc.port}: connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, asyncio.TimeoutError):
        return "context deadline exceeded"
    return str(exc) or type(exc).__name__


def _int_header(headers: Any, name: str) -> int:
    try:
        return int(headers.get(name, 0))
    except (TypeError, ValueError):
        return 0


def basic_authorization(username: str, password: str) -> str:
    """The ``Authorization`` header value for HTTP Basic credentials (RFC 7617, UTF-8)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def key_path(key: str) -> str:
    """``/v2/keys`` URL path of a key; every byte except ``/`` is percent-encoded."""
    return "/v2/keys" + quote("/" + key.lstrip("/"), safe="/")


class EtcdClient:
    """etcd v2 keys client over one aiohttp session, with endpoint failover.

    :param endpoints: base URLs such as ``http://127.0.0.1:2379``, tried in order.
    :param ssl_context: used for ``https://`` endpoints (client certificates, CA).
    :param username: HTTP Basic credentials for v2 auth, with ``password``.
    :param request_timeout: seconds for one non-watch request; watches never time out.
    :param dial_timeout: seconds allowed to connect, as the Go client's 1 s default.
    """

    def __init__(
        self,
        endpoints: Sequence[str] = DEFAULT_ENDPOINTS,
        *,
        ssl_context: ssl.SSLContext | None = None,
        username: str | None = None,
        password: str | None = None,
        request_timeout: float = 5.0,
        dial_timeout: float = 1.0,
    ):
        if not endpoints:
            raise ValueError("no etcd endpoints given")
        self.endpoints = [e.rstrip("/") for e in endpoints]
        self._preferred = 0
        self._ssl = ssl_context
        # Sent as a default header: aiohttp deprecates the session's ``auth`` argument.
        self._headers = (
            {"Authorization": basic_authorization(username, password or "")}
            if username else {}
        )
        self._request_timeout = request_timeout
        self._dial_timeout = dial_timeout
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EtcdClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self._ssl if self._ssl is not None else True)
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers)
        return self._session

    # -- raw requests ---------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        json_body: Any = None,
        timeout: float | None = -1.0,
        retry_on_other_endpoints: bool = True,
        body: bytes | None = None,
    ) -> tuple[int, Any, bytes]:
        """Send one request with failover; returns ``(status, headers, body)``.

        ``timeout`` < 0 means the client's default; ``None`` means wait forever (watches).
        ``body`` is an already encoded form body, sent as is (pyetcdctl encodes forms the
        way the Go client does, so that its ``--debug`` output shows the exact bytes sent).
        """
        total = self._request_timeout if timeout is not None and timeout < 0 else timeout
        client_timeout = aiohttp.ClientTimeout(total=total, sock_connect=self._dial_timeout)
        data: Any = None
        headers: dict[str, str] = {}
        if form is not None:
            data = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in form.items())
            headers["Content-Type"] = FORM
        elif json_body is not None:
            data = json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        elif body is not None:
            data = body
            headers["Content-Type"] = FORM
        errors: list[tuple[str, BaseException]] = []
        n = len(self.endpoints)
        for attempt in range(n):
            i = (self._preferred + attempt) % n
            url = self.endpoints[i] + path
            try:
                async with self._get_session().request(
                    method, url, params=params, data=data, headers=headers,
                    timeout=client_timeout, allow_redirects=False,
                ) as resp:
                    body = await resp.read()
                    self._preferred = i
                    return resp.status, resp.headers, body
            except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError,
                    aiohttp.ClientOSError, aiohttp.ClientPayloadError,
                    TimeoutError) as exc:
                errors.append((url, exc))
                sent = not isinstance(exc, aiohttp.ClientConnectorError)
                if sent and not retry_on_other_endpoints:
                    break
        raise ClusterUnavailable(errors)

    async def _keys(
        self,
        method: str,
        key: str,
        *,
        params: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        timeout: float | None = -1.0,
        retry_on_other_endpoints: bool = True,
    ) -> Response:
        status, headers, body = await self.request(
            method, key_path(key), params=params, form=form, timeout=timeout,
            retry_on_other_endpoints=retry_on_other_endpoints,
        )
        if status >= 400:
            err = EtcdError.from_json(body)
            if err is None:
                raise EtcdError(0, f"HTTP {status}: {body[:200]!r}", message="Unexpected response")
            raise err
        if not body.strip():
            raise EmptyResponse()
        return Response.from_http(json.loads(body), headers)

    # -- keys API ---------------------------------------------------------------------------

    async def get(
        self, key: str, *, recursive: bool = False, sorted: bool = False, quorum: bool = False
    ) -> Response:
        params = {"recursive": _bool(recursive), "sorted": _bool(sorted)}
        if quorum:
            params["quorum"] = "true"
        return await self._keys("GET", key, params=params)

    async def set(
        self,
        key: str,
        value: str | None = None,
        *,
        ttl: int | None = None,
        dir: bool = False,
        prev_exist: bool | None = None,
        prev_value: str | None = None,
        prev_index: int | None = None,
        refresh: bool = False,
        no_value_on_success: bool = False,
    ) -> Response:
        """PUT: set, create (``prev_exist=False``), update (``True``) or compareAndSwap."""
        form: dict[str, str] = {}
        if value is not None:
            form["value"] = value
        if ttl is not None:
            form["ttl"] = str(ttl)
        if dir:
            form["dir"] = "true"
        if refresh:
            form["refresh"] = "true"
        params: dict[str, str] = {}
        if prev_exist is not None:
            params["prevExist"] = _bool(prev_exist)
        if prev_value is not None:
            params["prevValue"] = prev_value
        if prev_index is not None:
            params["prevIndex"] = str(prev_index)
        if no_value_on_success:
            params["noValueOnSuccess"] = "true"
        return await self._keys(
            "PUT", key, params=params or None, form=form,
            retry_on_other_endpoints=prev_exist is not False,
        )

    async def create(self, key: str, value: str = "", *, ttl: int | None = None) -> Response:
        return await self.set(key, value, ttl=ttl, prev_exist=False)

    async def update(self, key: str, value: str, *, ttl: int | None = None) -> Response:
        return await self.set(key, value, ttl=ttl, prev_exist=True)

    async def mkdir(self, key: str, *, ttl: int | None = None) -> Response:
        return await self.set(key, dir=True, ttl=ttl, prev_exist=False)

    async def append(
        self, dir_key: str, value: str | None = None, *, ttl: int | None = None, dir: bool = False
    ) -> Response:
        """POST: create an in-order key under ``dir_key``."""
        form: dict[str, str] = {}
        if value is not None:
            form["value"] = value
        if ttl is not None:
            form["ttl"] = str(ttl)
        if dir:
            form["dir"] = "true"
        return await self._keys("POST", dir_key, form=form, retry_on_other_endpoints=False)

    async def delete(
        self,
        key: str,
        *,
        dir: bool = False,
        recursive: bool = False,
        prev_value: str | None = None,
        prev_index: int | None = None,
    ) -> Response:
        params: dict[str, str] = {}
        if dir:
            params["dir"] = "true"
        if recursive:
            params["recursive"] = "true"
        if prev_value is not None:
            params["prevValue"] = prev_value
        if prev_index is not None:
            params["prevIndex"] = str(prev_index)
        return await self._keys("DELETE", key, params=params or None)

    async def watch(
        self, key: str, *, wait_index: int | None = None, recursive: bool = False
    ) -> Response:
        """Long-poll for the next event on ``key`` at or after ``wait_index``.

        Raises :class:`pyetcd.errors.EtcdError` 401 when ``wait_index`` has left the
        server's 1000-event history; the caller then re-reads and watches again.
        """
        params = {"wait": "true", "recursive": _bool(recursive)}
        if wait_index is not None:
            params["waitIndex"] = str(wait_index)
        while True:
            try:
                return await self._keys("GET", key, params=params, timeout=None)
            except EmptyResponse:
                # etcd closes idle long polls with an empty body; ask again.
                continue

    async def watch_stream(
        self, key: str, *, wait_index: int | None = None, recursive: bool = False
    ) -> AsyncIterator[Response]:
        """Follow ``key`` with successive long polls, resuming after each event's index."""
        next_index = wait_index
        while True:
            resp = await self.watch(key, wait_index=next_index, recursive=recursive)
            if resp.node is not None:
                next_index = resp.node.modified_index + 1
            yield resp

    # -- cluster ------------------------------------------------------------------------------

    async def version(self) -> dict[str, Any]:
        status, _, body = await self.request("GET", "/version")
        return dict(json.loads(body)) if status == 200 else {}

    async def members(self) -> list[dict[str, Any]]:
        status, _, body = await self.request("GET", "/v2/members")
        if status != 200:
            raise EtcdError(0, f"HTTP {status}", message="Unexpected response")
        return list(json.loads(body).get("members", []))


class EmptyResponse(Exception):
    """The server ended a response with no body (an idle watch closed by the server)."""
