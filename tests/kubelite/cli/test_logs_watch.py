"""``kubelite logs`` (through a fake kubelet) and ``kubelite get -w`` beside kubectl.

Streams are read with bounded waits for the expected lines; nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.kubelite.cli.conftest import (
    Both,
    Cli,
    FakeKubelet,
    Recorder,
    read_line_with,
    same_text,
    stop,
)
from tests.kubelite.cli.fixtures import EXAMPLES, node, pod_on
from tests.kubelite.conftest import Kubectl

pytestmark = pytest.mark.compat  # side by side with the real kubectl 1.32


LOG_FORMS = [
    ["logs", "single"],
    ["logs", "pod/single"],
    ["logs", "single", "--tail=1"],
    ["logs", "single", "--tail=0"],
    ["logs", "single", "-c", "app"],
    ["logs", "single", "app"],
    ["logs", "single", "-c", "nope"],
    ["logs", "multi"],
    ["logs", "multi", "-c", "b"],
    ["logs", "-l", "app=multi"],
    ["logs", "-l", "app=nobody"],
    ["logs", "-l", "app=single", "single"],
    ["logs", "nope"],
    ["logs"],
    ["logs", "a", "b", "c"],
    ["logs", "deploy/web"],
    ["logs", "svc/single"],
    ["logs", "unbound"],
]


async def _setup_logs(both: Both, kubelet: FakeKubelet) -> None:
    await both.kubectl.ok("apply", "-f", "-", stdin=node("node-a", kubelet.port))
    await both.kubectl.ok("apply", "-f", "-", stdin=pod_on("single", "node-a"))
    multi = json.loads(pod_on("multi", "node-a", containers=("a", "b")))
    multi["metadata"]["annotations"] = {"kubectl.kubernetes.io/default-container": "b"}
    await both.kubectl.ok("apply", "-f", "-", stdin=json.dumps(multi))
    await both.kubectl.ok("apply", "-f", "-", stdin=(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: single\nspec:\n"
        "  selector: {app: single}\n  ports: [{port: 80}]\n"))
    await both.kubectl.ok("apply", "-f", "-", stdin=pod_on("unbound", "", resources=False)
                          .replace(', "nodeName": ""', ""))
    deploy = (EXAMPLES / "deployment.yaml").read_text()
    await both.kubectl.ok("apply", "-f", "-", stdin=deploy)
    # a pod of the deployment's selector, bound to the node (as the controllers would make it)
    web = json.loads(pod_on("web-abc12", "node-a", containers=("web",)))
    web["metadata"]["labels"] = {"app": "web"}
    await both.kubectl.ok("apply", "-f", "-", stdin=json.dumps(web))


async def test_logs_match_kubectl(both: Both, fake_kubelet: FakeKubelet) -> None:
    await _setup_logs(both, fake_kubelet)
    for args in LOG_FORMS:
        await both.same(*args)
    # kubectl reads the containers of --all-containers in Go's random map order
    for args in (["logs", "multi", "--all-containers"],
                 ["logs", "multi", "--all-containers", "--prefix"]):
        ours, theirs = await both(*args)
        assert (ours.rc, ours.err) == (theirs.rc, theirs.err) == (0, "")
        assert sorted(ours.out.splitlines()) == sorted(theirs.out.splitlines())
        assert ours.out.splitlines()[0].endswith("multi/a line 1")  # kubelite: spec order


async def test_logs_follow_streams_until_the_server_ends(both: Both,
                                                         fake_kubelet: FakeKubelet) -> None:
    await _setup_logs(both, fake_kubelet)
    proc = await both.cli.start("logs", "-f", "single")
    try:
        assert (await read_line_with(proc, "line 3")).strip() == "default/single/app line 3"
        fake_kubelet.release.set()
        assert (await read_line_with(proc, "line 4")).strip() == "default/single/app line 4"
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        await stop(proc)


async def lines_until(proc: asyncio.subprocess.Process, count: int) -> list[str]:
    lines = []
    while len(lines) < count:
        assert proc.stdout is not None
        line = (await proc.stdout.readline()).decode()
        assert line, f"output ended after {lines}"
        lines.append(line)
    return lines


async def test_logs_follow_several_streams_at_once(both: Both,
                                                   fake_kubelet: FakeKubelet) -> None:
    """Both containers' streams are followed together: each shows its lines before either
    stream ends (a sequential reader would block on the first)."""
    await _setup_logs(both, fake_kubelet)
    proc = await both.cli.start("logs", "-f", "multi", "--all-containers", "--prefix")
    try:
        seen = await asyncio.wait_for(lines_until(proc, 6), 15)
        assert sorted(seen) == [f"[pod/multi/{c}] default/multi/{c} line {i}\n"
                                for c in "ab" for i in (1, 2, 3)]
        fake_kubelet.release.set()
        assert sorted(await asyncio.wait_for(lines_until(proc, 2), 15)) == \
            [f"[pod/multi/{c}] default/multi/{c} line 4\n" for c in "ab"]
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        await stop(proc)
    res = await both.cli("logs", "-f", "multi", "--all-containers", "--max-log-requests=1")
    assert res.rc == 1 and res.err == ("error: you are attempting to follow 2 log streams, but "
                                       "maximum allowed concurrency is 1, use "
                                       "--max-log-requests to increase the limit\n")


async def test_watch_prints_the_same_lines_as_kubectl(both: Both, recorder: Recorder,
                                                      tmp_path: Path) -> None:
    """Both watch through a recording proxy, so the test knows when both watches are
    established before it changes anything."""
    kubectl = Kubectl(both.kubectl.binary, recorder.url, both.kubectl.home)
    home = tmp_path / "watch-home"
    home.mkdir()
    cli = Cli(recorder.url, home)
    await both.kubectl.ok("apply", "-f", str(EXAMPLES / "pod.yaml"))
    for round_no, args in enumerate((["pods", "-w"], ["pods", "-w", "-o", "name"], ["pods", "-w", "-o", "wide"],
                 ["pods", "--watch-only", "--output-watch-events"], ["pod", "nginx", "-w"],
                 ["pods", "-A", "-w", "--show-labels"])):
        recorder.clear()
        theirs = await kubectl.start("get", *args)
        ours = await cli.start("get", *args)
        try:
            await recorder.wait_for_watches(2)
            if "--watch-only" not in args:
                lines = [await read_line_with(p, "nginx") for p in (ours, theirs)]
                same_text(*lines)
            await both.kubectl.ok("label", "pod", "nginx", f"round={round_no}", "--overwrite")
            lines = [await read_line_with(p, "nginx") for p in (ours, theirs)]
            same_text(*lines)
            if "pod" in args:
                continue  # a watch of one named pod sees nothing else
            await both.kubectl.ok("apply", "-f", "-", stdin=(
                EXAMPLES / "pod.yaml").read_text().replace("name: nginx", "name: nginx-long-name"))
            lines = [await read_line_with(p, "nginx-long-name") for p in (ours, theirs)]
            same_text(*lines)
            await both.kubectl.ok("delete", "pod", "nginx-long-name")
            lines = [await read_line_with(p, "nginx-long-name") for p in (ours, theirs)]
            same_text(*lines)
        finally:
            await stop(ours)
            await stop(theirs)


async def test_watch_yaml_separates_objects(both: Both) -> None:
    await both.kubectl.ok("apply", "-f", str(EXAMPLES / "pod.yaml"))
    proc = await both.cli.start("get", "pods", "-w", "-o", "yaml")
    try:
        assert (await read_line_with(proc, "apiVersion")).strip() == "apiVersion: v1"
        await both.kubectl.ok("label", "pod", "nginx", "round=2")
        assert (await read_line_with(proc, "---")).strip() == "---"
        assert "round: \"2\"" in await read_line_with(proc, "round:")
    finally:
        await stop(proc)


async def test_watch_refuses_several_kinds(both: Both) -> None:
    await both.same("get", "pods,svc", "-w")
