"""Registry, manager and lease watch against a real etcd v2 API (pyetcd and etcd 3.4)."""

from __future__ import annotations

import asyncio
import json
import random
from ipaddress import IPv4Address, IPv4Network

import pytest

from pyetcd.client import EtcdClient
from pyflannel.lease import EventType, LeaseAttrs, host_gw_attrs, udp_attrs
from pyflannel.manager import AcquireError, LocalManager
from pyflannel.registry import EtcdRegistry
from pyflannel.watch import LeaseView, watch_leases
from tests.support.procs import ServerProcess

ME = IPv4Address("192.0.2.1")


async def setup(server: ServerProcess, prefix: str, config: str = '{"Network":"198.18.0.0/16"}') -> EtcdClient:
    client = EtcdClient([server.url])
    await client.set(f"{prefix}/config", config)
    return client


async def test_acquire_writes_flannels_exact_lease(etcd_server: ServerProcess, unique_prefix: str) -> None:
    async with await setup(etcd_server, unique_prefix) as client:
        mgr = LocalManager(EtcdRegistry(client, unique_prefix), ME, rng=random.Random(3))
        lease = await mgr.acquire_lease(udp_attrs(ME))
        assert lease.subnet.prefixlen == 24 and lease.subnet.subnet_of(IPv4Network("198.18.0.0/16"))
        resp = await client.get(f"{unique_prefix}/subnets", recursive=True)
        assert resp.node is not None
        (node,) = resp.node.nodes
        assert node.key == f"{unique_prefix}/subnets/{lease.subnet.network_address}-24"
        assert node.value == '{"PublicIP":"192.0.2.1"}'
        assert node.ttl is not None and 86390 <= node.ttl <= 86400
        # A restart with the same public IP gets the same subnet back (re-PUT, not create).
        again = await LocalManager(EtcdRegistry(client, unique_prefix), ME).acquire_lease(host_gw_attrs(ME))
        assert again.subnet == lease.subnet
        node2 = (await client.get(f"{unique_prefix}/subnets/{lease.subnet.network_address}-24")).node
        assert node2 is not None and node2.value == '{"PublicIP":"192.0.2.1","BackendType":"host-gw"}'


async def test_reservation_is_kept_without_ttl(etcd_server: ServerProcess, unique_prefix: str) -> None:
    async with await setup(etcd_server, unique_prefix) as client:
        await client.set(f"{unique_prefix}/subnets/198.18.50.0-24", '{"PublicIP":"192.0.2.1"}')
        mgr = LocalManager(EtcdRegistry(client, unique_prefix), ME)
        lease = await mgr.acquire_lease(udp_attrs(ME))
        assert lease.subnet == IPv4Network("198.18.50.0/24")
        assert lease.is_reservation
        node = (await client.get(f"{unique_prefix}/subnets/198.18.50.0-24")).node
        assert node is not None and node.ttl is None and node.expiration is None


async def test_previous_subnet_reused_if_free_never_taken_over(etcd_server: ServerProcess, unique_prefix: str) -> None:
    async with await setup(etcd_server, unique_prefix) as client:
        reg = EtcdRegistry(client, unique_prefix)
        lease = await LocalManager(reg, ME, IPv4Network("198.18.77.0/24")).acquire_lease(udp_attrs(ME))
        assert lease.subnet == IPv4Network("198.18.77.0/24")
        theirs = (await client.get(f"{unique_prefix}/subnets/198.18.77.0-24")).node
        assert theirs is not None
        other = IPv4Address("192.0.2.2")
        lease2 = await LocalManager(reg, other, IPv4Network("198.18.77.0/24")).acquire_lease(udp_attrs(other))
        assert lease2.subnet != IPv4Network("198.18.77.0/24")
        after = (await client.get(f"{unique_prefix}/subnets/198.18.77.0-24")).node
        assert after is not None
        assert after.value == theirs.value and after.modified_index == theirs.modified_index


async def test_concurrent_acquisition_then_out_of_subnets(etcd_server: ServerProcess, unique_prefix: str) -> None:
    async with await setup(etcd_server, unique_prefix, '{"Network":"198.18.0.0/22"}') as client:
        reg = EtcdRegistry(client, unique_prefix)
        ips = [IPv4Address(f"192.0.2.{i}") for i in (1, 2, 3)]
        # Same seed: every manager picks the same first candidate, so they race for it.
        leases = await asyncio.gather(*(
            LocalManager(reg, ip, rng=random.Random(0)).acquire_lease(udp_attrs(ip)) for ip in ips
        ))
        assert len({lease.subnet for lease in leases}) == 3
        snap = await reg.get_subnets()
        assert sorted(str(lease.attrs.public_ip) for lease in snap.leases) == [str(ip) for ip in ips]
        with pytest.raises(AcquireError, match="out of subnets"):
            await LocalManager(reg, IPv4Address("192.0.2.4")).acquire_lease(udp_attrs(IPv4Address("192.0.2.4")))


async def test_incompatible_own_lease_deleted(etcd_server: ServerProcess, unique_prefix: str) -> None:
    async with await setup(etcd_server, unique_prefix) as client:
        await client.set(f"{unique_prefix}/subnets/198.18.0.0-24", '{"PublicIP":"192.0.2.1"}', ttl=600)
        lease = await LocalManager(EtcdRegistry(client, unique_prefix), ME).acquire_lease(udp_attrs(ME))
        assert lease.subnet != IPv4Network("198.18.0.0/24")
        snap = await EtcdRegistry(client, unique_prefix).get_subnets()
        assert [lease_.subnet for lease_ in snap.leases] == [lease.subnet]


async def _next(agen, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    return await asyncio.wait_for(agen.__anext__(), timeout)


async def test_watch_snapshot_changes_bad_values_and_resync(etcd_server: ServerProcess, unique_prefix: str) -> None:
    async with await setup(etcd_server, unique_prefix) as client:
        reg = EtcdRegistry(client, unique_prefix)
        own = IPv4Network("198.18.1.0/24")
        await client.set(f"{unique_prefix}/subnets/198.18.1.0-24", '{"PublicIP":"192.0.2.1"}', ttl=600)
        await client.set(f"{unique_prefix}/subnets/198.18.2.0-24", '{"PublicIP":"192.0.2.2"}', ttl=600)
        view = LeaseView(own)
        agen = watch_leases(reg, view, retry=0.1)
        batch = await _next(agen)
        assert [(e.type, str(e.lease.subnet)) for e in batch] == [(EventType.ADDED, "198.18.2.0/24")]
        # malformed entries are skipped, later events still arrive
        await client.set(f"{unique_prefix}/subnets/foo", "x")
        await client.set(f"{unique_prefix}/subnets/198.18.3.0-24", "garbage")
        await client.set(f"{unique_prefix}/subnets/198.18.4.0-24", '{"PublicIP":"192.0.2.4","PublicIPv6":null}')
        (ev,) = await _next(agen)
        assert ev.type is EventType.ADDED and ev.lease.attrs == LeaseAttrs(IPv4Address("192.0.2.4"))
        await client.delete(f"{unique_prefix}/subnets/198.18.2.0-24")
        (ev,) = await _next(agen)
        assert (ev.type, str(ev.lease.subnet)) == (EventType.REMOVED, "198.18.2.0/24")
        await client.set(f"{unique_prefix}/subnets/198.18.5.0-24", '{"PublicIP":"192.0.2.5"}', ttl=1)
        (ev,) = await _next(agen)
        assert (ev.type, str(ev.lease.subnet)) == (EventType.ADDED, "198.18.5.0/24")
        (ev,) = await _next(agen)  # expiry arrives as action "expire"
        assert (ev.type, str(ev.lease.subnet)) == (EventType.REMOVED, "198.18.5.0/24")
        await client.delete(f"{unique_prefix}/subnets/198.18.4.0-24", prev_value='{"PublicIP":"192.0.2.4","PublicIPv6":null}')
        (ev,) = await _next(agen)
        assert (ev.type, str(ev.lease.subnet)) == (EventType.REMOVED, "198.18.4.0/24")
        # our own subnet is never reported
        await client.set(f"{unique_prefix}/subnets/198.18.1.0-24", '{"PublicIP":"192.0.2.1"}', ttl=600)
        await client.set(f"{unique_prefix}/subnets/198.18.6.0-24", '{"PublicIP":"192.0.2.6"}', ttl=600)
        (ev,) = await _next(agen)
        assert str(ev.lease.subnet) == "198.18.6.0/24"
        await agen.aclose()


class GatedRegistry(EtcdRegistry):
    """Holds every watch until the gate opens: the test's stand-in for a stalled daemon."""

    gate: asyncio.Event

    async def watch_subnets(self, since: int):  # type: ignore[no-untyped-def]
        await self.gate.wait()
        return await super().watch_subnets(since)


async def test_watch_resyncs_after_401(etcd_server: ServerProcess, unique_prefix: str,
                                       caplog: pytest.LogCaptureFixture) -> None:
    async with await setup(etcd_server, unique_prefix) as client:
        reg = GatedRegistry(client, unique_prefix)
        reg.gate = asyncio.Event()
        await client.set(f"{unique_prefix}/subnets/198.18.6.0-24", '{"PublicIP":"192.0.2.6"}', ttl=600)
        agen = watch_leases(reg, LeaseView(None), retry=0.1)
        (ev,) = await _next(agen)
        assert str(ev.lease.subnet) == "198.18.6.0/24"
        pending = asyncio.ensure_future(agen.__anext__())
        await client.set(f"{unique_prefix}/subnets/198.18.7.0-24", '{"PublicIP":"192.0.2.7"}', ttl=600)
        sem = asyncio.Semaphore(32)

        async def filler(i: int) -> None:
            async with sem:
                await client.set(f"{unique_prefix}-other/k{i}", "v")
        await asyncio.gather(*(filler(i) for i in range(1050)))
        await client.delete(f"{unique_prefix}/subnets/198.18.6.0-24")
        await client.set(f"{unique_prefix}/subnets/198.18.8.0-24", '{"PublicIP":"192.0.2.8"}', ttl=600)
        reg.gate.set()
        batch = await asyncio.wait_for(pending, 10)
        assert sorted((e.type.value, str(e.lease.subnet)) for e in batch) == [
            ("added", "198.18.7.0/24"), ("added", "198.18.8.0/24"), ("removed", "198.18.6.0/24")]
        assert "etcd index outside history window" in caplog.text
        await agen.aclose()


async def test_monitor_renews_and_reports_revocation(etcd_server: ServerProcess, unique_prefix: str) -> None:
    async with await setup(etcd_server, unique_prefix) as client:
        mgr = LocalManager(EtcdRegistry(client, unique_prefix), ME)
        lease = await mgr.acquire_lease(udp_attrs(ME))
        key = f"{unique_prefix}/subnets/{lease.subnet.network_address}-24"
        before = (await client.get(key)).node
        assert before is not None
        # margin just under the TTL: renew about one second from now
        task = asyncio.ensure_future(mgr.monitor_lease(lease, 86400 - 1))
        resp = await asyncio.wait_for(client.watch(key, wait_index=before.modified_index + 1), 10)
        assert resp.action == "set" and resp.node is not None
        assert resp.node.value == before.value and resp.node.ttl is not None and resp.node.ttl > 86000
        assert not task.done()
        await client.delete(key)
        reason = await asyncio.wait_for(task, 5)
        assert "removed" in reason
        assert json.loads(before.value or "{}") == {"PublicIP": "192.0.2.1"}
