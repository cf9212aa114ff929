"""The official ``kubernetes`` Python client (pydantic-validated responses) against kubelite."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from kubelite.apiserver.server import RunningApiServer
from kubelite.registry.generic import Freshness

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, watch  # noqa: E402

pytestmark = pytest.mark.compat  # the real kubectl / kubernetes client as clients


def make_api(url: str) -> client.ApiClient:
    cfg = client.Configuration()
    cfg.host = url
    return client.ApiClient(cfg)


def pod_body(name: str) -> Any:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app": "py"}),
        spec=client.V1PodSpec(containers=[client.V1Container(
            name="c", image="kubelite/busybox:1.0",
            ports=[client.V1ContainerPort(container_port=80)])]))


async def test_python_client_create_list_watch_patch_delete(apiserver: RunningApiServer) -> None:
    api = make_api(apiserver.url)
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    seen: list[tuple[str, str]] = []
    ready = threading.Event()

    def watch_pods() -> None:
        w = watch.Watch()
        ready.set()
        for event in w.stream(core.list_namespaced_pod, "default", timeout_seconds=5):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                w.stop()

    watcher = asyncio.create_task(asyncio.to_thread(watch_pods))
    await asyncio.to_thread(ready.wait)
    created = await asyncio.to_thread(core.create_namespaced_pod, "default", pod_body("py-pod"))
    assert created.metadata.uid and created.spec.restart_policy == "Always"
    pods = await asyncio.to_thread(core.list_namespaced_pod, "default", label_selector="app=py")
    assert [p.metadata.name for p in pods.items] == ["py-pod"]
    patched = await asyncio.to_thread(core.patch_namespaced_pod, "py-pod", "default",
                                      {"metadata": {"labels": {"tier": "x"}}})
    assert patched.metadata.labels == {"app": "py", "tier": "x"}
    deleted = await asyncio.to_thread(core.delete_namespaced_pod, "py-pod", "default")
    assert deleted.metadata.name == "py-pod"
    await asyncio.wait_for(watcher, 15)
    assert [t for t, n in seen if n == "py-pod"] == ["ADDED", "MODIFIED", "DELETED"]

    svc = client.V1Service(metadata=client.V1ObjectMeta(name="py-svc"), spec=client.V1ServiceSpec(
        selector={"app": "py"}, ports=[client.V1ServicePort(port=80)]))
    created_svc = await asyncio.to_thread(core.create_namespaced_service, "default", svc)
    assert created_svc.spec.cluster_ip.startswith("10.0.0.")
    gone = await asyncio.to_thread(core.delete_namespaced_service, "py-svc", "default")
    assert gone.metadata.name == "py-svc"

    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="py-dep"),
        spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels={"app": "py"}),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={"app": "py"}),
                                              spec=pod_body("x").spec)))
    await asyncio.to_thread(apps.create_namespaced_deployment, "default", dep)
    scale = await asyncio.to_thread(apps.patch_namespaced_deployment_scale, "py-dep", "default",
                                    {"spec": {"replicas": 3}})
    assert scale.spec.replicas == 3 and scale.status.selector == "app=py"
    status = await asyncio.to_thread(apps.delete_namespaced_deployment, "py-dep", "default")
    as_dict = status if isinstance(status, dict) else status.to_dict()
    assert as_dict["status"] == "Success" and as_dict["details"]["name"] == "py-dep"
    namespaces = await asyncio.to_thread(core.list_namespace)
    assert {"default", "kube-system"} <= {n.metadata.name for n in namespaces.items}
    with pytest.raises(client.ApiException) as exc:
        await asyncio.to_thread(core.read_namespaced_pod, "nope", "default")
    assert exc.value.status == 404
    api.close()


async def test_python_client_walks_chunked_lists(apiserver: RunningApiServer) -> None:
    core = client.CoreV1Api(make_api(apiserver.url))
    for name in ("py-5", "py-3", "py-1", "py-4", "py-2"):
        await asyncio.to_thread(core.create_namespaced_pod, "default", pod_body(name))

    def walk(**kw: Any) -> list[Any]:
        pages = [core.list_namespaced_pod("default", limit=2, **kw)]
        while pages[-1].metadata._continue:
            pages.append(core.list_namespaced_pod("default", limit=2,
                                                  _continue=pages[-1].metadata._continue, **kw))
        return pages

    pages = await asyncio.to_thread(walk)
    assert [[p.metadata.name for p in page.items] for page in pages] == [
        ["py-1", "py-2"], ["py-3", "py-4"], ["py-5"]]
    assert [page.metadata.remaining_item_count for page in pages] == [3, 1, None]
    pages = await asyncio.to_thread(walk, label_selector="app=py")
    assert sum(len(page.items) for page in pages) == 5
    assert all(page.metadata.remaining_item_count is None for page in pages)
    with pytest.raises(client.ApiException) as caught:
        await asyncio.to_thread(core.list_namespaced_pod, "default", limit=2, _continue="bad!")
    assert caught.value.status == 400


async def test_python_client_lists_at_a_resource_version(apiserver: RunningApiServer) -> None:
    core = client.CoreV1Api(make_api(apiserver.url))
    await asyncio.to_thread(core.create_namespaced_pod, "default", pod_body("rv-1"))
    listed = await asyncio.to_thread(core.list_namespaced_pod, "default")
    rv = listed.metadata.resource_version
    exact = await asyncio.to_thread(core.list_namespaced_pod, "default", resource_version=rv,
                                    resource_version_match="Exact")
    assert exact.metadata.resource_version == rv and len(exact.items) == 1
    await asyncio.to_thread(core.create_namespaced_pod, "default", pod_body("rv-2"))
    newer = await asyncio.to_thread(core.list_namespaced_pod, "default", resource_version=rv)
    assert len(newer.items) == 2
    with pytest.raises(client.ApiException) as caught:
        await asyncio.to_thread(core.list_namespaced_pod, "default", resource_version=rv,
                                resource_version_match="Exact")
    assert (caught.value.status, json.loads(caught.value.body)["reason"]) == (410, "Expired")
    apiserver.server.list_freshness = Freshness(timeout=0.1)
    with pytest.raises(client.ApiException) as caught:
        await asyncio.to_thread(core.list_namespaced_pod, "default",
                                resource_version=str(int(rv) + 1000))
    body = json.loads(caught.value.body)
    assert caught.value.status == 504
    assert body["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
