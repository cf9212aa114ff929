"""Run the real etcdctl (v2) and pyetcdctl side by side, and normalise what they print.

``run_real`` runs ``/usr/bin/etcdctl`` with ``ETCDCTL_API=2`` as a process; ``run_py`` runs
``pyetcd.ctl.cli.main`` in this process with byte streams (fast: no interpreter start-up),
and ``run_py_process`` runs the installed ``python -m pyetcd.ctl`` for the tests that need
a process (signals, watches, children).

Two runs of the same command differ legitimately only in etcd indices (the two runs write
at different times), TTL countdowns and expiration times, and the key prefix each run uses.
:func:`normalise` rewrites exactly those: every index-like number becomes ``#n`` by order of
first appearance (so equal indices stay equal and different ones stay different), and the
run's prefix becomes ``<P>``.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest

from pyetcd.ctl.cli import main
from tests.support import procs

ETCDCTL = procs.ETCDCTL_BIN


def have_real_etcdctl() -> bool:
    return os.access(ETCDCTL, os.X_OK)


def require_real_etcdctl() -> None:
    if not have_real_etcdctl():
        pytest.skip("the reference etcdctl is not installed (make test installs etcd-client)")


@dataclass(frozen=True)
class Run:
    stdout: str
    stderr: str
    code: int


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
    env["ETCDCTL_API"] = "2"
    env.update(extra or {})
    return env


def run_real(argv: Sequence[str], *, stdin: bytes = b"", env: Mapping[str, str] | None = None,
             timeout: float = 30) -> Run:
    proc = subprocess.run([ETCDCTL, *argv], input=stdin, capture_output=True,
                          env=_env(env), timeout=timeout)
    return Run(proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"),
               proc.returncode)


def run_py(argv: Sequence[str], *, stdin: bytes = b"", env: Mapping[str, str] | None = None) -> Run:
    out, err = io.BytesIO(), io.BytesIO()
    code = main(list(argv), stdin=io.BytesIO(stdin), stdout=out, stderr=err, env=_env(env))
    return Run(out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"),
               code)


PY_CTL = [sys.executable, "-m", "pyetcd.ctl"]


def run_py_process(argv: Sequence[str], *, stdin: bytes = b"",
                   env: Mapping[str, str] | None = None, timeout: float = 30) -> Run:
    proc = subprocess.run([*PY_CTL, *argv], input=stdin, capture_output=True, env=_env(env),
                          timeout=timeout)
    return Run(proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"),
               proc.returncode)


def pyetcdctl_script() -> str | None:
    """The installed ``pyetcdctl`` console script, next to this interpreter."""
    candidate = os.path.join(os.path.dirname(sys.executable), "pyetcdctl")
    return candidate if os.access(candidate, os.X_OK) else shutil.which("pyetcdctl")


# -- normalisation -----------------------------------------------------------------------------

_INDEX_PATTERNS = [
    re.compile(r'"(?:createdIndex|modifiedIndex|index)":(\d+)'),
    re.compile(r"(?:Created-Index|Modified-Index|Index): (\d+)"),
    re.compile(r"\) \[(\d+)\]$", re.M),  # the index at the end of "Error:  100: ... (/k) [12]"
    re.compile(r"/(\d{20})\b"),  # in-order key names
    re.compile(r"\[\S* != (\d+)\]"),  # "Compare failed ([1 != 36])": the current index
    re.compile(r"ETCD_WATCH_MODIFIED_INDEX=(\d+)"),
    re.compile(r"cleared \[(\d+)/(\d+)\]"),
]
_EXPIRATION = re.compile(r'"expiration":"[^"]*"')
_TTL = [re.compile(r'("ttl":)-?\d+'), re.compile(r"^(TTL: )(?!0$)-?\d+$", re.M)]


def normalise(text: str, prefixes: Sequence[str] = ()) -> str:
    for prefix in prefixes:
        text = text.replace(prefix, "<P>")
    spans: list[tuple[int, int]] = []
    for pattern in _INDEX_PATTERNS:
        for m in pattern.finditer(text):
            spans.extend(m.span(g) for g in range(1, (m.lastindex or 0) + 1) if m.group(g))
    names: dict[int, str] = {}
    out, last = [], 0
    for start, end in sorted(set(spans)):
        if start < last:
            continue
        value = int(text[start:end])
        names.setdefault(value, f"#{len(names) + 1}")
        width = end - start
        out.append(text[last:start])
        out.append(names[value] if width != 20 else names[value].rjust(20, "0"))
        last = end
    out.append(text[last:])
    text = "".join(out)
    text = _EXPIRATION.sub('"expiration":"<exp>"', text)
    for pattern in _TTL:
        text = pattern.sub(r"\1<ttl>", text)
    return text


def normalised(run: Run, prefixes: Sequence[str] = (), unordered: bool = False) -> Run:
    """Both streams normalised together, so an index keeps one name across them."""
    marker = "\x00--stderr--\x00"
    out = run.stdout
    if unordered:  # sorted before numbering, so that indices are numbered in one order
        for prefix in prefixes:
            out = out.replace(prefix, "<P>")
        out = "".join(sorted(out.splitlines(keepends=True)))
    joined = normalise(out + marker + run.stderr, prefixes)
    out, err = joined.split(marker)
    return Run(out, err, run.code)


# -- direct HTTP, for setting up state ---------------------------------------------------------


def http(method: str, url: str, form: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def keys_url(server_url: str, key: str, **query: str) -> str:
    url = server_url + "/v2/keys" + urllib.parse.quote(key)
    return url + ("?" + urllib.parse.urlencode(query) if query else "")


def current_index(server_url: str) -> int:
    _, headers, _ = http("GET", server_url + "/v2/keys/")
    return int(headers["X-Etcd-Index"])
