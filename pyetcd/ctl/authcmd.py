"""``user``, ``role`` and ``auth``: etcdctl v2's commands for the ``/v2/auth`` API.

Requests are those of the Go client (``client/auth_user.go``, ``auth_role.go``): JSON
bodies in Go's field order, and its way of reading replies (an error reply's
``{"message"}`` is the error text; some calls only say "unexpected status code N").
Failures print the error on stderr and exit 1, as etcdctl does. Passwords come from
``name:password`` (``user add``) or the ``New password:`` prompt (echo off with ``stty``,
as etcdctl's speakeasy does), so both work without a terminal.
"""

from __future__ import annotations

import json
from typing import Any

from pyetcd.ctl.app import Command
from pyetcd.ctl.connect import ask_password, connect
from pyetcd.ctl.context import EXIT_BAD_ARGS, Exit, Invocation
from pyetcd.ctl.goflag import Flag, bool_flag, string_flag
from pyetcd.ctl.gourl import canonical_url_path
from pyetcd.ctl.transport import GoClient, GoError, Request, with_deadline

AUTH = "/v2/auth"


class AuthError(Exception):
    """What etcdctl prints: the server's message, or the client's own complaint."""


def _go_json(value: Any) -> bytes:
    """``json.Marshal``: Go's escaping of ``<``, ``>`` and ``&`` included."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


async def _call(inv: Invocation, client: GoClient, method: str, path: str,
                body: dict[str, Any] | None = None, ok: tuple[int, ...] = (200,),
                parse_error: bool = True) -> Any:
    req = Request(method, AUTH + path, body=None if body is None else _go_json(body), keys=False)
    try:
        reply = await with_deadline(client.do(req), inv.globals.duration("total-timeout"))
    except GoError as exc:
        raise AuthError(str(exc)) from None
    if reply.status not in ok:
        if not parse_error:
            raise AuthError(f"unexpected status code {reply.status}")
        try:
            message = json.loads(reply.body).get("message", "")
        except (ValueError, AttributeError):
            raise AuthError("invalid character in JSON input") from None
        raise AuthError(str(message))
    if not reply.body.strip():
        return None
    try:
        return json.loads(reply.body)
    except ValueError:
        raise AuthError("unexpected end of JSON input") from None


def _fail(inv: Invocation, text: str) -> Exit:
    inv.io.err(text + "\n")
    return Exit(EXIT_BAD_ARGS)


def _one_name(inv: Invocation, what: str) -> str:
    if len(inv.args) != 1:
        raise _fail(inv, f"Please provide a {what}")
    return inv.args[0]


def _no_args(inv: Invocation) -> None:
    if inv.args:
        raise _fail(inv, "No arguments accepted")


async def _run(inv: Invocation, method: str, path: str, body: dict[str, Any] | None = None,
               ok: tuple[int, ...] = (200,), parse_error: bool = True) -> Any:
    client = await connect(inv)
    try:
        return await _call(inv, client, method, path, body, ok, parse_error)
    except AuthError as exc:
        raise _fail(inv, str(exc)) from None


# ---- user ----------------------------------------------------------------------------------

async def user_list(inv: Invocation) -> None:
    _no_args(inv)
    data = await _run(inv, "GET", "/users")
    for entry in (data or {}).get("users") or ():
        inv.io.out(f"{entry.get('user', '')}\n")


async def user_add(inv: Invocation) -> None:
    arg = _one_name(inv, "username")
    name, colon, password = arg.partition(":")
    if not colon:
        password = ask_password(inv, "New password: ")
    await _run(inv, "PUT", f"/users/{name}", {"user": name, "password": password, "roles": None},
               (200, 201))
    inv.io.out(f"User {name} created\n")


async def user_remove(inv: Invocation) -> None:
    name = _one_name(inv, "username")
    await _run(inv, "DELETE", f"/users/{name}", ok=(200, 201))
    inv.io.out(f"User {name} removed\n")


async def user_passwd(inv: Invocation) -> None:
    name = _one_name(inv, "username")
    password = ask_password(inv, "New password: ")
    await _run(inv, "PUT", f"/users/{name}", {"user": name, "password": password, "roles": None})
    inv.io.out("Password updated\n")


async def _user_grant_revoke(inv: Invocation, field: str) -> None:
    roles = inv.flags.strings("roles")
    if not roles:
        raise _fail(inv, "No roles specified; please use `--roles`")
    name = _one_name(inv, "username")
    await _run(inv, "PUT", f"/users/{name}", {"user": name, "roles": None, field: roles})
    inv.io.out(f"User {name} updated\n")


async def user_grant(inv: Invocation) -> None:
    await _user_grant_revoke(inv, "grant")


async def user_revoke(inv: Invocation) -> None:
    await _user_grant_revoke(inv, "revoke")


async def user_get(inv: Invocation) -> None:
    name = _one_name(inv, "username")
    data = await _run(inv, "GET", f"/users/{name}") or {}
    # The Go client first decodes roles as strings; each role object becomes "" there,
    # then the names are appended: etcdctl prints that list.
    roles = [r.get("role", "") for r in data.get("roles") or () if isinstance(r, dict)]
    inv.io.out(f"User: {data.get('user', '')}\n")
    inv.io.out(f"Roles: {' '.join([''] * len(roles) + roles)}\n")


# ---- role ----------------------------------------------------------------------------------

def _role_body(name: str, grant: dict[str, Any] | None = None,
               revoke: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"role": name, "permissions": {"kv": {"read": None, "write": None}}}
    if grant is not None:
        body["grant"] = {"kv": grant}
    if revoke is not None:
        body["revoke"] = {"kv": revoke}
    return body


async def role_list(inv: Invocation) -> None:
    _no_args(inv)
    data = await _run(inv, "GET", "/roles", parse_error=False)
    for entry in (data or {}).get("roles") or ():
        inv.io.out(f"{entry.get('role', '')}\n")


async def role_add(inv: Invocation) -> None:
    name = _one_name(inv, "role name")
    client = await connect(inv)
    try:
        await _call(inv, client, "GET", f"/roles/{name}")
    except AuthError:
        pass
    else:
        raise _fail(inv, f"Role {name} already exists")
    try:
        await _call(inv, client, "PUT", f"/roles/{name}", _role_body(name), (200, 201))
    except AuthError as exc:
        raise _fail(inv, str(exc)) from None
    inv.io.out(f"Role {name} created\n")


async def role_remove(inv: Invocation) -> None:
    name = _one_name(inv, "role name")
    await _run(inv, "DELETE", f"/roles/{name}", ok=(200, 201))
    inv.io.out(f"Role {name} removed\n")


async def role_get(inv: Invocation) -> None:
    name = _one_name(inv, "role name")
    data = await _run(inv, "GET", f"/roles/{name}") or {}
    kv = (data.get("permissions") or {}).get("kv") or {}
    inv.io.out(f"Role: {data.get('role', '')}\nKV Read:\n")
    for p in kv.get("read") or ():
        inv.io.out(f"\t{p}\n")
    inv.io.out("KV Write:\n")
    for p in kv.get("write") or ():
        inv.io.out(f"\t{p}\n")


async def _role_grant_revoke(inv: Invocation, grant: bool) -> None:
    path = inv.flags.string("path")
    if not path:
        raise _fail(inv, "No path specified; please use `--path`")
    canonical = canonical_url_path(path)
    if canonical != path:
        raise _fail(inv, f"Not canonical path; please use `--path={canonical}`")
    chosen = [k for k in ("read", "write", "readwrite") if inv.flags.bool(k)]
    if len(chosen) != 1:
        raise _fail(inv, "Please specify exactly one of --read, --write or --readwrite")
    perms = {"read": [path] if chosen[0] in ("read", "readwrite") else None,
             "write": [path] if chosen[0] in ("write", "readwrite") else None}
    name = _one_name(inv, "role name")
    client = await connect(inv)
    try:
        current = await _call(inv, client, "GET", f"/roles/{name}")
        new = await _call(inv, client, "PUT", f"/roles/{name}",
                          _role_body(name, perms if grant else None, None if grant else perms))
    except AuthError as exc:
        raise _fail(inv, str(exc)) from None
    if new == current:
        inv.io.out("Role unchanged; already granted" if grant else
                   "Role unchanged; already revoked")
    inv.io.out(f"Role {name} updated\n")


async def role_grant(inv: Invocation) -> None:
    await _role_grant_revoke(inv, True)


async def role_revoke(inv: Invocation) -> None:
    await _role_grant_revoke(inv, False)


# ---- auth ----------------------------------------------------------------------------------

async def auth_enable(inv: Invocation) -> None:
    _no_args(inv)
    await _run(inv, "PUT", "/enable", ok=(200, 201))
    inv.io.out("Authentication Enabled\n")


async def auth_disable(inv: Invocation) -> None:
    _no_args(inv)
    await _run(inv, "DELETE", "/enable", ok=(200, 201))
    inv.io.out("Authentication Disabled\n")


_ROLES_FLAG = (string_flag("roles", "List of roles to grant or revoke"),)


def _grant_flags(verb: str, past: str) -> tuple[Flag, ...]:
    return (string_flag("path", f"Path {past} for the role to access"),
            bool_flag("read", f"{verb} read-only access" if verb == "Grant" else f"{verb} read access"),
            bool_flag("write", f"{verb} write-only access" if verb == "Grant" else f"{verb} write access"),
            bool_flag("readwrite, rw", f"{verb} read-write access"))


USER = Command("user", "user add, grant and revoke subcommands", subcommands=(
    Command("add", "add a new user for the etcd cluster", user_add, "<user>"),
    Command("get", "get details for a user", user_get, "<user>"),
    Command("list", "list all current users", user_list, "<user>"),
    Command("remove", "remove a user for the etcd cluster", user_remove, "<user>"),
    Command("grant", "grant roles to an etcd user", user_grant, "<user>", flags=_ROLES_FLAG),
    Command("revoke", "revoke roles for an etcd user", user_revoke, "<user>", flags=_ROLES_FLAG),
    Command("passwd", "change password for a user", user_passwd, "<user>")))
ROLE = Command("role", "role add, grant and revoke subcommands", subcommands=(
    Command("add", "add a new role for the etcd cluster", role_add, "<role> "),
    Command("get", "get details for a role", role_get, "<role>"),
    Command("list", "list all roles", role_list, " "),
    Command("remove", "remove a role from the etcd cluster", role_remove, "<role>"),
    Command("grant", "grant path matches to an etcd role", role_grant, "<role>",
            flags=_grant_flags("Grant", "granted")),
    Command("revoke", "revoke path matches for an etcd role", role_revoke, "<role>",
            flags=_grant_flags("Revoke", "revoked"))))
AUTH_COMMAND = Command("auth", "overall auth controls", subcommands=(
    Command("enable", "enable auth access controls", auth_enable, " "),
    Command("disable", "disable auth access controls", auth_disable, " ")))
COMMANDS = (USER, ROLE, AUTH_COMMAND)
