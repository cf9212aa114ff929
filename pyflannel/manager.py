"""LocalManager: our lease's life cycle on top of the registry (flannel's LocalManager).

* :meth:`LocalManager.get_network_config`: read and validate ``<prefix>/config``.
* :meth:`LocalManager.acquire_lease`: re-read the config, then up to 10 tries of
  "list leases -> :func:`plan_acquisition` -> execute" (a lost create race, or any etcd
  error answer, starts the next try immediately, as flannel does).
* :meth:`LocalManager.renew_lease`: unconditional PUT with ttl 86400 (never for a
  reservation: flannel never renews those, so they keep no TTL).
* :meth:`LocalManager.monitor_lease`: watch our own key and renew at expiry minus the
  margin; returns when the lease is revoked (deleted, expired, or taken by another IP).

Renewal is scheduled from the ``ttl`` etcd reports (seconds left) on a monotonic clock,
not from the expiration timestamp against our wall clock (flannel's clock-skew bug).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network

from pyetcd.client import ClusterUnavailable
from pyetcd.errors import EtcdError, is_index_cleared
from pyflannel.allocator import Create, Reuse, plan_acquisition
from pyflannel.lease import SUBNET_TTL, Lease, LeaseAttrs, is_removal
from pyflannel.netconfig import NetworkConfig
from pyflannel.registry import EtcdRegistry

log = logging.getLogger(__name__)
RACE_RETRIES = 10
RENEW_RETRY_SECONDS = 60.0
WATCH_RETRY_SECONDS = 1.0


class AcquireError(Exception):
    """Lease acquisition failed for good (flannel exits 1)."""


class LocalManager:
    def __init__(
        self,
        registry: EtcdRegistry,
        public_ip: IPv4Address,
        previous_subnet: IPv4Network | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
    ):
        self.registry = registry
        self.public_ip = public_ip
        self.previous_subnet = previous_subnet
        self.rng = rng or random.Random()
        self.clock = clock or asyncio.get_running_loop().time
        self.renew_retry = RENEW_RETRY_SECONDS
        self.watch_retry = WATCH_RETRY_SECONDS

    async def get_network_config(self) -> NetworkConfig:
        return NetworkConfig.parse(await self.registry.get_network_config())

    async def acquire_lease(self, attrs: LeaseAttrs) -> Lease:
        config = await self.get_network_config()
        for _ in range(RACE_RETRIES):
            lease = await self._try_acquire(config, attrs)
            if lease is not None:
                return lease
        raise AcquireError("Max retries reached trying to acquire a subnet")

    async def _try_acquire(self, config: NetworkConfig, attrs: LeaseAttrs) -> Lease | None:
        snap = await self.registry.get_subnets()
        for why in snap.skipped:
            log.warning("skipping malformed lease: %s", why)
        try:
            plan = plan_acquisition(config, snap.leases, self.public_ip, self.previous_subnet, self.rng)
        except Exception as exc:  # OutOfSubnets
            raise AcquireError(f"failed to acquire lease: {exc}") from None
        for note in plan.notes:
            log.warning("%s", note)
        for stale in plan.deletes:
            await self.registry.delete_subnet(stale.subnet)
        action = plan.action
        if isinstance(action, Reuse):
            ttl = None if action.keep_reservation else SUBNET_TTL
            lease = await self.registry.update_subnet(action.lease.subnet, attrs, ttl)
            log.info("Found lease (%s) for current IP (%s), reusing", lease.subnet, self.public_ip)
            return lease
        assert isinstance(action, Create)
        if action.reason == "previous":
            log.info("Found previously leased subnet (%s), reusing", action.subnet)
        try:
            lease = await self.registry.create_subnet(action.subnet, attrs, SUBNET_TTL)
        except EtcdError as exc:
            log.info("lost the race for %s (%s); trying again", action.subnet, exc)
            return None
        log.info("Allocated lease (%s) to current node (%s)", lease.subnet, self.public_ip)
        return lease

    async def renew_lease(self, lease: Lease) -> Lease:
        return await self.registry.update_subnet(lease.subnet, lease.attrs, SUBNET_TTL)

    async def monitor_lease(self, lease: Lease, margin_seconds: float) -> str:
        """Keep ``lease`` alive; returns the reason once it has been revoked."""
        watch = asyncio.ensure_future(self._watch_own(lease))
        try:
            current = lease
            while True:
                delay = renew_delay(current, margin_seconds)
                if delay is None:
                    log.info("lease %s is a reservation (no TTL): never renewed", lease.subnet)
                else:
                    log.info("Waiting for %.0fs to renew lease", delay)
                done, _ = await asyncio.wait({watch}, timeout=delay)
                if done:
                    return watch.result()
                current = await self._renew_until_ok(current)
        finally:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)

    async def _renew_until_ok(self, lease: Lease) -> Lease:
        while True:
            try:
                renewed = await self.renew_lease(lease)
            except (EtcdError, ClusterUnavailable) as exc:
                log.error("Error renewing lease (trying again in %.0fs): %s", self.renew_retry, exc)
                await asyncio.sleep(self.renew_retry)
                continue
            log.info("Lease renewed, new expiration: %s", renewed.expiration)
            return renewed

    async def _watch_own(self, lease: Lease) -> str:
        """Watch our key; return why it was revoked. A renewal shows up as a plain change."""
        index = await self._own_snapshot(lease)
        while True:
            try:
                change = await self.registry.watch_subnet(index + 1, lease.subnet)
            except EtcdError as exc:
                if is_index_cleared(exc):
                    index = await self._own_snapshot(lease)
                    continue
                log.warning("watch of own lease failed: %s", exc)
                await asyncio.sleep(self.watch_retry)
                continue
            except ClusterUnavailable as exc:
                log.warning("watch of own lease failed: %s", exc)
                await asyncio.sleep(self.watch_retry)
                continue
            index = change.index
            if is_removal(change.action):
                return f"lease {lease.subnet} was removed from etcd ({change.action})"
            if change.lease is not None and change.lease.attrs.public_ip != lease.attrs.public_ip:
                return (f"lease {lease.subnet} was taken over by {change.lease.attrs.public_ip}")

    async def _own_snapshot(self, lease: Lease) -> int:
        while True:
            try:
                current, index = await self.registry.get_subnet(lease.subnet)
            except (EtcdError, ClusterUnavailable) as exc:
                # flannel retries every 1 s; the scheduled renewal re-creates a missing key.
                log.warning("could not read own lease %s: %s", lease.subnet, exc)
                await asyncio.sleep(self.watch_retry)
                continue
            if current.attrs.public_ip != lease.attrs.public_ip:
                log.error("own lease %s now carries %s", lease.subnet, current.attrs.public_ip)
            return max(index, current.modified_index)


def renew_delay(lease: Lease, margin_seconds: float) -> float | None:
    """Seconds until renewal: ttl - margin (>= 0); None for a reservation."""
    if lease.ttl is None:
        return None if lease.expiration is None else 0.0
    return max(0.0, lease.ttl - margin_seconds)


def with_attrs(lease: Lease, attrs: LeaseAttrs) -> Lease:
    return replace(lease, attrs=attrs)
