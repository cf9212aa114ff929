"""etcd's flags and ETCD_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyetcd.cli import main
from pyetcd.config import Config, ConfigError, parse_flags

pytestmark = pytest.mark.unit


def test_one_or_two_dashes_and_equals() -> None:
    assert parse_flags(["-name", "a", "--data-dir=/d", "--enable-v2", "-debug=false"]) == {
        "name": "a", "data-dir": "/d", "enable-v2": "true", "debug": "false"}


def test_tutorial_environment_file_works_unchanged() -> None:
    env = {"ETCD_NAME": "master", "ETCD_DATA_DIR": "/var/lib/etcd/default.etcd",
           "ETCD_LISTEN_CLIENT_URLS": "http://0.0.0.0:2379,http://0.0.0.0:4001",
           "ETCD_ADVERTISE_CLIENT_URLS": "http://master:2379,http://master:4001"}
    config = Config.from_args([], env)
    assert config.name == "master" and config.data_dir == Path("/var/lib/etcd/default.etcd")
    assert [(u.host, u.port) for u in config.listen_urls()] == [("0.0.0.0", 2379), ("0.0.0.0", 4001)]
    assert config.advertise_client_urls == ("http://master:2379", "http://master:4001")


def test_flag_beats_environment_and_peer_flags_are_accepted() -> None:
    config = Config.from_args(
        ["--name", "cli", "--initial-cluster", "cli=http://127.0.0.1:2380", "--initial-cluster-state",
         "new", "--listen-peer-urls", "http://127.0.0.1:2380", "--snapshot-count", "100",
         "--heartbeat-interval=100", "--election-timeout", "500", "--logger", "zap",
         "--experimental-foo", "--initial-advertise-peer-urls", "http://10.0.0.1:2380"],
        {"ETCD_NAME": "env"})
    assert config.name == "cli"
    assert config.initial_advertise_peer_urls == ("http://10.0.0.1:2380",)
    assert "initial-cluster" in config.ignored and "experimental-foo" in config.ignored


@pytest.mark.parametrize("argv", [["--nope"], ["--name"], ["stray"],
                                  ["--listen-client-urls", "ftp://x:1"],
                                  ["--listen-client-urls", "http://nohost"],
                                  ["--enable-v2=maybe"]])
def test_bad_flags(argv: list[str]) -> None:
    with pytest.raises(ConfigError):
        Config.from_args(argv, {})


def test_defaults_are_etcds() -> None:
    config = Config.from_args([], {})
    assert config.listen_client_urls == ("http://localhost:2379",)
    assert config.effective_data_dir == Path("default.etcd")


def test_config_file(tmp_path: Path) -> None:
    path = tmp_path / "etcd.yml"
    path.write_text("name: fromfile\nlisten-client-urls: http://127.0.0.1:1234\nenable-v2: true\n")
    config = Config.from_args(["--config-file", str(path)], {})
    assert config.name == "fromfile" and config.listen_client_urls == ("http://127.0.0.1:1234",)


def test_cli_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bogus"]) == 2
    assert "flag provided but not defined: -bogus" in capsys.readouterr().err
    assert main(["--version"]) == 0
    assert "etcd Version: 3.4.23" in capsys.readouterr().out
