"""The network config stored at ``<prefix>/config``: parsing, defaults, validation (pure).

Follows flannel's ``subnet/config.go`` (v0.10-v0.17): Go-style decoding (keys match
case-insensitively, unknown keys ignored, wrong types are errors), then defaults and
validation in flannel's order with flannel's messages:

* ``SubnetLen`` 0/absent: prefix <= 22 -> 24; 23..28 -> prefix + 2; > 28 -> error.
* ``SubnetMin`` default: Network + one subnet (the zeroth subnet is skipped).
* ``SubnetMax`` default: the start of the *last* subnet of Network (included).
* ``"0.0.0.0"`` for SubnetMin/Max counts as unset. Min > Max is not checked (every
  allocation then fails with "out of subnets", as with flannel).

Deviation (recommended by the spec): a config without ``Network`` is rejected instead of
silently meaning ``0.0.0.0/0``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from pyflannel import gojson
from pyflannel.gojson import DecodeError

DEFAULT_UDP_PORT = 8285
DEFAULT_VXLAN_VNI = 1
KNOWN_BACKENDS = ("udp", "vxlan", "host-gw")

_CONFIG_FIELDS = (
    "Network", "SubnetMin", "SubnetMax", "SubnetLen", "Backend",
    "EnableIPv4", "EnableIPv6", "IPv6Network", "IPv6SubnetMin", "IPv6SubnetMax", "IPv6SubnetLen",
)


class ConfigError(ValueError):
    """The network config is missing a field, malformed or inconsistent."""


@dataclass(frozen=True, slots=True)
class BackendConfig:
    """``Backend`` of the config: its lower-cased type and the options our backends use."""

    type: str = "udp"
    port: int = 0  # 0 = the backend's default (udp 8285, vxlan the kernel's 8472)
    vni: int = DEFAULT_VXLAN_VNI
    gbp: bool = False
    learning: bool = False
    direct_routing: bool = False
    mtu: int = 0  # pyflanneld extension: 0 = derived from the interface (flannel has none)

    @property
    def udp_port(self) -> int:
        return self.port or DEFAULT_UDP_PORT


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """A validated config; ``subnet_min``/``subnet_max`` are subnet start addresses."""

    network: IPv4Network
    subnet_len: int
    subnet_min: IPv4Address
    subnet_max: IPv4Address
    backend: BackendConfig = field(default_factory=BackendConfig)

    @property
    def subnet_size(self) -> int:
        return 1 << (32 - self.subnet_len)

    def subnet_count(self) -> int:
        """How many subnets lie in [SubnetMin, SubnetMax]."""
        if self.subnet_max < self.subnet_min:
            return 0
        return (int(self.subnet_max) - int(self.subnet_min)) // self.subnet_size + 1

    def is_compatible(self, subnet: IPv4Network) -> bool:
        """flannel's ``isSubnetConfigCompat``: start within [min, max] and the right length."""
        start = subnet.network_address
        return self.subnet_min <= start <= self.subnet_max and subnet.prefixlen == self.subnet_len

    @classmethod
    def parse(cls, text: str | bytes) -> NetworkConfig:
        """Decode and validate a config value; raises :class:`ConfigError`."""
        try:
            members = gojson.decode_object(
                gojson.parse_pairs(text), _CONFIG_FIELDS, raw_fields=("Backend",)
            )
            return cls._build(members)
        except DecodeError as exc:
            raise ConfigError(str(exc)) from None

    @classmethod
    def _build(cls, m: dict[str, Any]) -> NetworkConfig:
        if "Network" not in m:
            raise ConfigError("network config has no Network (expected e.g. \"Network\": \"10.1.0.0/16\")")
        network = _parse_net(gojson.want_str("Network", m["Network"]))
        given_len = gojson.want_int("SubnetLen", m.get("SubnetLen", 0), "uint", 0, 2**64 - 1)
        subnet_len = _subnet_len(network, given_len)
        size = 1 << (32 - subnet_len)
        smin = _parse_ip("SubnetMin", m.get("SubnetMin"))
        smax = _parse_ip("SubnetMax", m.get("SubnetMax"))
        if smin is None:
            smin = IPv4Address(int(network.network_address) + size)
        else:
            _check_in_net("SubnetMin", smin, network, size)
        if smax is None:
            smax = IPv4Address(int(network.broadcast_address) - size + 1)
        else:
            _check_in_net("SubnetMax", smax, network, size)
        for name in ("EnableIPv4", "EnableIPv6"):
            if name in m:
                gojson.want_bool(name, m[name])
        if m.get("EnableIPv4") is False:
            raise ConfigError("EnableIPv4=false (IPv6-only networks) is not supported by pyflanneld")
        if m.get("EnableIPv6") is True:
            raise ConfigError("EnableIPv6 is not supported by pyflanneld (IPv4 only)")
        backend = parse_backend(m["Backend"]) if "Backend" in m else BackendConfig()
        return cls(network, subnet_len, smin, smax, backend)


def _parse_net(text: str) -> IPv4Network:
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise ConfigError(f"invalid CIDR address: {text}") from None
    if not isinstance(iface, ipaddress.IPv4Interface):
        raise ConfigError(f"not an IPv4 network: {text}")
    return iface.network  # host bits masked off, as flannel's IP4Net decoding does


def _parse_ip(name: str, value: Any) -> IPv4Address | None:
    if value is None:
        return None
    text = gojson.want_str(name, value)
    try:
        ip = IPv4Address(text)
    except ValueError:
        raise ConfigError(f"invalid IPv4 address in {name}: {text}") from None
    return None if int(ip) == 0 else ip


def _subnet_len(network: IPv4Network, given: int) -> int:
    prefix = network.prefixlen
    if given == 0:
        if prefix <= 22:
            return 24
        if prefix <= 28:
            return prefix + 2
        raise ConfigError("Network is too small. Minimum useful network prefix is /28")
    if given > 30:
        raise ConfigError("SubnetLen must be less than /31")
    if given < prefix + 2:
        raise ConfigError("Network must be able to accommodate at least four subnets")
    return given


def _check_in_net(name: str, ip: IPv4Address, network: IPv4Network, size: int) -> None:
    if ip not in network:
        raise ConfigError(f"{name} is not in the range of the Network")
    if int(ip) % size:
        raise ConfigError(f"{name} is not on a SubnetLen boundary: {ip}")


def parse_backend(value: Any) -> BackendConfig:
    """Decode the ``Backend`` object; its ``Type`` is looked up lower-cased, as flannel does."""
    if value is None:  # "Backend": null decodes to an empty Type, as in flannel
        raise UnknownBackend("")
    if not isinstance(value, gojson.JsonObject):
        raise ConfigError(
            "error decoding Backend property of config: "
            f"json: cannot unmarshal {gojson.go_type_name(value)} into Go value of type struct"
        )
    m = gojson.decode_object(
        value, ("Type", "Port", "VNI", "GBP", "Learning", "DirectRouting", "MTU")
    )
    btype = gojson.want_str("Type", m.get("Type", "")).lower()
    if btype not in KNOWN_BACKENDS:
        raise UnknownBackend(btype)
    port = gojson.want_int("Port", m.get("Port", 0), "int", 0, 65535)
    return BackendConfig(
        type=btype,
        port=port,
        vni=gojson.want_int("VNI", m.get("VNI", DEFAULT_VXLAN_VNI), "int", 0, 2**24 - 1),
        gbp=gojson.want_bool("GBP", m.get("GBP", False)),
        learning=gojson.want_bool("Learning", m.get("Learning", False)),
        direct_routing=gojson.want_bool("DirectRouting", m.get("DirectRouting", False)),
        mtu=gojson.want_int("MTU", m.get("MTU", 0), "int", 0, 65535),
    )


class UnknownBackend(ConfigError):
    """``Backend.Type`` names no backend we have; flannel exits 1 for this."""

    def __init__(self, btype: str):
        self.backend_type = btype
        super().__init__(f"unknown backend type: {btype}")
