"""An apiserver that starts on existing etcd data: a restart, and two apiservers sharing one
etcd prefix (an HA pair). Objects, their cluster IPs and the allocation bitmaps survive; the
bootstrap recognises its own ``kubernetes`` Service instead of failing to re-create it."""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from kubelite.apiserver import server
from kubelite.apiserver.config import Config
from tests.kubelite.conftest import Api, Kubectl, kubectl_binary
from tests.support import procs

START_TIMEOUT = 20.0  # a start that retries bootstrap forever fails here, not by hanging
DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "kubelite/web:1"}]}}},
}


def config(etcd: procs.ServerProcess, prefix: str) -> Config:
    return Config(etcd_servers=(etcd.url,), etcd_prefix=prefix + "/registry",
                  insecure_bind_address="127.0.0.1", insecure_port=0)


@asynccontextmanager
async def running(cfg: Config, seed: int) -> AsyncIterator[tuple[server.RunningApiServer, Api]]:
    apiserver = await asyncio.wait_for(server.start(cfg, rng=random.Random(seed)), START_TIMEOUT)
    try:
        async with aiohttp.ClientSession() as session:
            yield apiserver, Api(apiserver.url, session)
    finally:
        await apiserver.stop()


def service(name: str, cluster_ip: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"app": name}, "ports": [{"port": 80}]}
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


async def populate(api: Api) -> dict[str, str]:
    """A pod, two services (one with a chosen IP), a deployment; returns name -> clusterIP."""
    status, body, _ = await api.post("/api/v1/namespaces/default/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "labels": {"app": "a"}},
        "spec": {"containers": [{"name": "c", "image": "kubelite/web:1"}]}})
    assert status == 201, body
    ips = {}
    for svc in (service("auto"), service("fixed", "10.0.0.77")):
        status, body, _ = await api.post("/api/v1/namespaces/default/services", svc)
        assert status == 201, body
        ips[body["metadata"]["name"]] = body["spec"]["clusterIP"]
    status, body, _ = await api.post("/apis/apps/v1/namespaces/default/deployments", DEPLOYMENT)
    assert status == 201, body
    status, body, _ = await api.get("/api/v1/namespaces/default/services/kubernetes")
    ips["kubernetes"] = body["spec"]["clusterIP"]
    assert ips["fixed"] == "10.0.0.77" and ips["kubernetes"] == "10.0.0.1"
    return ips


async def service_ips(api: Api) -> dict[str, str]:
    status, body, _ = await api.get("/api/v1/namespaces/default/services")
    assert status == 200, body
    return {s["metadata"]["name"]: s["spec"]["clusterIP"] for s in body["items"]}


async def test_restart_on_existing_data_keeps_objects_and_ips(
        etcd_server: procs.ServerProcess, unique_prefix: str, tmp_path: Path) -> None:
    cfg = config(etcd_server, unique_prefix)
    async with running(cfg, 1) as (_, api):
        ips = await populate(api)
        status, before, _ = await api.get("/api/v1/namespaces/default/services/kubernetes")
    async with running(cfg, 1) as (second, api):  # same seed: it would pick the same IPs
        assert await service_ips(api) == ips
        status, after, _ = await api.get("/api/v1/namespaces/default/services/kubernetes")
        assert after["metadata"]["uid"] == before["metadata"]["uid"]
        # the new listener's port is what the kubernetes Service now points at
        assert after["spec"]["ports"][0]["targetPort"] == second.port
        status, body, _ = await api.get("/api/v1/namespaces/default/pods/p1")
        assert status == 200 and body["metadata"]["labels"] == {"app": "a"}
        status, body, _ = await api.get("/apis/apps/v1/namespaces/default/deployments/web")
        assert status == 200 and body["spec"]["replicas"] == 2
        # allocations survived: a chosen IP that is in use is refused, new ones are fresh
        status, body, _ = await api.post("/api/v1/namespaces/default/services",
                                         service("clash", "10.0.0.77"))
        assert status == 422 and body["message"] == (
            'Service "clash" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.77"}: '
            "failed to allocate IP 10.0.0.77: provided IP is already allocated")
        status, body, _ = await api.post("/api/v1/namespaces/default/services", service("new"))
        assert status == 201 and body["spec"]["clusterIP"] not in ips.values()
        binary = kubectl_binary()
        if binary is None:
            return
        home = tmp_path / "home"
        home.mkdir()
        (home / "kubeconfig").write_text("apiVersion: v1\nkind: Config\n")
        kubectl = Kubectl(binary, second.url, home)
        out = await kubectl.ok("get", "svc", "fixed", "-o", "jsonpath={.spec.clusterIP}")
        assert out == "10.0.0.77"
        assert "web" in await kubectl.ok("get", "deployments")
        assert (await kubectl.ok("delete", "pod", "p1")).strip() == 'pod "p1" deleted'
        # the namespace finalizer runs again after the restart
        await kubectl.ok("create", "namespace", "gone")
        await kubectl.ok("delete", "namespace", "gone", "--timeout=30s")


async def test_two_apiservers_share_one_etcd(etcd_server: procs.ServerProcess,
                                             unique_prefix: str) -> None:
    cfg = config(etcd_server, unique_prefix)
    # Both bootstrap at once, racing to create the namespaces and the kubernetes Service.
    first, second = await asyncio.wait_for(asyncio.gather(
        server.start(cfg, rng=random.Random(os.getpid())),
        server.start(cfg, rng=random.Random(os.getpid()))), START_TIMEOUT)
    try:
        async with aiohttp.ClientSession() as session:
            a, b = Api(first.url, session), Api(second.url, session)
            _, listed, _ = await b.get("/api/v1/namespaces/default/pods")
            watch = await session.get(second.url + "/api/v1/namespaces/default/pods?watch=1"
                                      "&resourceVersion=" + listed["metadata"]["resourceVersion"])
            ips = await populate(a)
            assert await service_ips(b) == ips
            # a write through one apiserver is an event on a watch through the other
            line = await asyncio.wait_for(watch.content.readline(), 15)
            event = json.loads(line)
            assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "p1")
            watch.close()
            # same seed on both: the allocator's CAS must still hand out distinct IPs
            made = await asyncio.gather(*(
                (a if i % 2 else b).post("/api/v1/namespaces/default/services", service(f"s{i}"))
                for i in range(6)))
            assert all(status == 201 for status, _, _ in made), made
            new_ips = [body["spec"]["clusterIP"] for _, body, _ in made]
            assert len(set(new_ips) | set(ips.values())) == len(new_ips) + len(ips)
    finally:
        await asyncio.gather(first.stop(), second.stop())


async def test_deleted_kubernetes_service_and_namespace_come_back(
        etcd_server: procs.ServerProcess, unique_prefix: str) -> None:
    """``kubectl delete all --all`` takes the kubernetes Service along; as kube's bootstrap
    controller, the apiserver puts it (and kube-node-lease, the one deletable system
    namespace) back."""
    cfg = config(etcd_server, unique_prefix)
    apiserver = await server.start(cfg, rng=random.Random(4), reconcile_interval=0.05)
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(apiserver.url, session)

            async def watch(path: str, name: str) -> aiohttp.ClientResponse:
                _, listed, _ = await api.get(path)
                return await session.get(
                    f"{apiserver.url}{path}?watch=1&fieldSelector=metadata.name%3D{name}"
                    f"&resourceVersion={listed['metadata']['resourceVersion']}")

            async def until_added(resp: aiohttp.ClientResponse) -> list[str]:
                seen: list[str] = []
                while not seen or seen[-1] != "ADDED":
                    line = await asyncio.wait_for(resp.content.readline(), 15)
                    seen.append(json.loads(line)["type"])
                resp.close()
                return seen

            services = await watch("/api/v1/namespaces/default/services", "kubernetes")
            namespaces = await watch("/api/v1/namespaces", "kube-node-lease")
            status, _, _ = await api.delete("/api/v1/namespaces/default/services/kubernetes")
            assert status == 200
            status, _, _ = await api.delete("/api/v1/namespaces/kube-node-lease")
            assert status == 200
            assert await until_added(services) == ["DELETED", "ADDED"]
            assert (await until_added(namespaces))[-2:] == ["DELETED", "ADDED"]
            status, body, _ = await api.get("/api/v1/namespaces/default/services/kubernetes")
            assert status == 200 and body["spec"]["clusterIP"] == "10.0.0.1"
            status, body, _ = await api.get("/api/v1/namespaces/kube-node-lease")
            assert status == 200 and body["status"]["phase"] == "Active"
    finally:
        await apiserver.stop()


async def test_restart_after_kubernetes_service_was_deleted(
        etcd_server: procs.ServerProcess, unique_prefix: str) -> None:
    """A user who deletes the kubernetes Service gets it back on the next start."""
    cfg = config(etcd_server, unique_prefix)
    async with running(cfg, 3) as (_, api):
        status, _, _ = await api.delete("/api/v1/namespaces/default/services/kubernetes")
        assert status == 200
    async with running(cfg, 3) as (_, api):
        status, body, _ = await api.get("/api/v1/namespaces/default/services/kubernetes")
        assert status == 200 and body["spec"]["clusterIP"] == "10.0.0.1"
