"""Unit tests of the CLI's pure parts: flags, tab writer, YAML/JSON printing, JSONPath, the
three-way strategic merge patch, manifests, quantities. Expected texts were taken from what
kubectl 1.32 prints for the same input."""

from __future__ import annotations

import pytest

from kubelite.kubectl import flags as fl
from kubelite.kubectl import jsonpath, manifest, smp, yamlout
from kubelite.kubectl.describe.quantity import canonical
from kubelite.kubectl.errors import ApiError, render
from kubelite.kubectl.tabwriter import TabWriter

pytestmark = pytest.mark.unit

FLAGS = [fl.Flag("output", short="o"), fl.Flag("all-namespaces", fl.Kind.BOOL, short="A"),
         fl.Flag("watch", fl.Kind.BOOL, short="w"), fl.Flag("filename", fl.Kind.STRINGS,
                                                            short="f"),
         fl.Flag("replicas", fl.Kind.INT, default=-1), fl.Flag("dry-run", default="none",
                                                               no_opt="unchanged")]


@pytest.mark.parametrize("argv, expected", [
    (["get", "-o", "yaml", "pods"], ("yaml", ["get", "pods"])),
    (["-oyaml", "get"], ("yaml", ["get"])),
    (["-o=json"], ("json", [])),
    (["--output=name", "x"], ("name", ["x"])),
    (["--output", "wide"], ("wide", [])),
    (["-Aw", "pods"], ("", ["pods"])),
    (["--", "-o", "x"], ("", ["-o", "x"])),
    (["-f", "-", "a"], ("", ["a"])),
])
def test_flag_forms(argv: list[str], expected: tuple[str, list[str]]) -> None:
    parsed = fl.parse(argv, FLAGS)
    assert (parsed["output"], parsed.args) == expected


def test_flag_values_and_errors() -> None:
    parsed = fl.parse(["-f", "a.yaml,b.yaml", "-f", "c", "-Aw", "--replicas=3",
                       "--dry-run", "server"], FLAGS)
    assert parsed["filename"] == ["a.yaml", "b.yaml", "c"]
    assert parsed["all-namespaces"] and parsed["watch"] and parsed["replicas"] == 3
    assert parsed["dry-run"] == "unchanged" and parsed.args == ["server"]
    assert fl.parse(["--watch=false"], FLAGS)["watch"] is False
    for argv, message in ((["--nope"], "unknown flag: --nope"),
                          (["-x"], "unknown shorthand flag: 'x' in -x"),
                          (["-o"], "flag needs an argument: 'o' in -o"),
                          (["--output"], "flag needs an argument: --output"),
                          (["--replicas=x"], 'invalid argument "x" for "--replicas" flag: '
                           'strconv.ParseInt: parsing "x": invalid syntax')):
        with pytest.raises(fl.FlagError) as err:
            fl.parse(argv, FLAGS)
        assert str(err.value) == message
    assert fl.parse_duration("1m30s") == 90 and fl.parse_duration("0") == 0
    assert fl.parse_duration("5") is None and fl.parse_duration("1.5h") == 5400


def test_tab_writer_blocks_and_remembered_widths() -> None:
    out: list[str] = []
    w = TabWriter(out.append, minwidth=0, padding=2)
    # a line with fewer cells ends the column block, as in describe output
    w.write("Name:\tnginx\nLabels:\tapp=x\nContainers:\n  c:\n    Image:\tbusybox\n")
    w.flush()
    assert "".join(out) == ("Name:    nginx\nLabels:  app=x\nContainers:\n  c:\n"
                            "    Image:  busybox\n")
    out.clear()
    table = TabWriter(out.append, remember_widths=True)
    table.write("NAME\tREADY\tAGE\nweb\t1/1\t5s\n")
    table.flush()
    table.write("a\t0/1\t1s\n")  # a later watch row keeps the widths already used
    table.flush()
    assert "".join(out) == ("NAME   READY   AGE\nweb    1/1     5s\n"
                            "a      0/1     1s\n")


@pytest.mark.parametrize("value, text", [
    ("plain", "plain"), ("true", '"true"'), ("y", '"y"'), ("1", '"1"'), ("1.5", '"1.5"'),
    ("2025-01-01T12:00:00Z", '"2025-01-01T12:00:00Z"'), ("", '""'), ("null", '"null"'),
    ("a: b", "'a: b'"), ("- x", "'- x'"), ("{x}", "'{x}'"), ("0o17", '"0o17"'),
    ("1e3", '"1e3"'), ("~", '"~"'), ("@x", "'@x'"), ("multi\nline\n", "|\n  multi\n  line"),
])
def test_yaml_scalars_as_go_yaml(value: str, text: str) -> None:
    assert yamlout.to_yaml({"k": value}) == f"k: {text}\n"


def test_yaml_layout_and_key_order() -> None:
    obj = {"b": [{"y": 1, "x": None}], "a10": True, "a9": {}, "A": [], "f": 1.5}
    assert yamlout.to_yaml(obj) == ('A: []\na9: {}\na10: true\nb:\n- x: null\n  "y": 1\n'
                                    "f: 1.5\n")
    assert yamlout.to_json({"b": "<none>", "a": [1, {}]}) == \
        '{\n    "a": [\n        1,\n        {}\n    ],\n    "b": "\\u003cnone\\u003e"\n}\n'


DATA = {"kind": "List", "items": [
    {"metadata": {"name": "a", "labels": {"app": "x", "k.io/n": "v"}},
     "spec": {"containers": [{"name": "c1", "image": "i1"}, {"name": "c2", "image": "i2"}]}},
    {"metadata": {"name": "b"}, "spec": {"containers": []}}]}


@pytest.mark.parametrize("template, expected", [
    ("{.items[*].metadata.name}", "a b"),
    ('{range .items[*]}{.metadata.name}{"\\t"}{range .spec.containers[*]}{.image},{end}'
     '{"\\n"}{end}', "a\ti1,i2,\nb\t\n"),
    ("{.items[0].metadata.labels}", '{"app":"x","k.io/n":"v"}'),
    ("{.items[0].metadata.labels.k\\.io/n}", "v"),
    ("{.items[?(@.metadata.name=='b')].metadata.name}", "b"),
    ("{.items[-1:].metadata.name} x {..image}", "b x i1 i2"),
    ("{.items[0].spec.containers[*]['name','image']}", "c1 c2 i1 i2"),
    ("{.items[0].metadata['name']}", "a"),
    ("{.items[0].missing}", ""),
    ("{.items[?(@.spec.containers[0])].metadata.name}", "a"),
    ("{.kind}{'!'}", "List!"),
])
def test_jsonpath(template: str, expected: str) -> None:
    assert jsonpath.execute(template, DATA) == expected


def test_jsonpath_errors() -> None:
    with pytest.raises(jsonpath.JSONPathError, match="array index out of bounds"):
        jsonpath.execute("{.items[5]}", DATA)
    with pytest.raises(jsonpath.JSONPathError, match="unclosed action"):
        jsonpath.parse("{.items")
    with pytest.raises(jsonpath.JSONPathError, match="not in range"):
        jsonpath.execute("{end}", DATA)


POD = "V1Pod"


def test_three_way_patch_shapes() -> None:
    original = {"metadata": {"labels": {"a": "1", "b": "2"}, "finalizers": ["x", "y"]},
                "spec": {"containers": [{"name": "c", "image": "i:1"},
                                        {"name": "d", "image": "j:1"}]}}
    modified = {"metadata": {"labels": {"a": "1"}, "finalizers": ["y", "z"]},
                "spec": {"containers": [{"name": "c", "image": "i:2"}]}}
    current = {"metadata": {"labels": {"a": "1", "b": "2", "extra": "kept"},
                            "finalizers": ["x", "y"]},
               "spec": {"containers": [{"name": "c", "image": "i:1", "imagePullPolicy": "A"},
                                       {"name": "d", "image": "j:1"}]},
               "status": {"phase": "Pending"}}
    patch = smp.three_way(original, modified, current, POD)
    assert patch == {
        "metadata": {"labels": {"b": None},
                     "$deleteFromPrimitiveList/finalizers": ["x"],
                     "$setElementOrder/finalizers": ["y", "z"], "finalizers": ["z"]},
        "spec": {"$setElementOrder/containers": [{"name": "c"}],
                 "containers": [{"image": "i:2", "name": "c"},
                                {"$patch": "delete", "name": "d"}]}}
    assert smp.three_way(modified, modified, {**modified, "status": {}}, POD) == {}


def test_three_way_retain_keys_and_unknown_types() -> None:
    original = {"spec": {"strategy": {"type": "RollingUpdate",
                                      "rollingUpdate": {"maxSurge": 1}}}}
    modified = {"spec": {"strategy": {"type": "Recreate"}}}
    patch = smp.three_way(original, modified, original, "V1Deployment")
    assert patch == {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": None,
                                           "type": "Recreate"}}}
    # without a schema lists are replaced and maps merged, as a JSON merge patch does
    assert smp.three_way({"a": [1, 2]}, {"a": [2]}, {"a": [1, 2], "b": 1}, None) == {"a": [2]}


def test_manifest_documents_lists_and_errors() -> None:
    docs, errors = manifest.parse_text(
        "---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n- kind: A\n- kind: B\n"
        "---\nkind: C\nwhen: 2025-01-01\nflag: y\nnum: 2.0\n", "f.yaml")
    assert [d.obj["kind"] for d in docs] == ["A", "B", "C"] and not errors
    assert docs[2].obj["when"] == "2025-01-01" and docs[2].obj["flag"] is True
    assert docs[2].obj["num"] == 2 and isinstance(docs[2].obj["num"], int)
    docs, errors = manifest.parse_text("kind: A\n---\nkind: B\nx: [\n", "f.yaml")
    assert [d.obj["kind"] for d in docs] == ["A"]
    assert [e.message for e in errors] == [
        "error parsing f.yaml: error converting YAML to JSON: yaml: line 2: did not find "
        "expected node content"]
    _, errors = manifest.parse_text('{"kind": "A",\n "x": 1 y}', "f.json")
    assert errors[0].message == ("error parsing f.json: json: offset 23: invalid character 'y' "
                                 "after object key:value pair")


@pytest.mark.parametrize("text, expected", [
    ("0", "0"), ("0.5", "500m"), ("1000", "1k"), ("1500", "1500"), ("128Mi", "128Mi"),
    ("1.5Gi", "1536Mi"), ("1024", "1024"), ("100m", "100m"), ("1e3", "1e3"), ("3000m", "3"),
])
def test_quantities(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_invalid_status_rendering() -> None:
    err = ApiError({"kind": "Status", "status": "Failure", "reason": "Invalid", "code": 422,
                    "message": 'Pod "x" is invalid: ...',
                    "details": {"kind": "Pod", "name": "x", "causes": [
                        {"field": "spec.containers", "message": "Required value"},
                        {"field": "metadata.name", "message": "Invalid value: \"X\""}]}})
    assert render(err) == ('The Pod "x" is invalid: \n* spec.containers: Required value\n'
                           '* metadata.name: Invalid value: "X"')
    one = ApiError({**err.status, "details": {"kind": "Pod", "name": "x", "causes": [
        {"field": "spec", "message": "Forbidden"}]}})
    assert render(one) == 'The Pod "x" is invalid: spec: Forbidden'
    plain = ApiError.from_response(404, b"404 page not found", "text/plain")
    assert render(plain) == ("Error from server (NotFound): the server could not find the "
                             "requested resource")
