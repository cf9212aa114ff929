"""``user``, ``role``, ``auth`` and ``--username``: pyetcdctl side by side with etcdctl.

Each scenario is a list of command lines run in order on a fresh server. The transcript
(stdout, stderr, exit code of every step) must be the same for the real etcdctl against
the real etcd, pyetcdctl against the real etcd, and pyetcdctl against pyetcd: so both the
client and the server's auth API are compared. Passwords are given the non-interactive
ways etcdctl accepts (``user add name:pw``, ``-u user:pw``, the prompt read from a pipe).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pyetcd.ctl import harness
from tests.support import procs

pytestmark = pytest.mark.compat

Step = tuple[list[str], bytes]  # argv, stdin (for the password prompts)
R = ["-u", "root:rp"]


def s(*argv: str, stdin: bytes = b"") -> Step:
    return list(argv), stdin


SCENARIOS: dict[str, list[Step]] = {
    "users": [
        s("user", "list"), s("user", "add", "bob:b"), s("user", "add", "bob:b2"),
        s("user", "add", "c:d:e"), s("user", "add", "alice", stdin=b"apw\n"),
        s("user", "passwd", "alice", stdin=b"apw2\n"), s("user", "passwd", "nobody", stdin=b"x\n"),
        s("user", "add", "empty:"), s("user", "get", "bob"), s("user", "list"),
        s("user", "list", "x"), s("user", "get"), s("user", "get", "a", "b"),
        s("user", "get", "nobody"), s("user", "grant", "bob"),
        s("user", "grant", "bob", "--roles", "r1", "--roles", "r2"), s("user", "get", "bob"),
        s("user", "revoke", "bob", "--roles", "r9"), s("user", "revoke", "bob", "--roles", "r1"),
        s("user", "grant", "bob", "--roles", "r2"), s("user", "grant", "nobody", "--roles", "x"),
        s("user", "remove", "bob"), s("user", "remove", "bob"), s("user", "remove"),
        s("user", "add", "root:rp"), s("user", "get", "root"), s("user", "list"),
    ],
    "roles": [
        s("role", "list"), s("role", "add", "r1"), s("role", "add", "r1"),
        s("role", "add", "root"), s("role", "add"), s("role", "list"), s("role", "list", "x"),
        s("role", "get", "r1"), s("role", "get", "nope"), s("role", "get", "root"),
        s("role", "grant", "r1"), s("role", "grant", "r1", "--path", "/a"),
        s("role", "grant", "r1", "--path", "/a", "--read", "--write"),
        s("role", "grant", "r1", "--path", "a//b", "--read"),
        s("role", "grant", "r1", "--path", "/a/", "--read"),
        s("role", "grant", "r1", "--path", "/a/*", "--rw"),
        s("role", "grant", "r1", "--path", "/a/*", "--readwrite"),
        s("role", "grant", "r1", "--path", "/w", "--write"), s("role", "get", "r1"),
        s("role", "revoke", "r1", "--path", "/zz", "--read"),
        s("role", "revoke", "r1", "--path", "/a/*", "--write"), s("role", "get", "r1"),
        s("role", "grant", "nope", "--path", "/x", "--read"),
        s("role", "grant", "root", "--path", "/x", "--read"),
        s("role", "remove", "r1"), s("role", "remove", "r1"), s("role", "remove", "root"),
        s("role", "list"),
    ],
    "auth_and_username": [
        s("auth", "enable"), s("auth", "disable"), s("auth", "enable", "x"),
        s("user", "add", "root:rp"), s("role", "add", "app"),
        s("role", "grant", "app", "--path", "/app/*", "--rw"),
        s("user", "add", "u:up"), s("user", "grant", "u", "--roles", "app"),
        s("auth", "enable"), s("auth", "enable"), s(*R, "auth", "enable"),
        s("user", "list"), s("role", "list"), s("user", "get", "u"),
        s(*R, "user", "list"), s(*R, "role", "list"), s("-u", "root:bad", "user", "list"),
        s("--username", "root:rp", "role", "get", "guest"), s(*R, "user", "get", "u"),
        s("-u", "u:up", "set", "/app/x", "1"), s("-u", "u:up", "get", "/app/x"),
        s("-u", "u:up", "set", "/other", "1"), s("-u", "u:bad", "get", "/app/x"),
        s("-u", "u", "get", "/app/x", stdin=b"up\n"), s("set", "/g", "guest-can"),
        s(*R, "role", "revoke", "guest", "--path", "/*", "--write"),
        s("set", "/g", "guest-cannot"), s("get", "/g"), s(*R, "user", "remove", "root"),
        s("auth", "disable"), s("-u", "u:up", "auth", "disable"), s(*R, "auth", "disable"),
        s("auth", "disable"), s("user", "list"),
    ],
}


@contextlib.contextmanager
def fresh(kind: str, tmp: Path) -> Iterator[procs.ServerProcess]:
    tmp.mkdir(parents=True, exist_ok=True)
    if kind == "etcd":
        with procs.real_etcd(tmp, name="auth") as server:
            yield server
    else:
        with procs.pyetcd(tmp, name="auth") as server:
            yield server


def transcript(server: procs.ServerProcess, steps: list[Step], real: bool) -> list[harness.Run]:
    out = []
    for argv, stdin in steps:
        full = ["--endpoints", server.url, *argv]
        if real:
            run = harness.run_real(full, stdin=stdin)
        elif stdin:  # the prompt runs stty on the real stdin, as etcdctl does
            run = harness.run_py_process(full, stdin=stdin)
        else:
            run = harness.run_py(full)
        out.append(harness.Run(run.stdout.replace(server.url, "<url>"),
                               run.stderr.replace(server.url, "<url>"), run.code))
    return out


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_auth_commands_side_by_side(name: str, tmp_path: Path) -> None:
    harness.require_real_etcdctl()
    if not procs.have_real_etcd():
        pytest.skip("the reference etcd is not installed")
    steps = SCENARIOS[name]
    with fresh("etcd", tmp_path / "a") as server:
        reference = transcript(server, steps, real=True)
    with fresh("etcd", tmp_path / "b") as server:
        ours_on_etcd = transcript(server, steps, real=False)
    with fresh("pyetcd", tmp_path / "c") as server:
        ours_on_pyetcd = transcript(server, steps, real=False)
    for i, (argv, _) in enumerate(steps):
        assert ours_on_etcd[i] == reference[i], (i, argv)
        assert ours_on_pyetcd[i] == reference[i], (i, argv)
