"""Subresource handlers: ``status``, ``scale``, ``binding``, ``log``, ``finalize``."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kubelite.api import errors
from kubelite.api.errors import success_status
from kubelite.api.validation import to_causes
from kubelite.apiserver import decode, logs, respond
from kubelite.apiserver.negotiation import Rendering
from kubelite.registry import apps
from kubelite.registry.strategy import Context

if TYPE_CHECKING:
    from kubelite.apiserver.handlers import Call

Obj = dict[str, Any]


# -- status -------------------------------------------------------------------------------

async def get_status(call: Call) -> web.StreamResponse:
    return await _get_plain(call)


async def _get_plain(call: Call) -> web.StreamResponse:
    obj = await call.store.get(call.namespace or None, call.info.name)
    return respond.render_object(obj, call.rendering(allow_table=False), call.res,
                                 call.server.clock())


async def put_status(call: Call) -> web.StreamResponse:
    ctx = call.context()
    body = await call.body(ctx)
    obj = await call.store.write_status(call.namespace or None, call.info.name,
                                        lambda current: body, ctx)
    return call.reply(obj, ctx)


async def patch_status(call: Call) -> web.StreamResponse:
    from kubelite.apiserver.handlers import patch_function, read_patch

    ctx = call.context()
    kind, body = await read_patch(call)
    if kind.value == "apply-patch":
        raise errors.unsupported_media_type("application/apply-patch+yaml",
                                            "application/json-patch+json, "
                                            "application/merge-patch+json, "
                                            "application/strategic-merge-patch+json")
    compute = patch_function(call, kind, body)
    obj = await call.store.write_status(call.namespace or None, call.info.name, compute, ctx)
    return call.reply(obj, ctx)


# -- scale --------------------------------------------------------------------------------

async def get_scale(call: Call) -> web.StreamResponse:
    obj = await call.store.get(call.namespace or None, call.info.name)
    return respond.raw(respond.dumps(apps.to_scale(call.res, obj)))


async def _write_scale(call: Call, ctx: Context, new_scale: Any) -> web.StreamResponse:
    """Apply a Scale computed from the current object: ``new_scale(current_scale)``."""
    def compute(current: Obj | None) -> Obj:
        if current is None:
            raise errors.not_found(call.res.plural, call.res.group, call.info.name)
        scale = new_scale(apps.to_scale(call.res, current))
        want_rv = (scale.get("metadata") or {}).get("resourceVersion")
        replicas, errs = apps.replicas_from_scale(scale)
        if errs:
            raise errors.invalid("Scale", "autoscaling", call.info.name, to_causes(errs))
        updated = copy.deepcopy(current)
        updated.setdefault("spec", {})["replicas"] = replicas
        updated["metadata"]["resourceVersion"] = want_rv or current["metadata"]["resourceVersion"]
        return updated

    obj, _ = await call.store.patch(call.namespace or None, call.info.name, compute, ctx)
    return respond.raw(respond.dumps(apps.to_scale(call.res, obj)), warnings=ctx.warnings)


async def put_scale(call: Call) -> web.StreamResponse:
    ctx = call.context()
    data = await decode.read_body(call.request)
    body = decode.parse_json(data, [])
    if not isinstance(body, dict):
        raise errors.bad_request("the body must be a Scale object")
    return await _write_scale(call, ctx, lambda current: body)


async def patch_scale(call: Call) -> web.StreamResponse:
    from kubelite.api.patch import PatchError, jsonpatch, mergepatch, strategic
    from kubelite.apiserver.handlers import read_patch
    from kubelite.apiserver.negotiation import BodyType

    ctx = call.context()
    kind, body = await read_patch(call)

    def new_scale(scale: Obj) -> Obj:
        try:
            if kind is BodyType.JSON_PATCH:
                result: Obj = jsonpatch.apply(scale, body)
            elif kind is BodyType.STRATEGIC_PATCH:
                result = strategic.apply(scale, body, "V1Scale")
            else:
                result = mergepatch.apply(scale, body)
        except PatchError as exc:
            raise errors.bad_request(str(exc)) from exc
        return result

    return await _write_scale(call, ctx, new_scale)


# -- pods ---------------------------------------------------------------------------------

async def post_binding(call: Call) -> web.StreamResponse:
    ctx = call.context()
    data = await decode.read_body(call.request)
    body = decode.parse_json(data, [])
    if not isinstance(body, dict) or body.get("kind", "Binding") != "Binding":
        raise errors.bad_request("the body must be a Binding")
    return await bind(call, body, ctx, call.info.name)


async def bind(call: Call, binding: Obj, ctx: Context, name: str = "") -> web.StreamResponse:
    name = name or (binding.get("metadata") or {}).get("name", "")
    if not name:
        raise errors.bad_request("a Binding needs metadata.name (the pod)")
    if ctx.dry_run:
        await call.server.catalog.pods.get(call.namespace, name)
    else:
        await call.server.catalog.pods.bind(call.namespace, name, binding, ctx)
    body = success_status(name, "", "pods")
    body.pop("details")
    return respond.raw(respond.dumps(body), 201)


async def exec_or_attach(call: Call) -> web.StreamResponse:
    from kubelite.apiserver import exec as exec_mod

    pod = await call.server.catalog.pods.get(call.namespace, call.info.name)
    return await exec_mod.serve(call.request, call.server, pod, call.info.subresource)


async def get_log(call: Call) -> web.StreamResponse:
    pod = await call.server.catalog.pods.get(call.namespace, call.info.name)
    return await logs.serve(call.request, call.server, pod)


# -- namespaces ---------------------------------------------------------------------------

async def put_finalize(call: Call) -> web.StreamResponse:
    ctx = call.context()
    body = await call.body(ctx)
    obj = await call.server.catalog.namespaces.finalize(call.info.name, body, ctx)
    return respond.render_object(obj, Rendering.JSON, call.res, call.server.clock())
