"""The shipped unit works like the distribution's flanneld.service."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]
UNIT = ROOT / "systemd" / "pyflanneld.service"


def _directives(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in re.sub(r"\\\n", " ", text).splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_unit_orders_docker_and_reads_sysconfig() -> None:
    d = _directives(UNIT.read_text())
    assert d["Type"] == ["notify"]
    assert d["Before"] == ["docker.service"]
    assert "-/etc/sysconfig/flanneld" in d["EnvironmentFile"]
    assert d["RequiredBy"] == ["docker.service"]
    assert "mk-docker-opts -k DOCKER_NETWORK_OPTIONS -d /run/flannel/docker" in d["ExecStartPost"][0]


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ({"FLANNEL_ETCD_ENDPOINTS": "http://10.0.0.1:2379", "FLANNEL_ETCD_PREFIX": "/coreos.com/network",
          "FLANNEL_OPTIONS": "-iface=eth1 -ip-masq"},
         "-etcd-endpoints=http://10.0.0.1:2379 -etcd-prefix=/coreos.com/network -iface=eth1 -ip-masq"),
        ({}, ""),
    ],
)
def test_exec_start_turns_sysconfig_into_flags(env: dict[str, str], args: str) -> None:
    exec_start = _directives(UNIT.read_text())["ExecStart"][0]
    m = re.fullmatch(r"/bin/sh -c '(.*)'", exec_start)
    assert m is not None
    script = m.group(1).replace("$$", "$").replace("exec /usr/local/bin/pyflanneld", "echo")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLANNEL_")}
    out = subprocess.run(["sh", "-c", script], env={**clean, **env}, capture_output=True, text=True)
    assert out.stdout.split() == args.split()
