"""Where the CLI connects: ``--server``, ``KUBECONFIG`` lists merged as kubectl merges them,
``--kubeconfig``, ``--context``, the context's namespace, and the errors when that fails."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from kubelite.apiserver.server import RunningApiServer
from kubelite.kubectl.errors import CLIError
from kubelite.kubectl.kubeconfig import Overrides, resolve
from tests.kubelite.cli.conftest import KLOG, Both, Recorder, same_text
from tests.kubelite.conftest import Result
from tests.support.procs import free_port

pytestmark = pytest.mark.compat  # side by side with the real kubectl 1.32


async def run(argv: list[str], env: dict[str, str]) -> Result:
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return Result(proc.returncode or 0, out.decode(), err.decode())


async def both_with_env(both: Both, args: list[str], env: dict[str, str]) -> tuple[Result,
                                                                                  Result]:
    """kubectl and kubelite (the console program) with only ``env``: no --server."""
    base = {"PATH": "/usr/bin:/bin", **env}
    theirs = await run([both.kubectl.binary, "--cache-dir",
                        str(both.kubectl.home / "cache"), *args], base)
    ours = await run([sys.executable, "-m", "kubelite.cli", *args],
                     {**base, "PYTHONPATH": str(Path(__file__).resolve().parents[3])})
    return ours, theirs


def kubeconfig(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


async def test_kubeconfig_merging_contexts_and_namespaces(both: Both, tmp_path: Path) -> None:
    await both.kubectl.ok("create", "namespace", "from-context")
    await both.kubectl.ok("create", "configmap", "here", "-n", "from-context")
    refused = f"http://127.0.0.1:{free_port()}"
    first = kubeconfig(tmp_path / "first", f"""\
apiVersion: v1
kind: Config
current-context: good
clusters:
- name: shared
  cluster: {{server: "{both.cli.url}"}}
""")
    second = kubeconfig(tmp_path / "second", f"""\
apiVersion: v1
kind: Config
current-context: ignored-because-first-wins
clusters:
- name: shared
  cluster: {{server: "{refused}"}}
- name: down
  cluster: {{server: "{refused}"}}
contexts:
- name: good
  context: {{cluster: shared, namespace: from-context, user: someone}}
- name: broken
  context: {{cluster: down}}
- name: no-cluster
  context: {{cluster: missing}}
users:
- name: someone
  user: {{token: not-checked}}
""")
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "KUBECONFIG": f"{first}:{tmp_path / 'absent'}:{second}"}
    for args in (["get", "cm"], ["get", "cm", "-n", "default"],
                 ["--context", "broken", "get", "cm"], ["--context", "nope", "get", "cm"],
                 ["--kubeconfig", str(tmp_path / "absent"), "get", "cm"],
                 ["--kubeconfig", second, "--context", "good", "get", "cm"],
                 ["-s", both.cli.url, "--context", "broken", "get", "cm", "-o", "name"]):
        ours, theirs = await both_with_env(both, args, env)
        assert ours.rc == theirs.rc, (args, ours, theirs)
        same_text(ours.out, theirs.out)
        same_text(ours.err, KLOG.sub("", theirs.err))
    garbage = kubeconfig(tmp_path / "garbage", "clusters: [\n")
    ours, theirs = await both_with_env(both, ["get", "cm"], {"HOME": str(home),
                                                            "KUBECONFIG": garbage})
    assert (ours.rc, ours.err) == (theirs.rc, theirs.err)


async def test_unreachable_server(both: Both) -> None:
    port = free_port()  # nothing listens there
    for args in (["get", "pods"], ["apply", "-f", "-"], ["delete", "pod", "x"],
                 ["logs", "x"], ["describe", "pod", "x"]):
        theirs = await both.kubectl("--server", f"http://127.0.0.1:{port}", *args,
                                    stdin="apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n")
        ours = await both.cli("--server", f"http://127.0.0.1:{port}", *args,
                              stdin="apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
                              server=False)
        expected = (f"The connection to the server 127.0.0.1:{port} was refused - did you "
                    "specify the right host or port?\n")
        assert (ours.rc, ours.out, ours.err) == (1, "", expected), args
        if args[0] != "apply":  # kubectl's apply fails earlier, fetching the OpenAPI schema
            assert KLOG.sub("", theirs.err) == expected


def test_defaults_without_any_configuration(tmp_path: Path) -> None:
    conn = resolve(Overrides(), {"HOME": str(tmp_path)})
    assert (conn.server, conn.namespace, conn.namespace_explicit) == \
        ("http://localhost:8080", "default", False)
    conn = resolve(Overrides(server="127.0.0.1:6443", namespace="x"), {"HOME": str(tmp_path)})
    assert (conn.server, conn.namespace, conn.namespace_explicit) == \
        ("http://127.0.0.1:6443", "x", True)


def test_home_kube_config_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "ca.pem").write_text("not used here")
    (tmp_path / ".kube" / "config").write_text("""\
current-context: c
contexts: [{name: c, context: {cluster: k, user: u, namespace: team}}]
clusters: [{name: k, cluster: {server: "https://k.example:6443", certificate-authority: ca.pem}}]
users: [{name: u, user: {token: t0k}}]
""")
    conn = resolve(Overrides(), {"HOME": str(tmp_path)})
    assert conn.server == "https://k.example:6443" and conn.namespace == "team"
    assert conn.ca_file == str(tmp_path / ".kube" / "ca.pem") and conn.token == "t0k"
    with pytest.raises(CLIError, match="context was not found for specified context: x"):
        resolve(Overrides(context="x"), {"HOME": str(tmp_path)})


async def test_console_program_entry(both: Both) -> None:
    """``kubelite get`` through the installed console script (not the in-process runner)."""
    exe = Path(sys.executable).with_name("kubelite")
    if not os.access(exe, os.X_OK):
        pytest.skip("the kubelite console script is not installed in this environment")
    await both.kubectl.ok("apply", "-f", "-", stdin="apiVersion: v1\nkind: ConfigMap\n"
                                                    "metadata: {name: entry}\n")
    res = await run([str(exe), "--server", both.cli.url, "get", "cm", "entry", "-o", "name"],
                    {"HOME": str(both.cli.home), "PATH": "/usr/bin:/bin"})
    assert (res.rc, res.out, res.err) == (0, "configmap/entry\n", "")
    res = await run([str(exe), "nonsense"], {"HOME": str(both.cli.home)})
    assert res.rc == 1 and 'unknown command "nonsense"' in res.err


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True)
    return cert, key


async def test_https_with_ca_data_and_token(both: Both, apiserver: RunningApiServer,
                                            certificate: tuple[Path, Path],
                                            tmp_path: Path) -> None:
    """A TLS front (a recording proxy) before the apiserver: the kubeconfig's CA data
    verifies it, the user's token is sent; without the CA both clients refuse it."""
    cert, key = certificate
    rec = Recorder(apiserver.url)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", rec.handle)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                           shutdown_timeout=1.0)
    await runner.setup()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=tls).start()
    try:
        ca = base64.b64encode(cert.read_bytes()).decode()
        config = kubeconfig(tmp_path / "tls", f"""\
apiVersion: v1
kind: Config
current-context: tls
clusters:
- name: tls
  cluster: {{server: "https://127.0.0.1:{port}", certificate-authority-data: {ca}}}
- name: untrusted
  cluster: {{server: "https://127.0.0.1:{port}"}}
contexts:
- {{name: tls, context: {{cluster: tls, user: robot}}}}
- {{name: untrusted, context: {{cluster: untrusted, user: robot}}}}
users:
- {{name: robot, user: {{token: s3cret}}}}
""")
        env = {"HOME": str(tmp_path), "KUBECONFIG": config}
        ours, theirs = await both_with_env(both, ["get", "ns", "default", "-o", "name"], env)
        assert (ours.rc, ours.out, ours.err) == (theirs.rc, theirs.out, theirs.err) == \
            (0, "namespace/default\n", "")
        tokens = {r.authorization for r in rec.requests}
        assert tokens == {"Bearer s3cret"}
        ours, theirs = await both_with_env(both, ["--context", "untrusted", "get", "ns"], env)
        assert ours.rc == theirs.rc == 1 and ours.out == theirs.out == ""
        assert ours.err == KLOG.sub("", theirs.err) == (
            "Unable to connect to the server: tls: failed to verify certificate: x509: "
            "certificate signed by unknown authority\n")
    finally:
        await runner.cleanup()
