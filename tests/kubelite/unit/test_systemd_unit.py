"""The systemd unit and its environment files expand to flags ``kubelite apiserver`` takes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from kubelite.apiserver import config

ROOT = Path(__file__).resolve().parents[3]


def _env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key] = shlex.split(value)[0] if value.strip() else ""
    return out


def test_unit_exec_start_expands_to_accepted_flags() -> None:
    unit = (ROOT / "systemd" / "kube-apiserver.service").read_text()
    assert "EnvironmentFile=-/etc/kubernetes/config" in unit
    assert "EnvironmentFile=-/etc/kubernetes/apiserver" in unit
    exec_start = re.search(r"^ExecStart=(.*?)(?<!\\)$", unit, re.M | re.S)
    assert exec_start is not None
    words = exec_start.group(1).replace("\\\n", " ").split()
    env = {**_env(ROOT / "systemd" / "kubernetes" / "config"),
           **_env(ROOT / "systemd" / "kubernetes" / "apiserver")}
    # systemd's $VAR: the value split on whitespace, dropped when empty
    argv = [w2 for w in words[2:] for w2 in (env.get(w[1:], "").split() if w.startswith("$")
                                             else [w])]
    assert words[:2] == ["/usr/local/bin/kubelite", "apiserver"]
    cfg = config.from_args(argv)
    assert cfg.etcd_servers == ("http://127.0.0.1:2379",)
    assert (cfg.insecure_bind_address, cfg.insecure_port) == ("127.0.0.1", 8080)
    assert cfg.service_cluster_ip_range == "10.254.0.0/16"
    assert "admission-control" in cfg.ignored
