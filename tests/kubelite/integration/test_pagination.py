"""Chunked lists (``limit`` / ``continue``) over a real etcd (pyetcd and etcd 3.4)."""

from __future__ import annotations

import base64
import json
import urllib.parse
from typing import Any

from kubelite.apiserver.server import RunningApiServer
from pyetcd.client import EtcdClient
from tests.kubelite.conftest import Api

PODS = "/api/v1/namespaces/default/pods"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
NAMES = ["p1", "p2", "p3", "p4", "p5"]


def pod(name: str, app: str = "web") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": app}},
            "spec": {"containers": [{"name": "c", "image": "kubelite/busybox:1.0"}]}}


def token(**fields: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


async def make_pods(api: Api, names: list[str], base: str = PODS, app: str = "web") -> None:
    # created out of key order, so the list order is the server's doing
    for name in reversed(names):
        status, body, _ = await api.post(base, pod(name, app))
        assert status == 201, body


async def walk(api: Api, path: str, limit: int, headers: dict[str, str] | None = None
               ) -> list[dict[str, Any]]:
    """Every page of ``path`` in pages of ``limit``."""
    sep = "&" if "?" in path else "?"
    pages: list[dict[str, Any]] = []
    cont = ""
    while True:
        url = f"{path}{sep}limit={limit}" + (f"&continue={q(cont)}" if cont else "")
        status, body, _ = await api.get(url, headers=headers)
        assert status == 200, body
        pages.append(body)
        cont = body["metadata"].get("continue", "")
        if not cont:
            return pages


def item_names(page: dict[str, Any]) -> list[str]:
    if page["kind"] == "Table":
        return [r["cells"][0] for r in page["rows"]]
    return [i["metadata"]["name"] for i in page["items"]]


async def test_pages_of_two_cover_every_pod_once_in_key_order(api: Api) -> None:
    await make_pods(api, NAMES)
    pages = await walk(api, PODS, 2)
    assert [item_names(p) for p in pages] == [["p1", "p2"], ["p3", "p4"], ["p5"]]
    assert [p["metadata"].get("remainingItemCount") for p in pages] == [3, 1, None]
    assert "continue" not in pages[-1]["metadata"]
    # every page reports the first page's resourceVersion (see kubelite/api/pagination.py)
    assert len({p["metadata"]["resourceVersion"] for p in pages}) == 1
    assert all(p["kind"] == "PodList" for p in pages)
    # the token is kube's: base64 of {"v","rv","start"} with the last key + NUL
    first = pages[0]["metadata"]
    raw = first["continue"]
    doc = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    assert doc == {"v": "meta.k8s.io/v1", "rv": int(first["resourceVersion"]), "start": "p2\x00"}
    # without limit, one page of everything
    status, whole, _ = await api.get(PODS)
    assert item_names(whole) == NAMES and whole["metadata"].keys() == {"resourceVersion"}


async def test_tables_and_metadata_lists_carry_the_continue(api: Api) -> None:
    await make_pods(api, NAMES)
    pages = await walk(api, PODS, 2, {"Accept": TABLE})
    assert [item_names(p) for p in pages] == [["p1", "p2"], ["p3", "p4"], ["p5"]]
    assert pages[0]["kind"] == "Table" and pages[0]["metadata"]["remainingItemCount"] == 3
    assert all("columnDefinitions" in p for p in pages)
    partial = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
    pages = await walk(api, PODS, 3, {"Accept": partial})
    assert [item_names(p) for p in pages] == [["p1", "p2", "p3"], ["p4", "p5"]]
    assert pages[0]["kind"] == "PartialObjectMetadataList"


async def test_cluster_wide_pages_follow_namespace_then_name(api: Api) -> None:
    # "a-b/..." sorts before "a/..." in kube's (byte) key order
    for ns in ("pg", "pg-x"):
        status, body, _ = await api.post("/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        assert status == 201, body
    await make_pods(api, ["b", "a"], "/api/v1/namespaces/pg/pods")
    await make_pods(api, ["c"], "/api/v1/namespaces/pg-x/pods")
    await make_pods(api, ["d"])
    pages = await walk(api, "/api/v1/pods", 2)
    got = [(i["metadata"]["namespace"], i["metadata"]["name"]) for p in pages for i in p["items"]]
    assert got == [("default", "d"), ("pg-x", "c"), ("pg", "a"), ("pg", "b")]
    assert [p["metadata"].get("remainingItemCount") for p in pages] == [2, None]
    status, whole, _ = await api.get("/api/v1/pods")
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in whole["items"]] == got


async def test_selectors_fill_pages_without_a_remaining_count(api: Api) -> None:
    await make_pods(api, ["a1", "a3", "a5"], app="web")
    await make_pods(api, ["a2", "a4", "a6"], app="db")
    pages = await walk(api, PODS + "?labelSelector=app%3Dweb", 2)
    assert [item_names(p) for p in pages] == [["a1", "a3"], ["a5"]]
    assert all("remainingItemCount" not in p["metadata"] for p in pages)
    pages = await walk(api, PODS + "?fieldSelector=metadata.name!%3Da1", 4)
    assert [item_names(p) for p in pages] == [["a2", "a3", "a4", "a5"], ["a6"]]
    assert "remainingItemCount" not in pages[0]["metadata"]
    # an exact name is one key: one item, no token
    pages = await walk(api, PODS + "?fieldSelector=metadata.name%3Da4", 1)
    assert [item_names(p) for p in pages] == [["a4"]]


async def test_a_continued_page_reads_the_current_state(api: Api) -> None:
    await make_pods(api, NAMES)
    status, first, _ = await api.get(PODS + "?limit=2")
    await api.delete(PODS + "/p3?gracePeriodSeconds=0")
    await make_pods(api, ["p35"])
    status, second, _ = await api.get(PODS + "?limit=10&continue=" + q(first["metadata"]["continue"]))
    assert status == 200, second
    # etcd's v2 API has no reads at an old index: changes after the first page show up
    assert item_names(second) == ["p35", "p4", "p5"]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


async def test_resource_version_zero_ignores_limit_as_the_watch_cache_does(api: Api) -> None:
    await make_pods(api, NAMES)
    status, body, _ = await api.get(PODS + "?limit=2&resourceVersion=0")
    assert status == 200 and item_names(body) == NAMES and "continue" not in body["metadata"]


BAD = "invalid continue token: continue key is not valid"


async def test_bad_tokens_are_400(api: Api) -> None:
    await make_pods(api, NAMES[:3])
    cases = [
        ("%%%", f"{BAD}: illegal base64 data at input byte 0"),
        (token(v="meta.k8s.io/v2", rv=5, start="x"),
         f"{BAD}: server does not recognize this encoded version meta.k8s.io/v2"),
        (token(v="meta.k8s.io/v1", rv=0, start="x"),
         f"{BAD}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"),
        (token(v="meta.k8s.io/v1", rv=5, start=""),
         f"{BAD}: encoded start key empty (version meta.k8s.io/v1)"),
        (token(v="meta.k8s.io/v1", rv=5, start="../../secrets/default/x"),
         f"{BAD}: ../../secrets/default/x"),
    ]
    for value, message in cases:
        status, body, _ = await api.get(PODS + "?limit=2&continue=" + q(value))
        assert (status, body["kind"], body["reason"], body["message"]) == (
            400, "Status", "BadRequest", message), value
    # a token from another etcd, ahead of this one: etcd 3's error, a 500 without a reason
    ahead = token(v="meta.k8s.io/v1", rv=10**12, start="p1\x00")
    status, body, _ = await api.get(PODS + "?limit=2&continue=" + q(ahead))
    assert (status, "reason" in body, body["message"]) == (
        500, False, "etcdserver: mvcc: required revision is a future revision")


async def test_continue_beside_resource_version_options(api: Api) -> None:
    await make_pods(api, NAMES[:3])
    status, first, _ = await api.get(PODS + "?limit=1")
    cont = q(first["metadata"]["continue"])
    status, body, _ = await api.get(f"{PODS}?limit=1&continue={cont}&resourceVersion=5")
    assert (status, body["reason"], body["message"]) == (
        400, "BadRequest", "specifying resource version is not allowed when using continue")
    status, body, _ = await api.get(f"{PODS}?limit=1&continue={cont}&resourceVersion=0")
    assert status == 200 and item_names(body) == ["p2"]
    status, body, _ = await api.get(
        f"{PODS}?limit=1&continue={cont}&resourceVersion=5&resourceVersionMatch=NotOlderThan")
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"] == ('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: '
                               "Forbidden: resourceVersionMatch is forbidden when continue is "
                               "provided")
    assert body["details"] == {"group": "meta.k8s.io", "kind": "ListOptions", "causes": [{
        "reason": "FieldValueForbidden", "field": "resourceVersionMatch",
        "message": "Forbidden: resourceVersionMatch is forbidden when continue is provided"}]}


async def test_a_token_behind_the_watch_window_is_410_with_a_fresh_token(
        api: Api, apiserver: RunningApiServer) -> None:
    apiserver.server.continue_window = 5  # etcd events; the default is etcd's 1000
    await make_pods(api, NAMES)
    status, first, _ = await api.get(PODS + "?limit=2")
    async with EtcdClient(apiserver.config.etcd_servers) as etcd:
        for i in range(6):
            await etcd.set(f"{apiserver.config.etcd_prefix}/filler/{i}", "x")
    status, body, _ = await api.get(PODS + "?limit=2&continue=" + q(first["metadata"]["continue"]))
    assert (status, body["reason"], body["code"]) == (410, "Expired", 410)
    assert body["message"].startswith("The provided continue parameter is too old to display a "
                                      "consistent list result. You can start a new list without "
                                      "the continue parameter, or use the continue token")
    retry = body["metadata"]["continue"]
    raw = json.loads(base64.urlsafe_b64decode(retry + "=" * (-len(retry) % 4)))
    assert raw == {"v": "meta.k8s.io/v1", "rv": -1, "start": "p2\x00"}
    status, rest, _ = await api.get(PODS + "?limit=2&continue=" + q(retry))
    assert status == 200 and item_names(rest) == ["p3", "p4"]
    assert int(rest["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])


async def test_mirrored_and_converted_kinds_page_too(api: Api) -> None:
    status, _, _ = await api.post("/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pgm"}})
    assert status == 201
    for name in ("e3", "e1", "e2"):
        ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name},
              "subsets": [{"addresses": [{"ip": "10.1.0.5"}], "ports": [{"port": 80}]}]}
        status, body, _ = await api.post("/api/v1/namespaces/pgm/endpoints", ep)
        assert status == 201, body
        ev = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name},
              "eventTime": "2025-01-01T12:00:00.000000Z", "reason": "Pulled", "note": "x",
              "type": "Normal", "action": "Pull", "reportingController": "kubelet",
              "reportingInstance": "node-1",
              "regarding": {"kind": "Pod", "name": "p", "namespace": "pgm"}}
        status, body, _ = await api.post("/apis/events.k8s.io/v1/namespaces/pgm/events", ev)
        assert status == 201, body
    for path in ("/apis/discovery.k8s.io/v1/namespaces/pgm/endpointslices",
                 "/apis/events.k8s.io/v1/namespaces/pgm/events"):
        pages = await walk(api, path, 2)
        assert [item_names(p) for p in pages] == [["e1", "e2"], ["e3"]], path
        assert pages[0]["metadata"]["remainingItemCount"] == 1
        assert pages[0]["apiVersion"] in ("discovery.k8s.io/v1", "events.k8s.io/v1")
    pages = await walk(api, "/apis/events.k8s.io/v1/namespaces/pgm/events"
                       "?fieldSelector=reportingController%3Dkubelet", 2)
    assert [item_names(p) for p in pages] == [["e1", "e2"], ["e3"]]


async def test_an_unreadable_value_is_skipped_not_fatal(api: Api,
                                                       apiserver: RunningApiServer) -> None:
    await make_pods(api, ["p1", "p3", "p4"])
    async with EtcdClient(apiserver.config.etcd_servers) as etcd:
        await etcd.set(f"{apiserver.config.etcd_prefix}/pods/default/p2", "{not json")
    pages = await walk(api, PODS, 2)
    # p2 is passed over like an object that does not match, as the plain list skips it
    assert [item_names(p) for p in pages] == [["p1", "p3"], ["p4"]]
    status, whole, _ = await api.get(PODS)
    assert item_names(whole) == ["p1", "p3", "p4"]
