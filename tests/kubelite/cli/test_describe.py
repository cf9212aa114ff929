"""``kubelite describe`` beside ``kubectl describe`` for every kind it has a describer for."""

from __future__ import annotations

import json

import pytest

from tests.kubelite.cli.conftest import Both
from tests.kubelite.cli.fixtures import EXAMPLES, NAMESPACE, WORKLOADS, node, pod_on
from tests.kubelite.conftest import Api

pytestmark = pytest.mark.compat  # side by side with the real kubectl 1.32


OBJECTS = """\
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: node-a, namespace: kube-node-lease}
spec: {holderIdentity: node-a, leaseDurationSeconds: 40, renewTime: "2025-01-01T12:00:00.000000Z"}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs1, labels: {app: rs1}}
spec:
  replicas: 2
  selector: {matchLabels: {app: rs1}, matchExpressions: [{key: tier, operator: In, values: [b, a]}]}
  template:
    metadata: {labels: {app: rs1, tier: a}, annotations: {note: hi}}
    spec:
      containers:
      - name: c
        image: nginx
        command: [sh, -c, "echo hi\\nsleep 1"]
        env:
        - {name: MULTI, value: "a\\nb"}
        - {name: POD, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}}
        - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
        - {name: S, valueFrom: {secretKeyRef: {name: s1, key: password}}}
        - {name: C, valueFrom: {configMapKeyRef: {name: settings, key: color, optional: true}}}
        envFrom: [{configMapRef: {name: settings}}, {secretRef: {name: s1}, prefix: S_}]
        livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 5}
        readinessProbe: {exec: {command: [cat, /tmp/ready]}}
        startupProbe: {tcpSocket: {port: 8080}}
        volumeMounts: [{name: data, mountPath: /data}, {name: cfg, mountPath: /etc/cfg, readOnly: true, subPath: x}]
      volumes:
      - {name: data, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
      - {name: cfg, configMap: {name: settings}}
      - {name: sec, secret: {secretName: s1, optional: true}}
      - {name: host, hostPath: {path: /var/log, type: Directory}}
      - {name: claim, persistentVolumeClaim: {claimName: pvc1}}
      - {name: down, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
      - {name: proj, projected: {sources: [{configMap: {name: settings}}, {downwardAPI: {items: []}}]}}
      tolerations:
      - {key: dedicated, operator: Equal, value: edge, effect: NoSchedule}
      - {operator: Exists}
      - {key: slow, operator: Exists, effect: NoExecute, tolerationSeconds: 60}
      nodeSelector: {disk: ssd}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc1}
spec:
  replicas: 1
  selector: {app: rc1}
  template:
    metadata: {labels: {app: rc1}}
    spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}, {containerPort: 443, hostPort: 8443}]}]}
---
apiVersion: v1
kind: Secret
metadata: {name: s1}
stringData: {password: hunter2, user: admin}
---
apiVersion: v1
kind: Endpoints
metadata: {name: ep1}
subsets:
- addresses: [{ip: 10.1.1.1}, {ip: 10.1.1.2}]
  notReadyAddresses: [{ip: 10.1.1.3}]
  ports: [{name: http, port: 80, protocol: TCP}, {port: 81, protocol: UDP}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot}
imagePullSecrets: [{name: pull1}, {name: pull2}]
---
apiVersion: v1
kind: Service
metadata: {name: np, annotations: {long: "%s"}}
spec:
  type: NodePort
  selector: {app: none}
  externalIPs: [192.0.2.10]
  ports: [{name: a, port: 80, targetPort: 8080}, {name: b, port: 81, protocol: UDP}]
""" % ("x" * 150)

DESCRIBE_FORMS = [
    ["describe", "pod", "nginx"],
    ["describe", "pods"],
    ["describe", "pod", "ngi"],
    ["describe", "pod", "nope"],
    ["describe", "po/nginx", "svc/nginx"],
    ["describe", "svc", "nginx"],
    ["describe", "svc", "np"],
    ["describe", "service", "kubernetes"],
    ["describe", "deploy", "web"],
    ["describe", "rs", "rs1"],
    ["describe", "rc", "rc1"],
    ["describe", "node", "node-a"],
    ["describe", "nodes"],
    ["describe", "ns", "team-a"],
    ["describe", "namespace", "default"],
    ["describe", "ep", "ep1"],
    ["describe", "sa", "robot"],
    ["describe", "lease", "node-a", "-n", "kube-node-lease"],
    ["describe", "pods", "-n", "team-a"],
    ["describe", "pods", "-l", "app=busy"],
    ["describe", "pods", "-l", "app=none"],
    ["describe", "pod", "busy", "--show-events=false"],
    ["describe", "pod", "-n", "empty"],
    ["describe"],
    ["describe", "foos"],
]


async def _setup(both: Both, api: Api) -> None:
    await both.kubectl.ok("apply", "-f", str(EXAMPLES))
    await both.kubectl.ok("apply", "-f", "-", stdin=NAMESPACE)
    await both.kubectl.ok("apply", "-f", "-", stdin=WORKLOADS)
    await both.kubectl.ok("apply", "-f", "-", stdin=node("node-a"))
    await both.kubectl.ok("apply", "-f", "-", stdin=OBJECTS)
    await both.kubectl.ok("apply", "-f", "-", stdin=pod_on("busy", "node-a",
                                                           containers=("main", "side")))
    await both.kubectl.ok("apply", "-f", "-", stdin=pod_on("lean", "node-a", resources=False))
    # a running pod with a restarted container, an IP and conditions, as a kubelet writes it
    status = {"status": {
        "phase": "Running", "hostIP": "127.0.0.1", "podIP": "10.244.1.5",
        "podIPs": [{"ip": "10.244.1.5"}], "startTime": "2025-01-01T12:00:00Z",
        "conditions": [{"type": t, "status": "True"} for t in
                       ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                        "PodScheduled")],
        "containerStatuses": [
            {"name": "main", "image": "kubelite/busybox-httpd:1.0", "imageID": "sha256:abc",
             "containerID": "docker://123", "ready": True, "restartCount": 2, "started": True,
             "state": {"running": {"startedAt": "2025-01-01T12:01:00Z"}},
             "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                          "startedAt": "2025-01-01T12:00:00Z",
                                          "finishedAt": "2025-01-01T12:00:59Z"}}},
            {"name": "side", "image": "kubelite/busybox-httpd:1.0", "imageID": "",
             "ready": False, "restartCount": 0,
             "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}
    code, _, _ = await api.patch("/api/v1/namespaces/default/pods/busy/status", status,
                                 "application/merge-patch+json")
    assert code == 200
    _, pod, _ = await api.get("/api/v1/namespaces/default/pods/busy")
    for i, (reason, message, count) in enumerate((
            ("Scheduled", "Successfully assigned default/busy to node-a", 1),
            ("Pulled", "Container image already present on machine", 3),
            ("BackOff", "Back-off restarting failed container side", 7))):
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": f"busy.{i}", "namespace": "default"},
                 "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "busy",
                                    "namespace": "default", "uid": pod["metadata"]["uid"]},
                 "reason": reason, "message": message,
                 "type": "Warning" if reason == "BackOff" else "Normal",
                 "source": {"component": "kubelet" if i else "default-scheduler"},
                 "count": count, "firstTimestamp": f"2025-01-01T12:0{i}:00Z",
                 "lastTimestamp": f"2025-01-01T12:0{i + 1}:00Z"}
        code, _, _ = await api.post("/api/v1/namespaces/default/events", event)
        assert code == 201, event
    node_event = {"apiVersion": "v1", "kind": "Event",
                  "metadata": {"name": "node-a.1", "namespace": "default"},
                  "involvedObject": {"kind": "Node", "name": "node-a", "uid": "node-a"},
                  "reason": "NodeReady", "message": "Node node-a status is now: NodeReady",
                  "type": "Normal", "source": {"component": "kubelet", "host": "node-a"},
                  "firstTimestamp": "2025-01-01T12:00:00Z",
                  "lastTimestamp": "2025-01-01T12:00:00Z", "count": 1}
    code, _, _ = await api.post("/api/v1/namespaces/default/events", node_event)
    assert code == 201


async def test_describe_matches_kubectl(both: Both, api: Api) -> None:
    await _setup(both, api)
    for args in DESCRIBE_FORMS:
        await both.same(*args)


async def test_describe_config_data(both: Both, api: Api) -> None:
    """kubectl prints configmap and secret data in Go's random map order: compare sorted."""
    await _setup(both, api)
    for args in (["describe", "cm", "settings", "-n", "team-a"], ["describe", "secret", "s1"]):
        ours, theirs = await both(*args)
        assert ours.rc == theirs.rc == 0
        marker = "\nData\n====\n"
        for res in (ours, theirs):
            head, _, data = res.out.partition(marker)
            res.out = head + marker + "\n".join(sorted(data.split("\n")))
        assert ours.out == theirs.out


async def test_describe_owned_objects(both: Both, api: Api) -> None:
    """A deployment with its replica sets and a replica set with its pods, as the
    controllers would leave them (written directly, with owner references)."""
    await both.kubectl.ok("apply", "-f", str(EXAMPLES / "deployment.yaml"))
    deploy = json.loads(await both.kubectl.ok("get", "deploy", "web", "-o", "json"))
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
             "uid": deploy["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    template = deploy["spec"]["template"]
    for name, labels, replicas in (("web-old", {"app": "web", "pod-template-hash": "old"}, 0),
                                   ("web-new", {"app": "web", "pod-template-hash": "new"}, 2)):
        tpl = json.loads(json.dumps(template))
        tpl["metadata"]["labels"] = labels
        if name == "web-old":
            tpl["spec"]["containers"][0]["image"] = "kubelite/busybox-httpd:0.9"
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": name, "labels": labels, "ownerReferences": [owner]},
              "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                       "template": tpl}}
        code, created, _ = await api.post("/apis/apps/v1/namespaces/default/replicasets", rs)
        assert code == 201, created
    _, new_rs, _ = await api.get("/apis/apps/v1/namespaces/default/replicasets/web-new")
    rs_owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-new",
                "uid": new_rs["metadata"]["uid"], "controller": True}
    for i in range(2):
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": f"web-new-{i}", "ownerReferences": [rs_owner],
                            "labels": {"app": "web", "pod-template-hash": "new"}},
               "spec": template["spec"]}
        code, _, _ = await api.post("/api/v1/namespaces/default/pods", pod)
        assert code == 201
    for args in (["describe", "deploy", "web"], ["describe", "rs"], ["describe", "pod",
                                                                     "web-new-0"]):
        await both.same(*args)
