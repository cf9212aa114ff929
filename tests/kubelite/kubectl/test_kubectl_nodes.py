"""kubectl against the node-facing paths: nodes, leases, events, and logs through a kubelet."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import WSMsgType, web

from tests.kubelite.conftest import Api, Kubectl
from tests.support.procs import free_port

pytestmark = pytest.mark.compat  # the real kubectl / kubernetes client as clients


@pytest.fixture
async def fake_kubelet() -> AsyncIterator[int]:
    """A kubelet's ``/containerLogs`` endpoint on loopback, serving two lines per container."""
    async def logs(request: web.Request) -> web.StreamResponse:
        ns, pod, ctr = (request.match_info[k] for k in ("ns", "pod", "ctr"))
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await resp.prepare(request)
        lines = [f"hello from {ns}/{pod}/{ctr}\n", "second line\n"]
        if request.query.get("tailLines") == "1":
            lines = lines[-1:]
        for line in lines:
            await resp.write(line.encode())
        await resp.write_eof()
        return resp

    async def exec_(request: web.Request) -> web.StreamResponse:
        """``echo`` prints its arguments; ``cat`` echoes stdin until the client's close."""
        ws = web.WebSocketResponse(protocols=("v5.channel.k8s.io", "v4.channel.k8s.io"))
        await ws.prepare(request)
        command = request.query.getall("command")
        if command[0] == "echo":
            await ws.send_bytes(b"\x01" + " ".join(command[1:]).encode() + b"\n")
            status = {"metadata": {}, "status": "Success"}
        elif command[0] == "cat":
            async for msg in ws:
                if msg.type is not WSMsgType.BINARY or msg.data[:1] == b"\xff":
                    break
                if msg.data[:1] == b"\x00":
                    await ws.send_bytes(b"\x01" + msg.data[1:])
            status = {"metadata": {}, "status": "Success"}
        else:
            await ws.send_bytes(b"\x02" + f"{command[0]}: not found\n".encode())
            status = {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
                      "message": "command terminated with non-zero exit code: exit status 127",
                      "details": {"causes": [{"reason": "ExitCode", "message": "127"}]}}
        await ws.send_bytes(b"\x03" + json.dumps(status).encode())
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/containerLogs/{ns}/{pod}/{ctr}", logs)
    app.router.add_get("/exec/{ns}/{pod}/{ctr}", exec_)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


def node_manifest(name: str, kubelet_port: int) -> dict[str, object]:
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                              "node-role.kubernetes.io/worker": ""}},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                            "lastHeartbeatTime": "2025-01-01T12:00:00Z",
                            "lastTransitionTime": "2025-01-01T12:00:00Z"}],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                          {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}},
            "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b",
                         "kernelVersion": "6.1.0", "osImage": "Debian GNU/Linux 12",
                         "containerRuntimeVersion": "docker://20.10.24",
                         "kubeletVersion": "v1.32.0", "kubeProxyVersion": "v1.32.0",
                         "operatingSystem": "linux", "architecture": "amd64"}},
    }


async def test_nodes_describe_lease_events_and_logs(kubectl: Kubectl, api: Api,
                                                    fake_kubelet: int) -> None:
    status, _, _ = await api.post("/api/v1/nodes", node_manifest("node-a", fake_kubelet))
    assert status == 201
    out = await kubectl.ok("get", "nodes", "-o", "wide")
    head, row = out.splitlines()
    assert head.split()[:5] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    cells = row.split()
    assert cells[:3] == ["node-a", "Ready", "worker"] and cells[4] == "v1.32.0"
    assert cells[5] == "127.0.0.1"
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "node-a", "namespace": "kube-node-lease"},
             "spec": {"holderIdentity": "node-a", "leaseDurationSeconds": 40,
                      "renewTime": "2025-01-01T12:00:00.000000Z"}}
    await kubectl.ok("apply", "-f", "-", stdin=json.dumps(lease))
    described = await kubectl.ok("describe", "node", "node-a")
    assert re.search(r"HolderIdentity:\s+node-a", described)
    assert "Ready            True" in described or re.search(r"Ready\s+True", described)
    await kubectl.ok("cordon", "node-a")
    assert "Ready,SchedulingDisabled" in await kubectl.ok("get", "node", "node-a")

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
           "spec": {"nodeName": "node-a", "containers": [{"name": "app", "image": "i:1"}]}}
    await kubectl.ok("apply", "-f", "-", stdin=json.dumps(pod))
    assert await kubectl.ok("get", "pods", "--field-selector", "spec.nodeName=node-a",
                            "-o", "name") == "pod/web\n"
    assert await kubectl.ok("logs", "web") == "hello from default/web/app\nsecond line\n"
    assert await kubectl.ok("logs", "web", "--tail=1") == "second line\n"
    assert await kubectl.ok("exec", "web", "--", "echo", "hi", "there") == "hi there\n"
    assert await kubectl.ok("exec", "-i", "web", "--", "cat", stdin="data\n") == "data\n"
    res = await kubectl("exec", "web", "--", "nosuch")
    assert res.rc == 127 and "nosuch: not found" in res.err
    # a container that is still waiting is a 400, as the real apiserver says it
    status, _, _ = await api.patch("/api/v1/namespaces/default/pods/web/status", {"status": {
        "containerStatuses": [{"name": "app", "image": "i:1", "imageID": "", "ready": False,
                               "restartCount": 0,
                               "state": {"waiting": {"reason": "ContainerCreating"}}}]}},
                                   "application/merge-patch+json")
    assert status == 200
    res = await kubectl("logs", "web")
    assert res.rc == 1
    assert 'container "app" in pod "web" is waiting to start: ContainerCreating' in res.err

    event = {"apiVersion": "v1", "kind": "Event",
             "metadata": {"name": "web.1", "namespace": "default"},
             "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "web",
                                "namespace": "default", "uid": ""},
             "reason": "Scheduled", "message": "Successfully assigned default/web to node-a",
             "type": "Normal", "source": {"component": "default-scheduler"}, "count": 1,
             "firstTimestamp": "2025-01-01T12:00:00Z", "lastTimestamp": "2025-01-01T12:00:00Z"}
    _, pod_now, _ = await api.get("/api/v1/namespaces/default/pods/web")
    event["involvedObject"]["uid"] = pod_now["metadata"]["uid"]  # type: ignore[index]
    status, _, _ = await api.post("/api/v1/namespaces/default/events", event)
    assert status == 201
    out = await kubectl.ok("get", "events")
    assert out.splitlines()[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert "pod/web" in out and "Successfully assigned default/web to node-a" in out
    described = await kubectl.ok("describe", "pod", "web")
    assert re.search(r"Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned",
                     described)

    # deleting a pod bound to a live node waits for its kubelet; --force does not
    res = await kubectl("delete", "pod", "web", "--wait=false")
    assert res.rc == 0
    assert "Terminating" in await kubectl.ok("get", "pod", "web")
    await kubectl.ok("delete", "pod", "web", "--grace-period=0", "--force")
    res = await kubectl("get", "pod", "web")
    assert res.rc == 1


async def test_unbound_pod_has_empty_logs(kubectl: Kubectl) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "idle"},
           "spec": {"containers": [{"name": "app", "image": "i:1"}]}}
    await kubectl.ok("apply", "-f", "-", stdin=json.dumps(pod))
    assert await kubectl.ok("logs", "idle") == ""
    res = await kubectl("exec", "idle", "--", "ls")
    assert res.rc == 1 and "pod idle does not have a host assigned" in res.err


async def test_component_statuses(kubectl: Kubectl) -> None:
    res = await kubectl("get", "componentstatuses")
    assert res.rc == 0, res.err
    assert "Warning: v1 ComponentStatus is deprecated in v1.19+" in res.err
    rows = {line.split()[0]: line.split()[1] for line in res.out.splitlines()[1:]}
    assert rows["etcd-0"] == "Healthy"
    assert {"scheduler", "controller-manager"} <= set(rows)
