"""``cluster-health`` and ``member list``: the members API and each member's ``/health``.

``cluster-health`` lists the members without syncing first, then asks every member's
client URLs in turn for ``/health`` until one answers; it exits 0 when every member is
healthy and 5 otherwise (``--forever`` repeats the check every 10 seconds). ``member
list`` prints one line per member and marks the leader from ``/v2/members/leader``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pyetcd.client import ClusterUnavailable, EtcdClient
from pyetcd.ctl.api import Member, MembersAPI
from pyetcd.ctl.app import Command
from pyetcd.ctl.connect import _ssl_context, connect, handle_error
from pyetcd.ctl.context import (
    EXIT_BAD_ARGS,
    EXIT_CLUSTER_NOT_HEALTHY,
    EXIT_SERVER_ERROR,
    EXIT_SUCCESS,
    Exit,
    Invocation,
)
from pyetcd.ctl.goflag import bool_flag
from pyetcd.ctl.gourl import EndpointError, parse_endpoint
from pyetcd.ctl.transport import GoError, describe_http_error, with_deadline
from pyetcd.ctl.watch import exit_zero_on_interrupt

RECHECK_SECONDS = 10


class HealthCheckFailed(Exception):
    """The ``%v`` etcdctl prints after "failed to check the health of member X on URL: "."""


def parse_health(body: bytes) -> bool:
    """etcdctl decodes ``{"health": "true"}`` and, failing that, ``{"health": true}``."""
    try:
        data = json.loads(body)
    except ValueError:
        raise HealthCheckFailed(go_json_syntax_error(body)) from None
    if not isinstance(data, dict):
        raise HealthCheckFailed(f"json: cannot unmarshal {_json_kind(data)} into Go value "
                                "of type struct { Health bool }")
    field = next((v for k, v in data.items() if k.lower() == "health"), None)
    if field is None or isinstance(field, str):
        return field == "true"
    if isinstance(field, bool):
        return field
    raise HealthCheckFailed(f"json: cannot unmarshal {_json_kind(field)} into Go struct "
                            "field .Health of type bool")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def go_json_syntax_error(body: bytes) -> str:
    """Go's ``encoding/json`` text for the usual ways a body is not JSON."""
    text = body.decode("utf-8", "replace")
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        return "unexpected end of JSON input"
    try:
        _, end = json.JSONDecoder().raw_decode(stripped)
    except ValueError:
        return f"invalid character {_go_char(stripped[0])} looking for beginning of value"
    rest = stripped[end:].lstrip(" \t\r\n")
    return f"invalid character {_go_char(rest[0])} after top-level value"


def _go_char(ch: str) -> str:
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    return f"'{ch}'"


async def _health(inv: Invocation, url: str) -> bool:
    """GET ``<url>/health`` as Go's ``http.Client.Get`` would, with no timeout."""
    target = url + "/health"
    try:
        endpoint = parse_endpoint(target)
    except EndpointError as exc:
        raise HealthCheckFailed(str(exc)) from None
    client = EtcdClient([endpoint.base], ssl_context=_ssl_context(inv))
    try:
        _, _, body = await client.request("GET", target[len(endpoint.base):], timeout=None)
    except ClusterUnavailable as exc:
        raise HealthCheckFailed(
            f'Get "{target}": {describe_http_error(exc.errors[0][1], endpoint)}') from None
    finally:
        await client.close()
    return parse_health(body)


async def _check_member(inv: Invocation, member: Member) -> bool:
    if not member.client_urls:
        inv.io.out(f"member {member.id} is unreachable: no available published client urls\n")
        return False
    for url in member.client_urls:
        try:
            healthy = await _health(inv, url)
        except HealthCheckFailed as exc:
            inv.io.out(f"failed to check the health of member {member.id} on {url}: {exc}\n")
            continue
        if healthy:
            inv.io.out(f"member {member.id} is healthy: got healthy result from {url}\n")
        else:
            inv.io.out(f"member {member.id} is unhealthy: got unhealthy result from {url}\n")
        return healthy
    inv.io.out(f"member {member.id} is unreachable: [{' '.join(member.client_urls)}] "
               "are all unreachable\n")
    return False


async def cluster_health_command(inv: Invocation) -> None:
    forever = inv.flags.bool("forever")
    try:
        _ssl_context(inv)
    except ValueError as exc:
        raise handle_error(inv, EXIT_SERVER_ERROR, exc) from None
    client = await connect(inv, sync=False)
    try:
        members = await MembersAPI(client).list()
    except GoError as exc:
        inv.io.out("cluster may be unhealthy: failed to list members\n")
        raise handle_error(inv, EXIT_SERVER_ERROR, exc) from None
    async with exit_zero_on_interrupt():
        while True:
            healthy = 0
            for member in members:
                healthy += await _check_member(inv, member)
            if healthy == len(members):
                inv.io.out("cluster is healthy\n")
            elif healthy == 0:
                inv.io.out("cluster is unavailable\n")
            else:
                inv.io.out("cluster is degraded\n")
            if not forever:
                raise Exit(EXIT_SUCCESS if healthy == len(members) else EXIT_CLUSTER_NOT_HEALTHY)
            inv.io.out(f"\nnext check after {RECHECK_SECONDS} second...\n\n")
            await asyncio.sleep(RECHECK_SECONDS)


async def member_list_command(inv: Invocation) -> None:
    if inv.args:
        inv.io.err("No arguments accepted\n")
        raise Exit(EXIT_BAD_ARGS)
    api = MembersAPI(await connect(inv))
    deadline = inv.globals.duration("total-timeout")
    try:
        members = await with_deadline(api.list(), deadline)
    except GoError as exc:
        inv.io.err(f"{exc}\n")
        raise Exit(EXIT_BAD_ARGS) from None
    try:
        leader = await with_deadline(api.leader(), deadline)
    except GoError as exc:
        inv.io.err(f"Failed to get leader:  {exc}\n")
        raise Exit(EXIT_BAD_ARGS) from None
    for m in members:
        peers = ",".join(m.peer_urls)
        if not m.name:
            inv.io.out(f"{m.id}[unstarted]: peerURLs={peers}\n")
        else:
            inv.io.out(f"{m.id}: name={m.name} peerURLs={peers} "
                       f"clientURLs={','.join(m.client_urls)} "
                       f"isLeader={'true' if m.id == leader.id else 'false'}\n")


async def not_implemented(inv: Invocation) -> None:
    """Commands etcdctl has and pyetcdctl does not (backup, user, role, auth, member add...)."""
    inv.io.err("Error:  this command is not implemented by pyetcdctl\n")
    raise Exit(EXIT_BAD_ARGS)


COMMANDS = (
    Command("cluster-health", "check the health of the etcd cluster", cluster_health_command,
            " ", flags=(bool_flag("forever, f",
                                  "forever check the health every 10 second until CTRL+C"),)),
    Command("member", "member add, remove and list subcommands", subcommands=(
        Command("list", "enumerate existing cluster members", member_list_command, " "),
        Command("add", "add a new member to the etcd cluster", not_implemented,
                "<name> <peerURL>"),
        Command("remove", "remove an existing member from the etcd cluster", not_implemented,
                "<memberID>"),
        Command("update", "update an existing member in the etcd cluster", not_implemented,
                "<memberID> <peerURLs>"),
    )),
)
