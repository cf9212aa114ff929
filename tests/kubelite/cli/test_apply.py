"""``kubelite apply`` / ``create`` beside kubectl: same output lines, the same
``last-applied-configuration``, the same strategic merge patches on the wire (recorded by a
proxy), the same resulting objects, and the same error messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubelite.apiserver.server import RunningApiServer
from tests.kubelite.cli.conftest import Both, Cli, Recorder, same_output
from tests.kubelite.cli.fixtures import EXAMPLES
from tests.kubelite.conftest import Kubectl

pytestmark = pytest.mark.compat  # side by side with the real kubectl 1.32


DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, stage: dev}
  annotations: {owner: team-a}
spec:
  replicas: 2
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      finalizers: []
    spec:
      containers:
      - name: web
        image: kubelite/web:1
        args: ["--port", "8080"]
        ports: [{containerPort: 8080}, {containerPort: 9090, name: metrics}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
      - name: sidecar
        image: kubelite/sidecar:1
      volumes:
      - name: data
        emptyDir: {}
"""

# (description, manifest edits as (old, new) text replacements)
SCENARIOS: list[tuple[str, list[tuple[str, str]]]] = [
    ("image", [("kubelite/web:1", "kubelite/web:2")]),
    ("drop a label and an annotation", [("labels: {app: web, stage: dev}", "labels: {app: web}"),
                                        ("  annotations: {owner: team-a}\n", "")]),
    ("replicas and strategy (retainKeys)",
     [("replicas: 2", "replicas: 3"),
      ("    type: RollingUpdate\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}\n",
       "    type: Recreate\n")]),
    ("remove a container", [("      - name: sidecar\n        image: kubelite/sidecar:1\n", "")]),
    ("add a container first", [("      containers:\n",
                                "      containers:\n      - name: init\n        image: i:1\n")]),
    ("reorder containers", [("      - name: web\n", "      - name: zz\n        image: z:1\n"
                             "      - name: web\n"),
                            ("      - name: sidecar\n        image: kubelite/sidecar:1\n", "")]),
    ("ports and env", [("{containerPort: 9090, name: metrics}", "{containerPort: 9191}"),
                       ("{name: A, value: \"1\"}, ", ""), ("value: \"2\"", "value: \"3\"")]),
    ("args replaced", [('args: ["--port", "8080"]', 'args: ["--port", "9090", "-v"]')]),
    ("volume source (merge,retainKeys)", [("emptyDir: {}", "configMap: {name: cfg}")]),
    ("template labels", [("      labels: {app: web}\n",
                          "      labels: {app: web, version: v2}\n")]),
]


def apply_manifest(edits: list[tuple[str, str]]) -> str:
    text = DEPLOY
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without what differs between two copies made at different times."""
    meta = obj["metadata"]
    for key in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "namespace"):
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    if "kubectl.kubernetes.io/last-applied-configuration" in annotations:
        last = json.loads(annotations["kubectl.kubernetes.io/last-applied-configuration"])
        last["metadata"].pop("namespace", None)
        annotations["kubectl.kubernetes.io/last-applied-configuration"] = last
    return obj


def patch_bodies(recorder: Recorder, namespace: str) -> list[str]:
    return [r.body.decode().replace(namespace, "NS") for r in recorder.writes("PATCH")]


async def test_create_unchanged_configured_lines_and_annotation(both: Both) -> None:
    pod = (EXAMPLES / "pod.yaml").read_text()
    for ns in ("ours", "theirs"):
        await both.kubectl.ok("apply", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\n"
                                                       f"metadata:\n  name: {ns}\n")
    steps = [
        (["apply", "-f", str(EXAMPLES)], None),
        (["apply", "-f", str(EXAMPLES)], None),
        (["apply", "-f", "-"], pod.replace("busybox-httpd:1.0", "busybox-httpd:1.1")),
        (["apply", "-f", "-", "--dry-run=server"], pod.replace("1.0", "1.2")),
        (["apply", "-f", "-", "--dry-run=client"], pod.replace("1.0", "1.2")),
        (["apply", "-f", "-", "-o", "name"], pod),
        (["apply", "-f", str(EXAMPLES / "service.yaml"), "-o", "yaml"], None),
    ]
    for args, stdin in steps:
        theirs = await both.kubectl("-n", "theirs", *args, stdin=stdin)
        ours = await both.cli("-n", "ours", *args, stdin=stdin)
        if "-o" in args and "yaml" in args:
            assert ours.rc == theirs.rc == 0
            continue
        same_output(ours, theirs)
    for kind, name in (("pod", "nginx"), ("deploy", "web"), ("svc", "nginx")):
        got = [comparable(json.loads(await both.kubectl.ok("get", kind, name, "-n", ns,
                                                           "-o", "json")))
               for ns in ("ours", "theirs")]
        if kind == "svc":
            for obj in got:
                obj["spec"].pop("clusterIP"), obj["spec"].pop("clusterIPs")
        assert got[0] == got[1]


async def test_three_way_patches_match_kubectl_on_the_wire(apiserver: RunningApiServer,
                                                           recorder: Recorder, kubectl: Kubectl,
                                                           tmp_path: Path) -> None:
    theirs = Kubectl(kubectl.binary, recorder.url, kubectl.home)
    home = tmp_path / "cli-home"
    home.mkdir()
    ours = Cli(recorder.url, home)
    for index, (what, edits) in enumerate(SCENARIOS):
        ns_k, ns_l = f"nsk-{index}", f"nsl-{index}"
        for ns in (ns_k, ns_l):
            await theirs.ok("apply", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\n"
                                                      f"metadata:\n  name: {ns}\n")
        await theirs.ok("apply", "-n", ns_k, "-f", "-", stdin=DEPLOY)
        await ours.ok("apply", "-n", ns_l, "-f", "-", stdin=DEPLOY)
        # a change made by someone else is kept by both (three-way, not two-way)
        for ns in (ns_k, ns_l):
            await theirs.ok("label", "deploy", "web", "-n", ns, "touched=yes")
        recorder.clear()
        out_k = await theirs.ok("apply", "-n", ns_k, "-f", "-", stdin=apply_manifest(edits))
        patches_k = patch_bodies(recorder, ns_k)
        recorder.clear()
        out_l = await ours.ok("apply", "-n", ns_l, "-f", "-", stdin=apply_manifest(edits))
        patches_l = patch_bodies(recorder, ns_l)
        assert out_l == out_k == "deployment.apps/web configured\n", what
        assert [json.loads(p) for p in patches_l] == [json.loads(p) for p in patches_k], what
        assert patches_l == patches_k, what  # the same bytes, key order included
        results = [comparable(json.loads(await theirs.ok("get", "deploy", "web", "-n", ns,
                                                         "-o", "json")))
                   for ns in (ns_k, ns_l)]
        assert results[0] == results[1], what
        assert results[0]["metadata"]["labels"]["touched"] == "yes"
        # applying the same manifest again is a no-op for both: no PATCH at all
        recorder.clear()
        again = await ours.ok("apply", "-n", ns_l, "-f", "-", stdin=apply_manifest(edits))
        assert again == "deployment.apps/web unchanged\n" and not recorder.writes("PATCH")


async def test_config_and_service_patches(recorder: Recorder, kubectl: Kubectl,
                                          tmp_path: Path) -> None:
    theirs = Kubectl(kubectl.binary, recorder.url, kubectl.home)
    home = tmp_path / "cli-home"
    home.mkdir()
    ours = Cli(recorder.url, home)
    first = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  finalizers: [a/b, c/d]\n"
             "data: {one: '1', two: '2'}\n---\napiVersion: v1\nkind: Service\nmetadata:\n"
             "  name: svc\nspec:\n  selector: {app: x, tier: yy}\n  ports:\n"
             "  - {name: http, port: 80}\n  - {name: https, port: 443}\n")
    second = first.replace("[a/b, c/d]", "[c/d, e/f]").replace("two: '2'", "three: '3'") \
        .replace(", tier: yy", "").replace("  - {name: https, port: 443}\n",
                                          "  - {name: admin, port: 8080}\n")
    for ns in ("nsk", "nsl"):
        await theirs.ok("apply", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\n"
                                                  f"metadata:\n  name: {ns}\n")
    await theirs.ok("apply", "-n", "nsk", "-f", "-", stdin=first)
    await ours.ok("apply", "-n", "nsl", "-f", "-", stdin=first)
    recorder.clear()
    out_k = await theirs.ok("apply", "-n", "nsk", "-f", "-", stdin=second)
    patches_k = patch_bodies(recorder, "nsk")
    recorder.clear()
    out_l = await ours.ok("apply", "-n", "nsl", "-f", "-", stdin=second)
    patches_l = patch_bodies(recorder, "nsl")
    assert out_l == out_k == "configmap/cfg configured\nservice/svc configured\n"
    assert patches_l == patches_k
    for kind in ("cm/cfg", "svc/svc"):
        objs = [comparable(json.loads(await theirs.ok("get", kind, "-n", ns, "-o", "json")))
                for ns in ("nsk", "nsl")]
        if kind == "svc/svc":
            for obj in objs:
                obj["spec"].pop("clusterIP"), obj["spec"].pop("clusterIPs")
        assert objs[0] == objs[1]


BAD_INPUTS = [
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n spec: 1\n  foo: [\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x: y\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: {a: b\nspec: 1\n",
    '{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "x"} x}\n',
    '{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "x"}\n',
    "apiVersion: v1\nmetadata:\n  name: x\n",
    "kind: Pod\nmetadata:\n  name: x\n",
    "- a\n- b\n",
    "metadata: {name: x}\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Pod\nspec:\n  containers:\n  - name: c\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  fooz: 1\n  containers:\n"
    "  - name: c\n    image: i\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\n  namespace: nons\nspec:\n  containers:\n"
    "  - name: c\n    image: i\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: q-\nspec:\n  containers:\n"
    "  - name: c\n    image: i\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\nspec:\n  containers:\n"
    "  - name: c\n    image: i\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok1\n---\napiVersion: v1\nkind: Pod\n"
    "metadata:\n  name: \"x\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok2\n  namespace: other\n",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  selector: {tier: y}\n"
    "  ports: [{port: 80}]\n",
]


async def test_apply_errors_match_kubectl(both: Both, tmp_path: Path) -> None:
    await both.kubectl.ok("create", "namespace", "other")

    async def cleanup() -> None:
        for ns in ("default", "other"):
            await both.kubectl.ok("delete", "cm", "ok1", "ok2", "--ignore-not-found", "-n", ns)

    for index, text in enumerate(BAD_INPUTS):
        for source in ("file", "stdin"):
            path = tmp_path / f"bad{index}.yaml"
            path.write_text(text)
            args = ["apply", "-f", str(path)] if source == "file" else ["apply", "-f", "-"]
            if "ok2" in text:
                args += ["-n", "default"]
            stdin = text if source == "stdin" else None
            theirs = await both.kubectl(*args, stdin=stdin)
            if "name: ok" in text:
                await cleanup()
            ours = await both.cli(*args, stdin=stdin)
            if "name: ok" in text:
                await cleanup()
            same_output(ours, theirs)
            assert ours.rc == 1, text


async def test_create_matches_kubectl(both: Both) -> None:
    pod = (EXAMPLES / "pod.yaml").read_text()
    await both.kubectl.ok("create", "namespace", "ours")
    await both.kubectl.ok("create", "namespace", "theirs")
    for args, stdin in ((["create", "-f", "-"], pod), (["create", "-f", "-"], pod),
                        (["create", "-f", str(EXAMPLES / "deployment.yaml"), "--save-config"],
                         None),
                        (["create", "-f", "-", "-o", "name"],
                         pod.replace("name: nginx", "name: other")),
                        (["create", "-f", "-", "--dry-run=client"],
                         pod.replace("name: nginx", "name: third")),
                        (["create", "-f", "-", "--dry-run=server"],
                         pod.replace("name: nginx", "name: third")),
                        (["create"], None)):
        theirs = await both.kubectl("-n", "theirs", *args, stdin=stdin)
        ours = await both.cli("-n", "ours", *args, stdin=stdin)
        same_output(ours, theirs)
    for ns in ("ours", "theirs"):
        deploy = json.loads(await both.kubectl.ok("get", "deploy", "web", "-n", ns, "-o", "json"))
        assert "kubectl.kubernetes.io/last-applied-configuration" in \
            deploy["metadata"]["annotations"]


async def test_lists_json_streams_and_directories(both: Both, tmp_path: Path) -> None:
    """What kubectl 1.32 cannot apply against kubelite (a ``kind: List`` fails its OpenAPI
    validation here), checked on kubelite alone: Lists, JSON streams, directories, -R."""
    def cm(name: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                "data": {"k": name}}

    top = tmp_path / "tree"
    (top / "sub").mkdir(parents=True)
    (top / "a-list.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                                 "items": [cm("l1"), cm("l2")]}))
    (top / "b-stream.json").write_text(json.dumps(cm("s1")) + "\n" + json.dumps(cm("s2")))
    (top / "c.yml").write_text("kind: ConfigMapList\napiVersion: v1\nitems:\n"
                               "- {apiVersion: v1, kind: ConfigMap, metadata: {name: y1}}\n")
    (top / "ignored.txt").write_text("not a manifest")
    (top / "sub" / "deep.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                           "  name: deep\n")
    out = await both.cli.ok("apply", "-f", str(top))
    assert out == ("configmap/l1 created\nconfigmap/l2 created\nconfigmap/s1 created\n"
                   "configmap/s2 created\nconfigmap/y1 created\n")
    out = await both.cli.ok("apply", "-R", "-f", str(top))
    assert out.splitlines()[-1] == "configmap/deep created"
    assert out.count("unchanged") == 5
    names = await both.kubectl.ok("get", "cm", "-o", "jsonpath={.items[*].metadata.name}")
    assert set(names.split()) >= {"l1", "l2", "s1", "s2", "y1", "deep"}
    res = await both.cli("apply", "-f", str(tmp_path / "missing.yaml"))
    assert (res.rc, res.err) == (1, f'error: the path "{tmp_path / "missing.yaml"}" does '
                                    "not exist\n")
    res = await both.cli("delete", "-R", "-f", str(top))
    assert res.rc == 0 and res.out.count("deleted") == 6
