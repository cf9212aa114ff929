"""Validation: field paths, reasons and messages of the 422 causes."""

from __future__ import annotations

from typing import Any

import pytest

from kubelite.api.validation import kinds, names


def _pod(**spec: Any) -> dict[str, Any]:
    base = {"containers": [{"name": "c", "image": "img"}]}
    base.update(spec)
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"}, "spec": base}


def fields(errs: list[Any]) -> list[str]:
    return [e.field for e in errs]


def test_valid_pod_has_no_errors() -> None:
    assert kinds.pod(_pod()) == []


@pytest.mark.parametrize("mutate,field,reason", [
    (lambda p: p["metadata"].update(name="Bad_Name"), "metadata.name", "FieldValueInvalid"),
    (lambda p: p["metadata"].pop("name"), "metadata.name", "FieldValueRequired"),
    (lambda p: p["metadata"].update(labels={"bad key!": "v"}), "metadata.labels", "FieldValueInvalid"),
    (lambda p: p["metadata"].update(labels={"k": "bad value!"}), "metadata.labels[k]", "FieldValueInvalid"),
    (lambda p: p["spec"].update(containers=[]), "spec.containers", "FieldValueRequired"),
    (lambda p: p["spec"]["containers"][0].pop("image"), "spec.containers[0].image", "FieldValueRequired"),
    (lambda p: p["spec"]["containers"][0].update(name="UPPER"), "spec.containers[0].name", "FieldValueInvalid"),
    (lambda p: p["spec"]["containers"].append({"name": "c", "image": "x"}), "spec.containers[1].name", "FieldValueDuplicate"),
    (lambda p: p["spec"]["containers"][0].update(ports=[{"containerPort": 0}]), "spec.containers[0].ports[0].containerPort", "FieldValueInvalid"),
    (lambda p: p["spec"]["containers"][0].update(ports=[{"containerPort": 80, "protocol": "ICMP"}]), "spec.containers[0].ports[0].protocol", "FieldValueNotSupported"),
    (lambda p: p["spec"]["containers"][0].update(imagePullPolicy="Sometimes"), "spec.containers[0].imagePullPolicy", "FieldValueNotSupported"),
    (lambda p: p["spec"].update(restartPolicy="Maybe"), "spec.restartPolicy", "FieldValueNotSupported"),
    (lambda p: p["spec"]["containers"][0].update(volumeMounts=[{"name": "v", "mountPath": "/x"}]), "spec.containers[0].volumeMounts[0].name", "FieldValueNotFound"),
])
def test_pod_errors_name_the_field(mutate: Any, field: str, reason: str) -> None:
    pod = _pod()
    mutate(pod)
    errs = kinds.pod(pod)
    assert field in fields(errs), [str(e) for e in errs]
    assert any(e.field == field and e.cause().reason == reason for e in errs)


def test_error_message_format() -> None:
    pod = _pod()
    pod["metadata"]["name"] = "Bad"
    err = kinds.pod(pod)[0]
    assert str(err).startswith('metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain')
    assert err.cause().to_dict()["field"] == "metadata.name"


def test_pod_update_may_only_change_images() -> None:
    old = _pod()
    new = _pod()
    new["spec"]["containers"][0]["image"] = "img:2"
    assert kinds.pod_update(new, old) == []
    new["spec"]["restartPolicy"] = "Never"
    assert fields(kinds.pod_update(new, old)) == ["spec"]


def _service(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"ports": [{"port": 80}]}
    base.update(spec)
    return {"metadata": {"name": "web", "namespace": "default"}, "spec": base}


@pytest.mark.parametrize("spec,field", [
    ({"ports": []}, "spec.ports"),
    ({"ports": [{"port": 70000}]}, "spec.ports[0].port"),
    ({"ports": [{"port": 80}, {"port": 81}]}, "spec.ports[0].name"),
    ({"type": "Weird"}, "spec.type"),
    ({"clusterIP": "1.2.3"}, "spec.clusterIPs[0]"),
    ({"ports": [{"port": 80, "targetPort": "Bad_Name"}]}, "spec.ports[0].targetPort"),
])
def test_service_errors(spec: dict[str, Any], field: str) -> None:
    assert field in fields(kinds.service(_service(**spec)))


def test_service_name_is_dns1035() -> None:
    svc = _service()
    svc["metadata"]["name"] = "1web"
    assert fields(kinds.service(svc)) == ["metadata.name"]


def test_deployment_selector_must_match_template() -> None:
    dep = {"metadata": {"name": "d", "namespace": "default"}, "spec": {
        "selector": {"matchLabels": {"app": "a"}},
        "template": {"metadata": {"labels": {"app": "b"}},
                     "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    assert fields(kinds.deployment(dep)) == ["spec.template.metadata.labels"]
    dep["spec"].pop("selector")
    assert "spec.selector" in fields(kinds.deployment(dep))
    dep["spec"]["selector"] = {"matchLabels": {"app": "b"}}
    dep["spec"]["replicas"] = -1
    assert fields(kinds.deployment(dep)) == ["spec.replicas"]


@pytest.mark.parametrize("fn,value,ok", [
    (names.is_dns1123_label, "abc-1", True),
    (names.is_dns1123_label, "a" * 64, False),
    (names.is_dns1123_label, "a.b", False),
    (names.is_dns1123_subdomain, "a.b-c", True),
    (names.is_dns1035_label, "1abc", False),
    (names.is_qualified_name, "example.com/app", True),
    (names.is_qualified_name, "-bad", False),
    (names.is_label_value, "", True),
    (names.is_label_value, "x" * 64, False),
    (names.is_port_name, "http", True),
    (names.is_port_name, "80", False),
    (names.is_config_key, "a.b_c-D", True),
    (names.is_config_key, "a/b", False),
])
def test_name_rules(fn: Any, value: str, ok: bool) -> None:
    assert (fn(value) == []) is ok


@pytest.mark.parametrize("text,value", [
    ("500m", "0.5"), ("1", "1"), ("1Gi", str(2**30)), ("2k", "2000"), ("1e3", "1000"),
    ("0.5", "0.5"), ("100Mi", str(100 * 2**20)), (2, "2"),
])
def test_quantity_parse(text: Any, value: str) -> None:
    from decimal import Decimal

    from kubelite.api import quantity

    assert quantity.parse(text) == Decimal(value)


def test_quantity_errors() -> None:
    from kubelite.api import quantity

    for bad in ("abc", "1Xi", "", "1.2.3.", True):
        assert not quantity.valid(bad)
    pod = _pod()
    pod["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"},
                                                 "requests": {"cpu": "2", "bogus": "1"}}
    errs = {e.field: e.message for e in kinds.pod(pod)}
    assert errs["spec.containers[0].resources.requests[cpu]"] == \
        'Invalid value: "2": must be less than or equal to cpu limit of 1'
    assert "spec.containers[0].resources.requests[bogus]" in errs
