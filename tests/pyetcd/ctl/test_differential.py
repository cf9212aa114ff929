"""pyetcdctl against the real etcdctl v2, command by command, on each backend.

For every case of :mod:`cases` both programs run on the same server (pyetcd, and the real
etcd 3.4), each in its own fresh key prefix built by the same setup, and must print the
same stdout and stderr and exit with the same code, indices and TTL countdowns aside.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator

import pytest

from tests.pyetcd.ctl import harness
from tests.pyetcd.ctl.cases import CASES, Case, Step
from tests.support.procs import ServerProcess, free_port

pytestmark = pytest.mark.compat

_RUN = itertools.count()
_PLACEHOLDER = re.compile(r"\{(p|rel|ep|dead|im?_[A-Za-z0-9_]+)\}")


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _setup(server: ServerProcess, steps: tuple[Step, ...], values: dict[str, str]) -> None:
    """Build the case's state over plain HTTP; record each key's modifiedIndex."""
    for kind, key_t, value, ttl in steps:
        key = _fill(key_t, values)
        if kind == "delete":
            query = {"recursive": "true"} if ttl else {}
            status, headers, body = harness.http(
                "DELETE", harness.keys_url(server.url, key, **query))
        else:
            form = {"value": value} if kind != "dir" else {"dir": "true"}
            if ttl:
                form["ttl"] = ttl
            method = "POST" if kind == "post" else "PUT"
            status, headers, body = harness.http(method, harness.keys_url(server.url, key), form)
        assert status in (200, 201), (key, status, body)
        name = key.rsplit("/", 1)[1]
        values[f"i_{name}"] = headers["X-Etcd-Index"]
        values[f"im_{name}"] = str(int(headers["X-Etcd-Index"]) - 1)


@pytest.fixture
def case_root(etcd_server: ServerProcess) -> Iterator[str]:
    root = f"/ctldiff/{os.getpid()}-{next(_RUN)}"
    yield root
    harness.http("DELETE", harness.keys_url(etcd_server.url, root, recursive="true"))


def _run_side(case: Case, server: ServerProcess, prefix: str, dead: str, py: bool) -> harness.Run:
    values = {"p": prefix, "rel": prefix[1:], "ep": server.url, "dead": dead}
    _setup(server, case.setup, values)
    argv = [_fill(a, values) for a in case.argv]
    if case.endpoint:
        argv = ["--endpoints", server.url, *argv]
    env = {k: _fill(v, values) for k, v in case.env}
    run = harness.run_py if py else harness.run_real
    return run(argv, stdin=case.stdin, env=env)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_same_output_as_etcdctl(case: Case, etcd_server: ServerProcess, case_root: str) -> None:
    harness.require_real_etcdctl()
    dead = f"http://127.0.0.1:{free_port()}"
    real_prefix, py_prefix = f"{case_root}/real", f"{case_root}/py00"
    # One side after the other, each right after its own setup, so that "the current
    # index" means the same thing in both runs.
    real = _run_side(case, etcd_server, real_prefix, dead, py=False)
    py = _run_side(case, etcd_server, py_prefix, dead, py=True)
    assert real.code == case.code, f"the real etcdctl behaves unexpectedly: {real}"
    expected = harness.normalised(real, [real_prefix, real_prefix[1:]], case.unordered)
    got = harness.normalised(py, [py_prefix, py_prefix[1:]], case.unordered)
    assert got == expected
