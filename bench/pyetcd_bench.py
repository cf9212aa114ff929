"""pyetcd against the real etcd 3.4, side by side in one run: the figures of issue 3 ("Speed").

    .venv/bin/python bench/pyetcd_bench.py [--repeat 3] [--seconds 5] [--connections 1 16 64 256]
                                           [--keys 1000000] [--watchers 1000]
                                           [--only get,put,watch,memory] [--pyetcd-arg=--flag ...]

Starts etcd 3.4 (``--enable-v2=true``) and pyetcd on loopback, each with a fresh data dir and
the same flags a user would give, and measures both with the same clients:

* **GET** of one key and **durable PUT** to distinct keys (a wrk Lua script gives every wrk
  thread its own key space) at each ``--connections``: requests/s, p50 and p99 from wrk;
* **watch fan-out**: ``--watchers`` long-poll watches (``?wait=true&recursive=true``) on one
  directory, each on its own connection; once all are registered (their response headers
  arrived) one PUT is sent, and the figure is the time from sending it until the last
  watcher has its event;
* **memory**: resident memory (the server's process tree; PSS too, which counts pages shared
  by forked processes once) empty and after loading ``--keys`` keys (64-byte values, 1,000
  keys per directory) with wrk at 256 connections, and the difference per key; measured
  once no snapshot child runs (pyetcd forks one per ``--snapshot-count`` writes; while it
  runs, the pages it touches are copied) and the servers settled for 2 s;
* **restart**: SIGTERM, then start again on the same data dir and ports: the time from spawn
  until a GET of a loaded key answers 200.

Throughput and fan-out are measured ``--repeat`` times, alternating which server goes first,
and the medians are printed with the load average (the machine is shared: other jobs only
ever slow a run down, and they slow both servers). Memory and restart are measured once.

A guide, not a timed test: quote the load average with the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import procs  # noqa: E402

VALUE = "v" * 64
FORM = "application/x-www-form-urlencoded"

# Each wrk thread gets its own number (setup runs in the main Lua state, once per thread),
# so keys are distinct across threads.
PUT_LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local counter = 0
local headers = {["Content-Type"] = "%(form)s"}
local body = "value=%(value)s"
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/v2/keys/%(prefix)s/t" .. id .. "/d" .. math.floor(counter / 1000)
                    .. "/k" .. counter, headers, body)
end
"""


# ---- servers ---------------------------------------------------------------------------------

@dataclass
class Server:
    """One server we can stop and start again on the same data dir and ports."""

    kind: str  # "etcd" or "pyetcd"
    tmp: Path
    extra: list[str] = field(default_factory=list)
    port: int = field(default_factory=procs.free_port)
    peer_port: int = field(default_factory=procs.free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.tmp / f"{self.kind}.data"

    def argv(self) -> list[str]:
        if self.kind == "etcd":
            return procs.real_etcd_argv("bench", self.data_dir, self.port, self.peer_port)
        return procs.pyetcd_argv("bench", self.data_dir, self.port, self.extra)

    def start(self, ready_path: str = "/health", timeout: float = 900.0) -> float:
        """Spawn; seconds until ``ready_path`` answers 200."""
        t0 = time.monotonic()
        self.proc = procs._spawn(self.argv(), self.tmp / f"{self.kind}.log")
        deadline = t0 + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}; see "
                                   f"{self.tmp / (self.kind + '.log')}")
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=2) as resp:
                    if resp.status == 200:
                        return time.monotonic() - t0
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.kind} not ready after {timeout}s")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def wait_quiet(self, timeout: float = 120.0) -> None:
        """Wait (bounded) until the server runs no child process (pyetcd's snapshot child,
        which briefly holds copy-on-write pages of its own), then 2 s more to settle."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while len(_tree(self.proc.pid)) > 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)

    def memory_mb(self) -> tuple[float, float]:
        """RSS and PSS (MB) of the server and every process below it."""
        assert self.proc is not None
        rss = pss = 0
        for pid in _tree(self.proc.pid):
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        return rss / 1024, pss / 1024


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


@contextlib.contextmanager
def both(tmp: Path, pyetcd_args: list[str]) -> Iterator[tuple[Server, Server]]:
    ref, py = Server("etcd", tmp), Server("pyetcd", tmp, list(pyetcd_args))
    try:
        ref.start()
        py.start()
        yield ref, py
    finally:
        ref.stop()
        py.stop()


def put(url: str, key: str, value: str) -> None:
    req = urllib.request.Request(f"{url}/v2/keys{key}", data=f"value={value}".encode(),
                                 method="PUT", headers={"Content-Type": FORM})
    urllib.request.urlopen(req, timeout=30).read()


# ---- wrk ---------------------------------------------------------------------------------------

@dataclass
class WrkResult:
    rps: float
    p50: float  # ms
    p99: float  # ms
    errors: int  # non-2xx answers plus socket errors


def wrk(url: str, connections: int, seconds: float, script: Path | None = None) -> WrkResult:
    threads = 1 if connections < 2 else 2
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency",
            "--timeout", "10s"]
    if script is not None:
        argv += ["-s", str(script)]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)
        if m is None:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    for m in re.finditer(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                         out):
        errors += sum(int(x) for x in m.groups())
    return WrkResult(rps, pct("50"), pct("99"), errors)


def put_script(tmp: Path, prefix: str) -> Path:
    path = tmp / f"{prefix}.lua"
    path.write_text(PUT_LUA % {"form": FORM, "value": VALUE, "prefix": prefix})
    return path


def etcd_index(url: str) -> int:
    with urllib.request.urlopen(url + "/v2/keys/", timeout=30) as resp:
        return int(resp.headers["X-Etcd-Index"])


def load_keys(server: Server, tmp: Path, keys: int) -> float:
    """PUT ``keys`` distinct keys with wrk at 256 connections; returns seconds taken.

    wrk cannot stop after a count, so it runs until the server's index says enough keys are
    in (every PUT to a new key takes one index), then it is interrupted.
    """
    script = put_script(tmp, "mem")
    target = etcd_index(server.url) + keys
    t0 = time.monotonic()
    proc = subprocess.Popen(["wrk", "-t2", "-c256", "-d3600s", "--timeout", "30s", "-s",
                             str(script), server.url + "/"], stdout=subprocess.DEVNULL)
    try:
        while etcd_index(server.url) < target:
            if proc.poll() is not None:
                raise RuntimeError(f"wrk stopped early loading {server.kind}")
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait()
    return time.monotonic() - t0


# ---- watch fan-out -----------------------------------------------------------------------------

async def _watcher(port: int, path: str, registered: asyncio.Queue[None]) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head[:100]
        registered.put_nowait(None)
        await reader.readuntil(b"}\n")  # the event (chunked: the JSON line ends the first chunk)
        return time.monotonic()
    finally:
        writer.close()


async def _fan_out(port: int, directory: str, watchers: int) -> float:
    registered: asyncio.Queue[None] = asyncio.Queue()
    path = f"/v2/keys{directory}?wait=true&recursive=true"
    tasks = [asyncio.create_task(_watcher(port, path, registered)) for _ in range(watchers)]
    try:
        for _ in range(watchers):
            await asyncio.wait_for(registered.get(), 60)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = f"value={VALUE}".encode()
        t0 = time.monotonic()
        writer.write(f"PUT /v2/keys{directory}/x HTTP/1.1\r\nHost: bench\r\nContent-Type: {FORM}"
                     f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        done = await asyncio.wait_for(asyncio.gather(*tasks), 60)
        writer.close()
        return (max(done) - t0) * 1e3
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def fan_out(server: Server, directory: str, watchers: int, rounds: int = 3) -> float:
    """Median over ``rounds`` writes of the time (ms) until every watcher has its event."""
    put(server.url, directory + "/seed", "x")
    try:  # the client's own speed is part of the figure: give it the fastest loop there is
        import uvloop
        factory = uvloop.new_event_loop
    except ImportError:
        factory = asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return statistics.median(runner.run(_fan_out(server.port, directory, watchers))
                                 for _ in range(rounds))


# ---- the run -----------------------------------------------------------------------------------

class Table:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[list[float], list[float], str, bool]] = {}

    def add(self, name: str, etcd: float, py: float, unit: str, higher_is_better: bool) -> None:
        row = self.rows.setdefault(name, ([], [], unit, higher_is_better))
        row[0].append(etcd)
        row[1].append(py)

    def print(self) -> None:
        """Medians of each column, and the median of the per-round ratios (both servers were
        measured in the same round, under the same load, so that ratio is the steadier)."""
        print(f"\n{'figure':<34}{'etcd':>10}{'pyetcd':>10}{'py/etcd':>9}{'per-round':>11}  "
              f"{'n':>2} better")
        for name, (a, b, unit, hib) in self.rows.items():
            ma, mb = statistics.median(a), statistics.median(b)
            ratio = mb / ma if ma else float("nan")
            rounds = statistics.median(y / x if x else float("nan") for x, y in zip(a, b, strict=True))
            fmt = "{:>10.0f}" if unit in ("req/s", "MB", "B") else "{:>10.2f}"
            print(f"{name + ' [' + unit + ']':<34}" + fmt.format(ma) + fmt.format(mb)
                  + f"{ratio:>9.2f}{rounds:>11.2f}  {len(a):>2} {'higher' if hib else 'lower'}")
        sys.stdout.flush()


def throughput(table: Table, ref: Server, py: Server, args: argparse.Namespace, tmp: Path,
               rnd: int) -> None:
    for server in (ref, py):
        put(server.url, "/bench/get", VALUE)
    for conns in args.connections:
        order = (ref, py) if rnd % 2 == 0 else (py, ref)
        if "get" in args.only:
            res = {s.kind: wrk(s.url + "/v2/keys/bench/get", conns, args.seconds) for s in order}
            _record(table, f"GET c={conns}", res)
        if "put" in args.only:
            script = put_script(tmp, f"put-r{rnd}-c{conns}")
            res = {s.kind: wrk(s.url + "/", conns, args.seconds, script) for s in order}
            _record(table, f"PUT c={conns}", res)


def _record(table: Table, name: str, res: dict[str, WrkResult]) -> None:
    a, b = res["etcd"], res["pyetcd"]
    table.add(f"{name} throughput", a.rps, b.rps, "req/s", True)
    table.add(f"{name} p50", a.p50, b.p50, "ms", False)
    table.add(f"{name} p99", a.p99, b.p99, "ms", False)
    for kind, r in res.items():
        if r.errors:
            print(f"warning: {name} {kind}: {r.errors} errors", file=sys.stderr)
    print(f"  {name}: etcd {a.rps:.0f} req/s p99 {a.p99:.1f} ms | pyetcd {b.rps:.0f} req/s "
          f"p99 {b.p99:.1f} ms", flush=True)


def memory_and_restart(table: Table, ref: Server, py: Server, args: argparse.Namespace,
                       tmp: Path) -> None:
    empty = {s.kind: s.memory_mb() for s in (ref, py)}
    loaded: dict[str, float] = {}
    for server in (ref, py):
        loaded[server.kind] = load_keys(server, tmp, args.keys)
        print(f"  loaded {args.keys} keys into {server.kind} in {loaded[server.kind]:.0f} s",
              flush=True)
    for server in (ref, py):
        server.wait_quiet()
    full = {s.kind: s.memory_mb() for s in (ref, py)}
    table.add("RSS empty", empty["etcd"][0], empty["pyetcd"][0], "MB", False)
    table.add(f"RSS {args.keys} keys", full["etcd"][0], full["pyetcd"][0], "MB", False)
    table.add(f"PSS {args.keys} keys", full["etcd"][1], full["pyetcd"][1], "MB", False)
    table.add("RSS per key", (full["etcd"][0] - empty["etcd"][0]) * 1048576 / args.keys,
              (full["pyetcd"][0] - empty["pyetcd"][0]) * 1048576 / args.keys, "B", False)
    table.add(f"load {args.keys} keys (256 conns)", args.keys / loaded["etcd"],
              args.keys / loaded["pyetcd"], "req/s", True)
    probe = "/v2/keys/probe"  # written last: ready means everything was recovered
    for server in (ref, py):
        put(server.url, "/probe", "x")
        server.stop()
    restart = {s.kind: s.start(probe) for s in (ref, py)}
    table.add(f"restart {args.keys} keys", restart["etcd"], restart["pyetcd"], "s", False)
    for server in (ref, py):
        server.wait_quiet()
    after = {s.kind: s.memory_mb() for s in (ref, py)}
    table.add(f"RSS {args.keys} keys after restart", after["etcd"][0], after["pyetcd"][0], "MB",
              False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--only", default="get,put,watch,memory",
                        help="comma-separated subset of get,put,watch,memory")
    parser.add_argument("--pyetcd-arg", action="append", default=[],
                        help="an extra pyetcd flag (repeatable), e.g. --pyetcd-arg=--unsafe-no-fsync")
    args = parser.parse_args()
    args.only = set(args.only.split(","))
    if shutil.which("wrk") is None or not procs.have_real_etcd():
        print("needs wrk and etcd 3.4 (make test installs both)", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup: stop the servers
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the watchers' connections
    table = Table()
    load = os.getloadavg()
    print(f"pyetcd vs etcd 3.4: {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"command: {' '.join(sys.argv)}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="pyetcd-bench-"))
    try:
        for rnd in range(args.repeat):
            if args.only & {"get", "put", "watch"}:
                rtmp = tmp / f"round{rnd}"
                rtmp.mkdir()
                with both(rtmp, args.pyetcd_arg) as (ref, py):
                    throughput(table, ref, py, args, rtmp, rnd)
                    if "watch" in args.only:
                        order = (ref, py) if rnd % 2 == 0 else (py, ref)
                        took = {s.kind: fan_out(s, f"/fan{rnd}", args.watchers) for s in order}
                        table.add(f"watch fan-out {args.watchers}", took["etcd"], took["pyetcd"],
                                  "ms", False)
                        print(f"  fan-out: etcd {took['etcd']:.1f} ms | pyetcd "
                              f"{took['pyetcd']:.1f} ms", flush=True)
        if "memory" in args.only:
            mtmp = tmp / "memory"
            mtmp.mkdir()
            with both(mtmp, args.pyetcd_arg) as (ref, py):
                memory_and_restart(table, ref, py, args, mtmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()
    table.print()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
