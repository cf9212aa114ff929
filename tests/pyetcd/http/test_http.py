"""The aiohttp shell: wire details, watches over a real socket, slow and vanished clients."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient

from pyetcd.api import V2Api
from pyetcd.apply import apply
from pyetcd.request import parse_key_request
from pyetcd.server import expiry_ticker
from pyetcd.service import EtcdService
from pyetcd.watchers import QUEUE_CAPACITY
from tests.pyetcd.http.conftest import FakeClock, SplitTestServer

S = 1_000_000_000


async def test_set_get_and_exact_bytes(client: TestClient) -> None:
    resp = await client.put("/v2/keys/a", data={"value": "<1>"})
    assert resp.status == 201
    assert resp.headers["X-Etcd-Index"] == "4"
    assert "Server" not in resp.headers
    assert await resp.read() == (b'{"action":"set","node":{"key":"/a","value":"\\u003c1\\u003e",'
                                 b'"modifiedIndex":4,"createdIndex":4}}\n')
    resp = await client.get("/v2/keys/a")
    assert resp.status == 200 and resp.headers["X-Raft-Term"] == "2"
    assert resp.headers["X-Etcd-Cluster-Id"]


async def test_head_sends_length_but_no_body(client: TestClient) -> None:
    await client.put("/v2/keys/a", data={"value": "1"})
    resp = await client.head("/v2/keys/a")
    assert resp.status == 200 and int(resp.headers["Content-Length"]) > 0
    assert await resp.read() == b""


async def test_encoded_slash_is_a_separator_and_raw_path_redirects(client: TestClient) -> None:
    await client.put("/v2/keys/a%2Fb", data={"value": "1"})
    body = await (await client.get("/v2/keys/a?recursive=true")).json()
    assert body["node"]["nodes"][0]["key"] == "/a/b"
    resp = await client.get("/v2/keys//a", allow_redirects=False)
    assert resp.status == 301 and resp.headers["Location"] == "/v2/keys/a"


async def test_long_poll_headers_come_before_the_event(client: TestClient, api: V2Api) -> None:
    resp = await client.get("/v2/keys/w?wait=true")
    assert resp.status == 200 and resp.headers["X-Etcd-Index"] == "3"  # headers already here
    assert api.store.hub.count == 1
    await client.put("/v2/keys/w", data={"value": "x"})
    line = await asyncio.wait_for(resp.content.readline(), 5)
    assert b'"action":"set"' in line
    assert await resp.content.read() == b""  # long-poll ends after one event


async def test_stream_watch_and_client_disconnect_unregisters(client: TestClient, api: V2Api) -> None:
    resp = await client.get("/v2/keys/d?wait=true&recursive=true&stream=true")
    for i in range(3):
        await client.put(f"/v2/keys/d/{i}", data={"value": "v"})
    lines = [await asyncio.wait_for(resp.content.readline(), 5) for _ in range(3)]
    assert all(b'"action":"set"' in line for line in lines)
    assert api.store.hub.count == 1
    resp.close()
    for _ in range(100):
        if api.store.hub.count == 0:
            break
        await asyncio.sleep(0.01)  # the server learns of the disconnect asynchronously
    assert api.store.hub.count == 0


async def test_slow_stream_watcher_is_dropped_and_its_response_ends(client: TestClient,
                                                                    api: V2Api) -> None:
    resp = await client.get("/v2/keys/k?wait=true&stream=true")
    watcher = next(iter(api.store.hub._watchers.values()))[0]
    # Writes applied without yielding to the loop: the writer task cannot drain the queue.
    for i in range(QUEUE_CAPACITY + 1):
        apply(api.store, parse_key_request("PUT", "/k", {"value": [str(i)]}, 0))
    split = isinstance(client.server, SplitTestServer)
    # In one process the store drops it now; with --workers the core has sent every event
    # on, and the front's queue (as bounded) drops it once they arrive together.
    assert split or (watcher.closed and api.store.hub.dropped == 1)
    await client.put("/v2/keys/other", data={"value": "wake"})  # any request lets the loop run
    body = await asyncio.wait_for(resp.content.read(), 5)
    assert body.count(b"\n") == QUEUE_CAPACITY  # what was queued is sent, then the end
    for _ in range(100):
        if api.store.hub.count == 0:
            break
        await asyncio.sleep(0.01)  # with --workers, the core learns of the drop from the front
    assert watcher.closed and api.store.hub.dropped == 1 and api.store.hub.count == 0


async def test_expiry_ticker_expires_due_keys(client: TestClient, api: V2Api, clock: FakeClock) -> None:
    await client.put("/v2/keys/t", data={"value": "x", "ttl": "1"})
    watch = await client.get("/v2/keys/t?wait=true")
    clock.now += 2 * S
    ticker = asyncio.create_task(expiry_ticker(EtcdService(api), 0.01, clock))
    try:
        line = await asyncio.wait_for(watch.content.readline(), 5)
    finally:
        ticker.cancel()
    assert b'"action":"expire"' in line
    assert (await client.get("/v2/keys/t")).status == 404


@pytest.mark.parametrize(("path", "ctype", "body"), [
    ("/version", "application/json", b'{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}'),
    ("/health", "text/plain; charset=utf-8", b'{"health":"true"}'),
    ("/v2/machines", "text/plain; charset=utf-8", b"http://127.0.0.1:2379"),
])
async def test_other_endpoints(client: TestClient, path: str, ctype: str, body: bytes) -> None:
    resp = await client.get(path)
    assert resp.status == 200 and resp.headers["Content-Type"] == ctype
    assert await resp.read() == body


async def test_options_and_cors(client: TestClient) -> None:
    resp = await client.options("/anything/at/all")
    assert resp.status == 200 and await resp.read() == b""
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" not in resp.headers


async def test_bad_input_never_changes_state(client: TestClient, api: V2Api) -> None:
    before = api.store.snapshot()
    for query in ("ttl=x", "prevValue=", "a;b", "refresh=true", "wait=true", "dir=maybe"):
        resp = await client.put(f"/v2/keys/x?{query}", data={"value": "v"})
        assert resp.status == 400
    resp = await client.put("/v2/keys/x", data=b"value=" + b"x" * (10 << 20),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (await resp.json())["errorCode"] == 210
    assert api.store.snapshot() == before


async def test_close_watches_ends_every_watch_response(client: TestClient, api: V2Api) -> None:
    await client.put("/v2/keys/h", data={"value": "1"})
    live = await client.get("/v2/keys/x?wait=true")
    from_history = await client.get("/v2/keys/h?wait=true&stream=true&waitIndex=4")
    assert b'"action":"set"' in await asyncio.wait_for(from_history.content.readline(), 5)
    client.server.etcd_handler.close_watches()  # type: ignore[attr-defined]
    assert await asyncio.wait_for(live.content.read(), 5) == b""
    assert await asyncio.wait_for(from_history.content.read(), 5) == b""
    assert api.store.hub.count == 0


async def test_expect_100_continue_is_answered(client: TestClient) -> None:
    resp = await asyncio.wait_for(client.put("/v2/keys/e", data={"value": "v"}, expect100=True), 0.9)
    assert resp.status == 201
