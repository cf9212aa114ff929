"""The http tier: every transport (pyetcd.h1, the one the server runs; the aiohttp shell; and
h1 as a ``--workers`` front talking to a core over a socket pair) around a real V2Api, in
process, driven by aiohttp's test client."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestClient
from yarl import URL

from pyetcd.api import V2Api
from pyetcd.config import Config
from pyetcd.core import Core, FrontLink
from pyetcd.front import CoreLink
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


class SplitTestServer(H1TestServer):
    """``--workers`` in one process: an h1 front whose service is a :class:`CoreLink` to a
    core (:class:`FrontLink` around the service) over a real socket pair, in this loop."""

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        running = asyncio.get_running_loop()
        front_end, core_end = socket.socketpair()
        self.core = Core(EtcdService(self.api))
        await running.connect_accepted_socket(lambda: FrontLink(self.core, "test"), core_end)
        _, self.link = await running.connect_accepted_socket(CoreLink, front_end)
        self.etcd_handler = H1Server(self.link, self.clock)
        self._h1 = await running.create_server(self.etcd_handler, "127.0.0.1", 0)
        self.port = self._h1.sockets[0].getsockname()[1]
        self.scheme = "http"
        self._root = URL(f"http://127.0.0.1:{self.port}")

    async def close(self) -> None:
        await super().close()
        if self.link.transport is not None:
            self.link.transport.close()


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


TRANSPORTS: dict[str, type[BaseTestServer]] = {
    "h1": H1TestServer, "aiohttp": EtcdTestServer, "split": SplitTestServer}


@pytest.fixture(params=list(TRANSPORTS))
async def client(request: pytest.FixtureRequest,
                 aiohttp_client: Callable[..., Awaitable[TestClient]], api: V2Api,
                 clock: FakeClock) -> TestClient:
    return await aiohttp_client(TRANSPORTS[request.param](api, clock))  # type: ignore[call-arg]
