"""Errors, storage error translation, URL parsing, negotiation and flags."""

from __future__ import annotations

import pytest

from kubelite.api import errors
from kubelite.apiserver import config, negotiation, requestinfo
from kubelite.storage.errors import StorageErrorCode
from kubelite.storage.etcd2 import decode, encode, translate_etcd_error
from pyetcd.client import ClusterUnavailable
from pyetcd.errors import EtcdError


@pytest.mark.parametrize("code,expected", [
    (100, StorageErrorCode.KEY_NOT_FOUND),
    (105, StorageErrorCode.KEY_EXISTS),
    (101, StorageErrorCode.CONFLICT),
    (401, StorageErrorCode.EXPIRED),
    (300, StorageErrorCode.INTERNAL),
])
def test_translate_etcd_error(code: int, expected: StorageErrorCode) -> None:
    assert translate_etcd_error(EtcdError(code, "/k", 7), "/k").code is expected


def test_unreachable_cluster() -> None:
    err = translate_etcd_error(ClusterUnavailable([]), "/k")
    assert err.code is StorageErrorCode.UNREACHABLE
    assert errors.interpret_storage_error(err, "pods", "", "x").code == 500


@pytest.mark.parametrize("code,reason,status,message", [
    (StorageErrorCode.KEY_NOT_FOUND, "NotFound", 404, 'deployments.apps "x" not found'),
    (StorageErrorCode.KEY_EXISTS, "AlreadyExists", 409, 'deployments.apps "x" already exists'),
    (StorageErrorCode.CONFLICT, "Conflict", 409,
     'Operation cannot be fulfilled on deployments.apps "x": the object has been modified; '
     'please apply your changes to the latest version and try again'),
])
def test_interpret_storage_error(code: StorageErrorCode, reason: str, status: int,
                                 message: str) -> None:
    from kubelite.storage.errors import StorageError

    err = errors.interpret_storage_error(StorageError(code, "/k"), "deployments", "apps", "x")
    body = err.to_status()
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": message, "reason": reason,
                    "details": {"name": "x", "group": "apps", "kind": "deployments"},
                    "code": status}


def test_stored_form_has_no_resource_version() -> None:
    text = encode({"metadata": {"name": "a", "resourceVersion": "9", "selfLink": "/x"}})
    assert text == '{"metadata":{"name":"a"}}'
    assert decode(text, 12)["metadata"]["resourceVersion"] == "12"


@pytest.mark.parametrize("path,parts", [
    ("/api/v1/pods", ("", "v1", "", "pods", "", "")),
    ("/api/v1/namespaces", ("", "v1", "", "namespaces", "", "")),
    ("/api/v1/namespaces/default", ("", "v1", "", "namespaces", "default", "")),
    ("/api/v1/namespaces/default/finalize", ("", "v1", "", "namespaces", "default", "finalize")),
    ("/api/v1/namespaces/default/pods", ("", "v1", "default", "pods", "", "")),
    ("/api/v1/namespaces/default/pods/p/log", ("", "v1", "default", "pods", "p", "log")),
    ("/apis/apps/v1/namespaces/d/deployments/w/scale", ("apps", "v1", "d", "deployments", "w", "scale")),
    ("/api/v1/nodes/n1/status", ("", "v1", "", "nodes", "n1", "status")),
])
def test_request_info(path: str, parts: tuple[str, ...]) -> None:
    info = requestinfo.parse(path)
    assert info is not None
    assert (info.group, info.version, info.namespace, info.resource, info.name,
            info.subresource) == parts


KUBECTL_GET = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
               "g=meta.k8s.io,application/json")


@pytest.mark.parametrize("accept,table,rendering", [
    (KUBECTL_GET, True, negotiation.Rendering.TABLE),
    (KUBECTL_GET, False, negotiation.Rendering.JSON),
    ("application/vnd.kubernetes.protobuf,application/json", True, negotiation.Rendering.JSON),
    ("application/vnd.kubernetes.protobuf", True, negotiation.Rendering.NONE),
    ("application/yaml", True, negotiation.Rendering.YAML),
    (None, True, negotiation.Rendering.JSON),
    ("*/*", True, negotiation.Rendering.JSON),
])
def test_negotiation(accept: str | None, table: bool, rendering: negotiation.Rendering) -> None:
    assert negotiation.choose(accept, allow_table=table) is rendering


def test_flags_use_kube_apiserver_names() -> None:
    cfg = config.from_args([
        "--etcd-servers=http://a:2379,http://b:2379", "--insecure-bind-address=0.0.0.0",
        "--port=8081", "--service-cluster-ip-range=10.254.0.0/16", "--logtostderr=true",
        "--admission-control=NamespaceLifecycle", "--event-ttl=2h"])
    assert cfg.etcd_servers == ("http://a:2379", "http://b:2379")
    assert cfg.insecure_bind_address == "0.0.0.0" and cfg.insecure_port == 8081
    assert cfg.service_cluster_ip_range == "10.254.0.0/16"
    assert cfg.event_ttl == 7200 and "logtostderr" in cfg.ignored
    default = config.from_args([])
    assert (default.etcd_prefix, default.insecure_port, default.service_cluster_ip_range) == \
        ("/registry", 8080, "10.0.0.0/24")
