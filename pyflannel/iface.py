"""Choosing the external interface, its address and our public IP (flannel §3), via pyroute2.

* no ``--iface``/``--iface-regex``: the interface owning ``--public-ip`` if one is given,
  else the interface of the first IPv4 default route;
* ``--iface X`` (in order): an IP -> the interface holding exactly that IPv4; otherwise a name;
* ``--iface-regex R`` (in order, after every ``--iface``): first any interface whose IPv4
  address matches R, then the first interface whose name matches;
* the address: the matched IP, else the first global IPv4 (link-local only as a fallback);
* the public IP: ``--public-ip`` if given, else that address.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any

from pyroute2 import IPRoute

log = logging.getLogger(__name__)
AF_INET = 2
SCOPE_UNIVERSE = 0
SCOPE_LINK = 253


class IfaceError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class ExternalInterface:
    name: str
    index: int
    address: IPv4Address
    mtu: int
    public_ip: IPv4Address


@dataclass(frozen=True, slots=True)
class _Addr:
    index: int
    address: IPv4Address
    scope: int


def _links(ipr: IPRoute) -> dict[int, tuple[str, int]]:
    return {
        link["index"]: (link.get_attr("IFLA_IFNAME"), int(link.get_attr("IFLA_MTU") or 0))
        for link in ipr.get_links()
    }


def _addrs(ipr: IPRoute) -> list[_Addr]:
    out = []
    for msg in ipr.get_addr(family=AF_INET):
        addr = msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS")
        if addr:
            out.append(_Addr(msg["index"], IPv4Address(addr), int(msg["scope"])))
    return out


def _default_route_index(ipr: IPRoute) -> int | None:
    for route in ipr.get_routes(family=AF_INET, table=254):
        if route["dst_len"] == 0 and route.get_attr("RTA_OIF"):
            return int(route.get_attr("RTA_OIF"))
    return None


def _first_addr(addrs: Sequence[_Addr], index: int) -> IPv4Address | None:
    mine = [a for a in addrs if a.index == index]
    for a in mine:
        if a.scope == SCOPE_UNIVERSE and not a.address.is_loopback:
            return a.address
    for a in mine:
        if a.address.is_link_local:
            return a.address
    return mine[0].address if mine else None


def _is_ip(text: str) -> IPv4Address | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip if isinstance(ip, IPv4Address) else None


def choose(
    ifaces: Sequence[str], regexes: Sequence[str], public_ip: str, ipr: Any = None
) -> ExternalInterface:
    """Pick the external interface as flannel does; raises :class:`IfaceError`."""
    own = ipr is None
    ipr = ipr or IPRoute()
    try:
        return _choose(ipr, ifaces, regexes, public_ip)
    finally:
        if own:
            ipr.close()


def _choose(ipr: Any, ifaces: Sequence[str], regexes: Sequence[str], public_ip: str) -> ExternalInterface:
    links = _links(ipr)
    addrs = _addrs(ipr)
    by_name = {name: idx for idx, (name, _mtu) in links.items()}
    pub = _is_ip(public_ip) if public_ip else None
    if public_ip and pub is None:
        raise IfaceError(f"invalid public IP address: {public_ip}")
    found: tuple[int, IPv4Address | None] | None = None
    for item in ifaces:
        ip = _is_ip(item)
        if ip is not None:
            hit = next((a for a in addrs if a.address == ip), None)
            if hit is not None:
                found = (hit.index, ip)
                break
        elif item in by_name:
            found = (by_name[item], None)
            break
        log.warning("could not find interface %s", item)
    if found is None:
        for rx in regexes:
            try:
                pattern = re.compile(rx)
            except re.error as exc:
                raise IfaceError(f"bad --iface-regex {rx!r}: {exc}") from None
            hit = next((a for a in addrs if pattern.search(str(a.address))), None)
            if hit is not None:
                found = (hit.index, hit.address)
                break
            idx = next((i for i, (name, _) in sorted(links.items()) if pattern.search(name)), None)
            if idx is not None:
                found = (idx, None)
                break
    if found is None and (ifaces or regexes):
        names = ", ".join(f"{n} ({', '.join(str(a.address) for a in addrs if a.index == i) or 'no IPv4'})"
                          for i, (n, _) in sorted(links.items()))
        raise IfaceError(
            f"failed to find any interface matching --iface {list(ifaces)} / --iface-regex "
            f"{list(regexes)}; candidates: {names}"
        )
    if found is None and pub is not None:
        hit = next((a for a in addrs if a.address == pub), None)
        if hit is None:
            raise IfaceError(f"no interface holds --public-ip {pub}; use --iface as well")
        found = (hit.index, pub)
    if found is None:
        idx = _default_route_index(ipr)
        if idx is None:
            raise IfaceError("failed to get default interface: no IPv4 default route; use --iface")
        found = (idx, None)
    index, address = found
    name, mtu = links.get(index, ("?", 0))
    if address is None:
        address = _first_addr(addrs, index)
    if address is None:
        raise IfaceError(f"failed to find IPv4 address for interface {name}")
    if mtu == 0:
        raise IfaceError(f"failed to determine MTU for {address} interface")
    return ExternalInterface(name, index, address, mtu, pub or address)
