"""Leases: the subnet key codec and the lease value JSON, byte-identical to flannel (pure).

Key: ``<prefix>/subnets/10.1.15.0-24``. flannel (v0.10-v0.16) finds ``a.b.c.d-n`` anywhere
in the last path element, so v0.17's dual-stack keys ``10.1.15.0-24&fc00::-64`` parse too.

Value, as Go's ``json.Marshal`` of flannel v0.14's ``LeaseAttrs`` writes it (field order
fixed, compact, ``omitempty`` on BackendType and BackendData):

* udp:     ``{"PublicIP":"192.0.2.1"}``
* host-gw: ``{"PublicIP":"192.0.2.1","BackendType":"host-gw"}``
* vxlan:   ``{"PublicIP":"192.0.2.1","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"82:4b:b6:2f:54:4e"}}``

We always write the v0.14 form (every v0.10-v0.17 reader accepts it) and read every form
(v0.15+ ``"PublicIPv6":null``, unknown fields, keys in any case).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from pyflannel import gojson
from pyflannel.gojson import DecodeError

SUBNET_TTL = 86400  # seconds; fixed in flannel and not configurable
_KEY_RE = re.compile(r"(\d+\.\d+\.\d+\.\d+)-(\d+)")
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


class LeaseError(ValueError):
    """A subnet key or lease value that flannel would not accept."""


def subnet_key_name(subnet: IPv4Network) -> str:
    """``10.1.15.0/24`` -> ``10.1.15.0-24`` (the last element of the etcd key)."""
    return f"{subnet.network_address}-{subnet.prefixlen}"


def parse_subnet_key(key: str) -> IPv4Network:
    """The subnet named by an etcd key (or its last element); raises :class:`LeaseError`."""
    name = key.rsplit("/", 1)[-1]
    m = _KEY_RE.search(name)
    if m is None:
        raise LeaseError(f"not a subnet key: {key!r}")
    try:
        addr = IPv4Address(m.group(1))
    except ValueError:
        raise LeaseError(f"bad address in subnet key: {key!r}") from None
    plen = int(m.group(2))
    if plen > 32:
        raise LeaseError(f"bad prefix length in subnet key: {key!r}")
    return IPv4Network((addr, plen), strict=False)


@dataclass(frozen=True, slots=True)
class VxlanData:
    """``BackendData`` of a vxlan lease. ``vni`` is None for the v0.10-v0.13 form."""

    vtep_mac: str
    vni: int | None = None

    def to_json(self) -> str:
        if self.vni is None:
            return gojson.compact({"VtepMAC": self.vtep_mac})
        return gojson.compact({"VNI": self.vni, "VtepMAC": self.vtep_mac})


@dataclass(frozen=True, slots=True)
class LeaseAttrs:
    """What a node publishes about itself. ``backend_data`` is compact JSON text or None."""

    public_ip: IPv4Address
    backend_type: str = ""
    backend_data: str | None = None

    def to_json(self) -> str:
        """The lease value exactly as flannel v0.14 writes it."""
        out = '{"PublicIP":' + gojson.compact(str(self.public_ip))
        if self.backend_type:
            out += ',"BackendType":' + gojson.compact(self.backend_type)
        if self.backend_data is not None:
            out += ',"BackendData":' + self.backend_data
        return out + "}"

    @classmethod
    def from_json(cls, text: str) -> LeaseAttrs:
        """Parse any v0.10-v0.17 lease value; raises :class:`LeaseError`."""
        try:
            m = gojson.decode_object(
                gojson.parse_pairs(text), ("PublicIP", "PublicIPv6", "BackendType", "BackendData")
            )
            ip_text = gojson.want_str("PublicIP", m.get("PublicIP", "0.0.0.0"))
            btype = gojson.want_str("BackendType", m.get("BackendType", ""))
        except DecodeError as exc:
            raise LeaseError(str(exc)) from None
        try:
            ip = IPv4Address(ip_text)
        except ValueError:
            raise LeaseError(f"bad PublicIP in lease: {ip_text!r}") from None
        data = m.get("BackendData")
        return cls(ip, btype, None if data is None else gojson.compact(gojson.to_plain(data)))

    def vxlan_data(self) -> VxlanData:
        """Decode ``BackendData`` of a vxlan lease; raises :class:`LeaseError`."""
        if self.backend_data is None:
            raise LeaseError("vxlan lease has no BackendData")
        try:
            m = gojson.decode_object(gojson.parse_pairs(self.backend_data), ("VNI", "VtepMAC"))
            mac = gojson.want_str("VtepMAC", m.get("VtepMAC", "")).lower()
            vni = gojson.want_int("VNI", m["VNI"], "uint16", 0, 65535) if "VNI" in m else None
        except DecodeError as exc:
            raise LeaseError(str(exc)) from None
        if not _MAC_RE.match(mac):
            raise LeaseError(f"bad VtepMAC in lease: {mac!r}")
        return VxlanData(mac, vni)


def udp_attrs(public_ip: IPv4Address) -> LeaseAttrs:
    return LeaseAttrs(public_ip)


def host_gw_attrs(public_ip: IPv4Address) -> LeaseAttrs:
    return LeaseAttrs(public_ip, "host-gw")


def vxlan_attrs(public_ip: IPv4Address, vtep_mac: str, vni: int) -> LeaseAttrs:
    return LeaseAttrs(public_ip, "vxlan", VxlanData(vtep_mac.lower(), vni).to_json())


@dataclass(frozen=True, slots=True)
class Lease:
    """A subnet lease. ``ttl`` is the seconds left when read (None: a reservation, no TTL)."""

    subnet: IPv4Network
    attrs: LeaseAttrs
    ttl: int | None = None
    expiration: str | None = None
    modified_index: int = 0

    @property
    def is_reservation(self) -> bool:
        return self.expiration is None and self.ttl is None


class EventType(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class LeaseEvent:
    type: EventType
    lease: Lease


# etcd action -> lease event type; anything else (e.g. "get") is an ADDED snapshot entry.
ACTION_EVENTS: dict[str, EventType] = {
    "create": EventType.ADDED,
    "set": EventType.ADDED,
    "update": EventType.ADDED,
    "compareAndSwap": EventType.ADDED,
    "get": EventType.ADDED,
    "delete": EventType.REMOVED,
    "expire": EventType.REMOVED,
    # flannel logs and skips compareAndDelete; the spec recommends treating it as a removal.
    "compareAndDelete": EventType.REMOVED,
}


def is_removal(action: str) -> bool:
    return ACTION_EVENTS.get(action) is EventType.REMOVED


def describe(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
