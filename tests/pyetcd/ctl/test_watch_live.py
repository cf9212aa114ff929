"""Long-running watches, side by side: the real etcdctl and pyetcdctl as processes.

Both programs watch the same keys on the same server at the same time, so they see the same
events with the same indices and must print exactly the same thing. Each starts with
``--after-index`` set to the index before the test's first write: whatever the start-up
time of either program, no event can be missed (the server replays it from its history),
so nothing here waits on a timer. ``--forever`` watches end with Ctrl-C (SIGINT), which both
programs answer with exit code 0.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence

import pytest

from tests.pyetcd.ctl import harness
from tests.support.procs import ServerProcess

pytestmark = pytest.mark.compat
LINE_TIMEOUT = 30.0


class Watching:
    """A running CLI process whose stdout lines are collected by a reader thread."""

    def __init__(self, argv: Sequence[str]):
        self.proc = subprocess.Popen(
            list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "ETCDCTL_API": "2"}, start_new_session=True,
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.seen: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(b"")

    def wait_lines(self, count: int) -> None:
        while len(self.seen) < count:
            self._next()

    def wait_for(self, line: re.Pattern[bytes]) -> None:
        while not self.seen or not line.search(self.seen[-1]):
            self._next()

    def _next(self) -> None:
        line = self.lines.get(timeout=LINE_TIMEOUT)
        if not line:
            raise AssertionError(f"exited early after {self.seen!r}")
        self.seen.append(line)

    def interrupt(self) -> harness.Run:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.finish()

    def finish(self) -> harness.Run:
        try:
            self.proc.wait(timeout=LINE_TIMEOUT)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._reader.join(LINE_TIMEOUT)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        assert self.proc.stderr is not None
        stdout = b"".join(self.seen + rest).decode("utf-8", "replace")
        return harness.Run(stdout, self.proc.stderr.read().decode("utf-8", "replace"),
                           self.proc.returncode)


@pytest.fixture
def both(etcd_server: ServerProcess, unique_prefix: str) -> Iterator[tuple[str, str, int]]:
    """(server URL, key prefix, index before the test's writes)."""
    harness.require_real_etcdctl()
    start = harness.current_index(etcd_server.url)
    yield etcd_server.url, unique_prefix, start
    harness.http("DELETE", harness.keys_url(etcd_server.url, unique_prefix, recursive="true"))


def _start_both(url: str, argv: Sequence[str]) -> tuple[Watching, Watching]:
    common = ["--endpoints", url, *argv]
    return Watching([harness.ETCDCTL, *common]), Watching([*harness.PY_CTL, *common])


def _write(url: str, steps: Sequence[tuple[str, str, dict[str, str]]]) -> None:
    for method, key, form in steps:
        query = {"recursive": "true"} if method == "DELETE" else {}
        status, _, body = harness.http(method, harness.keys_url(url, key, **query),
                                       form if method != "DELETE" else None)
        assert status in (200, 201), body


EVENTS = [  # set, update, delete, a dir (ignored by watch), a key in it, the dir's removal
    ("PUT", "k", {"value": "one"}),
    ("PUT", "k", {"value": "two", "prevExist": "true"}),
    ("DELETE", "k", {}),
    ("PUT", "d", {"dir": "true"}),
    ("PUT", "d/x", {"value": "in dir"}),
    ("DELETE", "d", {}),
    ("PUT", "last", {"value": "end"}),
]


@pytest.mark.parametrize("output", ["simple", "json", "extended"])
def test_forever_recursive_watch(both: tuple[str, str, int], output: str) -> None:
    url, prefix, start = both
    real, py = _start_both(url, ["-o", output, "watch", "--forever", "-r",
                                 "--after-index", str(start), prefix])
    _write(url, [(m, f"{prefix}/{k}", f) for m, k, f in EVENTS])
    last = re.compile(rb'^end$|"value":"end"')  # the value of the last event
    real.wait_for(last)
    py.wait_for(last)
    real_run, py_run = real.interrupt(), py.interrupt()
    assert real_run.code == 0 and "end" in real_run.stdout
    # "Index:" (extended) is the server's index when each program's long poll arrived:
    # it depends on start-up timing, not on the program.
    assert _without_poll_index(py_run) == _without_poll_index(real_run)


def _without_poll_index(run: harness.Run) -> harness.Run:
    return harness.Run(re.sub(r"(?m)^Index: \d+$", "Index: N", run.stdout), run.stderr, run.code)


def test_single_watch_exits_after_one_event(both: tuple[str, str, int]) -> None:
    url, prefix, start = both
    real, py = _start_both(url, ["watch", "--after-index", str(start), f"{prefix}/k"])
    _write(url, [("PUT", f"{prefix}/k", {"value": "first"}),
                 ("PUT", f"{prefix}/k", {"value": "second"})])
    real_run, py_run = real.finish(), py.finish()
    assert real_run == harness.Run("first\n", "", 0)
    assert py_run == real_run


def test_interrupted_idle_watch_exits_zero(both: tuple[str, str, int]) -> None:
    url, prefix, start = both
    real, py = _start_both(url, ["watch", "-f", "--after-index", str(start), f"{prefix}/k"])
    # Each program answers the first event, so each is surely inside its watch loop
    # (with its SIGINT handler installed) before the signal is sent.
    _write(url, [("PUT", f"{prefix}/k", {"value": "ready"})])
    real.wait_lines(1)
    py.wait_lines(1)
    assert py.interrupt() == real.interrupt() == harness.Run("ready\n", "", 0)


def test_exec_watch_runs_the_command_per_event(both: tuple[str, str, int]) -> None:
    url, prefix, start = both
    script = 'echo "$ETCD_WATCH_ACTION|$ETCD_WATCH_KEY|$ETCD_WATCH_VALUE|$ETCD_WATCH_MODIFIED_INDEX"'
    real, py = _start_both(url, ["exec-watch", "--after-index", str(start), "--recursive",
                                 prefix, "--", "sh", "-c", script])
    _write(url, [(m, f"{prefix}/{k}", f) for m, k, f in EVENTS])
    real.wait_lines(5)
    py.wait_lines(5)
    real_run, py_run = real.interrupt(), py.interrupt()
    # Children run concurrently, so their lines may come in any order (in both programs).
    assert sorted(py_run.stdout.splitlines()) == sorted(real_run.stdout.splitlines())
    assert f"set|{prefix}/last|end|" in real_run.stdout
    assert py_run.stderr == real_run.stderr == f"Ignored dir {prefix}/d change\n" * 2
    assert py_run.code == real_run.code == 0


def test_cluster_health_forever_until_interrupted(both: tuple[str, str, int]) -> None:
    url, _, _ = both
    real, py = _start_both(url, ["cluster-health", "--forever"])
    rounds_done = re.compile(rb"^next check after 10 second\.\.\.$")
    real.wait_for(rounds_done)
    py.wait_for(rounds_done)
    real_run, py_run = real.interrupt(), py.interrupt()
    assert real_run.code == 0 and "cluster is healthy" in real_run.stdout
    assert py_run == real_run
