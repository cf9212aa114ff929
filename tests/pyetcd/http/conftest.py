"""The http tier: both transports (pyetcd.h1, the one the server runs, and the aiohttp shell)
around a real V2Api, in process, driven by aiohttp's test client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestClient
from yarl import URL

from pyetcd.api import V2Api
from pyetcd.config import Config
from pyetcd.h1 import H1Server
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


class H1TestServer(BaseTestServer):
    """pyetcd's own transport (:mod:`pyetcd.h1`) on a loopback port, for aiohttp's client."""

    def __init__(self, api: V2Api, clock: Callable[[], int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api = api
        self.clock = clock
        self._h1: Any = None

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        self.etcd_handler = H1Server(EtcdService(self.api), self.clock)
        self._h1 = await asyncio.get_running_loop().create_server(self.etcd_handler,
                                                                  "127.0.0.1", 0)
        self.port = self._h1.sockets[0].getsockname()[1]
        self.scheme = "http"
        self._root = URL(f"http://127.0.0.1:{self.port}")

    async def _make_runner(self, **kwargs: Any) -> web.ServerRunner:
        raise NotImplementedError

    async def close(self) -> None:
        if self._h1 is not None:
            self.etcd_handler.stop()
            self._h1.close()
            await self._h1.wait_closed()
            self._h1 = None


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


@pytest.fixture(params=["h1", "aiohttp"])
async def client(request: pytest.FixtureRequest,
                 aiohttp_client: Callable[..., Awaitable[TestClient]], api: V2Api,
                 clock: FakeClock) -> TestClient:
    server = H1TestServer if request.param == "h1" else EtcdTestServer
    return await aiohttp_client(server(api, clock))
