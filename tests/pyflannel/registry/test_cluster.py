"""The manager and the lease watch keep working when one member of a 3-member etcd stops.

The members listen on three loopback addresses (127.0.0.1-3) with free ports; the client
lists all three, the first one first, and that first one is stopped mid-test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from pyetcd.client import EtcdClient
from pyflannel.lease import EventType, udp_attrs
from pyflannel.manager import LocalManager
from pyflannel.registry import EtcdRegistry
from pyflannel.watch import LeaseView, watch_leases
from tests.support import procs

pytestmark = pytest.mark.compat


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    if not procs.have_real_etcd():
        pytest.skip("the reference etcd is not installed")
    hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    ports = [(procs.free_port(h), procs.free_port(h)) for h in hosts]
    initial = ",".join(f"m{i}=http://{h}:{p[1]}" for i, (h, p) in enumerate(zip(hosts, ports, strict=True)))
    members: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for i, (h, (cport, pport)) in enumerate(zip(hosts, ports, strict=True)):
            url, peer = f"http://{h}:{cport}", f"http://{h}:{pport}"
            log = open(tmp_path / f"m{i}.log", "wb")  # noqa: SIM115 - handed to the child
            proc = subprocess.Popen([
                procs.ETCD_BIN, "--name", f"m{i}", "--data-dir", str(tmp_path / f"m{i}"),
                "--listen-client-urls", url, "--advertise-client-urls", url,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", initial, "--enable-v2=true", "--log-level", "warn",
            ], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            members.append((url, proc))
        for url, proc in members:
            procs.wait_healthy(url, proc, timeout=30)
        yield members
    finally:
        for _, proc in members:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def watcher_parked(url: str, timeout: float = 20.0) -> None:
    """Return once the member at ``url`` holds a watcher (etcd's own watcher gauge)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    def watchers() -> int:
        with urllib.request.urlopen(f"{url}/metrics", timeout=5) as reply:
            for line in reply.read().decode().splitlines():
                if line.startswith("etcd_debugging_store_watchers "):
                    return int(float(line.split()[1]))
        return 0

    while await asyncio.to_thread(watchers) < 1:
        assert loop.time() < deadline, f"no watcher reached {url}"
        await asyncio.sleep(0.05)  # polling etcd's gauge: there is no event to await


async def test_lease_and_watch_survive_a_stopped_member(cluster: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    urls = [u for u, _ in cluster]
    prefix = "/coreos.com/network"
    async with EtcdClient(urls) as client:
        await client.set(f"{prefix}/config", '{"Network":"198.18.0.0/16"}')
        reg = EtcdRegistry(client, prefix)
        me = IPv4Address("192.0.2.1")
        lease = await LocalManager(reg, me).acquire_lease(udp_attrs(me))
        agen = watch_leases(reg, LeaseView(lease.subnet), retry=0.2)
        pending = asyncio.ensure_future(agen.__anext__())
        await watcher_parked(urls[0])
        first = cluster[0][1]
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(10)
        async with EtcdClient(urls[1:]) as other:
            await other.set(f"{prefix}/subnets/198.18.77.0-24", '{"PublicIP":"192.0.2.77"}', ttl=600)
        batch = await asyncio.wait_for(pending, 20)
        assert [(e.type, str(e.lease.subnet)) for e in batch] == [(EventType.ADDED, "198.18.77.0/24")]
        # a restart (new manager, same public IP) gets the same lease from the survivors
        again = await LocalManager(reg, me).acquire_lease(udp_attrs(me))
        assert again.subnet == lease.subnet
        renewed = await LocalManager(reg, me).renew_lease(again)
        assert renewed.ttl is not None and renewed.ttl > 86000
        await agen.aclose()
