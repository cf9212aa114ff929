"""Lease key codec and value JSON, byte for byte as flannel writes and reads them."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from pyflannel.lease import (
    LeaseAttrs,
    LeaseError,
    VxlanData,
    host_gw_attrs,
    parse_subnet_key,
    subnet_key_name,
    udp_attrs,
    vxlan_attrs,
)

pytestmark = pytest.mark.unit
IP = IPv4Address("192.0.2.1")


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        (udp_attrs(IP), '{"PublicIP":"192.0.2.1"}'),
        (host_gw_attrs(IP), '{"PublicIP":"192.0.2.1","BackendType":"host-gw"}'),
        (vxlan_attrs(IP, "82:4B:B6:2F:54:4E", 1),
         '{"PublicIP":"192.0.2.1","BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"82:4b:b6:2f:54:4e"}}'),
    ],
)
def test_value_bytes(attrs: LeaseAttrs, expected: str) -> None:
    assert attrs.to_json() == expected
    assert LeaseAttrs.from_json(expected) == attrs


@pytest.mark.parametrize(
    ("text", "ip", "btype"),
    [
        ('{"PublicIP":"192.0.2.78","PublicIPv6":null}', "192.0.2.78", ""),
        ('{"publicip":"192.0.2.5","backendtype":"host-gw","Extra":{"a":1}}', "192.0.2.5", "host-gw"),
        ('{"PublicIP":"192.0.2.1","PublicIPv6":"fc00::1","BackendType":"vxlan",'
         '"BackendData":{"VtepMAC":"82:4b:b6:2f:54:4e"},"BackendV6Data":null}', "192.0.2.1", "vxlan"),
    ],
)
def test_reads_every_version(text: str, ip: str, btype: str) -> None:
    attrs = LeaseAttrs.from_json(text)
    assert attrs.public_ip == IPv4Address(ip)
    assert attrs.backend_type == btype


def test_vxlan_data_old_and_new() -> None:
    old = LeaseAttrs.from_json('{"PublicIP":"192.0.2.1","BackendType":"vxlan","BackendData":{"VtepMAC":"82:4b:b6:2f:54:4e"}}')
    assert old.vxlan_data() == VxlanData("82:4b:b6:2f:54:4e", None)
    new = vxlan_attrs(IP, "82:4b:b6:2f:54:4e", 7)
    assert new.vxlan_data() == VxlanData("82:4b:b6:2f:54:4e", 7)
    with pytest.raises(LeaseError):
        LeaseAttrs.from_json('{"PublicIP":"192.0.2.1","BackendData":{"VtepMAC":"zz"}}').vxlan_data()


@pytest.mark.parametrize("text", ["garbage", '{"PublicIP":5}', '{"PublicIP":"1.2.3"}', "[]", '{"PublicIP":"fc00::1"}'])
def test_bad_values(text: str) -> None:
    with pytest.raises(LeaseError):
        LeaseAttrs.from_json(text)


@pytest.mark.parametrize(
    ("key", "subnet"),
    [
        ("/coreos.com/network/subnets/10.5.34.0-24", "10.5.34.0/24"),
        ("10.5.34.0-24", "10.5.34.0/24"),
        ("/coreos.com/network/subnets/10.5.34.0-24&fc00:0:0:22::-64", "10.5.34.0/24"),
        ("/p/subnets/10.5.34.128-25", "10.5.34.128/25"),
    ],
)
def test_key_codec(key: str, subnet: str) -> None:
    assert parse_subnet_key(key) == IPv4Network(subnet)


@pytest.mark.parametrize("key", ["/p/subnets/foo", "/p/subnets/10.5.34.0-33", "/p/subnets/300.1.1.0-24"])
def test_bad_keys(key: str) -> None:
    with pytest.raises(LeaseError):
        parse_subnet_key(key)


def test_key_name() -> None:
    assert subnet_key_name(IPv4Network("10.1.15.0/24")) == "10.1.15.0-24"
