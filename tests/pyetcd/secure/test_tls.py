"""TLS on client URLs, side by side with etcd 3.4 using the same certificates.

What curl and the real etcdctl see: with a good client certificate, without one, with one
from an unknown CA, with the wrong CA for the server, and plain HTTP to the TLS port. The
exact failure text of a refused TLS handshake depends on timing (even between two runs
against etcd: "bad certificate" alert, reset, or EOF), so refusals are compared by outcome
(no HTTP response, etcdctl's exit code), successes byte for byte.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.pyetcd.secure.conftest import TlsPair, tls_context
from tests.support import procs

pytestmark = pytest.mark.compat
CURL = "curl"


def curl(url: str, *args: str) -> tuple[int, str]:
    run = subprocess.run([CURL, "-sS", *args, url], capture_output=True, text=True, timeout=30)
    return run.returncode, run.stdout


def etcdctl(url: str, certs: Path, *args: str, client: str | None = "client",
            ca: str = "ca") -> tuple[int, str]:
    flags = ["--endpoints", url, "--ca-file", str(certs / f"{ca}.pem")]
    if client:
        flags += ["--cert-file", str(certs / f"{client}.pem"), "--key-file",
                  str(certs / f"{client}.key")]
    run = subprocess.run([procs.ETCDCTL_BIN, *flags, *args], capture_output=True, text=True,
                         env={**os.environ, "ETCDCTL_API": "2"}, timeout=30)
    return run.returncode, run.stdout


def both(pair: TlsPair, fn: object, *args: object) -> list[tuple[int, str]]:
    out = []
    for server in pair.servers:
        code, text = fn(server.url, *args)  # type: ignore[operator]
        out.append((code, re.sub(r"\d+", "N", text) if "modifiedIndex" in text else text))
    return out


def test_good_client_certificate_is_served_alike(tls_pair: TlsPair) -> None:
    c = tls_pair.certs
    flags = ["--cacert", str(c / "ca.pem"), "--cert", str(c / "client.pem"), "--key",
             str(c / "client.key")]
    for server in tls_pair.servers:
        assert curl(server.url + "/v2/keys/tls", *flags, "-XPUT", "-d", "value=x")[0] == 0
    ref, py = both(tls_pair, curl, "--cacert", str(c / "ca.pem"), "--cert", str(c / "client.pem"),
                   "--key", str(c / "client.key"))  # GET / on each server's URL
    assert ref[0] == py[0] == 0


@pytest.mark.parametrize("client", [None, "stranger"], ids=["no-cert", "unknown-ca-cert"])
def test_client_without_trusted_certificate_gets_no_http_response(tls_pair: TlsPair,
                                                                  client: str | None) -> None:
    c = tls_pair.certs
    flags = ["--cacert", str(c / "ca.pem")]
    if client:
        flags += ["--cert", str(c / f"{client}.pem"), "--key", str(c / f"{client}.key")]
    for server in tls_pair.servers:
        code, out = curl(server.url + "/v2/keys/", *flags)
        assert code != 0 and out == "", server.name


def test_wrong_ca_for_the_server_fails_alike(tls_pair: TlsPair) -> None:
    c = tls_pair.certs
    flags = ["--cacert", str(c / "ca2.pem"), "--cert", str(c / "client.pem"), "--key",
             str(c / "client.key")]
    codes = [curl(s.url + "/v2/keys/", *flags)[0] for s in tls_pair.servers]
    assert codes == [60, 60]  # the client refuses the server: same everywhere


def test_plain_http_to_the_tls_port_gets_no_answer(tls_pair: TlsPair) -> None:
    for server in tls_pair.servers:
        code, out = curl(server.url.replace("https://", "http://") + "/v2/keys/")
        assert code in (52, 56) and out == "", server.name  # etcd: closed, no HTTP response


def test_etcdctl_outputs_and_exit_codes_match(tls_pair: TlsPair) -> None:
    if not os.access(procs.ETCDCTL_BIN, os.X_OK):
        pytest.skip("the real etcdctl is not installed")
    c = tls_pair.certs
    results = [etcdctl(s.url, c, "set", "/ctl/k", "v") for s in tls_pair.servers]
    assert results == [(0, "v\n"), (0, "v\n")]
    results = [etcdctl(s.url, c, "-o", "json", "get", "/ctl/k") for s in tls_pair.servers]
    assert [json.loads(r[1])["node"]["value"] for r in results] == ["v", "v"]
    for kwargs in ({"client": None}, {"client": "stranger"}, {"ca": "ca2"}):
        codes = [etcdctl(s.url, c, "get", "/ctl/k", **kwargs)[0]  # type: ignore[arg-type]
                 for s in tls_pair.servers]
        # etcd sends a "bad certificate" alert; Python's TLS layer drops the connection
        # without it, which etcdctl reports as EOF or reset (exit 4, or 2 for an EOF it
        # takes for a closed idle connection). Both refuse; the text differs (documented).
        assert codes[0] == 4 and codes[1] in (2, 4), kwargs


def _request(url: str, certs: Path, method: str = "GET", body: bytes | None = None,
             client: str | None = "client", user: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method)
    if user:
        req.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    try:
        with urllib.request.urlopen(req, context=tls_context(certs, client), timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_client_certificate_common_name_is_the_v2_user(tls_pair: TlsPair) -> None:
    """--client-cert-auth: without an Authorization header the certificate's CN names the
    user (etcd's userFromClientCertificate); an unknown CN falls back to the guest role."""
    c = tls_pair.certs
    outcomes = []
    for s in tls_pair.servers:
        steps = [
            _request(s.url + "/v2/auth/users/root", c, "PUT", b'{"user":"root","password":"p"}'),
            _request(s.url + "/v2/auth/enable", c, "PUT", client="root"),
            _request(s.url + "/v2/auth/users", c, client="root"),
            _request(s.url + "/v2/auth/users", c, client="client"),
            _request(s.url + "/v2/auth/users", c, client="client", user="root:p"),
            _request(s.url + "/v2/keys/cn", c, "PUT", b"value=1", client="client"),
            _request(s.url + "/v2/auth/roles/guest", c, "PUT",
                     b'{"role":"guest","revoke":{"kv":{"write":["/*"]}}}', client="root"),
            _request(s.url + "/v2/keys/cn", c, "PUT", b"value=2", client="client"),
            _request(s.url + "/v2/keys/cn", c, "PUT", b"value=3", client="root"),
            _request(s.url + "/v2/auth/enable", c, "DELETE", client="root"),
        ]
        outcomes.append([(status, re.sub(rb"\d{2,}", b"N", body)) for status, body in steps])
    assert outcomes[1] == outcomes[0]
    assert [s for s, _ in outcomes[0]] == [201, 200, 200, 401, 200, 201, 200, 401, 200, 200]


def test_auto_tls_makes_and_keeps_a_self_signed_certificate(tmp_path: Path) -> None:
    import sys

    port = procs.free_port()
    url = f"https://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "pyetcd", "--name", "a", "--data-dir", str(tmp_path / "a.etcd"),
            "--listen-client-urls", url, "--advertise-client-urls", url, "--auto-tls"]
    cert = tmp_path / "a.etcd" / "fixtures" / "client" / "cert.pem"
    for attempt in range(2):
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        server = procs.ServerProcess("a", url, proc, tmp_path / "a.log", tmp_path / "a.etcd")
        try:
            _wait_insecure(url, proc)
            assert curl(url + "/version", "-k")[0] == 0
            assert curl(url + "/version")[0] == 60  # self-signed: unknown to curl
            if attempt == 0:
                first = cert.read_bytes()
            else:
                assert cert.read_bytes() == first  # reused on restart
        finally:
            server.stop()


def _wait_insecure(url: str, proc: subprocess.Popen[bytes]) -> None:
    import ssl

    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    procs.wait_healthy(url, proc, context=context)
