"""``pyflanneld``: flanneld's command line (``main(argv) -> int``).

``pyflanneld [flags]`` runs the daemon; ``pyflanneld mk-docker-opts [...]`` is the port of
flannel's ``mk-docker-opts.sh``. ``--version`` prints the version to stderr, as flanneld.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from pyflannel import __version__, docker_opts
from pyflannel.config import UsageError, from_args, usage


def setup_logging(verbosity: int) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbosity >= 2 else logging.INFO,
        format="%(levelname).1s%(asctime)s %(process)d %(name)s] %(message)s",
        datefmt="%m%d %H:%M:%S",
        stream=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "mk-docker-opts":
        return docker_opts.main(args[1:])
    try:
        cfg = from_args(args, os.environ)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        print(usage(), file=sys.stderr, end="")
        return 2
    if cfg.show_help:
        print(usage(), file=sys.stderr, end="")
        return 0
    if cfg.show_version:
        print(__version__, file=sys.stderr)
        return 0
    setup_logging(cfg.verbosity)
    from pyflannel import daemon  # imports aiohttp/pyroute2 only when the daemon runs

    # Plain asyncio: the data path runs in threads and pyroute2's synchronous API (called
    # through asyncio.to_thread) starts private event loops that must not be uvloop's.
    return asyncio.run(daemon.run(cfg))


if __name__ == "__main__":
    sys.exit(main())
