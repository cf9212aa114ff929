"""Operations: the systemd unit, sd_notify readiness, and one-line key=value logs."""

from __future__ import annotations

import configparser
import io
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pyetcd import logfmt
from pyetcd.sdnotify import sd_notify
from tests.support import procs

UNIT = Path(__file__).parents[3] / "systemd" / "pyetcd.service"


def test_unit_file_is_a_notify_service_reading_the_etcd_environment_file() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT)
    service = parser["Service"]
    assert service["Type"] == "notify"
    assert service["EnvironmentFile"] == "-/etc/etcd/etcd.conf"
    assert service["ExecStart"].split()[0].endswith("/pyetcd")
    assert service["Restart"] == "on-failure" and int(service["LimitNOFILE"]) >= 20000
    assert service["User"] == "etcd"
    assert parser["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_unit_file_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify insists that ExecStart's program exists; point it at this Python's pyetcd
    script = Path(sys.executable).with_name("pyetcd")
    text = UNIT.read_text().replace("/usr/local/bin/pyetcd", str(script))
    unit = tmp_path / "pyetcd.service"
    unit.write_text(text)
    run = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                         text=True, timeout=60)
    complaints = [ln for ln in (run.stdout + run.stderr).splitlines()
                  if "pyetcd.service" in ln and "User=" not in ln]
    assert run.returncode == 0 and complaints == []


def _notify_socket(tmp_path: Path) -> tuple[socket.socket, str]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(20)
    return sock, path


def test_sd_notify_sends_a_datagram(tmp_path: Path) -> None:
    sock, path = _notify_socket(tmp_path)
    with sock:
        assert sd_notify("READY=1", {"NOTIFY_SOCKET": path})
        assert sock.recv(4096) == b"READY=1"
    assert not sd_notify("READY=1", {})
    assert not sd_notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "missing.sock")})


def test_sd_notify_abstract_socket() -> None:
    name = f"pyetcd-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert sd_notify("READY=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"READY=1"


LINE = re.compile(r'^ts=\S+Z level=(debug|info|warn|error) logger=\S+ msg=("[^"\\]*(\\.[^"\\]*)*"|\S+)( \w+=("[^"\\]*(\\.[^"\\]*)*"|\S*))*$')


def test_server_notifies_readiness_when_listening_and_logs_one_line_per_event(
        tmp_path: Path) -> None:
    sock, path = _notify_socket(tmp_path)
    port = procs.free_port()
    argv = procs.pyetcd_argv("n", tmp_path / "n.etcd", port, ["--log-level", "debug"])
    log_path = tmp_path / "n.log"
    with sock, open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "NOTIFY_SOCKET": path},
                                start_new_session=True)
        try:
            message = sock.recv(4096).decode()
            assert message.startswith("READY=1\n") and f"MAINPID={proc.pid}" in message
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass  # listening by the time READY=1 arrives
        finally:
            proc.terminate()
            proc.wait(10)
        assert sock.recv(4096) == b"STOPPING=1"
    lines = log_path.read_text().splitlines()
    assert lines and all(LINE.match(ln) for ln in lines), lines
    assert any('msg="serving client requests" url=http://127.0.0.1:' in ln for ln in lines)


def test_logfmt_quotes_values_and_keeps_tracebacks_on_one_line() -> None:
    stream = io.StringIO()
    logfmt.setup("warn", stream)
    log = logging.getLogger("pyetcd.test")
    try:
        log.info("hidden below warn")
        log.warning('msg="a thing" key=%s', logfmt.quote('va"l ue'))
        try:
            raise ValueError("boom\nline two")
        except ValueError:
            log.exception("failed")
    finally:
        logfmt.setup("info")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith('level=warn logger=pyetcd.test msg="a thing" key="va\\"l ue"')
    assert ' level=error logger=pyetcd.test msg=failed error="Traceback' in lines[1]
    assert all(LINE.match(ln) for ln in lines), lines
