"""``--ca-file``, ``--cert-file``, ``--key-file``: pyetcdctl and etcdctl against an etcd that
requires client certificates.

The server is a real etcd 3.4 with TLS on its client port (pyetcd serves plain HTTP), with a
throw-away CA and certificates made by ``openssl`` for this module.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pyetcd.ctl import harness
from tests.support import procs

pytestmark = pytest.mark.compat
OPENSSL = shutil.which("openssl")
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _make_certs(d: Path) -> None:
    assert OPENSSL is not None

    def run(*args: str) -> None:
        subprocess.run([OPENSSL, *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", *EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=pyetcdctl-test-ca")
    for name, usage in (("server", "serverAuth"), ("client", "clientAuth")):
        (d / f"{name}.ext").write_text(
            f"subjectAltName=IP:127.0.0.1\nextendedKeyUsage={usage}\n")
        run("req", *EC, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")


def _wait_healthy(url: str, d: Path, proc: subprocess.Popen[bytes]) -> None:
    """Poll ``/health`` over TLS (a separate process offers no readiness event)."""
    context = ssl.create_default_context(cafile=str(d / "ca.pem"))
    context.load_cert_chain(str(d / "client.pem"), str(d / "client.key"))
    procs.wait_healthy(url, proc, context=context)


@pytest.fixture(scope="module")
def tls_etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if not procs.have_real_etcd() or OPENSSL is None:
        pytest.skip("needs the reference etcd and openssl")
    d = tmp_path_factory.mktemp("tls")
    _make_certs(d)
    port, peer = procs.free_port(), procs.free_port()
    url = f"https://127.0.0.1:{port}"
    argv = procs.real_etcd_argv("tls", d / "data", port, peer)
    argv = [a.replace(f"http://127.0.0.1:{port}", url) for a in argv] + [
        "--cert-file", str(d / "server.pem"), "--key-file", str(d / "server.key"),
        "--trusted-ca-file", str(d / "ca.pem"), "--client-cert-auth"]
    with open(d / "etcd.log", "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = procs.ServerProcess("tls", url, proc, d / "etcd.log", d / "data")
    try:
        _wait_healthy(url, d, proc)
        yield url, d
    finally:
        server.stop()


def _same(argv: list[str], env: dict[str, str] | None = None) -> harness.Run:
    harness.require_real_etcdctl()
    real, py = harness.run_real(argv, env=env), harness.run_py(argv, env=env)
    # Go's HTTP transport sometimes reports a refused handshake from its connection reader
    # and then prefixes the error with the name of that function; it depends on timing.
    real = harness.Run(real.stdout, real.stderr.replace("readLoopPeekFailLocked: ", ""),
                       real.code)
    assert py == real
    return real


def _tls_flags(d: Path) -> list[str]:
    return ["--ca-file", str(d / "ca.pem"), "--cert-file", str(d / "client.pem"),
            "--key-file", str(d / "client.key")]


@pytest.mark.parametrize("command", [
    ["set", "/tls/k", "secret"], ["-o", "json", "get", "/tls/k"], ["-o", "extended", "ls", "/tls"],
    ["member", "list"], ["cluster-health"], ["--debug", "get", "/tls/k"],
], ids=lambda c: "-".join(c))
def test_with_client_certificates(tls_etcd: tuple[str, Path], command: list[str]) -> None:
    url, d = tls_etcd
    harness.run_real(["--endpoints", url, *_tls_flags(d), "set", "/tls/k", "secret"])
    run = _same(["--endpoints", url, *_tls_flags(d), *command])
    assert run.code == 0


def test_certificates_from_the_environment(tls_etcd: tuple[str, Path]) -> None:
    url, d = tls_etcd
    env = {"ETCDCTL_CA_FILE": str(d / "ca.pem"), "ETCDCTL_CERT_FILE": str(d / "client.pem"),
           "ETCDCTL_KEY_FILE": str(d / "client.key"), "ETCDCTL_ENDPOINTS": url}
    assert _same(["set", "/tls/env", "ok"], env) == harness.Run("ok\n", "", 0)


@pytest.mark.parametrize("flags", [
    [],  # the server's CA is unknown
    ["--cert-file", "{d}/client.pem", "--key-file", "{d}/client.key"],
    ["--ca-file", "{d}/ca.pem"],  # no client certificate: the server refuses
    ["--no-sync", "--ca-file", "{d}/ca.pem"],
], ids=["no-ca", "no-ca-with-cert", "no-client-cert", "no-client-cert-no-sync"])
def test_tls_refusals(tls_etcd: tuple[str, Path], flags: list[str]) -> None:
    url, d = tls_etcd
    run = _same(["--endpoints", url, *[f.replace("{d}", str(d)) for f in flags], "get", "/x"])
    assert run.code == 4


def test_plain_http_to_a_tls_port(tls_etcd: tuple[str, Path]) -> None:
    url, d = tls_etcd
    plain = url.replace("https://", "http://")
    assert _same(["--no-sync", "--endpoints", plain, *_tls_flags(d), "get", "/x"]).code == 4
