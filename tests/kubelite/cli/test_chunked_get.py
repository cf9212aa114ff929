"""``get --chunk-size``: the real kubectl 1.32 and ``kubelite get`` page through kubelite's
chunked lists (Tables and plain lists) and print every object once, the same way."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from kubelite.apiserver.server import RunningApiServer
from tests.kubelite.cli.conftest import Cli, Recorder, same_output
from tests.kubelite.conftest import Kubectl

pytestmark = pytest.mark.compat  # side by side with the real kubectl 1.32

NAMES = ["p1", "p2", "p3", "p4", "p5"]


def manifests(names: list[str], namespace: str = "default") -> str:
    return "".join(
        f"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {n}\n  namespace: {namespace}\n"
        f"spec:\n  containers:\n  - name: c\n    image: kubelite/busybox:1.0\n" for n in names)


def list_queries(recorder: Recorder, path: str) -> list[dict[str, list[str]]]:
    return [urllib.parse.parse_qs(r.query) for r in recorder.requests
            if r.method == "GET" and r.path == path]


async def test_chunk_size_pages_through_every_pod(apiserver: RunningApiServer,
                                                  recorder: Recorder, kubectl: Kubectl,
                                                  tmp_path: Path) -> None:
    theirs = Kubectl(kubectl.binary, recorder.url, kubectl.home)
    home = tmp_path / "cli-home"
    home.mkdir()
    ours = Cli(recorder.url, home)
    await theirs.ok("create", "-f", "-", stdin=manifests(list(reversed(NAMES))))
    path = "/api/v1/namespaces/default/pods"
    for program in (theirs, ours):
        recorder.clear()
        out = await program.ok("get", "pods", "--chunk-size=2")
        assert [line.split()[0] for line in out.splitlines()] == ["NAME", *NAMES]
        queries = list_queries(recorder, path)
        assert [q["limit"] for q in queries] == [["2"]] * 3, program
        assert ["continue" in q for q in queries] == [False, True, True], program
    same_output(await ours("get", "pods", "--chunk-size=2"),
                await theirs("get", "pods", "--chunk-size=2"))
    same_output(await ours("get", "pods", "-A", "--chunk-size=3", "--no-headers"),
                await theirs("get", "pods", "-A", "--chunk-size=3", "--no-headers"))
    # -o json merges the pages into one List; --chunk-size=0 asks for everything at once
    for program in (theirs, ours):
        recorder.clear()
        listed = json.loads(await program.ok("get", "pods", "-o", "json", "--chunk-size=2"))
        assert [i["metadata"]["name"] for i in listed["items"]] == NAMES
        assert len(list_queries(recorder, path)) == 3
        recorder.clear()
        out = await program.ok("get", "pods", "--chunk-size=0", "-o", "name")
        assert out.split() == [f"pod/{n}" for n in NAMES]
        assert [("limit" in q) for q in list_queries(recorder, path)] == [False]


async def test_chunked_get_with_a_selector(apiserver: RunningApiServer, kubectl: Kubectl,
                                           cli: Cli) -> None:
    text = manifests(NAMES)
    text = text.replace("name: p2\n", "name: p2\n  labels: {app: web}\n")
    text = text.replace("name: p5\n", "name: p5\n  labels: {app: web}\n")
    await kubectl.ok("create", "-f", "-", stdin=text)
    args = ("get", "pods", "-l", "app=web", "--chunk-size=1", "-o", "name")
    ours, theirs = await cli(*args), await kubectl(*args)
    same_output(ours, theirs)
    assert ours.out.split() == ["pod/p2", "pod/p5"]
