"""Pure parts of service allocation and the event version conversion."""

from __future__ import annotations

from typing import Any

from kubelite.api import conversion
from kubelite.registry.services import Reservation, ServiceStore, held, keep_allocated


def svc(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "s"}, "spec": spec}


def test_needs_for_create_and_update() -> None:
    assert ServiceStore.needs(svc(type="ClusterIP", ports=[{"port": 80}]), None) == {
        "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}, "__ip": ""}
    assert "__ip" not in ServiceStore.needs(svc(type="ClusterIP", clusterIP="None"), None)
    assert "__ip" not in ServiceStore.needs(svc(type="ExternalName", externalName="x"), None)
    old = svc(type="ClusterIP", clusterIP="10.0.0.5", clusterIPs=["10.0.0.5"],
              ports=[{"port": 80}])
    new = svc(type="NodePort", clusterIP="10.0.0.5", ports=[{"port": 80}, {"port": 81,
                                                                          "nodePort": 30001}])
    needs = ServiceStore.needs(new, old)
    assert "__ip" not in needs and needs["__ports"] == [0, 30001]


def test_fill_assigns_automatic_ports_only_where_missing() -> None:
    obj = svc(type="NodePort", ports=[{"port": 80}, {"port": 81, "nodePort": 30001}])
    ServiceStore.fill(obj, Reservation(ips=["10.0.0.9"], ports=[30001], auto_ports=[31000]))
    assert obj["spec"]["clusterIP"] == "10.0.0.9" and obj["spec"]["clusterIPs"] == ["10.0.0.9"]
    assert [p["nodePort"] for p in obj["spec"]["ports"]] == [31000, 30001]
    assert held(obj) == ({"10.0.0.9"}, {31000, 30001})


def test_keep_allocated_values_on_update() -> None:
    old = svc(type="NodePort", clusterIP="10.0.0.5", clusterIPs=["10.0.0.5"],
              ports=[{"port": 80, "protocol": "TCP", "nodePort": 30080}])
    new = svc(type="NodePort", ports=[{"port": 80, "protocol": "TCP"}])
    keep_allocated(new, old)
    assert new["spec"]["clusterIP"] == "10.0.0.5"
    assert new["spec"]["ports"][0]["nodePort"] == 30080
    back = svc(type="ClusterIP", ports=[{"port": 80, "protocol": "TCP", "nodePort": 30080}])
    keep_allocated(back, old)
    assert "nodePort" not in back["spec"]["ports"][0]


def test_event_conversion_round_trip() -> None:
    core = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"},
            "involvedObject": {"kind": "Pod", "name": "p"}, "message": "m", "reason": "R",
            "source": {"component": "kubelet"}, "count": 3, "reportingComponent": "kubelet"}
    ext = conversion.event_to_events_v1(core)
    assert ext["apiVersion"] == "events.k8s.io/v1"
    assert (ext["regarding"], ext["note"], ext["deprecatedCount"], ext["reportingController"]) == \
        ({"kind": "Pod", "name": "p"}, "m", 3, "kubelet")
    assert conversion.events_v1_to_event(ext) == core
