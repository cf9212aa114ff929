"""The http tier: the real aiohttp shell around a real V2Api, in process (aiohttp_client)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestClient

from pyetcd.api import V2Api
from pyetcd.config import Config
from pyetcd.http import Handler
from pyetcd.server import build_api, build_server
from pyetcd.service import EtcdService

T0 = 1_800_000_000 * 1_000_000_000


class EtcdTestServer(BaseTestServer):
    """aiohttp's test server around pyetcd's low-level ``web.Server``."""

    def __init__(self, api: V2Api, clock: Callable[[], int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api = api
        self.clock = clock

    async def _make_runner(self, **kwargs: Any) -> web.ServerRunner:
        self.etcd_handler = Handler(EtcdService(self.api), self.clock)
        return web.ServerRunner(build_server(self.etcd_handler))


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> V2Api:
    return build_api(Config(name="t", advertise_client_urls=("http://127.0.0.1:2379",)), clock())


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]], api: V2Api,
                 clock: FakeClock) -> TestClient:
    return await aiohttp_client(EtcdTestServer(api, clock))
