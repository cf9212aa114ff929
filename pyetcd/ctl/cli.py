"""``pyetcdctl``: the etcdctl v2 command set (``ETCDCTL_API=2 etcdctl``, etcd 3.4).

Output, error messages and exit codes follow the real etcdctl 3.4.23 byte for byte; the
differential tests in ``tests/pyetcd/ctl`` run both programs side by side to keep it so.
Exit codes: 0 success, 1 bad arguments, 2 cannot connect (while syncing the cluster),
3 unknown help topic, 4 error from the server or the request, 5 cluster not healthy.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from typing import BinaryIO

from pyetcd.ctl import authcmd, cluster, keys, watch
from pyetcd.ctl.app import App, Command, Runner
from pyetcd.ctl.context import Streams
from pyetcd.ctl.goflag import Flag, bool_flag, duration_flag, string_flag

VERSION = "3.4.23"  # the etcdctl release whose behaviour pyetcdctl reproduces

GLOBAL_FLAGS = (
    bool_flag("debug", "output cURL commands which can be used to reproduce the request"),
    bool_flag("no-sync", "don't synchronize cluster information before sending request"),
    string_flag("output, o",
                "output response in the given format (`simple`, `extended` or `json`)",
                "simple"),
    string_flag("discovery-srv, D",
                "domain name to query for SRV records describing cluster endpoints"),
    bool_flag("insecure-discovery", "accept insecure SRV records describing cluster endpoints"),
    string_flag("peers, C", 'DEPRECATED - "--endpoints" should be used instead'),
    string_flag("endpoint", 'DEPRECATED - "--endpoints" should be used instead'),
    string_flag("endpoints", "a comma-delimited list of machine addresses in the cluster "
                '(default: "http://127.0.0.1:2379,http://127.0.0.1:4001")'),
    string_flag("cert-file", "identify HTTPS client using this SSL certificate file"),
    string_flag("key-file", "identify HTTPS client using this SSL key file"),
    string_flag("ca-file", "verify certificates of HTTPS-enabled servers using this CA bundle"),
    string_flag("username, u",
                "provide username[:password] and prompt if password is not supplied."),
    duration_flag("timeout", "connection timeout per request", 2.0),
    duration_flag("total-timeout", "timeout for the command execution (except watch)", 5.0),
)


def _unsupported(name: str, usage: str, args_usage: str = "",
                 flags: tuple[Flag, ...] = (), subcommands: tuple[Command, ...] = ()) -> Command:
    """A command etcdctl has and pyetcdctl only lists (its help matches etcdctl's)."""
    return Command(name, usage, cluster.not_implemented, args_usage, flags=flags,
                   subcommands=subcommands)


def _by_name(*groups: Sequence[Command]) -> dict[str, Command]:
    return {c.name: c for group in groups for c in group}


_ALL = _by_name(keys.COMMANDS, watch.COMMANDS, cluster.COMMANDS)

# etcdctl's order, which its help screen shows.
BACKUP = _unsupported("backup", "backup an etcd directory", " ", flags=(
    string_flag("data-dir", "Path to the etcd data dir"),
    string_flag("wal-dir", "Path to the etcd wal dir"),
    string_flag("backup-dir", "Path to the backup dir"),
    string_flag("backup-wal-dir", "Path to the backup wal dir"),
    bool_flag("with-v3", "Backup v3 backend data")))

# etcdctl's order, which its help screen shows.
COMMANDS = (
    BACKUP,
    _ALL["cluster-health"], _ALL["mk"], _ALL["mkdir"], _ALL["rm"], _ALL["rmdir"], _ALL["get"],
    _ALL["ls"], _ALL["set"], _ALL["setdir"], _ALL["update"], _ALL["updatedir"], _ALL["watch"],
    _ALL["exec-watch"], _ALL["member"],
    *authcmd.COMMANDS,
)

APP = App("etcdctl", "A simple command line client for etcd.", VERSION, GLOBAL_FLAGS, COMMANDS)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    stderr: BinaryIO | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run one etcdctl v2 command line; returns the exit code.

    The keyword arguments replace the process's streams and environment (tests use them
    to run commands in-process).
    """
    io = Streams(stdin or sys.stdin.buffer, stdout or sys.stdout.buffer,
                 stderr or sys.stderr.buffer, dict(os.environ if env is None else env))
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return asyncio.run(Runner(APP, io).run(args))
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except BrokenPipeError:
        # Go dies of SIGPIPE when its stdout is closed (``pyetcdctl ls | head -1``).
        if stdout is None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
