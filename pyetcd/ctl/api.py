"""The Go v2 client's keys and members APIs: which requests it sends, how it reads replies.

Each method builds the exact request etcd's Go client builds (query parameters, form body,
one-shot or not) and decodes the reply with the Go client's rules: a 200/201 with an empty
body is "response body is empty", any other status is decoded as an etcd error, and a body
that does not decode is "response is invalid json".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pyetcd.ctl.gourl import encode_values
from pyetcd.ctl.response import Malformed, Response, decode_response
from pyetcd.ctl.transport import EMPTY_BODY, INVALID_JSON, GoClient, GoError, Reply, Request
from pyetcd.errors import EtcdError

KEYS_PREFIX = "/v2/keys"
MEMBERS_PREFIX = "/v2/members"
_UINT64 = 1 << 64


class EmptyBody(GoError):
    def __init__(self) -> None:
        super().__init__(EMPTY_BODY)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _key_path(key: str) -> str:
    return KEYS_PREFIX + (key if key.startswith("/") or not key else "/" + key)


def ttl_seconds(ttl: int) -> int | None:
    """The ``ttl`` form value for ``--ttl``, or None when none is sent.

    Go computes ``time.Duration(ttl) * time.Second`` (wrapping at 64 bits) and sends it
    only when that is positive, as ``uint64(d.Seconds())`` (which may then be 0).
    """
    nanos = (ttl * 1_000_000_000 + (1 << 63)) % _UINT64 - (1 << 63)
    if nanos <= 0:
        return None
    return int(float(nanos // 1_000_000_000) + float(nanos % 1_000_000_000) / 1e9)


def uint64(value: int) -> int:
    """Go's ``uint64(int)`` conversion (``-1`` becomes 2**64-1)."""
    return value % _UINT64


def _error_or_response(reply: Reply) -> Response:
    if reply.status in (200, 201):
        if not reply.body:
            raise EmptyBody()
        try:
            index = int(reply.headers.get("X-Etcd-Index", "") or 0)
        except ValueError:
            index = 0
        try:
            return decode_response(reply.body, index)
        except Malformed:
            raise GoError(INVALID_JSON) from None
    raise _decode_error(reply.body)


def _decode_error(body: bytes) -> GoError | EtcdError:
    try:
        data = json.loads(body)
    except ValueError:
        return GoError(INVALID_JSON)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return GoError(INVALID_JSON)
    fields = {"errorCode": int, "message": str, "cause": str, "index": int}
    for name, kind in fields.items():
        value = data.get(name)
        if value is not None and type(value) is not kind:
            return GoError(INVALID_JSON)
    return EtcdError(int(data.get("errorCode") or 0), str(data.get("cause") or ""),
                     int(data.get("index") or 0), message=str(data.get("message") or ""))


class KeysAPI:
    """``client.KeysAPI`` over a :class:`GoClient`."""

    def __init__(self, client: GoClient):
        self.client = client

    async def _call(self, req: Request, *, one_shot: bool = False) -> Response:
        return _error_or_response(await self.client.do(req, one_shot=one_shot))

    async def get(self, key: str, *, recursive: bool = False, sort: bool = False,
                  quorum: bool = False) -> Response:
        query = encode_values({"recursive": _bool(recursive), "sorted": _bool(sort),
                               "quorum": _bool(quorum)})
        return await self._call(Request("GET", _key_path(key), query))

    async def set(self, key: str, value: str, *, ttl: int = 0, prev_value: str = "",
                  prev_index: int = 0, prev_exist: str = "", dir: bool = False) -> Response:
        """PUT. ``prev_exist`` is ``""`` (ignore), ``"true"`` or ``"false"`` as in Go."""
        params: dict[str, str] = {}
        form: dict[str, str] = {}
        if dir:
            params["dir"] = "true"
        else:
            if prev_value:
                params["prevValue"] = prev_value
            form["value"] = value
        if prev_index:
            params["prevIndex"] = str(uint64(prev_index))
        if prev_exist:
            params["prevExist"] = prev_exist
        seconds = ttl_seconds(ttl)
        if seconds is not None:
            form["ttl"] = str(seconds)
        req = Request("PUT", _key_path(key), encode_values(params),
                      encode_values(form).encode("ascii"))
        return await self._call(req, one_shot=prev_exist == "false")

    async def delete(self, key: str, *, prev_value: str = "", prev_index: int = 0,
                     dir: bool = False, recursive: bool = False) -> Response:
        params: dict[str, str] = {}
        if prev_value:
            params["prevValue"] = prev_value
        if prev_index:
            params["prevIndex"] = str(uint64(prev_index))
        if dir:
            params["dir"] = "true"
        if recursive:
            params["recursive"] = "true"
        return await self._call(Request("DELETE", _key_path(key), encode_values(params)),
                                one_shot=True)

    async def create_in_order(self, dir: str, value: str, *, ttl: int = 0) -> Response:
        form = {"value": value}
        seconds = ttl_seconds(ttl)
        if seconds is not None:
            form["ttl"] = str(seconds)
        req = Request("POST", _key_path(dir), "", encode_values(form).encode("ascii"))
        return await self._call(req)

    def watcher(self, key: str, *, after_index: int = 0, recursive: bool = False) -> Watcher:
        after = uint64(after_index)
        wait_index = (after + 1) % _UINT64 if after > 0 else 0
        return Watcher(self, key, wait_index, recursive)


class Watcher:
    """``client.Watcher``: successive long polls, each resuming after the last event."""

    def __init__(self, api: KeysAPI, key: str, wait_index: int, recursive: bool):
        self._api = api
        self._key = key
        self.wait_index = wait_index
        self._recursive = recursive

    async def next(self) -> Response:
        while True:
            query = encode_values({"wait": "true", "waitIndex": str(self.wait_index),
                                   "recursive": _bool(self._recursive)})
            req = Request("GET", _key_path(self._key), query, wait=True)
            try:
                resp = await self._api._call(req)
            except EmptyBody:
                continue  # etcd ends an idle long poll with an empty body: poll again
            modified = resp.node.modified_index if resp.node is not None else 0
            self.wait_index = (modified + 1) % _UINT64
            return resp


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str
    peer_urls: tuple[str, ...]
    client_urls: tuple[str, ...]

    @classmethod
    def from_json(cls, raw: Any) -> Member:
        if not isinstance(raw, dict):
            raise GoError("json: cannot unmarshal into Go value of type client.Member")
        fields = {k.lower(): v for k, v in raw.items()}
        return cls(str(fields.get("id") or ""), str(fields.get("name") or ""),
                   tuple(fields.get("peerurls") or ()), tuple(fields.get("clienturls") or ()))


class MembersAPI:
    """``client.MembersAPI`` (list and leader)."""

    def __init__(self, client: GoClient):
        self.client = client

    async def _get(self, path: str) -> Any:
        reply = await self.client.do(Request("GET", path, keys=False))
        if reply.status != 200:
            raise GoError(f"unexpected status code {reply.status}")
        try:
            return json.loads(reply.body)
        except ValueError as exc:
            raise GoError(_go_json_syntax_error(reply.body, exc)) from None

    async def list(self) -> list[Member]:
        data = await self._get(MEMBERS_PREFIX)
        if not isinstance(data, dict):
            raise GoError("json: cannot unmarshal into Go value of type struct { Members []client.Member }")
        members = {k.lower(): v for k, v in data.items()}.get("members")
        return [Member.from_json(m) for m in members or ()]

    async def leader(self) -> Member:
        return Member.from_json(await self._get(MEMBERS_PREFIX + "/leader"))


def _go_json_syntax_error(body: bytes, exc: ValueError) -> str:
    if not body.strip():
        return "unexpected end of JSON input"
    return f"invalid character in JSON input ({exc})"
