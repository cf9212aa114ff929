"""Fixtures for the ``kubelite`` CLI tests: the CLI run beside the real kubectl 1.32 against
one kubelite apiserver (``apiserver`` runs over each etcd backend), and what is needed to
compare their outputs.

``cli(...)`` runs ``kubelite.kubectl.main.main`` in a worker thread (the apiserver lives in
the test's event loop, so the blocking CLI must not run on it); ``cli.start(...)`` runs the
real ``kubelite`` console program as a process, for ``-w`` and ``logs -f``. Both get a
private ``HOME`` and an empty ``KUBECONFIG``, and ``--server`` like the kubectl fixture.

Outputs are compared with :func:`same_output`: cell by cell with ages (``5s``, ``3m2s``)
masked, and byte for byte whenever the ages printed by both happen to be equal (nearly
always: both read the same objects within milliseconds), so column alignment is checked too
without depending on the clock.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web

from kubelite.apiserver.server import RunningApiServer
from kubelite.kubectl.main import main as cli_main
from tests.kubelite.conftest import Kubectl, Result
from tests.support.procs import free_port

LINE_WAIT = 15.0
AGE = re.compile(r"(?<![\w.:/-])(?:\d+y)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?![\w.:/-])")
KLOG = re.compile(r"^[IWE]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [\w./-]+:\d+\] .*\n?", re.M)
RFC1123 = re.compile(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}")


class Cli:
    """The kubelite CLI against one apiserver, isolated from the user's kubeconfig."""

    def __init__(self, url: str, home: Path):
        self.url = url
        self.home = home
        (home / "kubeconfig").write_text("apiVersion: v1\nkind: Config\n")
        self.env = {"HOME": str(home), "KUBECONFIG": str(home / "kubeconfig"),
                    "PATH": "/usr/bin:/bin"}

    def argv(self, *args: str) -> list[str]:
        return ["--server", self.url, *args]

    def run_sync(self, args: list[str], stdin: str | None, server: bool = True) -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = cli_main(self.argv(*args) if server else list(args), stdout=out, stderr=err,
                        stdin=io.StringIO(stdin or ""), env=dict(self.env))
        return Result(code, out.getvalue(), err.getvalue())

    async def __call__(self, *args: str, stdin: str | None = None,
                       server: bool = True) -> Result:
        return await asyncio.to_thread(self.run_sync, list(args), stdin, server)

    async def ok(self, *args: str, stdin: str | None = None) -> str:
        res = await self(*args, stdin=stdin)
        assert res.rc == 0, f"kubelite {' '.join(args)} failed rc={res.rc}: {res.err}{res.out}"
        return res.out

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        """The real console program, as a process (for commands that run until killed)."""
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kubelite.cli", *self.argv(*args),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**self.env, "PYTHONPATH": str(Path(__file__).resolve().parents[3])})


@pytest.fixture
def cli(apiserver: RunningApiServer, tmp_path: Path) -> Cli:
    home = tmp_path / "kubelite-home"
    home.mkdir()
    return Cli(apiserver.url, home)


# -- comparing outputs ---------------------------------------------------------------------

def normalize_program(text: str) -> str:
    """kubectl names itself in a few messages; kubelite names itself."""
    return text.replace("kubectl.1.32", "kubelite").replace("kubectl", "kubelite")


def cells(text: str) -> list[list[str]]:
    """Lines split into cells at runs of two or more spaces, ages and dates masked."""
    out = []
    for line in text.splitlines():
        line = RFC1123.sub("<date>", line)
        parts = re.split(r" {2,}|\t", line.rstrip())
        out.append([AGE.sub(lambda m: "<age>" if m.group(0) else "", p) for p in parts])
    return out


def ages(text: str) -> list[str]:
    return [m.group(0) for m in AGE.finditer(text) if m.group(0)]


def same_text(ours: str, theirs: str) -> None:
    ours, theirs = normalize_program(ours), normalize_program(theirs)
    assert cells(ours) == cells(theirs), f"kubelite:\n{ours}\nkubectl:\n{theirs}"
    if ages(ours) == ages(theirs):
        assert ours == theirs, f"kubelite:\n{ours}\nkubectl:\n{theirs}"


def same_output(ours: Result, theirs: Result) -> None:
    """Same exit code, same stdout and stderr (see the module docstring)."""
    assert ours.rc == theirs.rc, (f"exit codes differ: kubelite {ours.rc} kubectl {theirs.rc}\n"
                                  f"kubelite: {ours.out}{ours.err}\nkubectl: {theirs.out}"
                                  f"{theirs.err}")
    same_text(ours.out, theirs.out)
    # kubectl's klog diagnostics (retries, short watches) are not part of its interface
    same_text(ours.err, KLOG.sub("", theirs.err))


@dataclass
class Both:
    cli: Cli
    kubectl: Kubectl

    async def __call__(self, *args: str, stdin: str | None = None) -> tuple[Result, Result]:
        theirs = await self.kubectl(*args, stdin=stdin)
        ours = await self.cli(*args, stdin=stdin)
        return ours, theirs

    async def same(self, *args: str, stdin: str | None = None) -> Result:
        """Run both, assert they printed the same; returns kubelite's result."""
        ours, theirs = await self(*args, stdin=stdin)
        same_output(ours, theirs)
        return ours


@pytest.fixture
def both(cli: Cli, kubectl: Kubectl) -> Both:
    return Both(cli, kubectl)


# -- a recording proxy ---------------------------------------------------------------------

@dataclass
class Recorded:
    method: str
    path: str
    query: str
    content_type: str
    body: bytes
    authorization: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


class Recorder:
    """A reverse proxy in front of the apiserver that records every request."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.requests: list[Recorded] = []
        self.url = ""
        self.arrived = asyncio.Condition()

    async def wait_for_watches(self, count: int, timeout: float = LINE_WAIT) -> None:
        """Until ``count`` watch requests have been forwarded (bounded)."""
        def enough() -> bool:
            return sum("watch=true" in r.query for r in self.requests) >= count

        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(enough), timeout)

    def writes(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def clear(self) -> None:
        self.requests.clear()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Recorded(request.method, request.path, request.query_string,
                                      request.headers.get("Content-Type", ""), body,
                                      request.headers.get("Authorization", "")))
        async with self.arrived:
            self.arrived.notify_all()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length", "accept-encoding")}
        async with ClientSession(auto_decompress=False) as session, session.request(
                request.method, self.upstream + request.path_qs, data=body or None,
                headers=headers) as upstream:
            resp = web.StreamResponse(status=upstream.status)
            for key, value in upstream.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection",
                                       "content-encoding"):
                    resp.headers.add(key, value)
            await resp.prepare(request)
            if "watch=true" in request.query_string:
                async with self.arrived:
                    self.arrived.notify_all()
            async for chunk in upstream.content.iter_any():
                await resp.write(chunk)
            await resp.write_eof()
            return resp


@pytest.fixture
async def recorder(apiserver: RunningApiServer) -> AsyncIterator[Recorder]:
    rec = Recorder(apiserver.url)
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", rec.handle)
    # proxied watches end when their client goes away, so shutting down never waits for them
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                           shutdown_timeout=1.0)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    rec.url = f"http://127.0.0.1:{port}"
    try:
        yield rec
    finally:
        await runner.cleanup()


# -- a fake kubelet serving logs -----------------------------------------------------------

@dataclass
class FakeKubelet:
    port: int
    release: asyncio.Event


@pytest.fixture
async def fake_kubelet() -> AsyncIterator[FakeKubelet]:
    """A kubelet's ``/containerLogs`` endpoint: three numbered lines per container; with
    ``follow=true`` a fourth line arrives only once the test sets ``release``."""
    release = asyncio.Event()

    async def logs(request: web.Request) -> web.StreamResponse:
        ns, pod, ctr = (request.match_info[k] for k in ("ns", "pod", "ctr"))
        lines = [f"{ns}/{pod}/{ctr} line {i}\n" for i in (1, 2, 3)]
        tail = request.query.get("tailLines")
        if tail is not None:
            lines = lines[len(lines) - int(tail):] if int(tail) else []
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await resp.prepare(request)
        for line in lines:
            await resp.write(line.encode())
        if request.query.get("follow") == "true":
            await release.wait()
            await resp.write(f"{ns}/{pod}/{ctr} line 4\n".encode())
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/containerLogs/{ns}/{pod}/{ctr}", logs)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield FakeKubelet(port, release)
    finally:
        release.set()
        await runner.cleanup()


async def read_line_with(proc: asyncio.subprocess.Process, text: str,
                         timeout: float = LINE_WAIT) -> str:
    """The next line of ``proc``'s stdout containing ``text`` (bounded wait)."""
    seen: list[str] = []

    async def scan() -> str:
        while True:
            assert proc.stdout is not None
            line = (await proc.stdout.readline()).decode()
            assert line, f"output ended before a line with {text!r}; read {seen}"
            if text in line:
                return line
            seen.append(line)
    try:
        return await asyncio.wait_for(scan(), timeout)
    except TimeoutError:
        raise AssertionError(f"no line with {text!r} within {timeout}s; read {seen}") from None


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()
