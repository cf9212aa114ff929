"""The key commands: set, get, mk, mkdir, setdir, update, updatedir, rm, rmdir, ls.

Each follows etcdctl v2's order of work: connect (and sync) first, then check arguments,
then one request under ``--total-timeout``, then print. A server or connection error prints
``Error:  <err>`` and exits 4; a missing argument prints ``Error:  key required`` (or
``value required``) and exits 1. ``mkdir``, ``setdir``, ``updatedir``, and ``rm``/``rmdir`` of
a directory print nothing in the default ``simple`` format.
"""

from __future__ import annotations

from collections.abc import Awaitable

from pyetcd.ctl.app import Command
from pyetcd.ctl.connect import handle_error, keys_api
from pyetcd.ctl.context import EXIT_BAD_ARGS, EXIT_SERVER_ERROR, Exit, Invocation
from pyetcd.ctl.goflag import bool_flag, int_flag, string_flag
from pyetcd.ctl.response import Node, Response, format_response
from pyetcd.ctl.transport import GoError, with_deadline
from pyetcd.errors import EtcdError

TTL_FLAG = int_flag("ttl", "key time-to-live in seconds")


def key_arg(inv: Invocation) -> str:
    if not inv.args:
        raise handle_error(inv, EXIT_BAD_ARGS, GoError("key required"))
    return inv.args[0]


def value_arg(inv: Invocation) -> str:
    """The value argument, or all of stdin when it is missing (etcdctl's ``argOrStdin``)."""
    if len(inv.args) > 1:
        return inv.args[1]
    data = inv.io.stdin.read()
    if not data:
        raise handle_error(inv, EXIT_BAD_ARGS, GoError("value required"))
    return data.decode("utf-8", "surrogateescape")


async def call(inv: Invocation, work: Awaitable[Response]) -> Response:
    """One request under ``--total-timeout``; errors end the program with exit code 4."""
    try:
        return await with_deadline(work, inv.globals.duration("total-timeout"))
    except (GoError, EtcdError) as exc:
        raise handle_error(inv, EXIT_SERVER_ERROR, exc) from None


def print_response(inv: Invocation, resp: Response) -> None:
    out, err = format_response(resp, inv.output)
    if out:
        inv.io.out(out)
    if err:
        inv.io.err(err)


def _is_dir(resp: Response) -> bool:
    return resp.node is not None and resp.node.dir


async def set_command(inv: Invocation) -> None:
    api = await keys_api(inv)
    key, value = key_arg(inv), value_arg(inv)
    resp = await call(inv, api.set(
        key, value, ttl=inv.flags.int("ttl"), prev_value=inv.flags.string("swap-with-value"),
        prev_index=inv.flags.int("swap-with-index")))
    print_response(inv, resp)


async def get_command(inv: Invocation) -> None:
    api = await keys_api(inv)
    key = key_arg(inv)
    resp = await call(inv, api.get(key, sort=inv.flags.bool("sort"),
                                   quorum=inv.flags.bool("quorum")))
    if _is_dir(resp):
        assert resp.node is not None
        inv.io.err(f"{resp.node.key}: is a directory\n")
        raise Exit(1)
    print_response(inv, resp)


async def mk_command(inv: Invocation) -> None:
    api = await keys_api(inv)
    key, value = key_arg(inv), value_arg(inv)
    ttl = inv.flags.int("ttl")
    if inv.flags.bool("in-order"):
        resp = await call(inv, api.create_in_order(key, value, ttl=ttl))
    else:
        resp = await call(inv, api.set(key, value, ttl=ttl, prev_exist="false"))
    print_response(inv, resp)


async def _dir_command(inv: Invocation, prev_exist: str) -> None:
    api = await keys_api(inv)
    key = key_arg(inv)
    resp = await call(inv, api.set(key, "", ttl=inv.flags.int("ttl"), dir=True,
                                   prev_exist=prev_exist))
    if inv.output != "simple":
        print_response(inv, resp)


async def mkdir_command(inv: Invocation) -> None:
    await _dir_command(inv, "false")


async def setdir_command(inv: Invocation) -> None:
    await _dir_command(inv, "")


async def updatedir_command(inv: Invocation) -> None:
    await _dir_command(inv, "true")


async def update_command(inv: Invocation) -> None:
    api = await keys_api(inv)
    key, value = key_arg(inv), value_arg(inv)
    resp = await call(inv, api.set(key, value, ttl=inv.flags.int("ttl"), prev_exist="true"))
    print_response(inv, resp)


async def rm_command(inv: Invocation) -> None:
    api = await keys_api(inv)
    key = key_arg(inv)
    resp = await call(inv, api.delete(
        key, prev_value=inv.flags.string("with-value"), prev_index=inv.flags.int("with-index"),
        dir=inv.flags.bool("dir"), recursive=inv.flags.bool("recursive")))
    if not _is_dir(resp) or inv.output != "simple":
        print_response(inv, resp)


async def rmdir_command(inv: Invocation) -> None:
    api = await keys_api(inv)
    key = key_arg(inv)
    resp = await call(inv, api.delete(key, dir=True))
    if not _is_dir(resp) or inv.output != "simple":
        print_response(inv, resp)


async def ls_command(inv: Invocation) -> None:
    api = await keys_api(inv)
    key = inv.args[0] if inv.args else "/"
    resp = await call(inv, api.get(key, sort=inv.flags.bool("sort"),
                                   recursive=inv.flags.bool("recursive"),
                                   quorum=inv.flags.bool("quorum")))
    if inv.output != "simple":
        print_response(inv, resp)
        return
    node = resp.node or Node()
    lines = [] if node.dir else [node.key]
    _list_nodes(node.nodes or (), inv.flags.bool("p"), lines)
    if lines:
        inv.io.out("".join(f"{line}\n" for line in lines))


def _list_nodes(nodes: tuple[Node, ...], slash: bool, lines: list[str]) -> None:
    for node in nodes:
        lines.append(f"{node.key}/" if node.dir and slash else node.key)
        _list_nodes(node.nodes or (), slash, lines)


SET_DESCRIPTION = """Set sets the value of a key.

   When <value> begins with '-', <value> is interpreted as a flag.
   Insert '--' for workaround:

   $ set -- <key> <value>"""

COMMANDS = (
    Command("mk", "make a new key with a given value", mk_command, "<key> <value>", flags=(
        bool_flag("in-order", "create in-order key under directory <key>"), TTL_FLAG)),
    Command("mkdir", "make a new directory", mkdir_command, "<key>", flags=(TTL_FLAG,)),
    Command("rm", "remove a key or a directory", rm_command, "<key>", flags=(
        bool_flag("dir", "removes the key if it is an empty directory or a key-value pair"),
        bool_flag("recursive, r", "removes the key and all child keys(if it is a directory)"),
        string_flag("with-value", "previous value"),
        int_flag("with-index", "previous index"))),
    Command("rmdir", "removes the key if it is an empty directory or a key-value pair",
            rmdir_command, "<key>"),
    Command("get", "retrieve the value of a key", get_command, "<key>", flags=(
        bool_flag("sort", "returns result in sorted order"),
        bool_flag("quorum, q", "require quorum for get request"))),
    Command("ls", "retrieve a directory", ls_command, "[key]", flags=(
        bool_flag("sort", "returns result in sorted order"),
        bool_flag("recursive, r", "returns all key names recursively for the given path"),
        bool_flag("p", "append slash (/) to directories"),
        bool_flag("quorum, q", "require quorum for get request"))),
    Command("set", "set the value of a key", set_command, "<key> <value>", SET_DESCRIPTION, (
        TTL_FLAG, string_flag("swap-with-value", "previous value"),
        int_flag("swap-with-index", "previous index"))),
    Command("setdir", "create a new directory or update an existing directory TTL",
            setdir_command, "<key>", flags=(TTL_FLAG,)),
    Command("update", "update an existing key with a given value", update_command,
            "<key> <value>", flags=(TTL_FLAG,)),
    Command("updatedir", "update an existing directory", updatedir_command, "<key> <value>",
            flags=(TTL_FLAG,)),
)
