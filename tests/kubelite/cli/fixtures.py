"""Manifests shared by the CLI tests."""

from __future__ import annotations

import json
from pathlib import Path

# copies of examples/{pod,deployment,service}.yaml, so that new files in examples/ do not
# change what the tests apply
EXAMPLES = Path(__file__).resolve().parent / "manifests"

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n  labels:\n    team: a\n"

WORKLOADS = """\
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: team-a
  labels: {app: web, tier: front}
spec:
  containers:
  - name: app
    image: kubelite/busybox-httpd:1.0
    ports: [{containerPort: 8080, name: http}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: team-a
data:
  color: blue
  motd: |
    hello
    world
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: team-a
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""


def node(name: str, kubelet_port: int = 10250) -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                              "node-role.kubernetes.io/worker": ""}},
        "spec": {"podCIDR": "10.244.1.0/24",
                 "taints": [{"key": "dedicated", "value": "edge", "effect": "NoSchedule"}]},
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
    })


def pod_on(name: str, node_name: str, containers: tuple[str, ...] = ("app",),
           resources: bool = True) -> str:
    spec_containers = []
    for c in containers:
        entry: dict[str, object] = {"name": c, "image": "kubelite/busybox-httpd:1.0"}
        if resources:
            entry["resources"] = {"requests": {"cpu": "100m", "memory": "64Mi"},
                                  "limits": {"cpu": "200m", "memory": "128Mi"}}
        spec_containers.append(entry)
    return json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name, "labels": {"app": name}},
                       "spec": {"nodeName": node_name, "containers": spec_containers}})
