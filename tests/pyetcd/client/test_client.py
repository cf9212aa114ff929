"""The shared v2 client against a live server (each backend in turn)."""

from __future__ import annotations

import asyncio

import pytest

from pyetcd import errors
from pyetcd.client import ClusterUnavailable, EtcdClient
from tests.support.procs import ServerProcess, free_port


async def test_set_get_cas_delete_roundtrip(etcd_server: ServerProcess, unique_prefix: str) -> None:
    key = unique_prefix + "/a"
    async with EtcdClient([etcd_server.url]) as c:
        created = await c.set(key, "1")
        assert created.action == "set"
        assert created.node is not None and created.node.value == "1"
        assert created.etcd_index == created.node.modified_index

        got = await c.get(key)
        assert got.node is not None and got.node.value == "1"

        swapped = await c.set(key, "2", prev_index=created.node.modified_index)
        assert swapped.action == "compareAndSwap"
        assert swapped.prev_node is not None and swapped.prev_node.value == "1"

        with pytest.raises(errors.EtcdError) as failed:
            await c.set(key, "3", prev_value="nope")
        assert failed.value.code == errors.TEST_FAILED
        assert failed.value.http_status == 412

        deleted = await c.delete(key)
        assert deleted.action == "delete"
        with pytest.raises(errors.EtcdError) as missing:
            await c.get(key)
        assert errors.is_key_not_found(missing.value)
        assert str(missing.value).startswith("100: Key not found (")


async def test_create_is_exclusive_and_append_names_by_index(
    etcd_server: ServerProcess, unique_prefix: str
) -> None:
    async with EtcdClient([etcd_server.url]) as c:
        await c.create(unique_prefix + "/x", "v")
        with pytest.raises(errors.EtcdError) as exists:
            await c.create(unique_prefix + "/x", "v")
        assert errors.is_node_exist(exists.value)

        appended = await c.append(unique_prefix + "/q", "job")
        assert appended.node is not None
        name = appended.node.key.rsplit("/", 1)[1]
        assert name == f"{appended.node.created_index:020d}"


async def test_watch_returns_the_next_event(etcd_server: ServerProcess, unique_prefix: str) -> None:
    async with EtcdClient([etcd_server.url]) as c:
        start = await c.set(unique_prefix + "/w", "0")
        waiter = asyncio.create_task(
            c.watch(unique_prefix, wait_index=start.etcd_index + 1, recursive=True)
        )
        await c.set(unique_prefix + "/w", "1")
        event = await asyncio.wait_for(waiter, 10)
        assert event.action == "set"
        assert event.node is not None and event.node.value == "1"


async def test_failover_skips_a_dead_endpoint(etcd_server: ServerProcess, unique_prefix: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with EtcdClient([dead, etcd_server.url]) as c:
        resp = await c.set(unique_prefix + "/f", "ok")
        assert resp.node is not None and resp.node.value == "ok"
        assert c.endpoints[c._preferred] == etcd_server.url


async def test_all_endpoints_down_names_each_error() -> None:
    ports = [free_port(), free_port()]
    async with EtcdClient([f"http://127.0.0.1:{p}" for p in ports]) as c:
        with pytest.raises(ClusterUnavailable) as exc:
            await c.get("/x")
    text = str(exc.value)
    assert text.startswith("client: etcd cluster is unavailable or misconfigured; error #0: ")
    assert f"127.0.0.1:{ports[1]}" in text
