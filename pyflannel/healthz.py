"""``/healthz`` as flanneld serves it: 200 ``flanneld is running`` for any method, 404 else."""

from __future__ import annotations

from aiohttp import web

BODY = "flanneld is running"


async def _healthz(_request: web.Request) -> web.Response:
    return web.Response(text=BODY)


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/healthz", _healthz)
    return app


async def start(host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(make_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
