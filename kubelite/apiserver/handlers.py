"""REST handlers for ``/api/v1/...`` and ``/apis/<group>/<version>/...``.

:func:`handle` parses the path into a :class:`RequestInfo`, finds the resource and picks
the verb handler from :data:`VERBS` by (HTTP method, has name, subresource). Each verb
handler decodes the request, calls one registry method and renders the result.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from kubelite.api import errors
from kubelite.api.errors import success_status
from kubelite.api.patch import PatchError, jsonpatch, mergepatch, strategic
from kubelite.api.resources import Resource, lookup
from kubelite.apiserver import componentstatus, decode, respond, subresources, watch
from kubelite.apiserver.negotiation import BodyType, Rendering, body_type, choose
from kubelite.apiserver.requestinfo import RequestInfo, parse
from kubelite.apiserver.state import STATE, ApiServer
from kubelite.registry.generic import Store
from kubelite.registry.strategy import Context

log = logging.getLogger(__name__)
Obj = dict[str, Any]
Handler = Callable[["Call"], Awaitable[web.StreamResponse]]
RETURN_DELETED_OBJECT = ("pods", "services")


class Call:
    """One API request: its parsed URL, resource, store and server state."""

    def __init__(self, request: web.Request, server: ApiServer, info: RequestInfo,
                 res: Resource, store: Store | None):
        self.request = request
        self.server = server
        self.info = info
        self.res = res
        self._store = store
        self.namespace = info.namespace if res.namespaced else ""

    @property
    def store(self) -> Store:
        if self._store is None:
            raise errors.method_not_allowed()
        return self._store

    def rendering(self, allow_table: bool = True) -> Rendering:
        rendering = choose(self.request.headers.get("Accept"), allow_table=allow_table)
        if rendering is Rendering.NONE:
            raise errors.not_acceptable("application/json, application/yaml")
        return rendering

    def context(self, dry_run: bool | None = None) -> Context:
        return self.server.context(
            self.namespace,
            dry_run=decode.dry_run(self.request) if dry_run is None else dry_run,
            field_manager=self.request.query.get("fieldManager", ""),
            field_validation=decode.field_validation(self.request),
            user_agent=self.request.headers.get("User-Agent", ""))

    async def body(self, ctx: Context) -> Obj:
        duplicates: list[str] = []
        obj = await decode.object_body(self.request, self.res, duplicates)
        if duplicates:
            texts = [f'duplicate field "{d}"' for d in duplicates]
            if ctx.field_validation == "Strict":
                raise errors.bad_request(
                    f'{self.res.kind} in version "{self.res.version}" cannot be handled as a '
                    f'{self.res.kind}: strict decoding error: ' + ", ".join(texts))
            if ctx.field_validation == "Warn":
                ctx.warnings.extend(texts)
        ns = (obj.get("metadata") or {}).get("namespace")
        if self.res.namespaced and ns and ns != self.namespace:
            raise errors.bad_request("the namespace of the provided object does not match the "
                                     "namespace sent on the request")
        return obj

    def reply(self, obj: Obj, ctx: Context | None = None, status: int = 200) -> web.Response:
        include = self.request.query.get("includeObject", "Metadata")
        return respond.render_object(obj, self.rendering(), self.res, self.server.clock(),
                                     status, ctx.warnings if ctx else None, include)


# -- collection verbs ---------------------------------------------------------------------

async def component_statuses(call: Call) -> web.StreamResponse:
    rendering = call.rendering()
    warnings = [componentstatus.DEPRECATION]
    if call.info.name:
        obj = await componentstatus.status(call.server.etcd_servers, call.info.name)
        return respond.render_object(obj, rendering, call.res, call.server.clock(),
                                     warnings=warnings)
    items = await componentstatus.statuses(call.server.etcd_servers)
    resp = respond.render_list(items, 0, rendering, call.res, call.server.clock())
    resp.headers.extend(respond.warning_headers(warnings))
    return resp


async def list_or_watch(call: Call) -> web.StreamResponse:
    if decode.query_bool(call.request, "watch") or call.info.legacy_watch:
        return await watch.serve(call.request, call.server, call.res, call.store,
                                 call.namespace or None)
    rendering = call.rendering()
    limit = decode.list_limit(call.request)
    flt = decode.list_filter(call.request)
    page = await call.store.list_page(call.namespace or None, flt,
                                      decode.list_options(call.request, limit),
                                      call.server.continue_window,
                                      call.server.list_freshness)
    return respond.render_list(page.items, page.resource_version, rendering, call.res,
                               call.server.clock(),
                               call.request.query.get("includeObject", "Metadata"),
                               page.continue_, page.remaining)


async def create(call: Call) -> web.StreamResponse:
    ctx = call.context()
    obj = await call.body(ctx)
    if call.res.plural == "bindings":
        return await subresources.bind(call, obj, ctx)
    if call.res.namespaced:
        name = (obj.get("metadata") or {}).get("name", "")
        await call.server.catalog.namespaces.require_active(
            call.namespace, call.res.plural, call.res.group, name)
    created = await call.store.create(obj, ctx)
    return call.reply(created, ctx, 201)


async def delete_collection(call: Call) -> web.StreamResponse:
    opts = await decode.delete_options(call.request)
    ctx = call.context(dry_run=opts.dry_run)
    items, rv = await call.store.list(call.namespace or None, decode.list_filter(call.request))
    done = []
    for item in items:
        try:
            obj, _ = await call.store.delete(item["metadata"].get("namespace"),
                                             item["metadata"]["name"], opts, ctx)
            done.append(obj)
        except errors.StatusError as err:
            if err.code != 404:
                raise
    return respond.render_list(done, rv, Rendering.JSON, call.res, call.server.clock())


# -- item verbs ---------------------------------------------------------------------------

async def get(call: Call) -> web.StreamResponse:
    rendering = call.rendering()
    obj = await call.store.get(call.namespace or None, call.info.name)
    return respond.render_object(obj, rendering, call.res, call.server.clock(),
                                 include=call.request.query.get("includeObject", "Metadata"))


async def update(call: Call) -> web.StreamResponse:
    ctx = call.context()
    obj = await call.body(ctx)
    name = call.info.name
    if call.res.namespaced and call.store.strategy.allow_create_on_update:
        await call.server.catalog.namespaces.require_active(call.namespace, call.res.plural,
                                                            call.res.group, name)
    stored, created = await call.store.update(call.namespace or None, name, obj, ctx)
    return call.reply(stored, ctx, 201 if created else 200)


def patch_function(call: Call, kind: BodyType, patch: Any) -> Callable[[Obj | None], Obj]:
    """Pure ``current -> patched`` for the request's patch type."""
    type_name = call.store.strategy.type_name

    def compute(current: Obj | None) -> Obj:
        if current is None:
            raise errors.not_found(call.res.plural, call.res.group, call.info.name)
        try:
            if kind is BodyType.JSON_PATCH:
                result = jsonpatch.apply(current, patch)
            elif kind is BodyType.MERGE_PATCH:
                result = mergepatch.apply(current, patch)
            else:
                result = strategic.apply(current, patch, type_name)
        except PatchError as exc:
            if exc.bad_request:
                raise errors.bad_request(str(exc)) from exc
            raise errors.StatusError("Invalid", str(exc), code=422) from exc
        except RecursionError as exc:
            raise errors.bad_request("the patch is nested too deeply") from exc
        if not isinstance(result, dict):
            raise errors.bad_request("the patch did not produce an object")
        return result

    return compute


async def read_patch(call: Call) -> tuple[BodyType, Any]:
    kind = body_type(call.request.headers.get("Content-Type"))
    if kind not in (BodyType.JSON_PATCH, BodyType.MERGE_PATCH, BodyType.STRATEGIC_PATCH,
                    BodyType.APPLY_PATCH):
        raise errors.unsupported_media_type(
            call.request.headers.get("Content-Type", "x"),
            "application/json-patch+json, application/merge-patch+json, "
            "application/strategic-merge-patch+json, application/apply-patch+yaml")
    data = await decode.read_body(call.request)
    if kind is BodyType.APPLY_PATCH:
        return kind, decode.parse_yaml(data)
    return kind, decode.parse_json(data, [])


async def patch(call: Call) -> web.StreamResponse:
    ctx = call.context()
    kind, body = await read_patch(call)
    if kind is BodyType.APPLY_PATCH:
        from kubelite.apiserver import apply
        return await apply.server_side_apply(call, body, ctx)
    stored, _ = await call.store.patch(call.namespace or None, call.info.name,
                                       patch_function(call, kind, body), ctx)
    return call.reply(stored, ctx)


async def delete(call: Call) -> web.StreamResponse:
    opts = await decode.delete_options(call.request)
    ctx = call.context(dry_run=opts.dry_run)
    obj, gone = await call.store.delete(call.namespace or None, call.info.name, opts, ctx)
    # kube answers 202 only for a deletion still pending that asked orphanDependents=false
    status = 202 if not gone and opts.orphan_dependents is False else 200
    if not gone or call.res.plural in RETURN_DELETED_OBJECT:
        return call.reply(obj, ctx, status)
    body = success_status(call.info.name, call.res.group, call.res.plural,
                          obj["metadata"].get("uid", ""))
    return respond.raw(respond.dumps(body), status, warnings=ctx.warnings)


VERBS: dict[tuple[str, bool, str], Handler] = {
    ("GET", False, ""): list_or_watch,
    ("POST", False, ""): create,
    ("DELETE", False, ""): delete_collection,
    ("GET", True, ""): get,
    ("PUT", True, ""): update,
    ("PATCH", True, ""): patch,
    ("DELETE", True, ""): delete,
    ("GET", True, "status"): subresources.get_status,
    ("PUT", True, "status"): subresources.put_status,
    ("PATCH", True, "status"): subresources.patch_status,
    ("GET", True, "scale"): subresources.get_scale,
    ("PUT", True, "scale"): subresources.put_scale,
    ("PATCH", True, "scale"): subresources.patch_scale,
    ("POST", True, "binding"): subresources.post_binding,
    ("GET", True, "log"): subresources.get_log,
    ("GET", True, "exec"): subresources.exec_or_attach,
    ("POST", True, "exec"): subresources.exec_or_attach,
    ("GET", True, "attach"): subresources.exec_or_attach,
    ("POST", True, "attach"): subresources.exec_or_attach,
    ("PUT", True, "finalize"): subresources.put_finalize,
}


async def handle(request: web.Request) -> web.StreamResponse:
    server = request.app[STATE]
    try:
        info = parse(request.path)
        res = lookup(info.group, info.version, info.resource) if info else None
        if info is None or res is None:
            raise errors.page_not_found()
        if info.subresource and res.subresource(info.subresource) is None:
            raise errors.page_not_found()
        if (info.name and res.namespaced and not info.namespace) or (
                info.namespace and not res.namespaced):
            raise errors.page_not_found()
        for part in (info.name, info.namespace):
            if part in (".", "..") or any(c in part for c in "/%"):
                raise errors.bad_request(f'invalid name "{part}": may not be "." or ".." and '
                                         'may not contain "/" or "%"')
        verb = VERBS.get((request.method, bool(info.name), info.subresource))
        if res.plural == "componentstatuses":
            verb = component_statuses if request.method == "GET" and not info.subresource \
                else None
        if verb is None:
            raise errors.method_not_allowed()
        store = (server.catalog.stores.get((res.group, res.plural))
                 if res.plural != "bindings" else server.catalog.pods)
        return await verb(Call(request, server, info, res, store))
    except errors.StatusError as err:
        return respond.error(err)
    except (ConnectionResetError, web.HTTPException):
        raise
    except Exception as exc:  # noqa: BLE001 - the one place unexpected failures become a 500
        log.exception("internal error method=%s path=%s", request.method, request.path)
        return respond.error(errors.internal(str(exc) or type(exc).__name__))


__all__ = ["handle", "Call", "patch_function", "read_patch"]
