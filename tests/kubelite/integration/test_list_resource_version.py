"""A list's resourceVersion / resourceVersionMatch over a real etcd (pyetcd and etcd 3.4),
answered as kube-apiserver 1.32 answers them (kubelite/api/listrv.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kubelite.apiserver.server import RunningApiServer
from kubelite.registry.generic import Freshness
from tests.kubelite.conftest import Api

PODS = "/api/v1/namespaces/default/pods"
EXPIRED = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": "The resourceVersion for the provided list is too old.",
           "reason": "Expired", "code": 410}


def pod(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "kubelite/busybox:1.0"}]}}


async def current_rv(api: Api) -> int:
    status, body, _ = await api.get(PODS)
    assert status == 200, body
    return int(body["metadata"]["resourceVersion"])


def names(body: dict[str, Any]) -> list[str]:
    return [i["metadata"]["name"] for i in body["items"]]


@pytest.mark.parametrize("query", ["", "&resourceVersionMatch=NotOlderThan",
                                   "&resourceVersionMatch=Exact", "&limit=5",
                                   "&limit=1&resourceVersionMatch=Exact"])
async def test_the_current_resource_version_is_served(api: Api, query: str) -> None:
    await api.post(PODS, pod("a"))
    rv = await current_rv(api)
    status, body, _ = await api.get(f"{PODS}?resourceVersion={rv}{query}")
    assert status == 200, body
    assert names(body) == ["a"] and body["metadata"]["resourceVersion"] == str(rv)


async def test_an_older_resource_version_is_served_not_older_than_it(api: Api) -> None:
    rv = await current_rv(api)
    await api.post(PODS, pod("a"))
    for query in ("", "&resourceVersionMatch=NotOlderThan"):
        status, body, _ = await api.get(f"{PODS}?resourceVersion={rv}{query}")
        assert status == 200 and names(body) == ["a"], body
        assert int(body["metadata"]["resourceVersion"]) > rv


@pytest.mark.parametrize("query", ["&resourceVersionMatch=Exact", "&limit=5"])
async def test_an_exact_older_resource_version_is_410(api: Api, query: str) -> None:
    # etcd's v2 API cannot read the past; kube would serve it until etcd 3 compacts it
    rv = await current_rv(api)
    await api.post(PODS, pod("a"))
    status, body, _ = await api.get(f"{PODS}?resourceVersion={rv}{query}")
    assert (status, body) == (410, EXPIRED)


@pytest.mark.parametrize("query", ["&resourceVersionMatch=Exact", "&limit=5"])
async def test_an_exact_future_resource_version_is_etcds_error(api: Api, query: str) -> None:
    rv = await current_rv(api) + 100
    status, body, _ = await api.get(f"{PODS}?resourceVersion={rv}{query}")
    assert (status, body) == (500, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "etcdserver: mvcc: required revision is a future revision", "code": 500})


async def test_a_future_resource_version_waits_then_is_504(
        api: Api, apiserver: RunningApiServer) -> None:
    pauses = 0

    async def pause() -> None:
        nonlocal pauses
        pauses += 1
        await asyncio.sleep(0.02)

    apiserver.server.list_freshness = Freshness(timeout=0.2, pause=pause)
    rv = await current_rv(api) + 100
    status, body, _ = await api.get(f"{PODS}?resourceVersion={rv}")
    assert status == 504
    current = int(body["message"].rsplit(" ", 1)[1])
    assert current >= rv - 100 and pauses >= 2  # it re-read the index while it waited
    assert body == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f"Timeout: Too large resource version: {rv}, current: {current}",
        "reason": "Timeout",
        "details": {"causes": [{"reason": "ResourceVersionTooLarge",
                                "message": "Too large resource version"}],
                    "retryAfterSeconds": 1},
        "code": 504}


async def test_a_write_that_reaches_the_resource_version_during_the_wait_is_served(
        api: Api, apiserver: RunningApiServer) -> None:
    waiting, written = asyncio.Event(), asyncio.Event()

    async def pause() -> None:  # the list is now waiting: let the test write, then re-read
        waiting.set()
        await written.wait()

    apiserver.server.list_freshness = Freshness(timeout=30.0, pause=pause)
    rv = await current_rv(api) + 1
    listing = asyncio.create_task(api.get(f"{PODS}?resourceVersion={rv}"))
    try:
        await asyncio.wait_for(waiting.wait(), 10)
        assert not listing.done()
        status, created, _ = await api.post(PODS, pod("late"))
        assert status == 201, created
        written.set()
        status, body, _ = await asyncio.wait_for(listing, 10)
    finally:
        listing.cancel()
    assert status == 200, body
    assert names(body) == ["late"] and int(body["metadata"]["resourceVersion"]) >= rv


@pytest.mark.parametrize(("query", "message"), [
    ("limit=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
    ("limit=", 'strconv.ParseInt: parsing "": invalid syntax'),
    ("timeoutSeconds=x&limit=abc", 'strconv.ParseInt: parsing "x": invalid syntax'),
    # the numbers are converted before the selectors are parsed
    ("labelSelector=a%20b%20c&limit=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
    ("limit=99999999999999999999",
     'strconv.ParseInt: parsing "99999999999999999999": value out of range'),
    ("resourceVersion=abc&limit=2", 'invalid resource version: resourceVersion: Invalid value: '
     '"abc": strconv.ParseUint: parsing "abc": invalid syntax'),
    ("resourceVersion=-1&resourceVersionMatch=Exact", 'invalid resource version: '
     'resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax'),
])
async def test_malformed_list_parameters_are_kubes_400(api: Api, query: str,
                                                       message: str) -> None:
    status, body, _ = await api.get(f"{PODS}?{query}")
    assert (status, body) == (400, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": "BadRequest", "code": 400})


async def test_a_malformed_resource_version_alone_is_kubes_500(api: Api) -> None:
    # kube's watch cache returns the storage InvalidError, which no layer translates
    status, body, _ = await api.get(f"{PODS}?resourceVersion=abc")
    assert (status, body) == (500, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": '
                   "invalid syntax", "code": 500})


async def test_a_malformed_grace_period_in_the_query_is_kubes_400(api: Api) -> None:
    await api.post(PODS, pod("a"))
    status, body, _ = await api.delete(PODS + "/a?gracePeriodSeconds=soon")
    assert (status, body["reason"], body["message"]) == (
        400, "BadRequest", 'strconv.ParseInt: parsing "soon": invalid syntax')
