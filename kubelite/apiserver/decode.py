"""Request decoding: bodies (JSON, YAML, protobuf), query parameters, DeleteOptions."""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from kubelite.api import errors, fieldselectors, labels
from kubelite.api.resources import Resource
from kubelite.apiserver.negotiation import BodyType, body_type
from kubelite.registry.generic import DeleteOptions, Filter

Obj = dict[str, Any]
MAX_REQUEST_BYTES = 3 * 1024 * 1024  # kube-apiserver's --max-request-bytes default


class _Duplicates(dict[str, Any]):
    pass


def _pairs_hook(found: list[str]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                found.append(k)
            out[k] = v
        return out
    return hook


async def read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        raise errors.too_large(MAX_REQUEST_BYTES)
    data = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        data += chunk
        if len(data) > MAX_REQUEST_BYTES:
            raise errors.too_large(MAX_REQUEST_BYTES)
    return bytes(data)


def parse_json(data: bytes, duplicates: list[str]) -> Any:
    try:
        return json.loads(data or b"null", object_pairs_hook=_pairs_hook(duplicates))
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc
    except RecursionError as exc:
        raise errors.bad_request("couldn't get version/kind; json parse error: exceeded max "
                                 "depth") from exc


def parse_yaml(data: bytes) -> Any:
    """YAML without anchors/aliases: a small body must not expand into a huge object."""
    try:
        text = data.decode("utf-8")
        if "*" in text and any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text)):
            raise errors.bad_request("error converting YAML to JSON: yaml: aliases are not "
                                     "supported")
        return yaml.safe_load(text) if data else None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"error converting YAML to JSON: {exc}") from exc
    except RecursionError as exc:
        raise errors.bad_request("error converting YAML to JSON: exceeded max depth") from exc


async def object_body(request: web.Request, res: Resource, duplicates: list[str]) -> Obj:
    """The object in a POST/PUT body, type-checked against the endpoint's kind."""
    kind = body_type(request.headers.get("Content-Type"))
    data = await read_body(request)
    if kind is BodyType.JSON:
        obj = parse_json(data, duplicates)
    elif kind is BodyType.YAML:
        obj = parse_yaml(data)
    elif kind is BodyType.PROTOBUF:
        from kubelite.api import protobuf
        obj = protobuf.decode(data, res)
    else:
        raise errors.unsupported_media_type(request.headers.get("Content-Type", ""))
    if not isinstance(obj, dict):
        raise errors.bad_request(f"Object 'Kind' is missing in '{data[:200].decode(errors='replace')}'")
    check_kind(obj, res)
    return obj


def check_kind(obj: Obj, res: Resource) -> None:
    """A missing kind or apiVersion defaults to the endpoint's (kube decodes with the
    endpoint's group-version-kind as the default); a different one is a 400."""
    kind = obj.setdefault("kind", res.kind) or res.kind
    version = obj.setdefault("apiVersion", res.api_version) or res.api_version
    if version != res.api_version:
        raise errors.bad_request(
            f"the API version in the data ({version}) does not match the expected API version "
            f"({res.api_version})")
    if kind != res.kind:
        raise errors.bad_request(
            f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
            f'no kind "{kind}" is registered for version "{version}" in scheme')


def query_bool(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "t", "yes")


def query_int(request: web.Request, name: str) -> int | None:
    text = request.query.get(name)
    if text in (None, ""):
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise errors.bad_request(f"invalid {name}: {text!r} is not an integer") from exc


def dry_run(request: web.Request) -> bool:
    values = request.query.getall("dryRun", [])
    for v in values:
        if v != "All":
            raise errors.bad_request(f'Invalid dry run value: "{v}"; supported values: "All"')
    return bool(values)


def field_validation(request: web.Request) -> str:
    value = request.query.get("fieldValidation", "") or "Warn"
    if value not in ("Strict", "Warn", "Ignore"):
        raise errors.bad_request(
            f"fieldValidation {value} is invalid, valid values are: Ignore, Warn, Strict")
    return value


def list_filter(request: web.Request) -> Filter:
    try:
        lsel = labels.parse(request.query.get("labelSelector", ""))
        fsel = fieldselectors.parse(request.query.get("fieldSelector", ""))
    except labels.SelectorError as exc:
        raise errors.bad_request(str(exc)) from exc
    return Filter(lsel, fsel)


async def delete_options(request: web.Request) -> DeleteOptions:
    data = await read_body(request)
    body: Obj = {}
    if data.strip():
        parsed = parse_json(data, [])
        if isinstance(parsed, dict):
            body = parsed
    grace = body.get("gracePeriodSeconds")
    q_grace = query_int(request, "gracePeriodSeconds")
    if q_grace is not None:
        grace = q_grace
    policy = body.get("propagationPolicy") or request.query.get("propagationPolicy", "")
    if body.get("orphanDependents") is True or query_bool(request, "orphanDependents"):
        policy = policy or "Orphan"
    pre = body.get("preconditions") or {}
    return DeleteOptions(grace if isinstance(grace, int) else None, policy,
                         pre.get("uid"), pre.get("resourceVersion"))
