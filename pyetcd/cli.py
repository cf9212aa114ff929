"""``pyetcd``: run the server with etcd's flags (``python -m pyetcd`` does the same)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from pyetcd import ETCD_VERSION, __version__, logfmt
from pyetcd.config import Config, ConfigError, parse_flags
from pyetcd.datadir import DataDirError
from pyetcd.server import run_loop, serve
from pyetcd.wal import q
from pyetcd.workers import run_split

log = logging.getLogger("pyetcd")

USAGE = """Usage: pyetcd [flags]

An etcd v2 API server. Takes etcd's flags (one or two dashes) and ETCD_* variables:
  --name NAME                          member name (default "default")
  --data-dir DIR                       data directory (default "<name>.etcd")
  --listen-client-urls URL[,URL...]    where to serve clients (default http://localhost:2379)
  --advertise-client-urls URL[,URL...] client URLs reported in /v2/machines and /v2/members
  --initial-advertise-peer-urls URLS   with --initial-cluster-token: the member ID, as etcd
  --log-level debug|info|warn|error    one line per event, key=value fields, on stderr
  --cert-file FILE --key-file FILE     TLS for https:// client URLs
  --trusted-ca-file FILE               require client certificates signed by this CA
  --client-cert-auth                   require client certificates (and map their CN to v2 users)
  --max-connections N                  open client connections (default 10000)
  --max-watchers N                     open watch responses (default 10000)
  --header-timeout D                   to receive a request's headers (default 10s)
  --idle-timeout D                     keep-alive connection with no request (default 300s)
  --snapshot-count N                   WAL entries between snapshots (default 100000)
  --unsafe-no-fsync                    do not fsync the WAL (fast; loses writes on a crash)
  --workers N                          pyetcd only (env PYETCD_WORKERS): N front processes
                                       serve the clients, one core process the store (default 0:
                                       one process)
Peer, cluster and tuning flags of etcd are accepted and ignored.
"""


def run(config: Config) -> int:
    """Serve until stopped; the exit status."""
    if config.workers:
        return run_split(config)
    run_loop(serve(config))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        flags = parse_flags(args)
        if "help" in flags:
            print(USAGE)
            return 0
        if "version" in flags:
            print(f"etcd Version: {ETCD_VERSION}\nGit SHA: pyetcd-{__version__}\n"
                  f"Go Version: python{sys.version.split()[0]}\nGo OS/Arch: linux/amd64")
            return 0
        config = Config.from_args(args)
    except ConfigError as err:
        print(f"pyetcd: {err}", file=sys.stderr)
        print(USAGE, file=sys.stderr)
        return 2
    logfmt.setup(config.log_level)
    if config.ignored:
        log.info('msg="accepted and ignored etcd flags" flags=%s', ",".join(config.ignored))
    try:
        return run(config)
    except KeyboardInterrupt:
        pass
    except DataDirError as err:  # a damaged or foreign data dir: say which file, stop
        log.error('msg="cannot start" error=%s', q(err))
        return 1
    except OSError as err:
        log.error('msg="cannot serve" error=%s', logfmt.quote(str(err)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
