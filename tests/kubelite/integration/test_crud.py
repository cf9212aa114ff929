"""The REST API over a real etcd (pyetcd and etcd 3.4): CRUD, errors, storage layout."""

from __future__ import annotations

import asyncio
import base64
import copy
from typing import Any

from kubelite.apiserver.server import RunningApiServer
from pyetcd.client import EtcdClient
from tests.kubelite.conftest import Api

PODS = "/api/v1/namespaces/default/pods"


def pod(name: str = "nginx", **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "kubelite/nginx:1.0",
                                     "ports": [{"containerPort": 80}]}]}}


async def test_create_get_list_and_storage_layout(api: Api, apiserver: RunningApiServer) -> None:
    status, created, _ = await api.post(PODS, pod())
    assert status == 201, created
    assert created["kind"] == "Pod" and created["status"]["phase"] == "Pending"
    status, got, _ = await api.get(PODS + "/nginx")
    assert status == 200 and got["metadata"]["uid"] == created["metadata"]["uid"]
    status, listed, _ = await api.get(PODS)
    assert listed["kind"] == "PodList" and [p["metadata"]["name"] for p in listed["items"]] == ["nginx"]
    assert int(listed["metadata"]["resourceVersion"]) >= int(created["metadata"]["resourceVersion"])
    # the object is JSON at <prefix>/pods/<ns>/<name> and its rv is the key's modifiedIndex
    async with EtcdClient(apiserver.config.etcd_servers) as etcd:
        resp = await etcd.get(apiserver.config.etcd_prefix + "/pods/default/nginx")
    assert resp.node is not None and resp.node.value is not None
    assert str(resp.node.modified_index) == got["metadata"]["resourceVersion"]
    assert '"resourceVersion"' not in resp.node.value


async def test_error_statuses_are_shaped_like_kubernetes(api: Api) -> None:
    await api.post(PODS, pod())
    status, body, _ = await api.post(PODS, pod())
    assert (status, body["reason"], body["message"]) == (409, "AlreadyExists",
                                                         'pods "nginx" already exists')
    status, body, _ = await api.get(PODS + "/nope")
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'pods "nope" not found', "reason": "NotFound",
                    "details": {"name": "nope", "kind": "pods"}, "code": 404}
    status, body, _ = await api.get("/apis/apps/v1/namespaces/default/deployments/nope")
    assert body["message"] == 'deployments.apps "nope" not found'
    status, body, _ = await api.post("/api/v1/namespaces/nons/pods", pod())
    assert (status, body["message"]) == (404, 'namespaces "nons" not found')
    status, body, _ = await api.get("/api/v1/nosuchthings")
    assert (status, body["message"]) == (404, "the server could not find the requested resource")
    status, body, _ = await api.request("PUT", PODS, pod())
    assert (status, body["reason"]) == (405, "MethodNotAllowed")


async def test_invalid_object_is_422_naming_each_field(api: Api) -> None:
    bad = pod("Bad_Name")
    bad["spec"]["containers"][0].pop("image")
    status, body, _ = await api.post(PODS, bad)
    assert status == 422 and body["reason"] == "Invalid"
    fields = {c["field"] for c in body["details"]["causes"]}
    assert fields == {"metadata.name", "spec.containers[0].image"}
    status, body, _ = await api.get(PODS)
    assert body["items"] == []  # nothing partial was stored


async def test_update_with_stale_resource_version_conflicts(api: Api) -> None:
    _, created, _ = await api.post(PODS, pod())
    first = copy.deepcopy(created)
    first["metadata"]["labels"]["v"] = "1"
    status, updated, _ = await api.put(PODS + "/nginx", first)
    assert status == 200 and updated["metadata"]["labels"]["v"] == "1"
    assert updated["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]
    stale = copy.deepcopy(created)
    stale["metadata"]["labels"]["v"] = "2"
    status, body, _ = await api.put(PODS + "/nginx", stale)
    assert status == 409 and body["reason"] == "Conflict"
    assert "the object has been modified" in body["message"]
    # an unchanged PUT writes nothing: the resourceVersion stays
    status, same, _ = await api.put(PODS + "/nginx", updated)
    assert same["metadata"]["resourceVersion"] == updated["metadata"]["resourceVersion"]


async def test_patch_types(api: Api) -> None:
    await api.post(PODS, pod())
    smp = {"metadata": {"labels": {"tier": "fe"}},
           "spec": {"containers": [{"name": "nginx", "image": "kubelite/nginx:2.0"}]}}
    status, body, _ = await api.patch(PODS + "/nginx", smp, "application/strategic-merge-patch+json")
    assert status == 200, body
    c = body["spec"]["containers"][0]
    assert c["image"] == "kubelite/nginx:2.0" and c["ports"][0]["containerPort"] == 80
    status, body, _ = await api.patch(PODS + "/nginx", {"metadata": {"labels": {"tier": None}}},
                                      "application/merge-patch+json")
    assert "tier" not in body["metadata"]["labels"]
    ops = [{"op": "add", "path": "/metadata/annotations", "value": {"a": "b"}}]
    status, body, _ = await api.patch(PODS + "/nginx", ops, "application/json-patch+json")
    assert body["metadata"]["annotations"] == {"a": "b"}
    status, body, _ = await api.patch(PODS + "/nginx", [{"op": "test", "path": "/kind",
                                                         "value": "Service"}],
                                      "application/json-patch+json")
    assert status == 422
    status, body, _ = await api.patch(PODS + "/nginx", {"spec": {"restartPolicy": "Never"}},
                                      "application/merge-patch+json")
    assert status == 422 and body["details"]["causes"][0]["field"] == "spec"
    status, body, _ = await api.patch(PODS + "/gone", {}, "application/merge-patch+json")
    assert status == 404
    status, body, _ = await api.patch(PODS + "/nginx", {}, "text/plain")
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")


async def test_field_validation_and_duplicates(api: Api) -> None:
    body = pod()
    body["spec"]["fooz"] = 1
    status, res, _ = await api.post(PODS + "?fieldValidation=Strict", body)
    assert status == 400 and res["reason"] == "BadRequest"
    assert res["message"] == ('Pod in version "v1" cannot be handled as a Pod: strict decoding '
                              'error: unknown field "spec.fooz"')
    status, res, headers = await api.post(PODS + "?fieldValidation=Warn", body)
    assert status == 201 and "fooz" not in res["spec"]
    assert headers.getall("Warning") == ['299 - "unknown field \\"spec.fooz\\""']
    dup = b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"d","name":"d"},"spec":{"containers":[{"name":"c","image":"i"}]}}'
    status, res, _ = await api.post(PODS + "?fieldValidation=Strict", dup)
    assert status == 400 and 'duplicate field "name"' in res["message"]


async def test_dry_run_stores_nothing(api: Api) -> None:
    status, body, _ = await api.post(PODS + "?dryRun=All", pod())
    assert status == 201 and body["metadata"]["uid"]
    status, _, _ = await api.get(PODS + "/nginx")
    assert status == 404
    await api.post(PODS, pod())
    status, body, _ = await api.delete(PODS + "/nginx?dryRun=All")
    assert status == 200
    status, _, _ = await api.get(PODS + "/nginx")
    assert status == 200
    status, body, _ = await api.post(PODS + "?dryRun=Some", pod("other"))
    assert (status, body["message"]) == (422, 'CreateOptions.meta.k8s.io "" is invalid: dryRun: '
                                         'Unsupported value: []string{"Some"}: supported '
                                         'values: "All"')
    assert body["details"]["causes"] == [{"reason": "FieldValueNotSupported", "field": "dryRun",
                                          "message": 'Unsupported value: []string{"Some"}: '
                                          'supported values: "All"'}]
    status, body, _ = await api.patch(PODS + "/nginx?dryRun=Some", {}, "application/merge-patch+json")
    assert status == 422 and body["message"].startswith('PatchOptions.meta.k8s.io "" is invalid')


async def test_size_limit_and_bad_bodies(api: Api) -> None:
    # over etcd's 1.5 MiB request limit: 413, nothing stored
    big = pod("big")
    big["spec"]["containers"][0]["args"] = ["x" * 1024] * 1600
    status, body, _ = await api.post(PODS, big)
    assert (status, body["reason"]) == (413, "RequestEntityTooLarge")
    status, _, _ = await api.get(PODS + "/big")
    assert status == 404
    # ConfigMap and Secret data is limited to 1 MiB by validation first, as in kube
    cms = "/api/v1/namespaces/default/configmaps"
    for kind, path, data, field in (
            ("ConfigMap", cms, {"data": {"a": "x" * (1024 * 1024), "b": "y"}}, "[]"),
            ("Secret", "/api/v1/namespaces/default/secrets",
             {"data": {"a": base64.b64encode(b"x" * (1024 * 1024 + 1)).decode()}}, "data")):
        status, body, _ = await api.post(path, {"apiVersion": "v1", "kind": kind,
                                                "metadata": {"name": "big"}, **data})
        assert (status, body["message"]) == (
            422, f'{kind} "big" is invalid: {field}: Too long: may not be more than 1048576 '
            "bytes"), body
        assert body["details"]["causes"] == [{"reason": "FieldValueTooLong", "field": field,
                                              "message": "Too long: may not be more than "
                                              "1048576 bytes"}]
    status, _, _ = await api.post(cms, {"apiVersion": "v1", "kind": "ConfigMap",
                                        "metadata": {"name": "fits"},
                                        "data": {"a": "x" * (1024 * 1024)}})
    assert status == 201
    status, body, _ = await api.post(PODS, b"{not json")
    assert status == 400 and body["reason"] == "BadRequest"
    status, body, _ = await api.post(PODS, {"apiVersion": "apps/v1", "kind": "Pod",
                                            "metadata": {"name": "x"}})
    assert status == 400 and "does not match the expected API version" in body["message"]
    status, body, _ = await api.post(PODS, {"apiVersion": "v1", "kind": "Service",
                                            "metadata": {"name": "x"}})
    assert status == 400 and 'no kind "Service"' in body["message"]
    status, body, _ = await api.post(PODS, pod(), content_type="application/vnd.kubernetes.protobuf")
    assert status in (201, 415)
    ns_mismatch = pod("m")
    ns_mismatch["metadata"]["namespace"] = "kube-system"
    status, body, _ = await api.post(PODS, ns_mismatch)
    assert status == 400 and "namespace" in body["message"]
    yaml_body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromyaml\ndata:\n  a: b\n"
    status, body, _ = await api.post("/api/v1/namespaces/default/configmaps", yaml_body,
                                     content_type="application/yaml")
    assert status == 201 and body["data"] == {"a": "b"}


async def test_selectors(api: Api) -> None:
    await api.post(PODS, pod("a", app="web", tier="fe"))
    await api.post(PODS, pod("b", app="web", tier="be"))
    await api.post(PODS, pod("c", app="db"))

    async def names(query: str) -> list[str]:
        status, body, _ = await api.get(PODS + "?" + query)
        assert status == 200, body
        return [p["metadata"]["name"] for p in body["items"]]

    assert await names("labelSelector=app%3Dweb") == ["a", "b"]
    assert await names("labelSelector=app!%3Dweb") == ["c"]
    assert await names("labelSelector=tier%20in%20(fe,xx)") == ["a"]
    assert await names("labelSelector=tier%20notin%20(fe)") == ["b", "c"]
    assert await names("labelSelector=tier") == ["a", "b"]
    assert await names("labelSelector=!tier") == ["c"]
    assert await names("fieldSelector=metadata.name%3Db") == ["b"]
    assert await names("fieldSelector=status.phase%3DPending,spec.nodeName%3D") == ["a", "b", "c"]
    assert await names("fieldSelector=status.phase!%3DPending") == []
    status, body, _ = await api.get(PODS + "?labelSelector=app%20in%20web")
    assert status == 400
    status, _, _ = await api.get("/api/v1/pods?fieldSelector=metadata.namespace%3Ddefault")
    assert status == 200


async def test_table_and_partial_metadata(api: Api) -> None:
    await api.post(PODS, pod())
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    status, table, headers = await api.get(PODS, headers={"Accept": accept})
    assert table["kind"] == "Table" and headers["Content-Type"].startswith("application/json;as=Table")
    assert [c["name"] for c in table["columnDefinitions"]][:5] == ["Name", "Ready", "Status",
                                                                   "Restarts", "Age"]
    assert table["rows"][0]["cells"][:4] == ["nginx", "0/1", "Pending", "0"]
    status, table, _ = await api.get(PODS + "/nginx", headers={"Accept": accept})
    assert len(table["rows"]) == 1
    status, partial, _ = await api.get(
        PODS, headers={"Accept": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"})
    assert partial["kind"] == "PartialObjectMetadataList"
    status, body, _ = await api.get(PODS, headers={"Accept": "application/vnd.kubernetes.protobuf"})
    assert (status, body["reason"]) == (406, "NotAcceptable")


async def test_urls_that_are_not_objects(api: Api) -> None:
    await api.post(PODS, pod())
    status, body, _ = await api.get("/api/v1/pods/default")  # a namespace directory in etcd
    assert status == 404
    status, body, _ = await api.get("/api/v1/namespaces/default/nodes")
    assert status == 404
    # "/.." is normalised away by the client; a raw request reaches the server as such
    reader, writer = await asyncio.open_connection("127.0.0.1", int(api.base.rsplit(":", 1)[1]))
    writer.write(f"GET {PODS}/%2E%2E HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status_line = (await reader.readline()).decode()
    writer.close()
    assert status_line.split()[1] in ("400", "404")
    status, body, _ = await api.get("/api/v1/namespaces/default/pods/nginx/nosuchsub")
    assert status == 404


async def test_hostile_bodies_are_400(api: Api) -> None:
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    status, body, _ = await api.post("/api/v1/namespaces/default/configmaps", bomb,
                                     content_type="application/yaml")
    assert status == 400 and "aliases" in body["message"]
    deep = b"[" * 100000 + b"]" * 100000
    status, body, _ = await api.post(PODS, deep)
    assert status == 400


async def test_create_with_a_resource_version_is_refused_as_kube_does(api: Api) -> None:
    """An object copied from ``get -o yaml`` carries a resourceVersion: kube's storage
    refuses to create it (a 500 without a reason); dry run and "0" pass, as in kube."""
    copied = pod("copied")
    copied["metadata"]["resourceVersion"] = "1234"
    status, body, _ = await api.post(PODS, copied)
    assert (status, body) == (500, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                    "status": "Failure", "code": 500, "message":
                                    "resourceVersion should not be set on objects to be created"})
    assert (await api.get(PODS + "/copied"))[0] == 404
    status, _, _ = await api.post(PODS + "?dryRun=All", copied)
    assert status == 201
    copied["metadata"]["resourceVersion"] = "0"
    status, body, _ = await api.post(PODS, copied)
    assert status == 201 and body["metadata"]["resourceVersion"] != "0"


async def test_secret_string_data_is_merged_into_data(api: Api) -> None:
    """``stringData`` is write-only: kube merges it into ``data`` and never returns it."""
    secrets = "/api/v1/namespaces/default/secrets"
    status, body, _ = await api.post(secrets, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
        "data": {"pw": "c2VjcmV0", "user": "b2xk"}, "stringData": {"user": "admin"}})
    assert status == 201 and "stringData" not in body
    assert body["data"] == {"pw": "c2VjcmV0", "user": base64.b64encode(b"admin").decode()}
    status, body, _ = await api.patch(secrets + "/s", {"stringData": {"user": "root"}},
                                      "application/strategic-merge-patch+json")
    assert status == 200 and "stringData" not in body
    assert body["data"]["user"] == base64.b64encode(b"root").decode()
    status, body, _ = await api.post(secrets, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bad"},
        "stringData": {"bad key!": "x"}})
    assert status == 422 and body["details"]["causes"][0]["field"] == "data"
