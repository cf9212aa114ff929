"""The aiohttp application: non-resource routes (version, health, discovery, OpenAPI)
and the catch-all resource handler."""

from __future__ import annotations

from aiohttp import web

from kubelite.api import errors
from kubelite.api import openapi_v2 as openapi_v2_doc
from kubelite.apiserver import discovery, handlers, respond
from kubelite.apiserver.negotiation import DISCOVERY_V2, DISCOVERY_V2BETA1, Rendering, choose
from kubelite.apiserver.state import STATE, ApiServer
from kubelite.apiserver.version import version_info
from kubelite.storage.errors import StorageError


async def version(request: web.Request) -> web.Response:
    return respond.raw(respond.dumps(version_info()))


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok", content_type="text/plain")


async def ready(request: web.Request) -> web.Response:
    """``/readyz`` and ``/healthz``: ok only while etcd answers (kube's etcd check)."""
    try:
        await request.app[STATE].catalog.namespaces.storage.current_index()
    except StorageError as err:
        return web.Response(status=500, text=f"[-]etcd failed: {err.message}\nreadyz check failed",
                            content_type="text/plain")
    return web.Response(text="ok", content_type="text/plain")


def _discovery(request: web.Request, core: bool) -> web.Response:
    rendering = choose(request.headers.get("Accept"), allow_table=False, allow_discovery=True)
    if rendering is Rendering.DISCOVERY_V2:
        return respond.raw(respond.dumps(discovery.aggregated(core)), 200, DISCOVERY_V2)
    if rendering is Rendering.DISCOVERY_V2BETA1:
        body = discovery.aggregated(core, "apidiscovery.k8s.io/v2beta1")
        return respond.raw(respond.dumps(body), 200, DISCOVERY_V2BETA1)
    server = request.app[STATE]
    legacy = discovery.api_versions(server.server_address) if core else discovery.api_group_list()
    return respond.raw(respond.dumps(legacy))


async def api_root(request: web.Request) -> web.Response:
    return _discovery(request, core=True)


async def apis_root(request: web.Request) -> web.Response:
    return _discovery(request, core=False)


async def api_version_resources(request: web.Request) -> web.Response:
    body = discovery.api_resource_list("", request.match_info["version"])
    if body is None:
        return respond.error(errors.page_not_found())
    return respond.raw(respond.dumps(body))


async def api_group(request: web.Request) -> web.Response:
    body = discovery.api_group(request.match_info["group"])
    if body is None:
        return respond.error(errors.page_not_found())
    return respond.raw(respond.dumps(body))


async def api_group_version(request: web.Request) -> web.Response:
    body = discovery.api_resource_list(request.match_info["group"], request.match_info["version"])
    if body is None:
        return respond.error(errors.page_not_found())
    return respond.raw(respond.dumps(body))


def _wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return not accept or any(t in accept for t in ("json", "*/*"))


async def openapi_index(request: web.Request) -> web.Response:
    if not _wants_json(request):
        return respond.error(errors.not_acceptable("application/json"))
    return respond.raw(respond.dumps(request.app[STATE].openapi_index))


async def openapi_document(request: web.Request) -> web.Response:
    if not _wants_json(request):
        return respond.error(errors.not_acceptable("application/json"))
    doc = request.app[STATE].openapi_docs.get(request.match_info["path"])
    if doc is None:
        return respond.error(errors.page_not_found())
    resp = respond.raw(doc)
    if "hash" in request.query:
        resp.headers["Cache-Control"] = "public, immutable"
    return resp


async def openapi_v2(request: web.Request) -> web.Response:
    """Swagger 2.0: protobuf for kubectl's client-side validator (which asks for nothing
    else), JSON otherwise; ETag so kubectl's HTTP cache can revalidate."""
    as_json, as_protobuf, etag = openapi_v2_doc.rendered()
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    accept = request.headers.get("Accept", "")
    if openapi_v2_doc.PROTOBUF in accept:
        resp = web.Response(body=as_protobuf, content_type=openapi_v2_doc.PROTOBUF_RESPONSE)
    elif _wants_json(request):
        resp = respond.raw(as_json)
    else:
        return respond.error(errors.not_acceptable(
            f"application/json, {openapi_v2_doc.PROTOBUF}"))
    resp.headers["ETag"] = etag
    resp.headers["Vary"] = "Accept"
    return resp


async def not_found(request: web.Request) -> web.Response:
    return respond.error(errors.page_not_found())


def make_app(server: ApiServer) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[STATE] = server
    r = app.router
    r.add_get("/version", version)
    for path in ("/livez", "/healthz/ping", "/livez/ping"):
        r.add_get(path, health)
    for path in ("/healthz", "/readyz", "/healthz/etcd", "/readyz/etcd"):
        r.add_get(path, ready)
    r.add_get("/api", api_root)
    r.add_get("/api/", api_root)
    r.add_get("/api/{version}", api_version_resources)
    r.add_get("/apis", apis_root)
    r.add_get("/apis/", apis_root)
    r.add_get("/apis/{group}", api_group)
    r.add_get("/apis/{group}/{version}", api_group_version)
    r.add_get("/openapi/v2", openapi_v2)
    r.add_get("/openapi/v3", openapi_index)
    r.add_get("/openapi/v3/{path:.+}", openapi_document)
    r.add_route("*", "/api/{tail:.+}", handlers.handle)
    r.add_route("*", "/apis/{tail:.+}", handlers.handle)
    r.add_route("*", "/{tail:.*}", not_found)
    return app
