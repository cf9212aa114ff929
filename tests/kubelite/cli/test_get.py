"""``kubelite get`` beside ``kubectl get``: every output form, selectors, namespaces, errors."""

from __future__ import annotations

import pytest

from tests.kubelite.cli.conftest import Both
from tests.kubelite.cli.fixtures import EXAMPLES, NAMESPACE, WORKLOADS, node

pytestmark = pytest.mark.compat  # side by side with the real kubectl 1.32


async def _setup(both: Both) -> None:
    await both.kubectl.ok("apply", "-f", str(EXAMPLES))
    await both.kubectl.ok("apply", "-f", "-", stdin=NAMESPACE)
    await both.kubectl.ok("apply", "-f", "-", stdin=WORKLOADS)
    await both.kubectl.ok("apply", "-f", "-", stdin=node("node-a"))


GET_FORMS = [
    ["get", "pods"],
    ["get", "po", "-o", "wide"],
    ["get", "pod", "nginx"],
    ["get", "pod/nginx", "svc/nginx"],
    ["get", "pods,svc"],
    ["get", "pods,services,deployments", "-A"],
    ["get", "all"],
    ["get", "all", "-n", "team-a"],
    ["get", "deploy", "-o", "wide"],
    ["get", "deployments.apps", "web"],
    ["get", "rs,rc"],
    ["get", "no"],
    ["get", "nodes", "-o", "wide"],
    ["get", "ns", "--show-labels"],
    ["get", "cm", "-n", "team-a"],
    ["get", "ev", "-A"],
    ["get", "pods", "-A", "--show-labels"],
    ["get", "pods", "-l", "app=nginx"],
    ["get", "pods", "-A", "-l", "app in (web,nginx)", "-L", "app,tier"],
    ["get", "pods", "--field-selector", "metadata.name=nginx"],
    ["get", "pods", "--no-headers", "-A"],
    ["get", "svc", "-n", "team-a", "-o", "wide"],
    ["get", "pods", "--show-kind"],
    ["get", "namespace", "team-a", "kube-system"],
    ["get", "pods", "-A", "--sort-by=.metadata.name"],
    ["get", "pods", "-A", "--sort-by=metadata.namespace"],
    ["get", "pods", "-A", "--sort-by=.spec.nodeName"],
    ["get", "svc", "-A", "--sort-by=.spec.ports[0].port"],
    ["get", "pods", "--sort-by=.nope"],
    ["get", "nodes,pods", "--sort-by=.metadata.name"],
]

MACHINE_FORMS = [
    ["get", "pod", "nginx", "-o", "yaml"],
    ["get", "pod", "nginx", "-o", "json"],
    ["get", "pods", "-o", "yaml"],
    ["get", "pods,svc", "-n", "team-a", "-o", "json"],
    ["get", "cm", "settings", "-n", "team-a", "-o", "yaml"],
    ["get", "deploy", "web", "-o", "yaml"],
    ["get", "svc", "nginx", "-o", "yaml"],
    ["get", "node", "node-a", "-o", "yaml"],
    ["get", "ns", "-o", "yaml"],
    ["get", "all", "-o", "name"],
    ["get", "pods", "-A", "-o", "name"],
    ["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"],
    ["get", "pod", "nginx", "-o", "jsonpath={.spec.containers[0].image}"],
    ["get", "pods", "-A", "-o",
     "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}"],
    ["get", "pods", "-A", "-o", "jsonpath={.items[?(@.metadata.name==\"web-1\")].spec.containers[*].ports[*].name}"],
    ["get", "pod", "nginx", "-o", "jsonpath={.metadata.labels}"],
    ["get", "pod", "nginx", "-o", "jsonpath-as-json={.spec.containers[*].name}"],
    ["get", "pods", "-A", "-o", "custom-columns=NAME:.metadata.name,NS:metadata.namespace,"
     "IMAGES:.spec.containers[*].image,NODE:.spec.nodeName"],
    ["get", "cm", "settings", "-n", "team-a", "-o", "jsonpath={.data.motd}"],
    ["get", "pods", "-A", "-o", "name", "--sort-by=.metadata.creationTimestamp"],
    ["get", "ns", "-o", "yaml", "--sort-by=.nope"],
]

ERROR_FORMS = [
    ["get"],
    ["get", "pods", "nope"],
    ["get", "pods", "nginx", "nope", "other"],
    ["get", "pod/nginx", "pods"],
    ["get", "foos"],
    ["get", "pods", "--bogus-flag"],
    ["get", "pods", "-n", "empty-ns"],
    ["get", "nodes", "-l", "none=here"],
    ["get", "pods", "-l", "app=nginx", "nginx"],
    ["get", "pod", "nginx", "-A"],
    ["get", "pods", "--field-selector", "spec.bogus=1"],
    ["get", "pods", "-l", "a in (b"],
    ["get", "pods", "nope", "-o", "yaml"],
    ["get", "pods", "nope", "--ignore-not-found"],
    ["get", "pod", "nginx", "-o", "jsonpath={.spec.containers[5]}"],
]


async def test_tables_match_kubectl(both: Both) -> None:
    await _setup(both)
    for args in GET_FORMS:
        await both.same(*args)


async def test_machine_formats_match_kubectl(both: Both) -> None:
    await _setup(both)
    for args in MACHINE_FORMS:
        await both.same(*args)


async def test_errors_match_kubectl(both: Both) -> None:
    await _setup(both)
    for args in ERROR_FORMS:
        res = await both.same(*args)
        assert res.rc != 0 or args[-1] in ("--ignore-not-found",) or "-n" in args \
            or "-l" in args, args


async def test_unknown_output_format_lists_what_kubelite_prints(both: Both) -> None:
    # kubectl also lists its Go-template formats, which kubelite does not implement
    ours, theirs = await both("get", "pods", "-o", "bogus")
    assert ours.rc == theirs.rc == 1 and ours.out == theirs.out == ""
    assert ours.err == ('error: unable to match a printer suitable for the output format '
                        '"bogus", allowed formats are: custom-columns,custom-columns-file,json,'
                        'jsonpath,jsonpath-as-json,jsonpath-file,name,wide,yaml\n')


async def test_managed_fields_and_empty_lists(both: Both) -> None:
    await both.kubectl.ok("apply", "--server-side", "-f", str(EXAMPLES / "pod.yaml"))
    await both.same("get", "pod", "nginx", "-o", "yaml", "--show-managed-fields")
    await both.same("get", "pod", "nginx", "-o", "yaml")
    await both.same("get", "configmaps", "-o", "yaml")
    await both.same("get", "configmaps", "-o", "json")
    await both.same("get", "configmaps", "-o", "name")
    await both.same("get", "configmaps")


TRICKY = ["a10", "a9", "A", "_x", "1", "y", "n", "yes", "No", "on", "OFF", "true", "0755", "0x1F",
          "1e3", "1.5", ".5", "-1", "+1", "2025-01-01", "2025-01-01T12:00:00Z", "12:30", "1:20:30",
          "~", "null", "", " lead", "trail ", "a: b", "a:b", "- item", "#c", "a #c", "{x}", "[y]",
          "multi\nline", "multi\nline\n", "two newlines\n\n", "tab\tin", "unicode é ü 中",
          "x" * 100, " ".join(["word"] * 30), "'quoted'", '"dq"', "@at", "`bt", "%pct", "!bang",
          "&amp", "*star", "|pipe", ">gt", "?q", ", comma", "<none>", "back\\slash", ".inf",
          "=", "<<", "0o17", "1_000", "Y", "N"]


async def test_yaml_and_json_quoting_match_kubectl(both: Both) -> None:
    """Strings that YAML would read as other types, or cannot write plainly, are quoted
    exactly as kubectl (go-yaml v2) quotes them; JSON escapes as Go's encoder does."""
    import json

    data = {f"k{i:02d}": value for i, value in enumerate(TRICKY)}
    # keys with leading zeros are left out: go-yaml's key order is not transitive for them
    # (e.g. "1" < "0755" < "0o17" < "1"), so kubectl's own order for them is random
    data.update({value: "as key" for value in TRICKY if value and "\n" not in value
                 and len(value) < 40 and value.strip() == value and "/" not in value
                 and not value.startswith("0")
                 and all(c.isalnum() or c in "-._" for c in value)})
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tricky"},
          "data": data}
    await both.kubectl.ok("apply", "-f", "-", stdin=json.dumps(cm))
    await both.same("get", "cm", "tricky", "-o", "yaml")
    await both.same("get", "cm", "tricky", "-o", "json")
    await both.same("get", "cm", "-o", "yaml")
    ours, theirs = await both("describe", "cm", "tricky")
    assert same_sections(ours.out) == same_sections(theirs.out) and ours.rc == theirs.rc == 0


def same_sections(text: str) -> list[str]:
    """describe's Data sections, which kubectl prints in Go's random map order, sorted."""
    head, _, rest = text.partition("\nData\n====\n")
    data, _, tail = rest.partition("\nBinaryData\n====\n")
    return [head, *sorted(data.split("\n")), tail]
