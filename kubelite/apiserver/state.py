"""The apiserver's shared state, stored on the aiohttp app under :data:`STATE`."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kubelite.api import pagination
from kubelite.registry.catalog import Catalog
from kubelite.registry.generic import FRESHNESS, Freshness
from kubelite.registry.strategy import Context


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ApiServer:
    catalog: Catalog
    clock: Callable[[], dt.datetime] = utc_now
    rng: random.Random = field(default_factory=random.Random)
    server_address: str = "127.0.0.1:8080"
    openapi_index: dict[str, Any] = field(default_factory=dict)
    openapi_docs: dict[str, bytes] = field(default_factory=dict)
    kubelet_scheme: str = "http"
    etcd_servers: tuple[str, ...] = ()
    min_request_timeout: int = 1800  # seconds; watches last between this and twice this
    bookmark_interval: float = 60.0  # seconds of quiet before a watch BOOKMARK
    # etcd events a continue token may be behind before its list is 410 Expired
    continue_window: int = pagination.HISTORY_EVENTS
    # how a list with resourceVersion=N waits for etcd's index to reach N (kube: 3 s)
    list_freshness: Freshness = FRESHNESS

    def context(self, namespace: str = "", **kw: Any) -> Context:
        return Context(now=self.clock(), rng=self.rng, namespace=namespace, **kw)


STATE: web.AppKey[ApiServer] = web.AppKey("kubelite_apiserver", ApiServer)
