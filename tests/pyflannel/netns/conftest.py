"""Fixtures of the netns tier: a fresh topology per test, always torn down."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pyflannel.netns.topology import Topology

REQUIRED = ("ip", "etcd", "curl", "ping", "iptables", "tcpdump")


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root for network namespaces"
    missing = [tool for tool in REQUIRED if shutil.which(tool) is None]
    if missing:
        return f"missing tools: {', '.join(missing)} (make test installs them)"
    probe = f"flprobe{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        return "cannot create network namespaces here"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


@pytest.fixture(scope="session")
def netns_ok() -> None:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def topo(netns_ok: None, tmp_path: Path) -> Iterator[Topology]:
    t = Topology(tmp_path, tag=f"fl{os.getpid() % 100000}{os.urandom(2).hex()}")
    try:
        yield t
    finally:
        t.destroy()


@pytest.fixture(params=["etcd", "pyetcd"])
def etcd_kind(request: pytest.FixtureRequest, netns_ok: None) -> str:
    kind: str = request.param
    if kind == "pyetcd" and importlib.util.find_spec("pyetcd.server") is None:
        pytest.skip("the pyetcd server is not built yet")
    return kind


def start_etcd(topo: Topology, kind: str) -> None:
    if kind == "pyetcd":
        topo.start_pyetcd()
    else:
        topo.start_real_etcd()
