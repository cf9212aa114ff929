"""Fixtures shared by every tier: etcd servers (the reference etcd 3.4 and pyetcd).

``etcd_server`` is parametrised over both backends, so a test that uses it runs once
against pyetcd and once against the real etcd; that is how pyflannel and kubelite show
they work against either, unchanged.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import procs

BACKENDS = ["pyetcd", "etcd"]


def _require_backend(kind: str) -> None:
    if kind == "etcd" and not procs.have_real_etcd():
        pytest.skip("the reference etcd is not installed (make test installs etcd-server)")
    if kind == "pyetcd" and importlib.util.find_spec("pyetcd.server") is None:
        pytest.skip("the pyetcd server is not built yet")


@pytest.fixture(scope="session")
def real_etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[procs.ServerProcess]:
    """One reference etcd 3.4 (v2 enabled) for the whole session."""
    _require_backend("etcd")
    with procs.real_etcd(tmp_path_factory.mktemp("real-etcd")) as server:
        yield server


@pytest.fixture(scope="session")
def pyetcd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[procs.ServerProcess]:
    """One pyetcd process for the whole session."""
    _require_backend("pyetcd")
    with procs.pyetcd(tmp_path_factory.mktemp("pyetcd")) as server:
        yield server


@pytest.fixture(params=BACKENDS)
def etcd_server(request: pytest.FixtureRequest) -> procs.ServerProcess:
    """A running etcd v2 server: pyetcd, then the real etcd 3.4."""
    name = "pyetcd_server" if request.param == "pyetcd" else "real_etcd"
    server: procs.ServerProcess = request.getfixturevalue(name)
    return server


@pytest.fixture
def unique_prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix no other test uses, so tests can share one server."""
    name = request.node.name.replace("[", "_").replace("]", "").replace("/", "_")
    return f"/test/{name}-{id(request)}"


def pytest_report_header() -> list[str]:
    return [f"reference etcd: {procs.ETCD_BIN if procs.have_real_etcd() else 'missing'}"]


__all__ = ["Path"]
