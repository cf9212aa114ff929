"""``kubelite delete`` and ``kubelite scale`` beside kubectl, each acting on its own copy of
the same objects (namespace ``theirs`` for kubectl, ``ours`` for kubelite)."""

from __future__ import annotations

import json

import pytest

from tests.kubelite.cli.conftest import Both, same_output
from tests.kubelite.cli.fixtures import EXAMPLES, node

pytestmark = pytest.mark.compat  # side by side with the real kubectl 1.32


NAMESPACES = ("theirs", "ours")
CONFIGMAPS = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n"
                     f"  labels: {{group: g{i % 2}}}\n" for i in range(4))


async def _setup(both: Both) -> None:
    for ns in NAMESPACES:
        await both.kubectl.ok("create", "namespace", ns)
        await both.kubectl.ok("apply", "-n", ns, "-f", str(EXAMPLES))
        await both.kubectl.ok("apply", "-n", ns, "-f", "-", stdin=CONFIGMAPS)


async def _run_both(both: Both, *args: str, stdin: str | None = None) -> None:
    theirs = await both.kubectl("-n", "theirs", *args, stdin=stdin)
    ours = await both.cli("-n", "ours", *args, stdin=stdin)
    same_output(ours, theirs)


DELETE_FORMS = [
    ["delete", "pods"],
    ["delete", "pod", "a", "b"],
    ["delete", "cm", "cm-0", "nope"],
    ["delete", "cm", "-l", "group=g1"],
    ["delete", "svc", "-l", "app=zzz"],
    ["delete", "cm", "--all", "-l", "x=y"],
    ["delete", "pod", "nginx", "-o", "yaml"],
    ["delete", "pod", "nginx", "--grace-period=5", "--force"],
    ["delete", "pod", "nginx", "--now", "--grace-period=3"],
    ["delete", "pod,svc", "--all", "--dry-run=client"],
    ["delete", "pod", "nginx", "--now", "-o", "name"],
    ["delete", "deploy/web", "svc/nginx"],
    ["delete", "cm", "--all"],
    ["delete", "cm", "--all"],
    ["delete", "foos", "x"],
]


async def test_delete_matches_kubectl(both: Both) -> None:
    await _setup(both)
    for args in DELETE_FORMS:
        await _run_both(both, *args)
    for ns in NAMESPACES:
        res = await both.kubectl("get", "pods,svc,deploy,cm", "-n", ns)
        assert res.out == "" and "No resources found" in res.err


async def test_server_dry_run_keeps_the_object(both: Both) -> None:
    await _setup(both)
    res = await both.cli("-n", "ours", "delete", "pod", "nginx", "--dry-run=server")
    assert (res.rc, res.out) == (0, 'pod "nginx" deleted (server dry run)\n')
    await both.kubectl.ok("get", "pod", "nginx", "-n", "ours")
    # kubectl sends dryRun only in the DeleteOptions body; the apiserver honours it there
    res = await both.kubectl("-n", "theirs", "delete", "pod", "nginx", "--dry-run=server")
    assert (res.rc, res.out) == (0, 'pod "nginx" deleted (server dry run)\n')
    await both.kubectl.ok("get", "pod", "nginx", "-n", "theirs")


async def test_delete_from_files_force_and_namespaces(both: Both) -> None:
    await _setup(both)
    await _run_both(both, "delete", "-f", str(EXAMPLES))
    await _run_both(both, "delete", "-f", str(EXAMPLES))
    await _run_both(both, "delete", "-f", str(EXAMPLES), "--ignore-not-found")
    await _run_both(both, "apply", "-f", str(EXAMPLES / "pod.yaml"))
    await _run_both(both, "delete", "pod", "nginx", "--grace-period=0", "--force")
    # a namespace is removed by the apiserver's namespace finalizer; --wait waits for it
    for ns in ("gone-theirs", "gone-ours"):
        await both.kubectl.ok("create", "namespace", ns)
    theirs = await both.kubectl("delete", "namespace", "gone-theirs")
    ours = await both.cli("delete", "namespace", "gone-ours")
    assert (ours.rc, theirs.rc) == (0, 0)
    assert ours.out.replace("ours", "X") == theirs.out.replace("theirs", "X")
    for ns in ("gone-theirs", "gone-ours"):
        assert (await both.kubectl("get", "ns", ns)).rc == 1
    # cluster-scoped objects deleted with an explicit namespace get kubectl's warning
    for name in ("node-theirs", "node-ours"):
        await both.kubectl.ok("apply", "-f", "-", stdin=node(name))
    theirs = await both.kubectl("delete", "node", "node-theirs", "-n", "theirs")
    ours = await both.cli("delete", "node", "node-ours", "-n", "ours")
    assert ours.err == theirs.err and ours.rc == theirs.rc == 0


async def test_delete_waits_for_graceful_pods(both: Both) -> None:
    await both.kubectl.ok("apply", "-f", "-", stdin=node("node-a"))
    await _setup(both)
    bound = json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bound"},
                        "spec": {"nodeName": "node-a",
                                 "containers": [{"name": "c", "image": "i:1"}]}})
    for ns in NAMESPACES:
        await both.kubectl.ok("apply", "-n", ns, "-f", "-", stdin=bound)
    # nothing finishes the graceful deletion (no kubelet), so the wait times out
    await _run_both(both, "delete", "pod", "bound", "--timeout=1s")
    await _run_both(both, "get", "pod", "bound", "-o",
                    "jsonpath={.metadata.deletionGracePeriodSeconds}")
    for ns in NAMESPACES:
        assert await both.kubectl.ok("get", "pod", "bound", "-n", ns, "-o",
                                     "jsonpath={.metadata.deletionTimestamp}")
    await _run_both(both, "delete", "pod", "bound", "--wait=false")
    await _run_both(both, "delete", "pod", "bound", "--force", "--grace-period=0")


SCALE_FORMS = [
    ["scale", "deploy", "web"],
    ["scale", "deploy", "web", "--replicas=-1"],
    ["scale", "deploy", "web", "--replicas=3"],
    ["scale", "deployment/web", "--replicas=4", "-o", "name"],
    ["scale", "deploy", "web", "--replicas=5", "--current-replicas=1"],
    ["scale", "deploy", "web", "--replicas=5", "--current-replicas=4"],
    ["scale", "deploy", "nope", "--replicas=2"],
    ["scale", "deploy", "web", "nope", "--replicas=2"],
    ["scale", "pod", "nginx", "--replicas=2"],
    ["scale", "deploy", "--all", "--replicas=1"],
    ["scale", "deploy", "web", "--replicas=2", "--dry-run=server"],
    ["scale", "deploy", "web", "--replicas=2", "--dry-run=client"],
    ["scale", "-f", str(EXAMPLES / "deployment.yaml"), "--replicas=6"],
]


async def test_scale_matches_kubectl(both: Both) -> None:
    await _setup(both)
    rc = "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: rc\nspec:\n" \
         "  replicas: 1\n  selector: {app: rc}\n  template:\n    metadata:\n" \
         "      labels: {app: rc}\n    spec:\n      containers: [{name: c, image: i}]\n"
    rs = rc.replace("v1\nkind: ReplicationController", "apps/v1\nkind: ReplicaSet") \
        .replace("name: rc", "name: rs").replace("selector: {app: rc}",
                                                 "selector: {matchLabels: {app: rc}}")
    for ns in NAMESPACES:
        await both.kubectl.ok("apply", "-n", ns, "-f", "-", stdin=rc + "---\n" + rs)
    for args in SCALE_FORMS + [["scale", "rc", "rc", "--replicas=3"],
                               ["scale", "rs/rs", "rc/rc", "--replicas=2"]]:
        await _run_both(both, *args)
    # each copy has its own resourceVersion: compare the message up to it
    theirs = await both.kubectl("-n", "theirs", "scale", "deploy", "web", "--replicas=1",
                                "--resource-version=1")
    ours = await both.cli("-n", "ours", "scale", "deploy", "web", "--replicas=1",
                          "--resource-version=1")
    assert ours.rc == theirs.rc == 1
    assert ours.err.rsplit(" ", 1)[0] == theirs.err.rsplit(" ", 1)[0] == \
        "error: Expected resource version to be 1, was"
    for kind in ("deploy/web", "rc/rc", "rs/rs"):
        replicas = [await both.kubectl.ok("get", kind, "-n", ns, "-o",
                                          "jsonpath={.spec.replicas}") for ns in NAMESPACES]
        assert replicas[0] == replicas[1]
