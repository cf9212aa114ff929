"""Request decoding: bodies (JSON, YAML, protobuf), query parameters, DeleteOptions."""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from kubelite.api import errors, fieldselectors, labels, listrv, pagination
from kubelite.api.resources import Resource
from kubelite.api.validation import FieldError, Path, options_invalid
from kubelite.apiserver.negotiation import BodyType, body_type
from kubelite.registry.generic import DeleteOptions, Filter

Obj = dict[str, Any]
MAX_REQUEST_BYTES = 3 * 1024 * 1024  # kube-apiserver's --max-request-bytes default
PROPAGATION_POLICIES = ("Foreground", "Background", "Orphan")


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
    return listrv.parse_query_int(request.query.get(name))


OPTIONS_KIND = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions",
                "DELETE": "DeleteOptions"}


def check_dry_run(values: list[str]) -> list[FieldError]:
    if all(v == "All" for v in values):
        return []
    return [Path("dryRun").not_supported(values, ["All"])]


def dry_run(request: web.Request) -> bool:
    values = request.query.getall("dryRun", [])
    errs = check_dry_run(values)
    if errs:
        raise options_invalid(OPTIONS_KIND.get(request.method, "CreateOptions"), errs)
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


def list_limit(request: web.Request) -> int | None:
    """``limit``, after ``timeoutSeconds``: kube converts (and refuses) the numbers first,
    before it parses the selectors (:func:`list_filter`) and validates the options."""
    query_int(request, "timeoutSeconds")
    return query_int(request, "limit")


def list_options(request: web.Request, limit: int | None) -> pagination.ListOptions:
    """``limit``, ``continue`` and the options checked beside them (kube's order)."""
    q = request.query
    return pagination.list_options(limit, q.get("continue", ""),
                                   q.get("resourceVersion", ""),
                                   q.get("resourceVersionMatch", ""),
                                   "sendInitialEvents" in q)


async def delete_options(request: web.Request) -> DeleteOptions:
    """DeleteOptions as kube reads them: from the body when there is one (kubectl puts
    ``dryRun``, ``propagationPolicy``, ``gracePeriodSeconds`` and ``preconditions`` there),
    else from the query; the query is not consulted when a body is present."""
    data = await read_body(request)
    if data.strip():
        kind = body_type(request.headers.get("Content-Type"))
        parsed = parse_yaml(data) if kind is BodyType.YAML else parse_json(data, [])
        if not isinstance(parsed, dict):
            raise errors.bad_request("decoded object cannot be converted to DeleteOptions")
        return parse_delete_options(parsed)
    query: Obj = {}
    if "gracePeriodSeconds" in request.query:
        query["gracePeriodSeconds"] = query_int(request, "gracePeriodSeconds")
    if "propagationPolicy" in request.query:
        query["propagationPolicy"] = request.query["propagationPolicy"]
    if "orphanDependents" in request.query:
        query["orphanDependents"] = query_bool(request, "orphanDependents")
    if "dryRun" in request.query:
        query["dryRun"] = request.query.getall("dryRun")
    return parse_delete_options(query)


def _typed(body: Obj, name: str, types: type | tuple[type, ...], go_type: str) -> Any:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, types) or (isinstance(value, bool) and types is int):
        got = {str: "string", bool: "bool", list: "array", dict: "object"}.get(
            type(value), "number")
        raise errors.bad_request(f"json: cannot unmarshal {got} into Go struct field "
                                 f"DeleteOptions.{name} of type {go_type}")
    return value


def parse_delete_options(body: Obj) -> DeleteOptions:
    """Pure: a DeleteOptions object -> :class:`DeleteOptions`, typed and validated as
    kube's ``ValidateDeleteOptions`` (bad values are a 422, wrong JSON types a 400)."""
    kind = body.get("kind")
    if kind not in (None, "", "DeleteOptions"):
        raise errors.bad_request(f'no kind "{kind}" is registered for DeleteOptions')
    grace = _typed(body, "gracePeriodSeconds", int, "int64")
    policy = _typed(body, "propagationPolicy", str, "v1.DeletionPropagation")
    orphan = _typed(body, "orphanDependents", bool, "bool")
    dry = _typed(body, "dryRun", list, "[]string") or []
    if not all(isinstance(v, str) for v in dry):
        raise errors.bad_request("json: cannot unmarshal number into Go struct field "
                                 "DeleteOptions.dryRun of type string")
    pre = _typed(body, "preconditions", dict, "v1.Preconditions") or {}
    uid = _typed(pre, "uid", str, "types.UID")
    rv = _typed(pre, "resourceVersion", str, "string")
    errs: list[FieldError] = []
    if orphan is not None and policy is not None:
        errs.append(Path("propagationPolicy").invalid(
            policy, "orphanDependents and deletionPropagation cannot be both set"))
    if policy is not None and policy not in PROPAGATION_POLICIES:
        errs.append(Path("propagationPolicy").not_supported(
            policy, [*PROPAGATION_POLICIES, "nil"]))
    errs += check_dry_run(dry)
    if errs:
        raise options_invalid("DeleteOptions", errs)
    if orphan is not None:
        policy = "Orphan" if orphan else "Background"
    return DeleteOptions(grace, policy or "", uid, rv, dry_run=bool(dry),
                         orphan_dependents=orphan)
