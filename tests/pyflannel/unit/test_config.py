"""flanneld's flags: Go flag syntax, FLANNELD_* variables, precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflannel.cli import main
from pyflannel.config import UsageError, from_args, parse_flags

pytestmark = pytest.mark.unit


def test_defaults() -> None:
    cfg = from_args([], {})
    assert cfg.etcd_endpoints == ("http://127.0.0.1:4001", "http://127.0.0.1:2379")
    assert cfg.etcd_prefix == "/coreos.com/network"
    assert cfg.subnet_file == Path("/run/flannel/subnet.env")
    assert cfg.subnet_lease_renew_margin_minutes == 60
    assert (cfg.ip_masq, cfg.iptables_resync_seconds, cfg.iptables_forward_rules) == (False, 5, True)
    assert (cfg.healthz_ip, cfg.healthz_port) == ("0.0.0.0", 0)


@pytest.mark.parametrize(
    "argv",
    [
        ["-etcd-endpoints", "http://a:2379,http://b:2379"],
        ["-etcd-endpoints=http://a:2379,http://b:2379"],
        ["--etcd-endpoints", "http://a:2379,http://b:2379"],
        ["--etcd-endpoints=http://a:2379,http://b:2379"],
    ],
)
def test_go_flag_spellings(argv: list[str]) -> None:
    assert from_args(argv, {}).etcd_endpoints == ("http://a:2379", "http://b:2379")


def test_bools_repeatables_and_positional_stop() -> None:
    cfg = from_args(["-ip-masq", "--iptables-forward-rules=false", "--iface=eth1", "-iface", "10.0.0.1",
                     "--iface-regex", "^en", "-v=2", "extra", "--ip-masq=false"], {})
    assert cfg.ip_masq and not cfg.iptables_forward_rules
    assert cfg.iface == ("eth1", "10.0.0.1") and cfg.iface_regex == ("^en",)
    assert cfg.verbosity == 2


def test_env_fills_only_missing_flags() -> None:
    env = {
        "FLANNELD_ETCD_ENDPOINTS": "http://env:2379",
        "FLANNELD_IFACE": "eth9,eth8",  # one value; commas not split
        "FLANNELD_IP_MASQ": "true",
        "FLANNELD_ETCD_PREFIX": "",  # empty is ignored
        "FLANNELD_SUBNET_LEASE_RENEW_MARGIN": "30",
    }
    cfg = from_args(["--etcd-endpoints=http://cli:2379"], env)
    assert cfg.etcd_endpoints == ("http://cli:2379",)
    assert cfg.iface == ("eth9,eth8",)
    assert cfg.ip_masq is True
    assert cfg.etcd_prefix == "/coreos.com/network"
    assert cfg.subnet_lease_renew_margin_minutes == 30


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--nope"], "flag provided but not defined: -nope"),
        (["--ip-masq=maybe"], 'invalid boolean value "maybe"'),
        (["--healthz-port=x"], 'invalid value "x" for flag -healthz-port'),
        (["--etcd-prefix"], "flag needs an argument: -etcd-prefix"),
    ],
)
def test_usage_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_flags(argv)


def test_cli_version_and_bad_margin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().err.strip() == "0.1.0"
    assert main(["--subnet-lease-renew-margin=1440"]) == 1
    assert main(["--bogus"]) == 2
    assert main(["--kube-subnet-mgr"]) == 1
