from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from pyflannel.routes import RouteTable

pytestmark = pytest.mark.unit


def test_longest_prefix_and_replace_and_remove() -> None:
    t = RouteTable()
    assert t.set(IPv4Network("10.5.0.0/16"), IPv4Address("192.0.2.9"))
    assert t.set(IPv4Network("10.5.7.0/24"), IPv4Address("192.0.2.7"))
    assert not t.set(IPv4Network("10.5.7.0/24"), IPv4Address("192.0.2.7"))
    assert t.lookup(IPv4Address("10.5.7.3")) == IPv4Address("192.0.2.7")
    assert t.lookup(IPv4Address("10.5.8.3")) == IPv4Address("192.0.2.9")
    assert t.lookup(IPv4Address("10.6.0.1")) is None
    t.set(IPv4Network("10.5.7.0/24"), IPv4Address("192.0.2.79"))  # cache invalidated
    assert t.lookup(IPv4Address("10.5.7.3")) == IPv4Address("192.0.2.79")
    assert t.remove(IPv4Network("10.5.7.0/24"))
    assert not t.remove(IPv4Network("10.5.7.0/24"))
    assert t.lookup(IPv4Address("10.5.7.3")) == IPv4Address("192.0.2.9")
    t.replace_all([])
    assert len(t) == 0 and t.lookup(IPv4Address("10.5.7.3")) is None
