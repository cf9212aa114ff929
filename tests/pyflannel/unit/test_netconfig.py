"""Network config: flannel's defaults, Go-style decoding and validation messages."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from pyflannel.netconfig import ConfigError, NetworkConfig, UnknownBackend

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "net", "slen", "smin", "smax"),
    [
        ('{"Network":"10.5.0.0/16"}', "10.5.0.0/16", 24, "10.5.1.0", "10.5.255.0"),
        ('{"Network":"10.5.0.0/23"}', "10.5.0.0/23", 25, "10.5.0.128", "10.5.1.128"),
        ('{"Network":"10.5.0.0/22"}', "10.5.0.0/22", 24, "10.5.1.0", "10.5.3.0"),
        ('{"Network":"10.5.0.0/28"}', "10.5.0.0/28", 30, "10.5.0.4", "10.5.0.12"),
        ('{"Network":"10.1.2.3/16"}', "10.1.0.0/16", 24, "10.1.1.0", "10.1.255.0"),
        ('{"network":"10.5.0.0/16","subnetlen":20}', "10.5.0.0/16", 20, "10.5.16.0", "10.5.240.0"),
        ('{"Network":"10.5.0.0/16","SubnetMin":"10.5.10.0","SubnetMax":"10.5.20.0"}',
         "10.5.0.0/16", 24, "10.5.10.0", "10.5.20.0"),
        ('{"Network":"10.5.0.0/16","SubnetMin":"0.0.0.0"}', "10.5.0.0/16", 24, "10.5.1.0", "10.5.255.0"),
        ('{"Network":"10.5.0.0/16","Unknown":[1,2],"SubnetLen":null}', "10.5.0.0/16", 24, "10.5.1.0", "10.5.255.0"),
    ],
)
def test_defaults(text: str, net: str, slen: int, smin: str, smax: str) -> None:
    cfg = NetworkConfig.parse(text)
    assert cfg.network == IPv4Network(net)
    assert cfg.subnet_len == slen
    assert cfg.subnet_min == IPv4Address(smin)
    assert cfg.subnet_max == IPv4Address(smax)
    assert cfg.backend.type == "udp"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"Network":"10.5.0.0/29"}', "Network is too small. Minimum useful network prefix is /28"),
        ('{"Network":"10.5.0.0/16","SubnetLen":31}', "SubnetLen must be less than /31"),
        ('{"Network":"10.5.0.0/16","SubnetLen":17}', "Network must be able to accommodate at least four subnets"),
        ('{"Network":"10.5.0.0/16","SubnetLen":"24"}', "cannot unmarshal string"),
        ('{"Network":"10.5.0.0/16","SubnetLen":24.0}', "cannot unmarshal number"),
        ('{"Network":"10.5.0.0/16","SubnetLen":-1}', "cannot unmarshal number"),
        ('{"Network":"10.5.0.0/16","SubnetMin":"10.6.1.0"}', "SubnetMin is not in the range of the Network"),
        ('{"Network":"10.5.0.0/16","SubnetMax":"10.5.1.7"}', "SubnetMax is not on a SubnetLen boundary: 10.5.1.7"),
        ('{"Network":"10.5.0.0/16","Backend":"udp"}', "error decoding Backend property of config"),
        ('{"Network":"10.5.0.0/16","Backend":[]}', "error decoding Backend property of config"),
        ('{"Network":"bogus"}', "invalid CIDR address: bogus"),
        ('{"Network":"fc00::/64"}', "not an IPv4 network"),
        ('{"SubnetLen":24}', "no Network"),
        ('not json', "invalid character"),
        ('["Network"]', "cannot unmarshal array"),
    ],
)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        NetworkConfig.parse(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("backend", "btype", "port", "vni"),
    [
        ('{"Type":"udp"}', "udp", 0, 1),
        ('{"Type":"udp","Port":8999}', "udp", 8999, 1),
        ('{"type":"VXLAN","vni":4}', "vxlan", 0, 4),
        ('{"Type":"host-gw"}', "host-gw", 0, 1),
    ],
)
def test_backend(backend: str, btype: str, port: int, vni: int) -> None:
    cfg = NetworkConfig.parse('{"Network":"10.5.0.0/16","Backend":' + backend + "}")
    assert (cfg.backend.type, cfg.backend.port, cfg.backend.vni) == (btype, port, vni)


@pytest.mark.parametrize("backend", ["null", "{}", '{"Type":"gre"}'])
def test_unknown_backend_is_fatal_kind(backend: str) -> None:
    # flannel: "Backend": null or {} gives type "" -> unknown backend type -> exit 1.
    with pytest.raises(UnknownBackend):
        NetworkConfig.parse('{"Network":"10.5.0.0/16","Backend":' + backend + "}")


def test_backend_absent_means_udp_port_8285() -> None:
    cfg = NetworkConfig.parse('{"Network":"10.5.0.0/16"}')
    assert cfg.backend.udp_port == 8285


def test_duplicate_keys_last_wins_and_exact_case_preferred() -> None:
    cfg = NetworkConfig.parse('{"network":"10.1.0.0/16","NETWORK":"10.2.0.0/16"}')
    assert cfg.network == IPv4Network("10.2.0.0/16")


def test_compatibility_and_count() -> None:
    cfg = NetworkConfig.parse('{"Network":"10.5.0.0/16"}')
    assert cfg.subnet_count() == 255
    assert cfg.is_compatible(IPv4Network("10.5.7.0/24"))
    assert not cfg.is_compatible(IPv4Network("10.5.0.0/24"))
    assert not cfg.is_compatible(IPv4Network("10.5.8.0/25"))
    assert not cfg.is_compatible(IPv4Network("10.6.1.0/24"))
