from __future__ import annotations

import os
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from pyflannel import docker_opts, subnet_env
from pyflannel.subnet_env import SubnetEnv

pytestmark = pytest.mark.unit
ENV = SubnetEnv(IPv4Network("198.18.0.0/16"), IPv4Network("198.18.7.0/24"), 1472, False)


def test_exact_bytes() -> None:
    assert ENV.render() == (
        "FLANNEL_NETWORK=198.18.0.0/16\nFLANNEL_SUBNET=198.18.7.1/24\n"
        "FLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n"
    )


def test_atomic_write_creates_dir_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "run" / "flannel" / "subnet.env"
    subnet_env.write(target, ENV)
    assert target.read_text() == ENV.render()
    assert os.listdir(target.parent) == ["subnet.env"]
    assert oct(target.parent.stat().st_mode & 0o777) == "0o755"


def test_read_previous(tmp_path: Path) -> None:
    target = tmp_path / "subnet.env"
    subnet_env.write(target, ENV)
    prev = subnet_env.read_previous(target)
    assert prev.network == IPv4Network("198.18.0.0/16")
    assert prev.subnet == IPv4Network("198.18.7.0/24")
    assert subnet_env.read_previous(tmp_path / "missing") == subnet_env.Previous(None, None)
    target.write_text("FLANNEL_SUBNET=garbage\n")
    assert subnet_env.read_previous(target).subnet is None


def test_mk_docker_opts_default_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_OPTS", raising=False)
    src = tmp_path / "subnet.env"
    src.write_text("FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.74.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n")
    out = tmp_path / "docker_opts.env"
    assert docker_opts.main(["-f", str(src), "-d", str(out)]) == 0
    assert out.read_text() == (
        'DOCKER_OPT_BIP="--bip=10.1.74.1/24"\n'
        'DOCKER_OPT_IPMASQ="--ip-masq=true"\n'
        'DOCKER_OPT_MTU="--mtu=1472"\n'
        'DOCKER_OPTS=" --bip=10.1.74.1/24 --ip-masq=true --mtu=1472"\n'
    )


def test_mk_docker_opts_combined_key_inherited_and_no_masq() -> None:
    values = {"FLANNEL_SUBNET": "10.1.74.1/24", "FLANNEL_MTU": "1472", "FLANNEL_IPMASQ": "true"}
    assert docker_opts.render(values, individual=False, combined=True, key="DOCKER_NETWORK_OPTIONS",
                              ip_masq=True, inherited=None) == (
        'DOCKER_NETWORK_OPTIONS=" --bip=10.1.74.1/24 --ip-masq=false --mtu=1472"\n')
    assert docker_opts.render(values, individual=False, combined=True, key="DOCKER_OPTS",
                              ip_masq=False, inherited="-H x") == (
        'DOCKER_OPTS="-H x  --bip=10.1.74.1/24 --mtu=1472"\n')
    assert docker_opts.render(values, individual=True, combined=False, key="K", ip_masq=False,
                              inherited=None) == 'DOCKER_OPT_BIP="--bip=10.1.74.1/24"\nDOCKER_OPT_MTU="--mtu=1472"\n'


def test_mk_docker_opts_bad_masq(tmp_path: Path) -> None:
    src = tmp_path / "subnet.env"
    src.write_text("FLANNEL_SUBNET=10.1.74.1/24\nFLANNEL_IPMASQ=maybe\n")
    assert docker_opts.main(["-f", str(src), "-d", str(tmp_path / "o")]) == 1
