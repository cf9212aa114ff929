"""DeleteOptions as kube reads them: from the body when there is one (where kubectl puts
``dryRun``), else from the query; validated (422) and typed (400) before anything changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kubelite.conftest import Api, Kubectl
from tests.kubelite.integration.test_crud import pod
from tests.kubelite.integration.test_resources import node

PODS = "/api/v1/namespaces/default/pods"
SERVICES = "/api/v1/namespaces/default/services"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


def deployment(name: str = "web") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "containers": [{"name": "c", "image": "kubelite/web:1"}]}}}}


async def exists(api: Api, path: str) -> bool:
    status, body, _ = await api.get(path)
    assert status in (200, 404), body
    return status == 200


async def test_dry_run_in_the_body_deletes_nothing(api: Api) -> None:
    await api.post(PODS, pod("p"))
    status, svc, _ = await api.post(SERVICES, {"apiVersion": "v1", "kind": "Service",
                                               "metadata": {"name": "s"},
                                               "spec": {"ports": [{"port": 80}]}})
    assert status == 201
    await api.post(DEPLOYMENTS, deployment())
    body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background",
            "dryRun": ["All"]}
    for path in (PODS + "/p", SERVICES + "/s", DEPLOYMENTS + "/web"):
        status, reply, _ = await api.delete(path, body)
        assert status == 200, reply
        assert await exists(api, path), path
    # the service still holds its cluster IP: asking for it again is refused
    status, reply, _ = await api.post(SERVICES, {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "s2"},
        "spec": {"clusterIP": svc["spec"]["clusterIP"], "ports": [{"port": 80}]}})
    assert status == 422 and "already allocated" in reply["message"]
    # a collection delete with dryRun in the body keeps everything too
    status, reply, _ = await api.delete(PODS, {"dryRun": ["All"]})
    assert status == 200 and [p["metadata"]["name"] for p in reply["items"]] == ["p"]
    assert await exists(api, PODS + "/p")
    # kube reads the query only when there is no body
    status, _, _ = await api.delete(PODS + "/p?dryRun=All")
    assert status == 200 and await exists(api, PODS + "/p")
    status, _, _ = await api.delete(PODS + "/p?dryRun=All", {})
    assert status == 200 and not await exists(api, PODS + "/p")


async def test_preconditions_grace_and_collection_options_from_the_body(api: Api) -> None:
    await node(api)
    _, created, _ = await api.post(PODS, {**pod("p"), "spec": {
        **pod()["spec"], "nodeName": "node-1"}})
    uid, rv = created["metadata"]["uid"], created["metadata"]["resourceVersion"]
    status, body, _ = await api.delete(PODS + "/p", {"preconditions": {"uid": "other"}})
    assert (status, body["reason"]) == (409, "Conflict")
    assert body["message"] == (f'Operation cannot be fulfilled on Pod "p": the UID in the '
                               f"precondition (other) does not match the UID in record ({uid}). "
                               "The object might have been deleted and then recreated")
    assert body["details"] == {"name": "p", "kind": "Pod"}
    status, body, _ = await api.delete(PODS + "/p", {"preconditions": {"resourceVersion": "1"}})
    assert status == 409 and "the ResourceVersion in the precondition (1)" in body["message"]
    status, body, _ = await api.delete(PODS + "/p", {"gracePeriodSeconds": -5,
                                                      "preconditions": {"uid": uid,
                                                                        "resourceVersion": rv}})
    assert status == 200 and body["metadata"]["deletionGracePeriodSeconds"] == 1
    # deletecollection takes the grace period (and a selector) too
    for name in ("a", "b"):
        await api.post(PODS, {**pod(name, app="batch"), "spec": {
            **pod()["spec"], "nodeName": "node-1"}})
    status, body, _ = await api.delete(PODS + "?labelSelector=app%3Dbatch",
                                       {"gracePeriodSeconds": 7})
    assert status == 200 and sorted(p["metadata"]["name"] for p in body["items"]) == ["a", "b"]
    assert {p["metadata"]["deletionGracePeriodSeconds"] for p in body["items"]} == {7}
    status, body, _ = await api.delete(PODS + "?labelSelector=app%3Dbatch",
                                       {"gracePeriodSeconds": 0})
    status, body, _ = await api.get(PODS)
    assert [p["metadata"]["name"] for p in body["items"]] == ["p"]


@pytest.mark.parametrize(("options", "code", "message"), [
    ({"propagationPolicy": "Bogus"}, 422,
     'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Bogus": '
     'supported values: "Foreground", "Background", "Orphan", "nil"'),
    ({"propagationPolicy": "Orphan", "orphanDependents": True}, 422,
     'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": '
     "orphanDependents and deletionPropagation cannot be both set"),
    ({"dryRun": ["Everything"]}, 422,
     'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Everything"}'
     ': supported values: "All"'),
    ({"gracePeriodSeconds": "soon"}, 400,
     "json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of "
     "type int64"),
    (b'{"dryRun": ["All"', 400, None),
    ([1, 2], 400, "decoded object cannot be converted to DeleteOptions"),
])
async def test_bad_delete_options_change_nothing(api: Api, options: Any, code: int,
                                                 message: str | None) -> None:
    await api.post(PODS, pod("p"))
    for path in (PODS + "/p", PODS):
        status, body, _ = await api.delete(path, options)
        assert status == code and body["kind"] == "Status", body
        assert body["reason"] == ("Invalid" if code == 422 else "BadRequest")
        if message is not None:
            assert body["message"] == message
        assert await exists(api, PODS + "/p")
    status, body, _ = await api.delete(PODS + "/p?propagationPolicy=Bogus")
    assert status == 422 and await exists(api, PODS + "/p")


@pytest.mark.compat
async def test_kubectl_delete_dry_run_server_keeps_objects(kubectl: Kubectl, api: Api) -> None:
    await api.post(PODS, pod("p"))
    await api.post(SERVICES, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                              "spec": {"ports": [{"port": 80}]}})
    await api.post(DEPLOYMENTS, deployment())
    out = await kubectl.ok("delete", "pod/p", "service/s", "deployment/web", "--dry-run=server")
    assert out.splitlines() == ['pod "p" deleted (server dry run)',
                                'service "s" deleted (server dry run)',
                                'deployment.apps "web" deleted (server dry run)']
    out = await kubectl.ok("delete", "pods", "--all", "--dry-run=server")
    assert out.strip() == 'pod "p" deleted (server dry run)'
    for path in (PODS + "/p", SERVICES + "/s", DEPLOYMENTS + "/web"):
        assert await exists(api, path), path
    await kubectl.ok("delete", "pod", "p", "--wait=false")
    assert not await exists(api, PODS + "/p")
