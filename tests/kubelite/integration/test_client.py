"""kubelite's async REST client against the apiserver."""

from __future__ import annotations

import asyncio

import pytest

from kubelite.apiserver.server import RunningApiServer
from kubelite.client.rest import ApiClient, ApiError, resource_path

PODS = resource_path("v1", "pods", "default")


def test_resource_paths() -> None:
    assert resource_path("v1", "pods", "default", "p", "status") == \
        "/api/v1/namespaces/default/pods/p/status"
    assert resource_path("apps/v1", "deployments") == "/apis/apps/v1/deployments"
    assert resource_path("v1", "nodes", name="n1") == "/api/v1/nodes/n1"


async def test_client_crud_watch_and_errors(apiserver: RunningApiServer) -> None:
    async with ApiClient(apiserver.url) as api:
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c1"},
                "spec": {"containers": [{"name": "c", "image": "i"}]}}
        created = await api.create(PODS, body, field_manager="test")
        rv = created["metadata"]["resourceVersion"]
        events: list[tuple[str, str]] = []

        async def follow() -> None:
            async for event in api.watch(PODS, resource_version=rv, timeout_seconds=5):
                events.append((event["type"], event["object"]["metadata"]["name"]))
                if event["type"] == "DELETED":
                    return

        watcher = asyncio.create_task(follow())
        patched = await api.patch(PODS + "/c1", {"metadata": {"labels": {"a": "b"}}}, "merge")
        assert patched["metadata"]["labels"] == {"a": "b"}
        listed = await api.list(PODS, label_selector="a=b")
        assert [p["metadata"]["name"] for p in listed["items"]] == ["c1"]
        with pytest.raises(ApiError) as exc:
            await api.create(PODS, body)
        assert exc.value.conflict and exc.value.reason == "AlreadyExists"
        with pytest.raises(ApiError) as exc:
            await api.delete(PODS + "/c1", uid="wrong")
        assert exc.value.code == 409
        await api.delete(PODS + "/c1", uid=created["metadata"]["uid"])
        await asyncio.wait_for(watcher, 10)
        assert events == [("MODIFIED", "c1"), ("DELETED", "c1")]
        with pytest.raises(ApiError) as exc:
            await api.get(PODS + "/c1")
        assert exc.value.not_found
