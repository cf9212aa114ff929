"""``kubelite apiserver``: run the API server until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Any

from kubelite.apiserver import config as config_mod
from kubelite.apiserver import server

log = logging.getLogger("kubelite.apiserver")


async def _serve(cfg: config_mod.Config) -> int:
    running = await server.start(cfg)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await running.stop()
    return 0


def run(coro: Any) -> int:
    """Run on uvloop when it is installed, else on the default asyncio loop."""
    try:
        import uvloop
    except ImportError:
        return int(asyncio.run(coro))
    return int(uvloop.run(coro))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        cfg = config_mod.from_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if cfg.verbosity >= 4 else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    for name in cfg.ignored:
        log.info("ignoring flag name=--%s (not used by kubelite)", name)
    try:
        return run(_serve(cfg))
    except OSError as exc:
        print(f"kubelite apiserver: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
