"""Watching the other nodes' leases (flannel's ``subnet/watch.go``).

:class:`LeaseView` is the pure part: the set of other leases we know, turned into
ADDED/REMOVED events by a snapshot diff or by one watch change. Our own subnet is always
filtered out. Unlike flannel, a snapshot also reports leases whose attrs changed (as
ADDED) so a peer that moved to a new address is followed after a resync.

:func:`watch_leases` is the loop: snapshot (quorum GET), then long-polls from
``index + 1``; error 401 (the index left etcd's 1000-event history) -> log and resync;
a change that does not parse -> log, skip, move the cursor past it (and resync if it was
a removal we could not attribute, e.g. a recursive delete of the ``subnets`` directory);
a transport error -> log, wait 1 s, retry with the same cursor.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from ipaddress import IPv4Network

from pyetcd.client import ClusterUnavailable
from pyetcd.errors import EtcdError, is_index_cleared
from pyflannel.lease import EventType, Lease, LeaseEvent, is_removal
from pyflannel.registry import EtcdRegistry, WatchedChange

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0


class LeaseView:
    def __init__(self, own_subnet: IPv4Network | None):
        self.own_subnet = own_subnet
        self.leases: dict[IPv4Network, Lease] = {}

    def apply_snapshot(self, leases: Iterable[Lease]) -> list[LeaseEvent]:
        fresh = {lease.subnet: lease for lease in leases if lease.subnet != self.own_subnet}
        events = [
            LeaseEvent(EventType.REMOVED, old)
            for subnet, old in self.leases.items() if subnet not in fresh
        ]
        for subnet, lease in fresh.items():
            old = self.leases.get(subnet)
            if old is None or old.attrs != lease.attrs:
                events.append(LeaseEvent(EventType.ADDED, lease))
        self.leases = fresh
        return events

    def apply_change(self, action: str, lease: Lease) -> LeaseEvent | None:
        if lease.subnet == self.own_subnet:
            return None
        if is_removal(action):
            old = self.leases.pop(lease.subnet, None)
            return LeaseEvent(EventType.REMOVED, old or lease)
        self.leases[lease.subnet] = lease
        return LeaseEvent(EventType.ADDED, lease)


async def watch_leases(
    registry: EtcdRegistry, view: LeaseView, retry: float = RETRY_SECONDS
) -> AsyncIterator[list[LeaseEvent]]:
    """Yield batches of events for the other leases, forever."""
    index: int | None = None
    while True:
        if index is None:
            try:
                snap = await registry.get_subnets()
            except (EtcdError, ClusterUnavailable) as exc:
                log.warning("listing subnet leases failed: %s", exc)
                await asyncio.sleep(retry)
                continue
            for why in snap.skipped:
                log.warning("skipping malformed lease: %s", why)
            index = snap.index
            events = view.apply_snapshot(snap.leases)
            if events:
                yield events
            continue
        try:
            change = await registry.watch_subnets(index + 1)
        except EtcdError as exc:
            if is_index_cleared(exc):
                log.warning("Watch of subnet leases failed because etcd index outside history window")
            else:
                log.warning("watch of subnet leases failed: %s", exc)
                await asyncio.sleep(retry)
            index = None
            continue
        except ClusterUnavailable as exc:
            log.warning("watch of subnet leases failed: %s", exc)
            await asyncio.sleep(retry)
            continue
        index = max(index, change.index)
        event = _event_of(view, change)
        if event is not None:
            yield [event]
        elif change.lease is None and is_removal(change.action):
            index = None  # something we cannot attribute went away: re-read everything


def _event_of(view: LeaseView, change: WatchedChange) -> LeaseEvent | None:
    if change.lease is None:
        log.warning("ignoring subnet watch event (%s at index %d): %s",
                    change.action, change.index, change.problem)
        return None
    return view.apply_change(change.action, change.lease)
