"""The real kubectl 1.32 against kubelite's apiserver (on pyetcd and on etcd 3.4)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import yaml

from tests.kubelite.conftest import Kubectl

pytestmark = pytest.mark.compat  # the real kubectl / kubernetes client as clients

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
LINE_WAIT = 15.0


async def test_apply_get_forms_and_update(kubectl: Kubectl) -> None:
    out = await kubectl.ok("apply", "-f", str(EXAMPLES / "pod.yaml"))
    assert out.strip() == "pod/nginx created"
    out = await kubectl.ok("get", "pods")
    header, row = out.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert row.split()[:4] == ["nginx", "0/1", "Pending", "0"]
    wide = await kubectl.ok("get", "pods", "-o", "wide")
    assert wide.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP",
                                            "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]
    assert wide.splitlines()[1].split()[5:7] == ["<none>", "<none>"]
    as_yaml = yaml.safe_load(await kubectl.ok("get", "pod", "nginx", "-o", "yaml"))
    assert as_yaml["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert as_yaml["status"]["phase"] == "Pending"
    as_json = json.loads(await kubectl.ok("get", "pods", "-o", "json"))
    assert as_json["kind"] == "List" and as_json["items"][0]["metadata"]["name"] == "nginx"
    assert (await kubectl.ok("get", "pods", "-o", "name")).strip() == "pod/nginx"
    jp = await kubectl.ok("get", "pod", "nginx", "-o", "jsonpath={.spec.containers[0].image}")
    assert jp == "kubelite/busybox-httpd:1.0"
    assert "app=nginx" in await kubectl.ok("get", "pods", "--show-labels")
    assert "nginx" in await kubectl.ok("get", "pods", "-l", "app=nginx")
    res = await kubectl("get", "pods", "-l", "app=other")
    assert res.rc == 0 and "No resources found in default namespace." in res.err
    assert "default" in await kubectl.ok("get", "pods", "-A")
    assert (await kubectl.ok("apply", "-f", str(EXAMPLES / "pod.yaml"))).strip() == "pod/nginx unchanged"
    changed = (EXAMPLES / "pod.yaml").read_text().replace("busybox-httpd:1.0", "busybox-httpd:1.1")
    assert (await kubectl.ok("apply", "-f", "-", stdin=changed)).strip() == "pod/nginx configured"
    assert await kubectl.ok("get", "pod", "nginx", "-o", "jsonpath={.spec.containers[0].image}") \
        == "kubelite/busybox-httpd:1.1"


async def test_describe_patch_label_and_delete(kubectl: Kubectl) -> None:
    await kubectl.ok("apply", "-f", str(EXAMPLES / "pod.yaml"))
    out = await kubectl.ok("describe", "pod", "nginx")
    assert re.search(r"^Status:\s+Pending$", out, re.M)
    assert re.search(r"^\s+Port:\s+80/TCP$", out, re.M)
    assert re.search(r"^QoS Class:\s+BestEffort$", out, re.M)
    await kubectl.ok("label", "pod", "nginx", "tier=fe")
    await kubectl.ok("annotate", "pod", "nginx", "note=hi")
    await kubectl.ok("patch", "pod", "nginx", "-p", '{"metadata":{"labels":{"x":"1"}}}')
    await kubectl.ok("patch", "pod", "nginx", "--type=merge", "-p", '{"metadata":{"labels":{"y":"2"}}}')
    await kubectl.ok("patch", "pod", "nginx", "--type=json", "-p",
                     '[{"op":"remove","path":"/metadata/labels/x"}]')
    labels = json.loads(await kubectl.ok("get", "pod", "nginx", "-o", "jsonpath={.metadata.labels}"))
    assert labels == {"app": "nginx", "tier": "fe", "y": "2"}
    res = await kubectl("patch", "pod", "nginx", "-p", '{"spec":{"restartPolicy":"Never"}}')
    assert res.rc != 0 and "Forbidden: pod updates may not change fields" in res.err
    out = await kubectl.ok("delete", "pod", "nginx")
    assert out.strip() == 'pod "nginx" deleted'
    res = await kubectl("get", "pod", "nginx")
    assert res.rc == 1 and 'Error from server (NotFound): pods "nginx" not found' in res.err


async def test_errors_as_kubectl_prints_them(kubectl: Kubectl) -> None:
    bad = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Pod\nspec:\n  containers:\n  - name: c\n"
    res = await kubectl("apply", "-f", "-", stdin=bad)
    assert res.rc == 1
    assert 'The Pod "Bad_Pod" is invalid:' in res.err
    assert "metadata.name: Invalid value" in res.err and "spec.containers[0].image: Required value" in res.err
    unknown = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  fooz: 1\n  containers:\n"
               "  - name: c\n    image: i\n")
    res = await kubectl("apply", "-f", "-", stdin=unknown)
    assert res.rc == 1 and 'unknown field "spec.fooz"' in res.err
    res = await kubectl("create", "--validate=false", "-f", "-",
                        stdin=unknown.replace("name: p", "name: q"))
    assert res.rc == 0, res.err
    res = await kubectl("create", "-f", "-", stdin=unknown.replace("name: p", "name: q").replace("  fooz: 1\n", ""))
    assert res.rc == 1 and "AlreadyExists" in res.err
    res = await kubectl("get", "pods", "--field-selector", "spec.bogus=1")
    assert res.rc == 1 and "field label not supported: spec.bogus" in res.err
    res = await kubectl("get", "foos")
    assert res.rc == 1 and 'the server doesn\'t have a resource type "foos"' in res.err


async def test_watch_prints_rows_as_events_arrive(kubectl: Kubectl) -> None:
    proc = await kubectl.start("get", "pods", "-w")
    assert proc.stdout is not None
    try:
        await kubectl.ok("apply", "-f", str(EXAMPLES / "pod.yaml"))

        async def line_with(text: str) -> str:
            while True:
                assert proc.stdout is not None
                line = (await proc.stdout.readline()).decode()
                assert line, "kubectl get -w ended"
                if text in line:
                    return line

        first = await asyncio.wait_for(line_with("nginx"), LINE_WAIT)
        assert first.split()[:3] == ["nginx", "0/1", "Pending"]
        await kubectl.ok("delete", "pod", "nginx")
        last = await asyncio.wait_for(line_with("nginx"), LINE_WAIT)
        assert last.split()[0] == "nginx"
    finally:
        proc.kill()
        await proc.wait()


async def test_deployment_service_scale_and_get_all(kubectl: Kubectl) -> None:
    out = await kubectl.ok("apply", "-f", str(EXAMPLES / "deployment.yaml"),
                           "-f", str(EXAMPLES / "service.yaml"))
    assert out.split("\n")[:2] == ["deployment.apps/web created", "service/nginx created"]
    out = await kubectl.ok("get", "deploy", "-o", "wide")
    head, row = out.splitlines()
    assert head.split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS",
                            "IMAGES", "SELECTOR"]
    assert row.split()[:4] == ["web", "0/2", "0", "0"] and row.split()[-1] == "app=web"
    out = await kubectl.ok("scale", "deployment", "web", "--replicas=4")
    assert out.strip() == "deployment.apps/web scaled"
    assert await kubectl.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}") == "4"
    res = await kubectl("scale", "deployment", "web", "--current-replicas=2", "--replicas=3")
    assert res.rc == 1 and "Expected replicas to be 2, was 4" in res.err
    await kubectl.ok("scale", "deployment", "web", "--current-replicas=4", "--replicas=3")
    svc = (await kubectl.ok("get", "svc", "nginx")).splitlines()
    assert svc[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    cells = svc[1].split()
    assert cells[:2] == ["nginx", "ClusterIP"] and cells[2].startswith("10.0.0.") and cells[4] == "80/TCP"
    out = await kubectl.ok("describe", "svc", "nginx")
    assert "Selector:" in out and "app=nginx" in out
    assert re.search(r"^Endpoints:\s+<none>$", out, re.M)
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "nginx"},
                 "subsets": [{"addresses": [{"ip": "10.1.0.7"}],
                              "ports": [{"name": "http", "port": 80}]}]}
    await kubectl.ok("apply", "-f", "-", stdin=json.dumps(endpoints))
    out = await kubectl.ok("describe", "svc", "nginx")
    assert re.search(r"^Endpoints:\s+10.1.0.7:80$", out, re.M), out
    out = await kubectl.ok("describe", "deployment", "web")
    assert "Replicas:" in out and "3 desired" in out
    out = await kubectl.ok("get", "all")
    assert "deployment.apps/web" in out and "service/nginx" in out and "service/kubernetes" in out
    await kubectl.ok("set", "image", "deployment/web", "web=kubelite/busybox-httpd:2.0")
    assert await kubectl.ok("get", "deploy", "web", "-o",
                            "jsonpath={.spec.template.spec.containers[0].image}") == \
        "kubelite/busybox-httpd:2.0"
    assert await kubectl.ok("get", "deploy", "web", "-o", "jsonpath={.metadata.generation}") == "4"
    await kubectl.ok("delete", "-f", str(EXAMPLES / "deployment.yaml"),
                     "-f", str(EXAMPLES / "service.yaml"))
    res = await kubectl("get", "deploy", "web")
    assert res.rc == 1


async def test_namespaces_dry_run_and_protobuf_create(kubectl: Kubectl) -> None:
    await kubectl.ok("apply", "-f", "-", stdin="apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n")
    out = await kubectl.ok("get", "ns")
    assert "team-b" in out and "Active" in out
    out = await kubectl.ok("apply", "-n", "team-b", "--dry-run=server", "-f", str(EXAMPLES / "pod.yaml"))
    assert out.strip() == "pod/nginx created (server dry run)"
    res = await kubectl("get", "pods", "-n", "team-b")
    assert "No resources found in team-b namespace." in res.err
    # kubectl 1.32 sends these `create` commands as protobuf
    assert (await kubectl.ok("create", "namespace", "proto")).strip() == "namespace/proto created"
    await kubectl.ok("create", "configmap", "cm", "-n", "proto", "--from-literal=a=b")
    await kubectl.ok("create", "deployment", "d", "-n", "proto", "--image=kubelite/x:1",
                     "--replicas=2", "--port=80")
    await kubectl.ok("create", "service", "clusterip", "d", "-n", "proto", "--tcp=80:80")
    assert await kubectl.ok("get", "cm", "cm", "-n", "proto", "-o", "jsonpath={.data.a}") == "b"
    assert await kubectl.ok("get", "deploy", "d", "-n", "proto", "-o",
                            "jsonpath={.spec.replicas}") == "2"
    await kubectl.ok("delete", "namespace", "team-b", "proto")
    res = await kubectl("get", "ns", "team-b")
    assert res.rc == 1


async def test_server_side_apply_and_conflicts(kubectl: Kubectl) -> None:
    manifest = (EXAMPLES / "pod.yaml").read_text()
    out = await kubectl.ok("apply", "--server-side", "-f", "-", stdin=manifest)
    assert out.strip() == "pod/nginx serverside-applied"
    shown = yaml.safe_load(await kubectl.ok("get", "pod", "nginx", "-o", "yaml",
                                            "--show-managed-fields"))
    assert [(e["manager"], e["operation"]) for e in shown["metadata"]["managedFields"]] == \
        [("kubectl", "Apply")]
    await kubectl.ok("set", "image", "pod/nginx", "nginx=kubelite/busybox-httpd:9.9")
    res = await kubectl("apply", "--server-side", "-f", "-",
                        stdin=manifest.replace("httpd:1.0", "httpd:2.0"))
    assert res.rc == 1 and "Apply failed with 1 conflict" in res.err
    assert '.spec.containers[name="nginx"].image' in res.err
    await kubectl.ok("apply", "--server-side", "--force-conflicts", "-f", "-",
                     stdin=manifest.replace("httpd:1.0", "httpd:2.0"))
    assert await kubectl.ok("get", "pod", "nginx", "-o",
                            "jsonpath={.spec.containers[0].image}") == "kubelite/busybox-httpd:2.0"
    # client-side apply, then server-side apply: kubectl migrates the ownership (a JSON
    # patch of managedFields), so a later change is no conflict with the old manager
    mig = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mig\ndata:\n  a: '1'\n"
    await kubectl.ok("apply", "-f", "-", stdin=mig)
    await kubectl.ok("apply", "--server-side", "-f", "-", stdin=mig)
    out = await kubectl.ok("apply", "--server-side", "-f", "-", stdin=mig.replace("'1'", "'2'"))
    assert out.strip() == "configmap/mig serverside-applied"
    shown = yaml.safe_load(await kubectl.ok("get", "cm", "mig", "-o", "yaml",
                                            "--show-managed-fields"))
    assert "kubectl-client-side-apply" not in {
        e["manager"] for e in shown["metadata"]["managedFields"]}
    # created by `create -f`, then server-side applied unchanged: shared, no conflict
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\ndata:\n  a: b\n"
    await kubectl.ok("create", "-f", "-", stdin=cm)
    out = await kubectl.ok("apply", "--server-side", "-f", "-", stdin=cm)
    assert out.strip() == "configmap/c1 serverside-applied"


LIST = """apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: cm1
  data:
    a: b
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
  spec:
    selector:
      matchLabels: {app: web}
    template:
      metadata:
        labels: {app: web}
      spec:
        containers:
        - name: web
          image: kubelite/web:1
"""


async def test_apply_a_list_file(kubectl: Kubectl, tmp_path: Path) -> None:
    """kubectl validates a ``kind: List`` on the client, from ``/openapi/v2`` (protobuf)."""
    path = tmp_path / "list.yaml"
    path.write_text(LIST)
    out = await kubectl.ok("apply", "-f", str(path))
    assert out.splitlines() == ["configmap/cm1 created", "deployment.apps/web created"]
    out = await kubectl.ok("apply", "-f", str(path))
    assert out.splitlines() == ["configmap/cm1 unchanged", "deployment.apps/web unchanged"]
    out = await kubectl.ok("apply", "-f", "-", stdin=LIST.replace("a: b", "a: c"))
    assert out.splitlines() == ["configmap/cm1 configured", "deployment.apps/web unchanged"]
    assert await kubectl.ok("get", "cm", "cm1", "-o", "jsonpath={.data.a}") == "c"
    # a bad item fails the whole List before anything is sent, with kube's definition names
    bad = LIST.replace("name: cm1", "name: cm2").replace(
        "image: kubelite/web:1", "image: kubelite/web:1\n          fooz: 1\n"
        "          ports:\n          - containerPort: eighty")
    res = await kubectl("apply", "-f", "-", stdin=bad)
    assert res.rc == 1
    assert "ValidationError(Deployment.spec.template.spec.containers[0]): unknown field " \
        '"fooz" in io.k8s.api.core.v1.Container' in res.err, res.err
    assert "invalid type for io.k8s.api.core.v1.ContainerPort.containerPort: got " \
        '"string", expected "integer"' in res.err
    assert (await kubectl("get", "cm", "cm2")).rc == 1
    unknown = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Foo\n" \
              "  metadata:\n    name: f\n"
    res = await kubectl("apply", "-f", "-", stdin=unknown)
    assert res.rc == 1 and 'no matches for kind "Foo" in version "v1"' in res.err, res.err
    out = await kubectl.ok("delete", "-f", str(path))
    assert out.splitlines() == ['configmap "cm1" deleted', 'deployment.apps "web" deleted']
