"""Patch algorithms: strategic merge (with directives), JSON merge, JSON patch."""

from __future__ import annotations

import pytest

from kubelite.api.patch import PatchError, jsonpatch, mergepatch, strategic

POD = {
    "metadata": {"name": "p", "labels": {"a": "1"}, "finalizers": ["x"]},
    "spec": {"containers": [
        {"name": "app", "image": "app:1", "ports": [{"containerPort": 80, "protocol": "TCP"}],
         "env": [{"name": "A", "value": "1"}]},
        {"name": "side", "image": "side:1"},
    ], "tolerations": [{"key": "k"}]},
}


def test_strategic_merges_containers_by_name_and_ports_by_container_port() -> None:
    patch = {"spec": {"containers": [{"name": "app", "image": "app:2",
                                      "ports": [{"containerPort": 81}]}]}}
    out = strategic.apply(POD, patch, "V1Pod")
    app = out["spec"]["containers"][0]
    assert app["image"] == "app:2"
    assert [p["containerPort"] for p in app["ports"]] == [80, 81]
    assert app["env"] == [{"name": "A", "value": "1"}]
    assert out["spec"]["containers"][1]["name"] == "side"
    assert POD["spec"]["containers"][0]["image"] == "app:1"  # input untouched


def test_strategic_replaces_lists_without_merge_key() -> None:
    out = strategic.apply(POD, {"spec": {"tolerations": [{"key": "other"}]}}, "V1Pod")
    assert out["spec"]["tolerations"] == [{"key": "other"}]


def test_strategic_directives() -> None:
    patch = {
        "metadata": {"labels": {"a": None, "b": "2"}},
        "spec": {
            "$setElementOrder/containers": [{"name": "side"}, {"name": "app"}],
            "containers": [{"name": "app", "$patch": "delete"}, {"name": "side", "image": "s:2"}],
        },
    }
    out = strategic.apply(POD, patch, "V1Pod")
    assert out["metadata"]["labels"] == {"b": "2"}
    assert out["spec"]["containers"] == [{"name": "side", "image": "s:2"}]


def test_strategic_set_element_order_reorders() -> None:
    patch = {"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "app"}]}}
    out = strategic.apply(POD, patch, "V1Pod")
    assert [c["name"] for c in out["spec"]["containers"]] == ["side", "app"]


def test_strategic_replace_and_retain_keys() -> None:
    out = strategic.apply(POD, {"spec": {"containers": [{"$patch": "replace"},
                                                        {"name": "only", "image": "o"}]}}, "V1Pod")
    assert out["spec"]["containers"] == [{"name": "only", "image": "o"}]
    dep = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    out = strategic.apply(dep, {"spec": {"strategy": {"$retainKeys": ["type"],
                                                      "type": "Recreate"}}}, "V1Deployment")
    assert out["spec"]["strategy"] == {"type": "Recreate"}


def test_strategic_primitive_list_merge_and_delete() -> None:
    out = strategic.apply(POD, {"metadata": {"finalizers": ["y"]}}, "V1Pod")
    assert out["metadata"]["finalizers"] == ["x", "y"]
    out = strategic.apply(POD, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}},
                          "V1Pod")
    assert out["metadata"]["finalizers"] == []


def test_strategic_rejects_items_without_merge_key() -> None:
    with pytest.raises(PatchError):
        strategic.apply(POD, {"spec": {"containers": [{"image": "x"}]}}, "V1Pod")


def test_merge_patch_rfc7386() -> None:
    assert mergepatch.apply({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None}, "l": [2]}) == \
        {"a": {"c": 2}, "l": [2]}


@pytest.mark.parametrize("ops,result", [
    ([{"op": "add", "path": "/a/-", "value": 3}], {"a": [1, 2, 3], "b": {"c": 1}}),
    ([{"op": "add", "path": "/a/0", "value": 0}], {"a": [0, 1, 2], "b": {"c": 1}}),
    ([{"op": "remove", "path": "/b/c"}], {"a": [1, 2], "b": {}}),
    ([{"op": "replace", "path": "/b/c", "value": 9}], {"a": [1, 2], "b": {"c": 9}}),
    ([{"op": "move", "from": "/b/c", "path": "/d"}], {"a": [1, 2], "b": {}, "d": 1}),
    ([{"op": "copy", "from": "/b", "path": "/e"}], {"a": [1, 2], "b": {"c": 1}, "e": {"c": 1}}),
    ([{"op": "test", "path": "/a/1", "value": 2}], {"a": [1, 2], "b": {"c": 1}}),
    ([{"op": "add", "path": "/m~1n", "value": 1}], {"a": [1, 2], "b": {"c": 1}, "m/n": 1}),
])
def test_json_patch(ops: list[dict[str, object]], result: dict[str, object]) -> None:
    assert jsonpatch.apply({"a": [1, 2], "b": {"c": 1}}, ops) == result


@pytest.mark.parametrize("ops", [
    [{"op": "remove", "path": "/zz"}],
    [{"op": "test", "path": "/a/0", "value": 5}],
    [{"op": "replace", "path": "/nope", "value": 1}],
])
def test_json_patch_failures(ops: list[dict[str, object]]) -> None:
    with pytest.raises(PatchError):
        jsonpatch.apply({"a": [1]}, ops)
