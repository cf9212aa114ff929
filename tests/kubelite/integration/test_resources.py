"""Kind-specific behaviour: services, namespaces, pods (binding, status, deletion), scale,
nodes, leases, events, discovery and OpenAPI."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kubelite.apiserver.server import RunningApiServer
from tests.kubelite.conftest import Api
from tests.kubelite.integration.test_crud import PODS, pod

SVCS = "/api/v1/namespaces/default/services"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"


def service(name: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"selector": {"app": name}, "ports": [{"port": 80}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


async def test_cluster_ips_are_unique_under_concurrency_and_released(api: Api) -> None:
    results = await asyncio.gather(*(api.post(SVCS, service(f"s{i}")) for i in range(12)))
    assert all(r[0] == 201 for r in results), [r[1] for r in results if r[0] != 201]
    ips = [r[1]["spec"]["clusterIP"] for r in results]
    assert len(set(ips)) == 12 and "10.0.0.1" not in ips  # .1 is the kubernetes service
    first = results[0][1]
    assert first["spec"]["clusterIPs"] == [first["spec"]["clusterIP"]]
    assert first["spec"]["ports"][0] == {"port": 80, "protocol": "TCP", "targetPort": 80}
    assert first["spec"]["sessionAffinity"] == "None" and first["spec"]["type"] == "ClusterIP"
    # an explicit IP that is taken, or outside the range, is a 422
    status, body, _ = await api.post(SVCS, service("dup", clusterIP=ips[0]))
    assert status == 422 and "already allocated" in body["message"]
    status, body, _ = await api.post(SVCS, service("far", clusterIP="192.0.2.10"))
    assert status == 422 and "not in the valid range" in body["message"]
    # deleting returns the Service object and frees its IP for an explicit request
    status, deleted, _ = await api.delete(SVCS + "/s0")
    assert status == 200 and deleted["kind"] == "Service"
    status, body, _ = await api.post(SVCS, service("reuse", clusterIP=ips[0]))
    assert status == 201, body


async def test_services_created_by_server_side_apply_get_their_addresses(api: Api) -> None:
    apply = "application/apply-patch+yaml"
    status, svc, _ = await api.patch(SVCS + "/ssa?fieldManager=me",
                                     service("ssa", type="NodePort"), apply)
    assert status == 201, svc
    ip, port = svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["nodePort"]
    assert ip.startswith("10.0.0.") and svc["spec"]["clusterIPs"] == [ip]
    assert 30000 <= port <= 32767
    # they are really taken: asking for them again is refused
    status, body, _ = await api.post(SVCS, service("dup", clusterIP=ip))
    assert status == 422 and "already allocated" in body["message"]
    status, body, _ = await api.patch(SVCS + "/taken?fieldManager=me",
                                      service("taken", clusterIP="10.0.0.1"), apply)
    assert status == 422 and "provided IP is already allocated" in body["message"]
    assert (await api.get(SVCS + "/taken"))[0] == 404
    # a re-apply keeps them; deleting frees them
    status, again, _ = await api.patch(SVCS + "/ssa?fieldManager=me",
                                       service("ssa", type="NodePort"), apply)
    assert status == 200 and again["spec"]["clusterIP"] == ip
    assert again["spec"]["ports"][0]["nodePort"] == port
    status, _, _ = await api.patch(SVCS + "/dry?fieldManager=me&dryRun=All",
                                   service("dry", clusterIP="10.0.0.99"), apply)
    assert status == 201
    await api.delete(SVCS + "/ssa")
    status, body, _ = await api.post(SVCS, service("reuse", clusterIP=ip, type="NodePort",
                                                   ports=[{"port": 80, "nodePort": port}]))
    assert status == 201, body
    status, body, _ = await api.post(SVCS, service("after-dry", clusterIP="10.0.0.99"))
    assert status == 201, body


async def test_node_ports_and_updates_keep_allocations(api: Api) -> None:
    status, svc, _ = await api.post(SVCS, service("np", type="NodePort"))
    assert status == 201
    port = svc["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767
    # kubectl apply style update omitting clusterIP and nodePort keeps both
    update = service("np", type="NodePort")
    update["metadata"]["resourceVersion"] = svc["metadata"]["resourceVersion"]
    status, updated, _ = await api.put(SVCS + "/np", update)
    assert status == 200, updated
    assert updated["spec"]["clusterIP"] == svc["spec"]["clusterIP"]
    assert updated["spec"]["ports"][0]["nodePort"] == port
    status, body, _ = await api.post(SVCS, service("np2", type="NodePort",
                                                   ports=[{"port": 80, "nodePort": port}]))
    assert status == 422 and "already allocated" in body["message"]
    status, body, _ = await api.patch(SVCS + "/np", {"spec": {"clusterIP": "10.0.0.200"}},
                                      "application/merge-patch+json")
    assert status == 422
    # back to ClusterIP: the node port goes away and is free again
    status, body, _ = await api.patch(SVCS + "/np", {"spec": {"type": "ClusterIP"}},
                                      "application/strategic-merge-patch+json")
    assert status == 200, body
    assert "nodePort" not in body["spec"]["ports"][0]
    status, body, _ = await api.post(SVCS, service("np3", type="NodePort",
                                                   ports=[{"port": 80, "nodePort": port}]))
    assert status == 201, body


async def test_namespace_lifecycle(api: Api) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    status, body, _ = await api.post("/api/v1/namespaces", ns)
    assert status == 201 and body["status"]["phase"] == "Active"
    assert body["spec"]["finalizers"] == ["kubernetes"]
    await api.post("/api/v1/namespaces/team-a/pods", pod("p"))
    await api.post("/api/v1/namespaces/team-a/configmaps",
                   {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    resp = await api.session.get(api.base + "/api/v1/namespaces?watch=1&fieldSelector="
                                 "metadata.name%3Dteam-a&resourceVersion=" +
                                 body["metadata"]["resourceVersion"])
    status, body, _ = await api.delete("/api/v1/namespaces/team-a")
    assert status == 200 and body["status"]["phase"] == "Terminating"
    status, created, _ = await api.post("/api/v1/namespaces/team-a/configmaps",
                                        {"apiVersion": "v1", "kind": "ConfigMap",
                                         "metadata": {"name": "late"}})
    assert status in (403, 404)  # 404 once the finalizer has already finished
    if status == 403:
        assert "because it is being terminated" in created["message"]
    # the finalizer loop empties the namespace and removes it: wait for its DELETED event
    types = []
    while not types or types[-1] != "DELETED":
        line = await asyncio.wait_for(resp.content.readline(), 10)
        assert line, "watch ended before the namespace was deleted"
        types.append(json.loads(line)["type"])
    resp.close()
    assert types[0] == "MODIFIED"
    status, body, _ = await api.get("/api/v1/namespaces/team-a/pods")
    assert body["items"] == []
    status, body, _ = await api.get("/api/v1/namespaces/team-a/configmaps")
    assert body["items"] == []


async def test_immortal_namespaces_cannot_be_deleted(api: Api) -> None:
    await api.post("/api/v1/namespaces/default/configmaps",
                   {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}})
    for name in ("default", "kube-system", "kube-public"):
        for path in (f"/api/v1/namespaces/{name}", f"/api/v1/namespaces/{name}?dryRun=All"):
            status, body, _ = await api.delete(path)
            assert (status, body["reason"], body["message"]) == (
                403, "Forbidden", f'namespaces "{name}" is forbidden: this namespace may not be '
                "deleted"), body
    status, body, _ = await api.delete("/api/v1/namespaces")  # a collection delete too
    assert status == 403
    status, body, _ = await api.get("/api/v1/namespaces/default")
    assert status == 200 and "deletionTimestamp" not in body["metadata"]
    assert (await api.get("/api/v1/namespaces/default/configmaps/kept"))[0] == 200


async def node(api: Api, name: str = "node-1") -> dict[str, Any]:
    body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {
        "kubernetes.io/hostname": name}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}}
    status, created, _ = await api.post("/api/v1/nodes", body)
    assert status == 201, created
    return created


async def test_binding_status_and_graceful_deletion(api: Api) -> None:
    await node(api)
    _, created, _ = await api.post(PODS, pod("p"))
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
               "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}}
    status, body, _ = await api.post(PODS + "/p/binding", binding)
    assert (status, body["status"]) == (201, "Success")
    status, body, _ = await api.post(PODS + "/p/binding", binding)
    assert status == 409 and "already assigned" in body["message"]
    _, bound, _ = await api.get(PODS + "/p")
    assert bound["spec"]["nodeName"] == "node-1"
    assert bound["status"]["conditions"][0]["type"] == "PodScheduled"
    # the kubelet's status patch, with the uid as a precondition
    patch = {"metadata": {"uid": created["metadata"]["uid"]},
             "status": {"phase": "Running", "podIP": "10.1.0.5",
                        "conditions": [{"type": "Ready", "status": "True"}]}}
    status, running, _ = await api.patch(PODS + "/p/status", patch,
                                         "application/strategic-merge-patch+json")
    assert status == 200 and running["status"]["phase"] == "Running"
    assert {c["type"] for c in running["status"]["conditions"]} == {"PodScheduled", "Ready"}
    wrong = {"metadata": {"uid": "not-the-uid"}, "status": {"phase": "Failed"}}
    status, body, _ = await api.patch(PODS + "/p/status", wrong,
                                      "application/strategic-merge-patch+json")
    assert status == 409
    # a status write cannot change the spec; a main write cannot change the status
    status, body, _ = await api.patch(PODS + "/p", {"status": {"phase": "Failed"}},
                                      "application/merge-patch+json")
    assert body["status"]["phase"] == "Running"
    # bound to an existing node: graceful, Terminating until the kubelet confirms
    status, body, _ = await api.delete(PODS + "/p", {"gracePeriodSeconds": 20})
    assert status == 200 and body["metadata"]["deletionGracePeriodSeconds"] == 20
    assert body["metadata"]["deletionTimestamp"]
    status, body, _ = await api.get(PODS + "/p")
    assert status == 200
    status, body, _ = await api.delete(PODS + "/p", {"gracePeriodSeconds": 0,
                                                      "preconditions": {"uid": "other"}})
    assert status == 409
    status, body, _ = await api.delete(PODS + "/p", {"gracePeriodSeconds": 0})
    assert status == 200 and body["kind"] == "Pod"
    status, _, _ = await api.get(PODS + "/p")
    assert status == 404


async def test_pod_on_missing_node_and_unbound_pod_go_at_once(api: Api) -> None:
    await api.post(PODS, pod("u"))
    status, _, _ = await api.delete(PODS + "/u")
    assert status == 200
    body = pod("orphan")
    body["spec"]["nodeName"] = "no-such-node"
    await api.post(PODS, body)
    status, _, _ = await api.delete(PODS + "/orphan")
    assert status == 200
    status, _, _ = await api.get(PODS + "/orphan")
    assert status == 404


async def test_finalizers_hold_deletion(api: Api) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}
    await api.post("/api/v1/namespaces/default/configmaps", cm)
    status, body, _ = await api.delete("/api/v1/namespaces/default/configmaps/held")
    assert status == 200 and body["metadata"]["deletionTimestamp"]
    status, body, _ = await api.patch("/api/v1/namespaces/default/configmaps/held",
                                      {"metadata": {"finalizers": None}}, "application/merge-patch+json")
    assert status == 200
    status, _, _ = await api.get("/api/v1/namespaces/default/configmaps/held")
    assert status == 404


def deployment(name: str = "web", replicas: int = 2) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}}


async def test_scale_subresource(api: Api) -> None:
    status, dep, _ = await api.post(DEPLOYS, deployment())
    assert status == 201 and dep["metadata"]["generation"] == 1
    status, scale, _ = await api.get(DEPLOYS + "/web/scale")
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {"replicas": 0, "selector": "app=web"}
    status, scale, _ = await api.patch(DEPLOYS + "/web/scale", {"spec": {"replicas": 5}},
                                       "application/merge-patch+json")
    assert status == 200 and scale["spec"]["replicas"] == 5
    _, dep2, _ = await api.get(DEPLOYS + "/web")
    assert dep2["spec"]["replicas"] == 5 and dep2["metadata"]["generation"] == 2
    stale = {**scale, "spec": {"replicas": 1}}
    stale["metadata"] = {**scale["metadata"], "resourceVersion": dep["metadata"]["resourceVersion"]}
    status, body, _ = await api.put(DEPLOYS + "/web/scale", stale)
    assert status == 409
    status, body, _ = await api.patch(DEPLOYS + "/web/scale", {"spec": {"replicas": -1}},
                                      "application/merge-patch+json")
    assert status == 422
    # the status subresource is what controllers write
    status, body, _ = await api.patch(DEPLOYS + "/web/status", {"status": {
        "observedGeneration": 2, "replicas": 5, "readyReplicas": 5}}, "application/merge-patch+json")
    assert status == 200 and body["status"]["readyReplicas"] == 5
    assert body["metadata"]["generation"] == 2


async def test_leases_events_and_node_status(api: Api) -> None:
    await node(api, "n2")
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "n2"},
             "spec": {"holderIdentity": "n2", "leaseDurationSeconds": 40,
                      "renewTime": "2025-01-01T12:00:00.123456Z"}}
    status, body, _ = await api.post(
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease)
    assert status == 201, body
    status, body, _ = await api.patch("/api/v1/nodes/n2/status", {"status": {"conditions": [
        {"type": "Ready", "status": "False"}]}}, "application/strategic-merge-patch+json")
    assert status == 200 and body["status"]["conditions"] == [{"type": "Ready", "status": "False"}]
    assert body["status"]["addresses"][0]["address"] == "127.0.0.1"
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.1"},
             "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default", "uid": "u1"},
             "reason": "Scheduled", "message": "hi", "type": "Normal",
             "source": {"component": "default-scheduler"}}
    status, _, _ = await api.post("/api/v1/namespaces/default/events", event)
    assert status == 201
    q = "?fieldSelector=involvedObject.name%3Dp,involvedObject.namespace%3Ddefault,involvedObject.uid%3Du1"
    status, body, _ = await api.get("/api/v1/namespaces/default/events" + q)
    assert [e["reason"] for e in body["items"]] == ["Scheduled"]


async def test_discovery_openapi_and_version(api: Api, apiserver: RunningApiServer) -> None:
    status, version, _ = await api.get("/version")
    assert (version["major"], version["minor"]) == ("1", "32")
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    status, agg, headers = await api.get("/apis", headers={"Accept": accept})
    assert headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    assert [i["metadata"]["name"] for i in agg["items"]] == ["apps", "events.k8s.io",
                                                           "coordination.k8s.io",
                                                           "discovery.k8s.io"]
    status, core, _ = await api.get("/api", headers={"Accept": accept})
    pods = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    assert {s["subresource"] for s in pods["subresources"]} == {"attach", "binding", "exec",
                                                                "log", "status"}
    status, legacy, _ = await api.get("/api")
    assert legacy["kind"] == "APIVersions" and legacy["versions"] == ["v1"]
    status, groups, _ = await api.get("/apis")
    assert groups["kind"] == "APIGroupList"
    status, rl, _ = await api.get("/apis/apps/v1")
    names = {r["name"] for r in rl["resources"]}
    assert {"deployments", "deployments/scale", "replicasets"} <= names
    status, index, _ = await api.get("/openapi/v3")
    url = index["paths"]["api/v1"]["serverRelativeURL"]
    status, doc, _ = await api.get(url)
    op = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert op["x-kubernetes-group-version-kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert any(p["name"] == "fieldValidation" for p in op["parameters"])
    # /openapi/v2: definitions with kube's names, as JSON or as gnostic protobuf
    status, v2, headers = await api.get("/openapi/v2")
    assert status == 200 and v2["swagger"] == "2.0" and v2["paths"] == {}
    pod_def = v2["definitions"]["io.k8s.api.core.v1.Pod"]
    assert pod_def["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "Pod", "version": "v1"}]
    assert pod_def["properties"]["spec"] == {"$ref": "#/definitions/io.k8s.api.core.v1.PodSpec"}
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in v2["definitions"]
    etag = headers["ETag"]
    pb = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    async with api.session.get(api.base + "/openapi/v2", headers={"Accept": pb}) as resp:
        body = await resp.read()
    assert resp.status == 200 and body.startswith(b"\n\x032.0\x12")
    assert b"io.k8s.api.apps.v1.Deployment" in body
    async with api.session.get(api.base + "/openapi/v2", headers={
            "Accept": pb, "If-None-Match": etag}) as resp:
        assert resp.status == 304
    status, body, _ = await api.get("/openapi/v2", headers={"Accept": "text/html"})
    assert (status, body["reason"]) == (406, "NotAcceptable")


async def test_events_are_served_in_both_versions(api: Api) -> None:
    new_style = {"apiVersion": "events.k8s.io/v1", "kind": "Event",
                 "metadata": {"name": "p.2"},
                 "eventTime": "2025-01-01T12:00:00.000000Z",
                 "regarding": {"kind": "Pod", "name": "p", "namespace": "default"},
                 "reason": "Pulled", "note": "image pulled", "type": "Normal",
                 "action": "Pull", "reportingController": "kubelet",
                 "reportingInstance": "node-1"}
    status, body, _ = await api.post("/apis/events.k8s.io/v1/namespaces/default/events", new_style)
    assert status == 201, body
    assert body["apiVersion"] == "events.k8s.io/v1" and body["note"] == "image pulled"
    status, core, _ = await api.get("/api/v1/namespaces/default/events/p.2")
    assert core["apiVersion"] == "v1" and core["message"] == "image pulled"
    assert core["involvedObject"]["name"] == "p" and core["reportingComponent"] == "kubelet"
    status, listed, _ = await api.get("/apis/events.k8s.io/v1/namespaces/default/events"
                                      "?fieldSelector=regarding.name%3Dp")
    assert [e["note"] for e in listed["items"]] == ["image pulled"]
    status, body, _ = await api.patch("/apis/events.k8s.io/v1/namespaces/default/events/p.2",
                                      {"note": "again"}, "application/merge-patch+json")
    assert status == 200 and body["note"] == "again"
    bad = dict(new_style, metadata={"name": "p.3"}, fooz=1)
    status, body, _ = await api.post(
        "/apis/events.k8s.io/v1/namespaces/default/events?fieldValidation=Strict", bad)
    assert status == 400 and 'unknown field "fooz"' in body["message"]


async def test_endpointslices_mirror_endpoints(api: Api) -> None:
    ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
          "subsets": [{"addresses": [{"ip": "10.1.0.5", "nodeName": "n1"}],
                       "notReadyAddresses": [{"ip": "10.1.0.6"}],
                       "ports": [{"name": "http", "port": 8080}]}]}
    status, _, _ = await api.put("/api/v1/namespaces/default/endpoints/web", ep)
    assert status == 201  # endpoints may be created by PUT, as the endpoints controller does
    base = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
    status, listed, _ = await api.get(base + "?labelSelector=kubernetes.io%2Fservice-name%3Dweb")
    assert status == 200 and len(listed["items"]) == 1
    es = listed["items"][0]
    assert es["addressType"] == "IPv4" and es["ports"] == [{"name": "http", "port": 8080,
                                                            "protocol": "TCP"}]
    assert [(e["addresses"], e["conditions"]["ready"]) for e in es["endpoints"]] == \
        [(["10.1.0.5"], True), (["10.1.0.6"], False)]
    status, one, _ = await api.get(base + "/web")
    assert status == 200 and one["metadata"]["labels"]["kubernetes.io/service-name"] == "web"
    status, body, _ = await api.post(base, es)
    assert status == 405 and body["reason"] == "MethodNotAllowed"
