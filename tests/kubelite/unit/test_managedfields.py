"""Field ownership and server-side apply merges (pure)."""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import managedfields as mf

T = "2025-01-01T12:00:00Z"


def pod(image: str = "i:1", **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "labels": labels or {"app": "a"}},
            "spec": {"containers": [{"name": "c", "image": image}]}}


def test_fieldset_round_trips_through_fields_v1() -> None:
    paths = mf.fieldset(pod(), "V1Pod")
    assert ("f:spec", "f:containers", 'k:{"name":"c"}', "f:image") in paths
    assert ("f:metadata", "f:labels", "f:app") in paths
    assert not any(p[:2] == ("f:metadata", "f:name") for p in paths)
    assert mf.from_fields_v1(mf.to_fields_v1(paths)) == paths


def test_apply_creates_then_conflicts_with_another_manager() -> None:
    created, conflicts = mf.apply(None, pod(), "kubectl", "v1", T, "V1Pod", force=False)
    assert not conflicts
    assert [e["manager"] for e in created["metadata"]["managedFields"]] == ["kubectl"]
    # another writer changes the image with a plain update and takes that field over
    changed = copy.deepcopy(created)
    changed["spec"]["containers"][0]["image"] = "i:2"
    mf.record_update(changed, created, "editor", "v1", T, "V1Pod")
    owners = {e["manager"]: e for e in changed["metadata"]["managedFields"]}
    assert ("f:spec", "f:containers", 'k:{"name":"c"}', "f:image") in mf.owned(owners["editor"])
    assert ("f:spec", "f:containers", 'k:{"name":"c"}', "f:image") not in mf.owned(owners["kubectl"])
    # applying the old image again now conflicts; force takes the field back
    _, conflicts = mf.apply(changed, pod("i:3"), "kubectl", "v1", T, "V1Pod", force=False)
    assert [(c.manager, mf.describe(c.path)) for c in conflicts] == \
        [("editor", '.spec.containers[name="c"].image')]
    forced, _ = mf.apply(changed, pod("i:3"), "kubectl", "v1", T, "V1Pod", force=True)
    assert forced["spec"]["containers"][0]["image"] == "i:3"
    assert [e["manager"] for e in forced["metadata"]["managedFields"]] == ["kubectl"]


def test_apply_removes_fields_the_manager_stopped_applying() -> None:
    first, _ = mf.apply(None, pod(app="a", tier="fe"), "m", "v1", T, "V1Pod", force=False)
    second, _ = mf.apply(first, pod(app="a"), "m", "v1", T, "V1Pod", force=False)
    assert second["metadata"]["labels"] == {"app": "a"}


def test_apply_merges_keyed_lists_and_keeps_unowned_fields() -> None:
    current = pod()
    current["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    config = pod()
    config["spec"]["containers"].append({"name": "d", "image": "j"})
    merged, _ = mf.apply(current, config, "m", "v1", T, "V1Pod", force=False)
    assert [c["name"] for c in merged["spec"]["containers"]] == ["c", "d"]
    assert merged["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_remove_path_and_value_at() -> None:
    obj = pod()
    found, value = mf.value_at(obj, ("f:spec", "f:containers", 'k:{"name":"c"}', "f:image"))
    assert found and value == "i:1"
    mf.remove_path(obj, ("f:spec", "f:containers", 'k:{"name":"c"}', "."))
    assert obj["spec"]["containers"] == []


def test_create_then_server_side_apply_of_the_same_manifest_does_not_conflict() -> None:
    """``kubectl create -f`` then ``kubectl apply --server-side -f`` of the same file: the
    name alone is owned by nobody, and equal values are shared, not fought over."""
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                "data": {"a": "b"}}
    created = {**manifest, "metadata": {"name": "c", "uid": "u", "resourceVersion": "5"}}
    mf.record_update(created, None, "kubectl-create", "v1", T, "V1ConfigMap")
    assert created["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:a": {}}}
    merged, conflicts = mf.apply(created, manifest, "kubectl", "v1", T, "V1ConfigMap",
                                            force=False)
    assert conflicts == []
    assert [e["manager"] for e in merged["metadata"]["managedFields"]] == ["kubectl-create",
                                                                           "kubectl"]


def test_reapply_with_a_changed_list_key_replaces_the_item_whole() -> None:
    """A service port applied as 80 and then as 81: the 80 item goes with its defaulted
    ``protocol`` (no stripped item is left behind), the 81 item comes in."""
    def config(port: int) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                "spec": {"ports": [{"name": "http", "port": port, "targetPort": port}]}}

    first, _ = mf.apply(None, config(80), "kubectl", "v1", T, "V1Service", force=False)
    first["spec"]["ports"][0]["protocol"] = "TCP"  # defaulted by the server
    second, conflicts = mf.apply(first, config(81), "kubectl", "v1", T, "V1Service",
                                 force=False)
    assert conflicts == []
    assert second["spec"]["ports"] == [{"name": "http", "port": 81, "targetPort": 81}]


def test_an_item_another_manager_owns_a_field_of_stays() -> None:
    current = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "managedFields": [
        {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": T,
         "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:containers": {
             'k:{"name":"a"}': {".": {}, "f:name": {}, "f:image": {}}}}}},
        {"manager": "other", "operation": "Update", "apiVersion": "v1", "time": T,
         "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:containers": {
             'k:{"name":"a"}': {"f:args": {}}}}}}]},
        "spec": {"containers": [{"name": "a", "image": "i", "args": ["x"]}]}}
    config = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
              "spec": {"containers": [{"name": "b", "image": "j"}]}}
    merged, _ = mf.apply(current, config, "kubectl", "v1", T, "V1Pod", force=False)
    assert merged["spec"]["containers"] == [{"name": "a", "args": ["x"]},
                                            {"name": "b", "image": "j"}]


def test_an_update_may_replace_the_managed_fields() -> None:
    """kubectl's client-side to server-side apply migration sends a JSON patch replacing
    metadata.managedFields; kube takes the entries a write carries (``[{}]`` clears them)."""
    old = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
           "data": {"a": "1"}}
    mf.record_update(old, None, "kubectl-client-side-apply", "v1", T, "V1ConfigMap")
    migrated = [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": T,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}}]
    new = copy.deepcopy(old)
    new["metadata"]["managedFields"] = migrated
    base = mf.given_entries(new)
    mf.record_update(new, old, "kubectl", "v1", T, "V1ConfigMap", base=base)
    assert new["metadata"]["managedFields"] == migrated
    assert mf.given_entries({"metadata": {"managedFields": [{}]}}) == []
    assert mf.given_entries({"metadata": {"managedFields": [{"manager": "x"}]}}) is None
    assert mf.given_entries({"metadata": {}}) is None
