"""Rendering responses: objects, lists, Tables, YAML, Status errors and warnings."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml
from aiohttp import web
from multidict import CIMultiDict

from kubelite.api import errors, printers
from kubelite.api.resources import Resource
from kubelite.apiserver.negotiation import TABLE_TYPE, Rendering

Obj = dict[str, Any]


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def warning_headers(warnings: list[str]) -> list[tuple[str, str]]:
    # RFC 7234 warn-code 299, agent "-", quoted text (as kube writes them)
    return [("Warning", f'299 - {json.dumps(w)}') for w in warnings]


def raw(body: bytes, status: int = 200, content_type: str = "application/json",
        warnings: list[str] | None = None) -> web.Response:
    headers = CIMultiDict([("Content-Type", content_type)] + warning_headers(warnings or []))
    return web.Response(body=body, status=status, headers=headers)


def error(err: errors.StatusError) -> web.Response:
    resp = raw(dumps(err.to_status()), err.code)
    if err.retry_after is not None:
        resp.headers["Retry-After"] = str(err.retry_after)
    return resp


def partial(obj: Obj) -> Obj:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata") or {}}


def render_object(obj: Obj, rendering: Rendering, res: Resource | None, now: dt.datetime,
                  status: int = 200, warnings: list[str] | None = None,
                  include: str = "Metadata") -> web.Response:
    if rendering is Rendering.TABLE and res is not None and obj.get("kind") == res.kind:
        table = printers.table(res.plural, [obj], now,
                               (obj.get("metadata") or {}).get("resourceVersion", ""), include)
        return raw(dumps(table), status, TABLE_TYPE, warnings)
    if rendering is Rendering.PARTIAL and obj.get("kind") not in ("Status", None):
        return raw(dumps(partial(obj)), status,
                   "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io", warnings)
    if rendering is Rendering.YAML:
        return raw(yaml.safe_dump(obj, sort_keys=False).encode(), status, "application/yaml",
                   warnings)
    return raw(dumps(obj), status, "application/json", warnings)


def list_meta(rv: int, continue_: str = "", remaining: int | None = None) -> Obj:
    """A list's ``metadata`` (ListMeta), in kube's field order."""
    meta: Obj = {"resourceVersion": str(rv)}
    if continue_:
        meta["continue"] = continue_
    if remaining is not None:
        meta["remainingItemCount"] = remaining
    return meta


def render_list(items: list[Obj], rv: int, rendering: Rendering, res: Resource,
                now: dt.datetime, include: str = "Metadata", continue_: str = "",
                remaining: int | None = None) -> web.Response:
    meta = list_meta(rv, continue_, remaining)
    if rendering is Rendering.TABLE:
        table = printers.table(res.plural, items, now, str(rv), include)
        table["metadata"] = meta  # kube's table convertor copies the whole ListMeta
        return raw(dumps(table), 200, TABLE_TYPE)
    if rendering is Rendering.PARTIAL:
        body = {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                "metadata": meta, "items": [partial(i) for i in items]}
        return raw(dumps(body), 200,
                   "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io")
    body = {"kind": res.list_kind, "apiVersion": res.api_version,
            "metadata": meta, "items": items}
    if rendering is Rendering.YAML:
        return raw(yaml.safe_dump(body, sort_keys=False).encode(), 200, "application/yaml")
    return raw(dumps(body), 200)
