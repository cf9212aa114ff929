"""Watches: list-then-watch, filters, resume from a resourceVersion, 410 Expired."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from kubelite.apiserver.server import RunningApiServer
from pyetcd.client import EtcdClient
from tests.kubelite.conftest import Api
from tests.kubelite.integration.test_crud import PODS, pod

WAIT = 10.0


class Stream:
    def __init__(self, resp: aiohttp.ClientResponse):
        self.resp = resp

    async def next(self) -> dict[str, Any]:
        line = await asyncio.wait_for(self.resp.content.readline(), WAIT)
        assert line, "watch ended"
        event: dict[str, Any] = json.loads(line)
        return event

    async def ended(self) -> bool:
        return await asyncio.wait_for(self.resp.content.readline(), WAIT) == b""


async def open_watch(api: Api, query: str, accept: str = "application/json") -> Stream:
    resp = await api.session.get(api.base + PODS + "?watch=1&" + query,
                                 headers={"Accept": accept})
    assert resp.status == 200
    return Stream(resp)


async def test_watch_from_list_resource_version(api: Api) -> None:
    await api.post(PODS, pod("before"))
    _, listed, _ = await api.get(PODS)
    stream = await open_watch(api, "resourceVersion=" + listed["metadata"]["resourceVersion"])
    _, created, _ = await api.post(PODS, pod("a"))
    await api.patch(PODS + "/a", {"metadata": {"labels": {"x": "1"}}}, "application/merge-patch+json")
    await api.delete(PODS + "/a")
    events = [await stream.next() for _ in range(3)]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == \
        [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    assert events[0]["object"]["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert events[1]["object"]["metadata"]["labels"]["x"] == "1"
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3
    # resuming after the ADDED event replays exactly the later two
    resumed = await open_watch(api, f"resourceVersion={rvs[0]}")
    assert [(await resumed.next())["type"] for _ in range(2)] == ["MODIFIED", "DELETED"]
    stream.resp.close()
    resumed.resp.close()


async def test_watch_without_version_starts_with_added_and_filters(api: Api) -> None:
    await api.post(PODS, pod("w1", app="web"))
    await api.post(PODS, pod("d1", app="db"))
    stream = await open_watch(api, "labelSelector=app%3Dweb")
    first = await stream.next()
    assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "w1")
    # d1 starts matching: ADDED; then stops matching: DELETED
    await api.patch(PODS + "/d1", {"metadata": {"labels": {"app": "web"}}}, "application/merge-patch+json")
    await api.patch(PODS + "/d1", {"metadata": {"labels": {"app": "db"}}}, "application/merge-patch+json")
    assert [(e["type"], e["object"]["metadata"]["name"])
            for e in [await stream.next(), await stream.next()]] == [("ADDED", "d1"), ("DELETED", "d1")]
    stream.resp.close()


async def test_watch_timeout_and_table_events(api: Api) -> None:
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    stream = await open_watch(api, "timeoutSeconds=1", accept)
    await api.post(PODS, pod("t"))
    event = await stream.next()
    assert event["type"] == "ADDED" and event["object"]["kind"] == "Table"
    assert event["object"]["rows"][0]["cells"][0] == "t"
    assert await stream.ended()


async def test_send_initial_events_bookmark(api: Api) -> None:
    await api.post(PODS, pod("i"))
    stream = await open_watch(api, "sendInitialEvents=true&allowWatchBookmarks=true&"
                                   "resourceVersionMatch=NotOlderThan")
    added, mark = await stream.next(), await stream.next()
    assert added["type"] == "ADDED"
    assert mark["type"] == "BOOKMARK"
    assert mark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    stream.resp.close()


async def test_too_old_resource_version_is_410_expired(api: Api,
                                                       apiserver: RunningApiServer) -> None:
    _, created, _ = await api.post(PODS, pod("old"))
    old_rv = int(created["metadata"]["resourceVersion"])
    # push the pod's index out of etcd's 1000-event history with writes elsewhere
    async with EtcdClient(apiserver.config.etcd_servers) as etcd:
        key = apiserver.config.etcd_prefix + "/filler"
        for start in range(0, 1010, 50):
            await asyncio.gather(*(etcd.set(f"{key}/{i}", "x") for i in range(start, start + 50)))
    stream = await open_watch(api, f"resourceVersion={old_rv}")
    event = await stream.next()
    assert event["type"] == "ERROR"
    status = event["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
    assert status["message"].startswith(f"too old resource version: {old_rv}")
    assert await stream.ended()


async def test_bookmarks_after_quiet_periods(api: Api, apiserver: RunningApiServer) -> None:
    apiserver.server.bookmark_interval = 0.2
    _, created, _ = await api.post(PODS, pod("b"))
    rv = created["metadata"]["resourceVersion"]
    stream = await open_watch(api, f"resourceVersion={rv}&allowWatchBookmarks=true")
    mark = await stream.next()
    assert mark["type"] == "BOOKMARK"
    assert mark["object"] == {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": rv}}
    await api.delete(PODS + "/b")
    while (event := await stream.next())["type"] == "BOOKMARK":
        pass
    assert event["type"] == "DELETED"
    while (event := await stream.next())["type"] != "BOOKMARK":
        pass
    assert int(event["object"]["metadata"]["resourceVersion"]) > int(rv)
    stream.resp.close()


def pump_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks()
            if getattr(t.get_coro(), "__name__", "") == "_pump" and not t.done()]


async def test_client_disconnect_ends_the_server_side_watch(api: Api) -> None:
    before = len(pump_tasks())
    _, listed, _ = await api.get(PODS)
    stream = await open_watch(api, "resourceVersion=" + listed["metadata"]["resourceVersion"])
    await api.post(PODS, pod("d"))
    while (await stream.next())["object"]["metadata"].get("name") != "d":
        pass
    assert len(pump_tasks()) == before + 1
    stream.resp.close()
    # the server notices the closed connection and cancels the handler and its etcd watch;
    # there is no event to await for that from outside, so poll (bounded)
    for _ in range(100):
        if len(pump_tasks()) == before:
            break
        await asyncio.sleep(0.05)
    assert len(pump_tasks()) == before


async def test_many_concurrent_watches_all_see_the_event(api: Api) -> None:
    """More watches than an aiohttp connector's default limit (100): none waits for a slot."""
    _, listed, _ = await api.get(PODS)
    rv = listed["metadata"]["resourceVersion"]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        responses = await asyncio.gather(*(
            session.get(api.base + PODS + f"?watch=1&resourceVersion={rv}") for _ in range(120)))
        try:
            await api.post(PODS, pod("crowd"))
            lines = await asyncio.gather(*(asyncio.wait_for(r.content.readline(), WAIT)
                                           for r in responses))
            assert all(json.loads(line)["object"]["metadata"]["name"] == "crowd" for line in lines)
        finally:
            for r in responses:
                r.close()
