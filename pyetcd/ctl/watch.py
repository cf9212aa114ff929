"""``watch`` and ``exec-watch``: long polls on a key, printed or handed to a child process.

Both skip events whose node is a directory (``exec-watch`` says ``Ignored dir <key>
change`` on stderr), have no ``--total-timeout``, and exit 0 on Ctrl-C (SIGINT), as
etcdctl does. ``exec-watch`` starts the command for every event without waiting for the
previous one, with ``ETCD_WATCH_ACTION``, ``ETCD_WATCH_MODIFIED_INDEX``, ``ETCD_WATCH_KEY``
and ``ETCD_WATCH_VALUE`` added to its environment.

etcdctl's argument rule for ``exec-watch`` is kept as it is: the key comes first only when
a ``--`` follows it in the arguments left after flag parsing, otherwise the key is the
*last* argument. Because flag parsing consumes a leading ``--``, the form that works is
``exec-watch --recursive /key -- cmd args`` (a flag before the key).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import AsyncIterator
from typing import Any

from pyetcd.ctl.app import Command
from pyetcd.ctl.connect import handle_error, keys_api
from pyetcd.ctl.context import EXIT_BAD_ARGS, EXIT_SERVER_ERROR, Exit, Invocation
from pyetcd.ctl.goflag import bool_flag, int_flag
from pyetcd.ctl.keys import key_arg, print_response
from pyetcd.ctl.response import Response
from pyetcd.ctl.transport import GoError
from pyetcd.errors import EtcdError


@contextlib.asynccontextmanager
async def exit_zero_on_interrupt() -> AsyncIterator[None]:
    """Turn SIGINT into a clean exit 0, as etcdctl's signal goroutine does."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    installed = False
    if task is not None:
        try:
            loop.add_signal_handler(signal.SIGINT, task.cancel)
            installed = True
        except (RuntimeError, ValueError):  # not the main thread: leave SIGINT alone
            pass
    try:
        yield
    except asyncio.CancelledError:
        if installed:
            raise Exit(0) from None
        raise
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)


async def _next(inv: Invocation, watcher: Any) -> Response:
    try:
        resp: Response = await watcher.next()
        return resp
    except (GoError, EtcdError) as exc:
        raise handle_error(inv, EXIT_SERVER_ERROR, exc) from None


async def watch_command(inv: Invocation) -> None:
    api = await keys_api(inv)
    key = key_arg(inv)
    recursive = inv.flags.bool("recursive")
    forever = inv.flags.bool("forever")
    watcher = api.watcher(key, after_index=inv.flags.int("after-index"), recursive=recursive)
    async with exit_zero_on_interrupt():
        while True:
            resp = await _next(inv, watcher)
            if resp.node is not None and resp.node.dir:
                continue
            if recursive:
                inv.io.out(f"[{resp.action}] {resp.node.key if resp.node else ''}\n")
            print_response(inv, resp)
            if not forever:
                return


def split_exec_args(args: list[str]) -> tuple[str, list[str]]:
    """etcdctl's rule: ``key -- cmd...`` when a ``--`` follows the first argument, else the
    key is the last argument and the command is everything before it."""
    if any(arg == "--" for arg in args[1:]):
        return args[0], args[2:]
    return args[-1], args[:-1]


async def exec_watch_command(inv: Invocation) -> None:
    api = await keys_api(inv)
    if len(inv.args) < 2:
        raise handle_error(inv, EXIT_BAD_ARGS, GoError("key and command to exec required"))
    key, argv = split_exec_args(inv.args)
    watcher = api.watcher(key, after_index=inv.flags.int("after-index"),
                          recursive=inv.flags.bool("recursive"))
    children: set[asyncio.Task[None]] = set()
    async with exit_zero_on_interrupt():
        while True:
            resp = await _next(inv, watcher)
            node = resp.node
            if node is not None and node.dir:
                inv.io.err(f"Ignored dir {node.key} change\n")
                continue
            env = dict(inv.io.env)
            env["ETCD_WATCH_ACTION"] = resp.action
            env["ETCD_WATCH_MODIFIED_INDEX"] = str(node.modified_index if node else 0)
            env["ETCD_WATCH_KEY"] = node.key if node else ""
            env["ETCD_WATCH_VALUE"] = node.value if node else ""
            await _start(inv, argv, env, children)


async def _start(inv: Invocation, argv: list[str], env: dict[str, str],
                 children: set[asyncio.Task[None]]) -> None:
    """Start ``argv`` (not waiting for it); a start failure prints Go's text and exits 1."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=_fd(inv.io.stdout), stderr=_fd(inv.io.stderr))
    except OSError as exc:
        inv.io.err(_start_error(argv[0], exc, env))  # etcdctl prints it without a newline
        raise Exit(1) from None
    task = asyncio.create_task(_reap(inv, proc))
    children.add(task)
    task.add_done_callback(children.discard)


async def _reap(inv: Invocation, proc: asyncio.subprocess.Process) -> None:
    """Copy a piped child's output (only when our streams are not real files) and wait."""
    async def copy(pipe: asyncio.StreamReader | None, write: Any) -> None:
        if pipe is not None:
            while chunk := await pipe.read(65536):
                write(chunk.decode("utf-8", "surrogateescape"))

    await asyncio.gather(copy(proc.stdout, inv.io.out), copy(proc.stderr, inv.io.err))
    await proc.wait()


def _fd(stream: Any) -> int:
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return asyncio.subprocess.PIPE


def _start_error(name: str, exc: OSError, env: dict[str, str]) -> str:
    if "/" not in name and shutil.which(name, path=env.get("PATH", os.defpath)) is None:
        return f'exec: "{name}": executable file not found in $PATH'
    reason = (exc.strerror or str(exc)).lower()
    return f"fork/exec {name}: {reason}"


COMMANDS = (
    Command("watch", "watch a key for changes", watch_command, "<key>", flags=(
        bool_flag("forever, f", "forever watch a key until CTRL+C"),
        int_flag("after-index", "watch after the given index"),
        bool_flag("recursive, r", "returns all values for key and child keys"))),
    Command("exec-watch", "watch a key for changes and exec an executable", exec_watch_command,
            "<key> <command> [args...]", flags=(
                int_flag("after-index", "watch after the given index"),
                bool_flag("recursive, r", "watch all values for key and child keys"))),
)
