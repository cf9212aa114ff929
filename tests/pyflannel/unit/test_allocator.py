"""Lease choice: reuse ours, previous subnet if free, random free one; never take over."""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Network

import pytest

from pyflannel.allocator import Create, OutOfSubnets, Reuse, free_subnets, plan_acquisition
from pyflannel.lease import Lease, LeaseAttrs
from pyflannel.netconfig import NetworkConfig

pytestmark = pytest.mark.unit
CFG = NetworkConfig.parse('{"Network":"10.5.0.0/16"}')
ME = IPv4Address("192.0.2.1")
OTHER = IPv4Address("192.0.2.2")


def lease(subnet: str, ip: IPv4Address, ttl: int | None = 86400) -> Lease:
    return Lease(IPv4Network(subnet), LeaseAttrs(ip), ttl=ttl,
                 expiration="2030-01-01T00:00:00Z" if ttl else None)


def test_reuses_lease_with_our_ip() -> None:
    ours = lease("10.5.9.0/24", ME)
    plan = plan_acquisition(CFG, [lease("10.5.3.0/24", OTHER), ours], ME, None, random.Random(1))
    assert plan.action == Reuse(ours, keep_reservation=False)
    assert plan.deletes == ()


def test_reservation_stays_reservation() -> None:
    res = lease("10.5.50.0/24", ME, ttl=None)
    plan = plan_acquisition(CFG, [res], ME, None, random.Random(1))
    assert plan.action == Reuse(res, keep_reservation=True)


def test_incompatible_lease_of_ours_is_deleted() -> None:
    bad = lease("10.5.0.0/24", ME)  # the zeroth subnet is below SubnetMin
    plan = plan_acquisition(CFG, [bad], ME, None, random.Random(1))
    assert plan.deletes == (bad,)
    assert isinstance(plan.action, Create)


def test_previous_subnet_if_free() -> None:
    plan = plan_acquisition(CFG, [lease("10.5.3.0/24", OTHER)], ME, IPv4Network("10.5.77.0/24"), random.Random(1))
    assert plan.action == Create(IPv4Network("10.5.77.0/24"), "previous")


def test_previous_subnet_of_another_node_is_not_taken_over() -> None:
    theirs = lease("10.5.77.0/24", OTHER)
    plan = plan_acquisition(CFG, [theirs], ME, IPv4Network("10.5.77.0/24"), random.Random(1))
    assert isinstance(plan.action, Create)
    assert plan.action.subnet != IPv4Network("10.5.77.0/24")
    assert plan.action.reason == "allocated"
    assert any("not taking it over" in n for n in plan.notes)


def test_previous_subnet_incompatible_is_ignored() -> None:
    plan = plan_acquisition(CFG, [], ME, IPv4Network("10.9.1.0/24"), random.Random(1))
    assert isinstance(plan.action, Create) and plan.action.reason == "allocated"


def test_allocation_skips_overlaps_and_reservations() -> None:
    cfg = NetworkConfig.parse('{"Network":"10.5.0.0/22"}')  # subnets .1, .2, .3
    leases = [lease("10.5.1.0/24", OTHER), lease("10.5.3.0/24", IPv4Address("192.0.2.3"), ttl=None)]
    for seed in range(20):
        plan = plan_acquisition(cfg, leases, ME, None, random.Random(seed))
        assert plan.action == Create(IPv4Network("10.5.2.0/24"), "allocated")


def test_overlap_uses_shorter_prefix() -> None:
    big = lease("10.5.0.0/20", OTHER)  # covers 10.5.1.0 .. 10.5.15.0
    free = free_subnets(CFG, [big], 3)
    assert free == [IPv4Network("10.5.16.0/24"), IPv4Network("10.5.17.0/24"), IPv4Network("10.5.18.0/24")]


def test_random_among_first_hundred() -> None:
    picks = {plan_acquisition(CFG, [], ME, None, random.Random(s)).action.subnet for s in range(200)}  # type: ignore[union-attr]
    assert len(picks) > 20
    assert all(IPv4Network("10.5.1.0/24").network_address <= p.network_address <= IPv4Network("10.5.100.0/24").network_address for p in picks)


def test_out_of_subnets() -> None:
    cfg = NetworkConfig.parse('{"Network":"10.5.0.0/22"}')
    leases = [lease(f"10.5.{i}.0/24", IPv4Address(f"192.0.2.{i + 10}")) for i in (1, 2, 3)]
    with pytest.raises(OutOfSubnets, match="out of subnets: all 3 /24 subnets"):
        plan_acquisition(cfg, leases, ME, None, random.Random(1))


def test_max_subnet_at_top_of_address_space() -> None:
    cfg = NetworkConfig.parse('{"Network":"255.255.252.0/22"}')
    assert free_subnets(cfg, [], 10)[-1] == IPv4Network("255.255.255.0/24")
