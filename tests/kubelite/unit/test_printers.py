"""Table printers: column sets and cell rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kubelite.api import meta, printers

NOW = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def _pod(status: dict[str, Any], **m: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "creationTimestamp": "2025-01-01T11:59:00Z", **m},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]}, "status": status}


@pytest.mark.parametrize("status,meta_extra,text", [
    ({"phase": "Pending"}, {}, "Pending"),
    ({"phase": "Pending", "containerStatuses": [
        {"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}}]}, {}, "ContainerCreating"),
    ({"phase": "Running", "containerStatuses": [
        {"name": "a", "ready": True, "state": {"running": {}}},
        {"name": "b", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}, {}, "CrashLoopBackOff"),
    ({"phase": "Failed", "containerStatuses": [
        {"name": "a", "state": {"terminated": {"exitCode": 1}}}]}, {}, "ExitCode:1"),
    ({"phase": "Succeeded", "containerStatuses": [
        {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}, {}, "Completed"),
    ({"phase": "Running"}, {"deletionTimestamp": "2025-01-01T12:00:30Z"}, "Terminating"),
    ({"phase": "Failed", "reason": "Evicted"}, {}, "Evicted"),
])
def test_pod_status_cell(status: dict[str, Any], meta_extra: dict[str, Any], text: str) -> None:
    assert printers.pod_status_text(_pod(status, **meta_extra)) == text


def test_pod_row_and_wide_columns() -> None:
    pod = _pod({"phase": "Running", "podIP": "10.1.0.5", "containerStatuses": [
        {"name": "a", "ready": True, "restartCount": 2, "state": {"running": {}},
         "lastState": {"terminated": {"finishedAt": "2025-01-01T11:55:00Z"}}}]})
    pod["spec"]["nodeName"] = "n1"
    assert printers.pod_row(pod, NOW) == ["p", "1/2", "Running", "2 (5m ago)", "60s", "10.1.0.5",
                                          "n1", "<none>", "<none>"]
    names = [c["name"] for c in printers.POD_COLUMNS]
    assert names == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node",
                     "Nominated Node", "Readiness Gates"]
    assert [c["priority"] for c in printers.POD_COLUMNS][5:] == [1, 1, 1, 1]


@pytest.mark.parametrize("seconds,text", [
    (5, "5s"), (119, "119s"), (150, "2m30s"), (600, "10m"), (7200, "120m"), (3 * 3600, "3h"),
    (5 * 3600 + 60, "5h1m"), (30 * 3600, "30h"), (3 * 86400 + 3600, "3d1h"), (40 * 86400, "40d"),
    (800 * 86400, "2y70d"),
])
def test_human_duration(seconds: int, text: str) -> None:
    assert meta.human_duration(seconds) == text


def test_service_row() -> None:
    svc = {"metadata": {"name": "web", "creationTimestamp": "2025-01-01T12:00:00Z"},
           "spec": {"type": "NodePort", "clusterIP": "10.0.0.5", "selector": {"app": "web"},
                    "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"},
                              {"port": 53, "protocol": "UDP"}]}}
    assert printers.service_row(svc, NOW) == ["web", "NodePort", "10.0.0.5", "<none>",
                                              "80:30080/TCP,53/UDP", "0s", "app=web"]


def test_node_row() -> None:
    node = {"metadata": {"name": "n1", "creationTimestamp": "2025-01-01T11:00:00Z",
                         "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"unschedulable": True},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "192.0.2.1"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.0"}}}
    row = printers.node_row(node, NOW)
    assert row[:6] == ["n1", "Ready,SchedulingDisabled", "control-plane", "60m", "v1.32.0",
                       "192.0.2.1"]


def test_table_shape() -> None:
    table = printers.table("namespaces", [{"metadata": {"name": "default"},
                                           "status": {"phase": "Active"}}], NOW, "7")
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "7"}
    assert table["rows"][0]["cells"][:2] == ["default", "Active"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert "object" not in printers.table("namespaces", [{"metadata": {"name": "x"}}], NOW,
                                          include="None")["rows"][0]
