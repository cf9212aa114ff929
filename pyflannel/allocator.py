"""Choosing our subnet lease (pure): flannel's ``tryAcquireLease`` as a decision function.

Given the config, the current leases, our public IP and the subnet from the previous run's
subnet file, :func:`plan_acquisition` says what to do, in flannel's order:

1. The first lease carrying our public IP: if it is compatible with the config (start in
   [SubnetMin, SubnetMax] and length == SubnetLen), *reuse* it (PUT our attrs; no TTL if it
   was a reservation). If not, *delete* it and go on.
2. The previous subnet, if compatible and not leased by anybody: *create* it.
   (Deviation, as the spec requires: flannel v0.10-v0.17 would take over a lease another
   public IP holds for that subnet, issue #1289; we treat the subnet as unavailable.)
3. Otherwise walk the subnets from SubnetMin up to SubnetMax, skip every one that overlaps a
   lease (reservations included), collect at most 100 free ones and pick one at random.
   None free: :class:`OutOfSubnets`.

The caller executes the plan against etcd and starts again on a lost race. No I/O here; the
random choice comes from the ``rng`` passed in.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from pyflannel.lease import Lease
from pyflannel.netconfig import NetworkConfig

MAX_CANDIDATES = 100  # flannel picks randomly among the first 100 free subnets


class OutOfSubnets(Exception):
    def __init__(self, config: NetworkConfig, taken: int):
        total = config.subnet_count()
        super().__init__(
            f"out of subnets: all {total} /{config.subnet_len} subnets in "
            f"{config.subnet_min}..{config.subnet_max} of {config.network} are leased "
            f"({taken} leases in etcd)"
        )


@dataclass(frozen=True, slots=True)
class Reuse:
    """PUT our attrs over an existing lease of ours; ``keep_reservation``: send no TTL."""

    lease: Lease
    keep_reservation: bool


@dataclass(frozen=True, slots=True)
class Create:
    """Create ``subnet`` with prevExist=false. ``reason``: "previous" or "allocated"."""

    subnet: IPv4Network
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    deletes: tuple[Lease, ...]
    action: Reuse | Create
    notes: tuple[str, ...] = ()


def plan_acquisition(
    config: NetworkConfig,
    leases: Sequence[Lease],
    public_ip: IPv4Address,
    previous: IPv4Network | None,
    rng: random.Random,
) -> Plan:
    """Decide how to get a lease; raises :class:`OutOfSubnets`."""
    notes: list[str] = []
    deletes: list[Lease] = []
    mine = [lease for lease in leases if lease.attrs.public_ip == public_ip]
    if len(mine) > 1:
        notes.append(
            f"public IP {public_ip} appears on {len(mine)} leases "
            f"({', '.join(str(m.subnet) for m in mine)}); two hosts may share one IP"
        )
    if mine:
        ours = mine[0]
        if config.is_compatible(ours.subnet):
            return Plan((), Reuse(ours, ours.is_reservation), tuple(notes))
        notes.append(
            f"Found lease ({ours.subnet}) for current IP ({public_ip}) but not compatible "
            "with current config, deleting"
        )
        deletes.append(ours)
    remaining = [lease for lease in leases if lease not in deletes]
    if previous is not None:
        holder = next((lease for lease in remaining if lease.subnet == previous), None)
        if holder is not None:
            notes.append(
                f"previous subnet {previous} is now leased by {holder.attrs.public_ip}; "
                "not taking it over"
            )
        elif not config.is_compatible(previous):
            notes.append(
                f"Found previously leased subnet ({previous}) that is not compatible "
                "with the network config, ignoring"
            )
        elif not any(previous.overlaps(lease.subnet) for lease in remaining):
            return Plan(tuple(deletes), Create(previous, "previous"), tuple(notes))
    subnet = allocate(config, remaining, rng)
    return Plan(tuple(deletes), Create(subnet, "allocated"), tuple(notes))


def free_subnets(config: NetworkConfig, leases: Sequence[Lease], limit: int) -> list[IPv4Network]:
    """The first ``limit`` subnets in [SubnetMin, SubnetMax] that overlap no lease."""
    taken = sorted(
        (int(lease.subnet.network_address), int(lease.subnet.broadcast_address))
        for lease in leases
    )
    size = config.subnet_size
    out: list[IPv4Network] = []
    start, stop = int(config.subnet_min), int(config.subnet_max)
    while start <= stop and len(out) < limit:
        end = start + size - 1
        # Overlap with the shorter of the two prefixes == the two ranges intersect.
        if not any(lo <= end and start <= hi for lo, hi in taken):
            out.append(IPv4Network((start, config.subnet_len)))
        start += size
    return out


def allocate(config: NetworkConfig, leases: Sequence[Lease], rng: random.Random) -> IPv4Network:
    bag = free_subnets(config, leases, MAX_CANDIDATES)
    if not bag:
        raise OutOfSubnets(config, len(leases))
    return bag[rng.randrange(len(bag))]
