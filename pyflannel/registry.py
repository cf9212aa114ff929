"""EtcdRegistry: the only module of pyflannel that speaks the etcd v2 keys API.

It issues exactly the requests flannel's ``subnet/etcdv2/registry.go`` issues (§4 of the
spec) through the shared client :class:`pyetcd.client.EtcdClient` (endpoint failover, a
create never retried on another endpoint) and turns responses into leases:

| purpose        | request                                                         |
|----------------|-----------------------------------------------------------------|
| read config    | GET P/config?quorum=true&recursive=false&sorted=false           |
| list leases    | GET P/subnets?quorum=true&recursive=true&sorted=false           |
| read own lease | GET K?quorum=true&recursive=false&sorted=false                  |
| create lease   | PUT K?prevExist=false  ttl=86400&value=<json>                   |
| update/renew   | PUT K  ttl=86400&value=<json> (no ttl for a reservation)        |
| delete         | DELETE K                                                        |
| watch all      | GET P/subnets?recursive=true&wait=true&waitIndex=N              |
| watch own      | GET K?recursive=false&wait=true&waitIndex=N                     |

Errors stay :class:`pyetcd.errors.EtcdError` (server answers) or
:class:`pyetcd.client.ClusterUnavailable` (no endpoint answered).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import ParamSpec, TypeVar

import aiohttp

from pyetcd.client import ClusterUnavailable, EtcdClient, Node, Response
from pyetcd.errors import EtcdError, is_key_not_found
from pyflannel.lease import Lease, LeaseAttrs, LeaseError, parse_subnet_key, subnet_key_name

log = logging.getLogger(__name__)
DEFAULT_PREFIX = "/coreos.com/network"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """All parseable leases, the etcd index they were read at, and what was skipped."""

    leases: tuple[Lease, ...]
    index: int
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WatchedChange:
    """One watch answer. ``lease`` is None when the event did not parse (``problem`` says why).

    ``index`` is the event's modifiedIndex: the next watch asks for ``index + 1``.
    """

    action: str
    index: int
    lease: Lease | None
    problem: str = ""


def lease_from_node(node: Node, attrs_fallback: Node | None = None) -> Lease:
    """A lease from an etcd node; ``attrs_fallback`` (prevNode) is used for deletions."""
    subnet = parse_subnet_key(node.key)
    value = node.value
    if value is None and attrs_fallback is not None:
        value = attrs_fallback.value
    if value is None:
        raise LeaseError(f"no value for lease key {node.key}")
    return Lease(
        subnet, LeaseAttrs.from_json(value), ttl=node.ttl, expiration=node.expiration,
        modified_index=node.modified_index,
    )


P = ParamSpec("P")
T = TypeVar("T")


def _transport_errors(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Any other failure to get an answer (a response cut short, a body that is not JSON)
    is reported like an unreachable cluster, so callers handle exactly two error types."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except (aiohttp.ClientError, ValueError) as exc:
            if isinstance(exc, LeaseError):
                raise
            raise ClusterUnavailable([("", exc)]) from exc

    return wrapper


class EtcdRegistry:
    def __init__(self, client: EtcdClient, prefix: str = DEFAULT_PREFIX):
        self.client = client
        self.prefix = "/" + prefix.strip("/")

    def subnets_key(self) -> str:
        return f"{self.prefix}/subnets"

    def subnet_key(self, subnet: IPv4Network) -> str:
        return f"{self.prefix}/subnets/{subnet_key_name(subnet)}"

    @_transport_errors
    async def get_network_config(self) -> str:
        resp = await self.client.get(f"{self.prefix}/config", quorum=True)
        if resp.node is None or resp.node.dir or resp.node.value is None:
            raise LeaseError(f"{self.prefix}/config is a directory, not a JSON value")
        return resp.node.value

    @_transport_errors
    async def get_subnets(self) -> Snapshot:
        try:
            resp = await self.client.get(self.subnets_key(), recursive=True, quorum=True)
        except EtcdError as exc:
            if is_key_not_found(exc):
                return Snapshot((), exc.index)
            raise
        leases: list[Lease] = []
        skipped: list[str] = []
        root = resp.node
        for node in root.leaves() if root is not None else []:
            try:
                leases.append(lease_from_node(node))
            except LeaseError as exc:
                skipped.append(f"{node.key}: {exc}")
        return Snapshot(tuple(leases), resp.etcd_index, tuple(skipped))

    @_transport_errors
    async def get_subnet(self, subnet: IPv4Network) -> tuple[Lease, int]:
        resp = await self.client.get(self.subnet_key(subnet), quorum=True)
        assert resp.node is not None
        return lease_from_node(resp.node), resp.etcd_index

    @_transport_errors
    async def create_subnet(self, subnet: IPv4Network, attrs: LeaseAttrs, ttl: int) -> Lease:
        resp = await self.client.set(
            self.subnet_key(subnet), attrs.to_json(), ttl=ttl, prev_exist=False
        )
        return self._written(subnet, attrs, resp)

    @_transport_errors
    async def update_subnet(
        self, subnet: IPv4Network, attrs: LeaseAttrs, ttl: int | None
    ) -> Lease:
        """Unconditional PUT; ``ttl=None`` keeps (or makes) the key a reservation."""
        resp = await self.client.set(self.subnet_key(subnet), attrs.to_json(), ttl=ttl)
        return self._written(subnet, attrs, resp)

    @_transport_errors
    async def delete_subnet(self, subnet: IPv4Network) -> None:
        await self.client.delete(self.subnet_key(subnet))

    @staticmethod
    def _written(subnet: IPv4Network, attrs: LeaseAttrs, resp: Response) -> Lease:
        node = resp.node
        return Lease(
            subnet, attrs,
            ttl=node.ttl if node else None,
            expiration=node.expiration if node else None,
            modified_index=node.modified_index if node else 0,
        )

    @_transport_errors
    async def watch_subnets(self, since: int) -> WatchedChange:
        """Long-poll for the next change under ``subnets`` at index >= ``since``."""
        resp = await self.client.watch(self.subnets_key(), wait_index=since, recursive=True)
        return _change(resp)

    @_transport_errors
    async def watch_subnet(self, since: int, subnet: IPv4Network) -> WatchedChange:
        resp = await self.client.watch(self.subnet_key(subnet), wait_index=since)
        return _change(resp)


def _change(resp: Response) -> WatchedChange:
    node = resp.node
    if node is None:
        return WatchedChange(resp.action, resp.etcd_index, None, "event without a node")
    try:
        lease = lease_from_node(node, resp.prev_node)
    except LeaseError as exc:
        return WatchedChange(resp.action, node.modified_index, None, str(exc))
    return WatchedChange(resp.action, node.modified_index, lease)
