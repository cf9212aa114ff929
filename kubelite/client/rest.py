"""An async REST client of the Kubernetes API (kubelite's or any real apiserver's).

Plain JSON over HTTP with aiohttp. Every non-2xx answer raises :class:`ApiError` carrying
the server's ``Status`` (``code``, ``reason``, ``message``, ``details``). Paths are built
with :func:`resource_path`; objects are plain dicts.

    async with ApiClient("http://127.0.0.1:8080") as api:
        pod = await api.create(resource_path("v1", "pods", "default"), manifest)
        async for event in api.watch(resource_path("v1", "pods", "default"),
                                     resource_version=pod["metadata"]["resourceVersion"]):
            ...
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

Obj = dict[str, Any]
PATCH_TYPES = {
    "strategic": "application/strategic-merge-patch+json",
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "apply": "application/apply-patch+yaml",
}


class ApiError(Exception):
    """A failed API call: the ``Status`` the server sent (or one made from the reply)."""

    def __init__(self, status: Obj):
        self.status = status
        self.code = int(status.get("code", 0))
        self.reason = str(status.get("reason", ""))
        self.message = str(status.get("message", ""))
        super().__init__(f"{self.code} {self.reason}: {self.message}")

    @property
    def not_found(self) -> bool:
        return self.code == 404

    @property
    def conflict(self) -> bool:
        return self.code == 409


def resource_path(api_version: str, plural: str, namespace: str | None = None,
                  name: str | None = None, subresource: str | None = None) -> str:
    """``/api/v1/namespaces/default/pods/nginx/status`` and friends."""
    base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    parts = [base]
    if namespace:
        parts.append(f"namespaces/{namespace}")
    parts.append(plural)
    if name:
        parts.append(name)
        if subresource:
            parts.append(subresource)
    return "/".join(parts)


def _query(**params: Any) -> dict[str, str]:
    out = {}
    for key, value in params.items():
        if value is None or value is False:
            continue
        out[key] = "true" if value is True else str(value)
    return out


class ApiClient:
    def __init__(self, server: str = "http://127.0.0.1:8080", *,
                 session: aiohttp.ClientSession | None = None,
                 user_agent: str = "kubelite/0.1.0", timeout: float = 30.0):
        self.server = server.rstrip("/")
        self._session = session
        self._own_session = session is None
        self.headers = {"User-Agent": user_agent, "Accept": "application/json"}
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def request(self, method: str, path: str, body: Any = None, *,
                      content_type: str = "application/json",
                      params: dict[str, str] | None = None) -> Any:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = content_type
        async with self.session.request(method, self.server + path, data=data, params=params,
                                        headers=headers, timeout=self.timeout) as resp:
            raw = await resp.read()
            parsed: Any
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            if resp.status >= 300:
                if isinstance(parsed, dict) and parsed.get("kind") == "Status":
                    raise ApiError(parsed)
                raise ApiError({"code": resp.status, "reason": resp.reason or "",
                                "message": str(parsed)[:500]})
            return parsed

    async def get(self, path: str) -> Obj:
        result: Obj = await self.request("GET", path)
        return result

    async def list(self, path: str, *, label_selector: str | None = None,
                   field_selector: str | None = None) -> Obj:
        result: Obj = await self.request("GET", path, params=_query(
            labelSelector=label_selector, fieldSelector=field_selector))
        return result

    async def create(self, path: str, obj: Obj, *, field_manager: str | None = None,
                     dry_run: bool = False, field_validation: str | None = None) -> Obj:
        result: Obj = await self.request("POST", path, obj, params=_query(
            fieldManager=field_manager, dryRun="All" if dry_run else None,
            fieldValidation=field_validation))
        return result

    async def replace(self, path: str, obj: Obj, *, field_manager: str | None = None) -> Obj:
        result: Obj = await self.request("PUT", path, obj,
                                         params=_query(fieldManager=field_manager))
        return result

    async def patch(self, path: str, patch: Any, patch_type: str = "strategic", *,
                    field_manager: str | None = None, force: bool = False) -> Obj:
        result: Obj = await self.request("PATCH", path, patch,
                                         content_type=PATCH_TYPES[patch_type],
                                         params=_query(fieldManager=field_manager, force=force))
        return result

    async def delete(self, path: str, *, grace_period: int | None = None,
                     propagation: str | None = None, uid: str | None = None,
                     resource_version: str | None = None) -> Obj:
        body: Obj = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if grace_period is not None:
            body["gracePeriodSeconds"] = grace_period
        if propagation:
            body["propagationPolicy"] = propagation
        pre = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v}
        if pre:
            body["preconditions"] = pre
        result: Obj = await self.request("DELETE", path, body)
        return result

    async def watch(self, path: str, *, resource_version: str | None = None,
                    label_selector: str | None = None, field_selector: str | None = None,
                    timeout_seconds: int | None = None,
                    allow_bookmarks: bool = False) -> AsyncIterator[Obj]:
        """Events (``{"type", "object"}``) until the server ends the stream.

        An ``ERROR`` event is raised as :class:`ApiError` (410 Expired: list again).
        """
        params = _query(watch=True, resourceVersion=resource_version,
                        labelSelector=label_selector, fieldSelector=field_selector,
                        timeoutSeconds=timeout_seconds, allowWatchBookmarks=allow_bookmarks)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with self.session.get(self.server + path, params=params, headers=self.headers,
                                    timeout=timeout) as resp:
            if resp.status >= 300:
                body = await resp.read()
                try:
                    raise ApiError(json.loads(body))
                except ValueError:
                    raise ApiError({"code": resp.status, "message": body.decode()[:500]}) from None
            async for line in resp.content:
                if not line.strip():
                    continue
                event: Obj = json.loads(line)
                if event.get("type") == "ERROR":
                    raise ApiError(event.get("object") or {})
                yield event
