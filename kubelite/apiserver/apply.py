"""Server-side apply (``application/apply-patch+yaml``): not supported yet.

kubelite answers 415 UnsupportedMediaType listing the patch types it does accept, as a
kube-apiserver with the feature disabled would; ``kubectl apply`` (client-side, the
default) works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from kubelite.api import errors
from kubelite.registry.strategy import Context

if TYPE_CHECKING:
    from kubelite.apiserver.handlers import Call


async def server_side_apply(call: Call, body: Any, ctx: Context) -> web.StreamResponse:
    raise errors.unsupported_media_type(
        "application/apply-patch+yaml",
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json")
