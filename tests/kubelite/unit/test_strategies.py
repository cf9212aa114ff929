"""Registry strategies driven through the pure parts of the generic store."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from kubelite.api import errors
from kubelite.api.resources import lookup
from kubelite.registry.catalog import STRATEGIES
from kubelite.registry.generic import Store
from kubelite.registry.pods import qos_class
from kubelite.registry.strategy import Context

NOW = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def store(group: str, plural: str) -> Store:
    res = lookup(group, "v1", plural)
    assert res is not None
    return Store(STRATEGIES[plural](res), storage=None)  # type: ignore[arg-type]


def ctx(**kw: Any) -> Context:
    return Context(now=NOW, rng=random.Random(1), namespace="default", **kw)


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
       "spec": {"containers": [{"name": "c", "image": "nginx"}, {"name": "d", "image": "x:1.0"}]},
       "status": {"phase": "Running"}}


def test_pod_create_defaults_and_system_metadata() -> None:
    pod = store("", "pods").prepare_create(POD, ctx())
    m, spec = pod["metadata"], pod["spec"]
    assert m["namespace"] == "default" and m["creationTimestamp"] == "2025-01-01T12:00:00Z"
    assert len(m["uid"]) == 36 and "generation" not in m
    assert spec["restartPolicy"] == "Always" and spec["dnsPolicy"] == "ClusterFirst"
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert [c["imagePullPolicy"] for c in spec["containers"]] == ["Always", "IfNotPresent"]
    assert spec["containers"][0]["terminationMessagePath"] == "/dev/termination-log"
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}  # client status dropped


def test_generate_name() -> None:
    body = {**POD, "metadata": {"generateName": "web-"}}
    name = store("", "pods").prepare_create(body, ctx())["metadata"]["name"]
    assert name.startswith("web-") and len(name) == 9


def test_update_keeps_status_and_system_fields_and_checks_rv() -> None:
    s = store("", "pods")
    old = s.prepare_create(POD, ctx())
    old["metadata"]["resourceVersion"] = "5"
    old["status"] = {"phase": "Running"}
    new = {**old, "metadata": {**old["metadata"], "uid": None, "labels": {"a": "b"}},
           "status": {"phase": "Failed"}}
    new["metadata"].pop("uid")
    out = s.prepare_update(new, old, ctx())
    assert out["status"] == {"phase": "Running"}
    assert out["metadata"]["uid"] == old["metadata"]["uid"]
    assert out["metadata"]["labels"] == {"a": "b"}
    stale = {**new, "metadata": {**new["metadata"], "resourceVersion": "4"}}
    with pytest.raises(errors.StatusError) as exc:
        s.prepare_update(stale, old, ctx())
    assert exc.value.code == 409 and exc.value.reason == "Conflict"


def test_generation_bumps_only_on_spec_change() -> None:
    s = store("apps", "deployments")
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    old = s.prepare_create(body, ctx())
    assert old["metadata"]["generation"] == 1
    assert old["spec"]["replicas"] == 1 and old["spec"]["revisionHistoryLimit"] == 10
    assert old["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": "25%", "maxSurge": "25%"}
    same = s.prepare_update({**old, "metadata": {**old["metadata"], "labels": {"x": "y"}}},
                            old, ctx())
    assert same["metadata"]["generation"] == 1
    changed = {**old, "spec": {**old["spec"], "replicas": 3}}
    assert s.prepare_update(changed, old, ctx())["metadata"]["generation"] == 2


def test_invalid_create_is_422_with_causes() -> None:
    body = {**POD, "spec": {"containers": [{"name": "c"}]}}
    with pytest.raises(errors.StatusError) as exc:
        store("", "pods").prepare_create(body, ctx())
    status = exc.value.to_status()
    assert status["code"] == 422 and status["reason"] == "Invalid"
    assert status["details"]["kind"] == "Pod" and status["details"]["name"] == "p"
    assert status["details"]["causes"] == [{"reason": "FieldValueRequired",
                                            "message": "Required value",
                                            "field": "spec.containers[0].image"}]
    assert status["message"] == 'Pod "p" is invalid: spec.containers[0].image: Required value'


def test_field_validation_modes() -> None:
    s = store("", "pods")
    body = {**POD, "spec": {**POD["spec"], "fooz": 1}}
    with pytest.raises(errors.StatusError) as exc:
        s.prepare_create(body, ctx(field_validation="Strict"))
    assert exc.value.code == 400
    assert 'strict decoding error: unknown field "spec.fooz"' in exc.value.message
    warn = ctx(field_validation="Warn")
    s.prepare_create(body, warn)
    assert warn.warnings == ['unknown field "spec.fooz"']
    bad_type = {**POD, "spec": {"containers": "nope"}}
    with pytest.raises(errors.StatusError) as exc:
        s.prepare_create(bad_type, ctx(field_validation="Ignore"))
    assert exc.value.code == 400 and "cannot unmarshal" in exc.value.message


def test_pod_grace_period_policy() -> None:
    strat = STRATEGIES["pods"](lookup("", "v1", "pods"))  # type: ignore[arg-type]
    unbound = {"spec": {}, "status": {"phase": "Pending"}}
    bound = {"spec": {"nodeName": "n", "terminationGracePeriodSeconds": 12},
             "status": {"phase": "Running"}}
    done = {"spec": {"nodeName": "n"}, "status": {"phase": "Succeeded"}}
    assert strat.grace_period(unbound, None) == 0
    assert strat.grace_period(bound, None) == 12
    assert strat.grace_period(bound, 3) == 3
    assert strat.grace_period(bound, 0) == 0
    assert strat.grace_period(done, None) == 0


@pytest.mark.parametrize("resources,qos", [
    ([{}], "BestEffort"),
    ([{"limits": {"cpu": "1", "memory": "1Gi"}}], "Guaranteed"),
    ([{"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}], "Burstable"),
    ([{"requests": {"cpu": "1"}}], "Burstable"),
])
def test_qos_class(resources: list[dict[str, Any]], qos: str) -> None:
    spec = {"containers": [{"name": f"c{i}", "resources": r} for i, r in enumerate(resources)]}
    assert qos_class(spec) == qos


def test_namespace_strategy() -> None:
    ns = store("", "namespaces").prepare_create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}, ctx())
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    assert "namespace" not in ns["metadata"]


def test_malformed_quantity_is_a_decode_error() -> None:
    body = {**POD, "spec": {"containers": [{"name": "c", "image": "i",
                                            "resources": {"limits": {"cpu": "lots"}}}]}}
    with pytest.raises(errors.StatusError) as exc:
        store("", "pods").prepare_create(body, ctx())
    assert exc.value.code == 400 and "quantities must match the regular expression" in \
        exc.value.message


def test_numeric_quantities_are_stored_as_strings() -> None:
    body = {**POD, "spec": {"containers": [{"name": "c", "image": "i", "resources": {
        "limits": {"cpu": 1, "memory": "1Gi"}, "requests": {"cpu": 0.5}}}]}}
    res = store("", "pods").prepare_create(body, ctx())["spec"]["containers"][0]["resources"]
    assert res == {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}
