"""Fixtures for the security tier: throw-away certificates and TLS server pairs."""

from __future__ import annotations

import contextlib
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import procs

OPENSSL = shutil.which("openssl")
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def make_certs(d: Path) -> Path:
    """A CA (server, client CN=client, client CN=root) and a second CA (CN=stranger)."""
    if OPENSSL is None:
        pytest.skip("openssl is not installed (make test installs it)")

    def run(*args: str) -> None:
        subprocess.run([OPENSSL, *args], cwd=d, check=True, capture_output=True)

    for ca in ("ca", "ca2"):
        run("req", "-x509", *EC, "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "2",
            "-subj", f"/CN=test-{ca}")
    for name, ca, usage in (("server", "ca", "serverAuth"), ("client", "ca", "clientAuth"),
                            ("root", "ca", "clientAuth"), ("stranger", "ca2", "clientAuth")):
        (d / f"{name}.ext").write_text(
            f"subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage={usage}\n")
        run("req", *EC, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
    return d


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certs(tmp_path_factory.mktemp("certs"))


def tls_context(certs: Path, client: str | None = "client") -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    if client:
        context.load_cert_chain(str(certs / f"{client}.pem"), str(certs / f"{client}.key"))
    return context


def wait_tls(url: str, certs: Path, proc: subprocess.Popen[bytes]) -> None:
    """Poll ``/health`` over TLS (a separate process offers no readiness event)."""
    context = tls_context(certs)
    procs.wait_healthy(url, proc, context=context)


@dataclass
class TlsPair:
    etcd: procs.ServerProcess
    pyetcd: procs.ServerProcess
    certs: Path

    @property
    def servers(self) -> list[procs.ServerProcess]:
        return [self.etcd, self.pyetcd]


def tls_flags(certs: Path, client_auth: bool) -> list[str]:
    flags = ["--cert-file", str(certs / "server.pem"), "--key-file", str(certs / "server.key")]
    if client_auth:
        flags += ["--trusted-ca-file", str(certs / "ca.pem"), "--client-cert-auth"]
    return flags


@contextlib.contextmanager
def start(argv: list[str], url: str, name: str, d: Path, certs: Path) -> Iterator[procs.ServerProcess]:
    log_path = d / f"{name}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = procs.ServerProcess(name, url, proc, log_path, d / f"{name}.etcd")
    try:
        wait_tls(url, certs, proc)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_pair(certs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsPair]:
    """A real etcd and a pyetcd, both https-only with client-cert-auth, same certificates."""
    if not procs.have_real_etcd():
        pytest.skip("the reference etcd is not installed (make test installs etcd-server)")
    d = tmp_path_factory.mktemp("tls-pair")
    port, peer = procs.free_port(), procs.free_port()
    url = f"https://127.0.0.1:{port}"
    argv = [a.replace(f"http://127.0.0.1:{port}", url)
            for a in procs.real_etcd_argv("tls", d / "etcd.etcd", port, peer)]
    argv += tls_flags(certs, True)
    py_port = procs.free_port()
    py_url = f"https://127.0.0.1:{py_port}"
    py_argv = [sys.executable, "-m", "pyetcd", "--name", "tls", "--data-dir", str(d / "py.etcd"),
               "--listen-client-urls", py_url, "--advertise-client-urls", py_url,
               "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
               *tls_flags(certs, True)]
    with start(argv, url, "etcd", d, certs) as ref, start(py_argv, py_url, "pyetcd", d, certs) as py:
        yield TlsPair(ref, py, certs)
