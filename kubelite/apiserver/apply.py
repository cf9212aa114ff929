"""Server-side apply (``PATCH`` with ``application/apply-patch+yaml``).

The body is the applier's full intent for the fields it manages. The object is created if
absent (201), otherwise merged (200); field ownership lives in ``metadata.managedFields``
(see :mod:`kubelite.api.managedfields`). A change to a field another manager owns is a 409
Conflict naming each field, unless ``force=true``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from kubelite.api import errors
from kubelite.apiserver import decode
from kubelite.registry.strategy import Context

if TYPE_CHECKING:
    from kubelite.apiserver.handlers import Call


async def server_side_apply(call: Call, body: Any, ctx: Context) -> web.StreamResponse:
    if not ctx.field_manager:
        raise errors.bad_request(
            f"PATCH {call.request.path}: fieldManager is required for apply requests")
    if not isinstance(body, dict):
        raise errors.bad_request("the apply configuration must be an object")
    decode.check_kind(body, call.res)
    meta = body.get("metadata") or {}
    if meta.get("name") != call.info.name:
        raise errors.bad_request(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL "
            f"({call.info.name})")
    if call.res.namespaced and meta.get("namespace") not in (None, "", call.namespace):
        raise errors.bad_request("the namespace of the provided object does not match the "
                                 "namespace sent on the request")
    force = decode.query_bool(call.request, "force")
    store = call.store
    if call.res.namespaced:
        try:
            await store.get(call.namespace, call.info.name)
        except errors.StatusError as err:
            if err.code != 404:
                raise
            await call.server.catalog.namespaces.require_active(
                call.namespace, call.res.plural, call.res.group, call.info.name)
    obj, created = await store.apply(call.namespace or None, call.info.name, body, ctx, force)
    return call.reply(obj, ctx, 201 if created else 200)
