"""Protobuf bodies recorded from the real ``kubectl create`` (1.32) decode to the JSON objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelite.api import errors, protobuf
from kubelite.api.resources import lookup

DATA = Path(__file__).parent / "data"


def decode(name: str, group: str = "") -> dict[str, object]:
    res = lookup(group, "v1", name)
    assert res is not None
    return protobuf.decode((DATA / f"kubectl-create-{name}.pb").read_bytes(), res)


def test_namespace() -> None:
    # kubectl create namespace pns
    assert decode("namespaces") == {"apiVersion": "v1", "kind": "Namespace",
                                    "metadata": {"name": "pns"}}


def test_deployment() -> None:
    # kubectl create deployment dep1 --image=nginx:1.2 --replicas=3 --port=8080
    assert decode("deployments", "apps") == {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "dep1", "labels": {"app": "dep1"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "dep1"}},
                 "template": {"metadata": {"labels": {"app": "dep1"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx:1.2",
                                                       "ports": [{"containerPort": 8080}]}]}}}}


def test_service_with_named_target_port() -> None:
    # kubectl create service nodeport svc2 --tcp=80:http --node-port=30001
    assert decode("services") == {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "svc2", "labels": {"app": "svc2"}},
        "spec": {"ports": [{"name": "80-http", "protocol": "TCP", "port": 80,
                            "targetPort": "http", "nodePort": 30001}],
                 "selector": {"app": "svc2"}, "type": "NodePort"}}


def test_secret_data_is_base64() -> None:
    # kubectl create secret generic s1 --from-literal=k=v
    body = decode("secrets")
    assert body["data"] == {"k": "dg=="}  # the type is defaulted (Opaque) on create


@pytest.mark.parametrize("data", [b"not protobuf", b"k8s\x00\x0a\x07\x0a\x02v1\x12\x01X",
                                  b"k8s\x00\x0a\x09\x0a\x02v1\x12\x03Pod"])
def test_other_bodies_are_415(data: bytes) -> None:
    res = lookup("", "v1", "pods")
    assert res is not None
    with pytest.raises(errors.StatusError) as exc:
        protobuf.decode(data, res)
    assert exc.value.code == 415 and exc.value.reason == "UnsupportedMediaType"
