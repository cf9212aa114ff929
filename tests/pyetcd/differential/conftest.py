"""Fixtures for the differential tier: a real etcd 3.4 and a pyetcd, started alike.

pyetcd is started with the same ``--initial-advertise-peer-urls`` as the real etcd, so
both compute the same member and cluster IDs; ``X-Etcd-Cluster-Id`` is then compared
exactly.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.pyetcd.differential.harness import Case, run_both
from tests.support import procs

Pair = tuple[procs.ServerProcess, procs.ServerProcess]
_counter = itertools.count()


def _require() -> None:
    if not procs.have_real_etcd():
        pytest.skip("the reference etcd is not installed (make test installs etcd-server)")


@contextlib.contextmanager
def server_pair(tmp: Path) -> Iterator[Pair]:
    _require()
    with procs.real_etcd(tmp, name="ref") as ref:
        argv = list(ref.proc.args)  # type: ignore[arg-type]
        peer = argv[argv.index("--initial-advertise-peer-urls") + 1]
        # Same --name (it shows in /v2/members), its own data dir: pyetcd refuses etcd's.
        extra = ["--initial-advertise-peer-urls", peer, "--data-dir", str(tmp / "py-ref.etcd")]
        with procs.pyetcd(tmp, name="ref", extra=extra) as py:
            yield ref, py


@pytest.fixture(scope="module")
def shared_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with server_pair(tmp_path_factory.mktemp("pair")) as pair:
        yield pair


@pytest.fixture
def check(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Case], None]:
    """Run a case on both servers and assert identical normalised transcripts."""

    def run(case: Case) -> None:
        prefix = f"/c{os.getpid()}x{next(_counter)}"
        if case.fresh:
            with server_pair(tmp_path) as (ref, py):
                ref_out, py_out = run_both(case, ref.url, py.url, prefix)
        else:
            ref, py = request.getfixturevalue("shared_pair")
            ref_out, py_out = run_both(case, ref.url, py.url, prefix)
        assert py_out == ref_out

    return run
