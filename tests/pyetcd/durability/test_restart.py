"""Restarts: every key, dir, TTL deadline, index, the history and the stats come back."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.pyetcd.durability.helpers import Load, call, get, put, tree
from tests.support import procs

pytestmark = pytest.mark.e2e


def without_ttls(node: Any) -> Any:
    """The listing with the countdown removed (``expiration`` itself must not change)."""
    if isinstance(node, dict):
        return {k: without_ttls(v) for k, v in node.items() if k != "ttl"}
    if isinstance(node, list):
        return [without_ttls(v) for v in node]
    return node


def write_a_bit_of_everything(url: str) -> int:
    """One of each kind of write; returns the index of the first one."""
    first = put(url, "/a", "1").body["node"]["modifiedIndex"]
    assert put(url, "/dir/sub/b", "2").status == 201
    assert put(url, "/emptydir", "", dir="true").status == 201
    assert put(url, "/ttl", "t", ttl="300").status == 201
    assert put(url, "/ttldir", "", dir="true", ttl="300").status == 201
    assert put(url, "/a", "1b", prevValue="1").status == 200
    assert call(url, "POST", "/v2/keys/queue", value="job1").status == 201
    assert call(url, "POST", "/v2/keys/queue", value="job2").status == 201
    assert put(url, "/gone", "x").status == 201
    assert call(url, "DELETE", "/v2/keys/gone").status == 200
    assert put(url, "/_hidden", "h").status == 201
    assert put(url, "/ünï/ key", "välue \u2028 ☃").status == 201
    assert put(url, "/a", "1c", prevExist="true").status == 200
    assert put(url, "/a", "nope", prevExist="false").status == 412  # failed writes count too
    return int(first)


def test_a_restart_restores_keys_dirs_ttls_indices_history_and_stats(tmp_path: Path) -> None:
    with procs.pyetcd(tmp_path, "r") as server:
        first = write_a_bit_of_everything(server.url)
        before = tree(server.url)
        index = get(server.url, "/a").index
        stats = call(server.url, "GET", "/v2/stats/store").body
        assert server.stop(signal.SIGTERM) == 0
    with procs.pyetcd(tmp_path, "r") as server:
        assert without_ttls(tree(server.url)) == without_ttls(before)
        assert get(server.url, "/_hidden").body["node"]["value"] == "h"
        # etcd publishes the member's attributes again at a restart: one internal write.
        assert get(server.url, "/a").index == index + 1
        assert put(server.url, "/after", "x").body["node"]["modifiedIndex"] == index + 2
        # the event history survived: a watch from the first write gets that write
        event = get(server.url, "/a", wait="true", waitIndex=str(first)).body
        assert (event["action"], event["node"]["value"]) == ("set", "1")
        after = call(server.url, "GET", "/v2/stats/store").body
        for name in ("createSuccess", "createFail", "updateSuccess", "compareAndSwapSuccess",
                     "deleteSuccess", "expireCount"):
            assert after[name] == stats[name], name
        assert after["setsSuccess"] == stats["setsSuccess"] + 2  # the attributes and /after


def test_keys_that_expired_while_down_expire_right_after_start(tmp_path: Path) -> None:
    with procs.pyetcd(tmp_path, "t") as server:
        written = time.time()
        put(server.url, "/t", "short", ttl="1")
        put(server.url, "/keep", "long", ttl="600")
        index = get(server.url, "/t").index
        server.stop(signal.SIGTERM)
    time.sleep(max(0.0, written + 1.1 - time.time()))  # let the 1 s TTL run out while down
    with procs.pyetcd(tmp_path, "t") as server:
        gone = get(server.url, "/t")
        assert gone.status == 404 and gone.body["index"] == index + 2  # attributes, expire
        expired = get(server.url, "/t", wait="true", waitIndex=str(index + 1)).body
        assert expired["action"] == "expire"
        assert expired["node"]["modifiedIndex"] == index + 2
        assert expired["prevNode"]["value"] == "short"
        assert get(server.url, "/keep").body["node"]["ttl"] > 590


@pytest.mark.slow
def test_every_acknowledged_write_survives_sigkill_under_load(tmp_path: Path) -> None:
    # A small --snapshot-count so snapshots, WAL rotation and cleanup happen during the load.
    extra = ["--snapshot-count", "400"]
    with procs.pyetcd(tmp_path, "k", extra) as server:
        load = Load(server.url, workers=32, target=1500)

        async def run_then_kill() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(load.run(stop))
            await asyncio.wait_for(load.reached.wait(), 60)
            server.proc.send_signal(signal.SIGKILL)  # in the middle of the load
            await asyncio.wait_for(task, 30)  # every worker sees the connection die

        asyncio.run(run_then_kill())
        server.proc.wait(10)
    assert len(load.acked) >= 1500 and load.failures == []
    assert load.errors, "the kill should have cut some writes short"
    with procs.pyetcd(tmp_path, "k", extra) as server:
        snapshot_lsn = int(re.search(r"snapshot_lsn=(\d+)", server.log().split(
            "recovered")[-1]).group(1))  # type: ignore[union-attr]
        assert snapshot_lsn > 0  # recovery started from a snapshot, then replayed the WAL
        for key, (value, index) in load.acked.items():
            node = get(server.url, key).body.get("node")
            assert node is not None, f"acknowledged {key} lost"
            assert (node["value"], node["modifiedIndex"]) == (value, index), key
        newest = max(index for _, index in load.acked.values())
        assert put(server.url, "/after", "x").body["node"]["modifiedIndex"] > newest + 1


def test_sigterm_finishes_writes_ends_watches_and_exits_zero(tmp_path: Path) -> None:
    with procs.pyetcd(tmp_path, "s") as server:
        load = Load(server.url, workers=16, target=200)

        async def run() -> tuple[bytes, bytes]:
            import aiohttp

            stop = asyncio.Event()
            async with aiohttp.ClientSession() as session:
                poll = await session.get(server.url + "/v2/keys/watched?wait=true")
                stream = await session.get(server.url + "/v2/keys/load?wait=true&recursive=true"
                                           "&stream=true")
                task = asyncio.create_task(load.run(stop))
                await asyncio.wait_for(load.reached.wait(), 60)
                server.proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(task, 30)
                # both watch responses end cleanly (a complete chunked body, no reset)
                return (await asyncio.wait_for(poll.read(), 10),
                        await asyncio.wait_for(stream.read(), 10))

        polled, streamed = asyncio.run(run())
        assert server.proc.wait(15) == 0
        assert polled == b""
        assert streamed.count(b'"action":"set"') >= 1
        assert 'msg="stopped" index=' in server.log()
        assert load.failures == []  # no write was answered with an error
    with procs.pyetcd(tmp_path, "s") as server:
        for key, (value, index) in load.acked.items():
            node = get(server.url, key).body["node"]
            assert (node["value"], node["modifiedIndex"]) == (value, index)
