"""``kubelite apiserver``: run the API server until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

from kubelite.apiserver import config as config_mod
from kubelite.apiserver import server
from pyetcd.sdnotify import notify_ready

log = logging.getLogger("kubelite.apiserver")


async def _serve(cfg: config_mod.Config) -> int:
    """Serve until a signal, or until a background loop fails (then exit 1 so the
    supervisor restarts us rather than running half a server). A signal while start-up
    still waits for etcd ends it cleanly too."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stopper = asyncio.create_task(stop.wait(), name="signal")
    starting = asyncio.create_task(server.start(cfg), name="start")
    await asyncio.wait({stopper, starting}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        log.info("shutting down before start-up finished")
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        return 0
    running = starting.result()
    notify_ready()  # systemd Type=notify, and `kubelite up`, wait for this
    rc = 0
    try:
        done, _ = await asyncio.wait({stopper, *running.tasks},
                                     return_when=asyncio.FIRST_COMPLETED)
        for task in done - {stopper}:
            log.error("background loop ended name=%s error=%r", task.get_name(),
                      task.exception() if not task.cancelled() else "cancelled")
            rc = 1
    finally:
        log.info("shutting down")
        stopper.cancel()
        await running.stop()
    return rc


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
