"""The tutorial's etcd steps, with the real etcdctl (and pyetcdctl) and curl, on each backend.

The commands are the tutorial's own (``etcdctl set name lambert``, ``curl ... -d
value=panda``, the recursive DELETE and the 404 after it, the flannel network config, ...).
Their transcript (each command, its output and exit code) must equal the one the real etcd
3.4 gives, which is written out below, after numbering etcd indices by first appearance:
every backend must number its writes the same way, only the absolute values may differ.

Each backend is a fresh server started by this module (the tutorial writes top-level keys
such as ``/name`` and ``/coreos.com/network/config``, which other tests must not see).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pyetcd.ctl import harness
from tests.support import procs

pytestmark = pytest.mark.compat
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
CURL = shutil.which("curl")


def _require(kind: str) -> None:
    if kind == "etcd" and not procs.have_real_etcd():
        pytest.skip("the reference etcd is not installed (make test installs etcd-server)")
    if kind == "pyetcd" and importlib.util.find_spec("pyetcd.server") is None:
        pytest.skip("the pyetcd server is not built yet")
    if CURL is None:
        pytest.skip("curl is not installed")


@pytest.fixture(scope="module", params=["pyetcd", "etcd"])
def fresh_server(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[procs.ServerProcess]:
    _require(request.param)
    start = procs.real_etcd if request.param == "etcd" else procs.pyetcd
    with start(tmp_path_factory.mktemp(f"tutorial-{request.param}")) as server:
        yield server


CLIENTS = {
    "etcdctl": [harness.ETCDCTL],
    "pyetcdctl": [harness.pyetcdctl_script() or "pyetcdctl"],
}


class Session:
    """Runs tutorial commands and records them as a transcript."""

    def __init__(self, url: str, ctl: list[str]):
        self.url = url
        self.ctl = ctl
        self.env = {**os.environ, "ETCDCTL_API": "2", "ETCDCTL_ENDPOINTS": url}
        self.lines: list[str] = []

    def _record(self, shown: str, proc: subprocess.CompletedProcess[bytes]) -> str:
        out = proc.stdout.decode()
        self.lines.append(f"$ {shown}\n{out}{proc.stderr.decode()}[{proc.returncode}]\n")
        return out

    def etcdctl(self, *args: str) -> str:
        proc = subprocess.run([*self.ctl, *args], capture_output=True, env=self.env, timeout=30)
        return self._record("etcdctl " + " ".join(args), proc)

    def curl(self, path: str, *args: str) -> str:
        assert CURL is not None
        proc = subprocess.run([CURL, "-s", "-w", "\n%{http_code}", self.url + path, *args],
                              capture_output=True, timeout=30)
        return self._record(f"curl -s http://HOST{path} {' '.join(args)}".rstrip(), proc)

    def transcript(self) -> str:
        return harness.normalise("".join(self.lines))


EXPECTED = r"""$ etcdctl set name lambert
lambert
[0]
$ etcdctl get name
lambert
[0]
$ curl -s http://HOST/v2/keys/message -XPUT -d value=Hello world
{"action":"set","node":{"key":"/message","value":"Hello world","modifiedIndex":#1,"createdIndex":#1}}

201[0]
$ curl -s http://HOST/v2/keys/message
{"action":"get","node":{"key":"/message","value":"Hello world","modifiedIndex":#1,"createdIndex":#1}}

200[0]
$ curl -s http://HOST/v2/keys/queue -d value=panda
{"action":"create","node":{"key":"/queue/000000000000000000#2","value":"panda","modifiedIndex":#2,"createdIndex":#2}}

201[0]
$ curl -s http://HOST/v2/keys/queue -d value=tiger
{"action":"create","node":{"key":"/queue/000000000000000000#3","value":"tiger","modifiedIndex":#3,"createdIndex":#3}}

201[0]
$ curl -s http://HOST/v2/keys/queue?recursive=true&sorted=true
{"action":"get","node":{"key":"/queue","dir":true,"nodes":[{"key":"/queue/000000000000000000#2","value":"panda","modifiedIndex":#2,"createdIndex":#2},{"key":"/queue/000000000000000000#3","value":"tiger","modifiedIndex":#3,"createdIndex":#3}],"modifiedIndex":#2,"createdIndex":#2}}

200[0]
$ curl -s http://HOST/v2/keys/queue?recursive=true -XDELETE
{"action":"delete","node":{"key":"/queue","dir":true,"modifiedIndex":#4,"createdIndex":#2},"prevNode":{"key":"/queue","dir":true,"modifiedIndex":#2,"createdIndex":#2}}

200[0]
$ curl -s http://HOST/v2/keys/queue
{"errorCode":100,"message":"Key not found","cause":"/queue","index":#4}

404[0]
$ etcdctl set /coreos.com/network/config {"Network":"10.1.0.0/16"}
{"Network":"10.1.0.0/16"}
[0]
$ etcdctl get /coreos.com/network/config
{"Network":"10.1.0.0/16"}
[0]
$ etcdctl -o json get /coreos.com/network/config
{"action":"get","node":{"key":"/coreos.com/network/config","value":"{\"Network\":\"10.1.0.0/16\"}","nodes":null,"createdIndex":#5,"modifiedIndex":#5},"prevNode":null}
[0]
$ etcdctl mkdir /dir
[0]
$ etcdctl ls --recursive --sort
/coreos.com
/coreos.com/network
/coreos.com/network/config
/dir
/message
/name
[0]
$ etcdctl ls --recursive -p
/coreos.com/
/coreos.com/network/
/coreos.com/network/config
/dir/
/message
/name
[0]
$ etcdctl rm --recursive /dir
[0]
$ etcdctl ls /dir
Error:  100: Key not found (/dir) [#6]
[4]
$ etcdctl update name shanghai
shanghai
[0]
$ etcdctl rm name
PrevNode.Value: shanghai
[0]
$ etcdctl get name
Error:  100: Key not found (/name) [#7]
[4]
"""


def _clean(url: str) -> None:
    for key in ("/name", "/message", "/queue", "/coreos.com", "/dir"):
        harness.http("DELETE", harness.keys_url(url, key, recursive="true"))


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_tutorial_transcript(fresh_server: procs.ServerProcess, client: str) -> None:
    harness.require_real_etcdctl()
    _clean(fresh_server.url)
    s = Session(fresh_server.url, CLIENTS[client])
    try:
        s.etcdctl("set", "name", "lambert")
        s.etcdctl("get", "name")
        s.curl("/v2/keys/message", "-XPUT", "-d", "value=Hello world")
        s.curl("/v2/keys/message")
        s.curl("/v2/keys/queue", "-d", "value=panda")
        s.curl("/v2/keys/queue", "-d", "value=tiger")
        s.curl("/v2/keys/queue?recursive=true&sorted=true")
        s.curl("/v2/keys/queue?recursive=true", "-XDELETE")
        s.curl("/v2/keys/queue")
        config = (EXAMPLES / "flannel-network-config.json").read_text().strip()
        s.etcdctl("set", "/coreos.com/network/config", config)
        s.etcdctl("get", "/coreos.com/network/config")
        s.etcdctl("-o", "json", "get", "/coreos.com/network/config")
        s.etcdctl("mkdir", "/dir")
        s.etcdctl("ls", "--recursive", "--sort")
        listing = s.etcdctl("ls", "--recursive", "-p")
        s.lines[-1] = s.lines[-1].replace(listing, "".join(sorted(listing.splitlines(True))))
        s.etcdctl("rm", "--recursive", "/dir")
        s.etcdctl("ls", "/dir")
        s.etcdctl("update", "name", "shanghai")
        s.etcdctl("rm", "name")
        s.etcdctl("get", "name")
        assert s.transcript() == EXPECTED
    finally:
        _clean(fresh_server.url)


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_tutorial_watch(fresh_server: procs.ServerProcess, client: str) -> None:
    """``etcdctl watch name`` in one terminal, ``etcdctl set name ...`` in another.

    The watcher starts from the index current before the write (``--after-index``), so it
    sees the write however long it takes to start.
    """
    harness.require_real_etcdctl()
    s = Session(fresh_server.url, CLIENTS[client])
    start = harness.current_index(fresh_server.url)
    watcher = subprocess.Popen([*s.ctl, "watch", "--after-index", str(start), "name"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=s.env)
    try:
        s.etcdctl("set", "name", "beijing")
        out, err = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
        _clean(fresh_server.url)
    assert (out, err, watcher.returncode) == (b"beijing\n", b"", 0)


def test_tutorial_script(fresh_server: procs.ServerProcess) -> None:
    """``examples/tutorial-etcdctl.sh`` gives the same output with etcdctl and pyetcdctl."""
    harness.require_real_etcdctl()
    outputs = []
    for ctl in CLIENTS.values():
        _clean(fresh_server.url)
        env = {**os.environ, "ETCDCTL_ENDPOINTS": fresh_server.url, "ETCDCTL": ctl[0]}
        proc = subprocess.run(["sh", str(EXAMPLES / "tutorial-etcdctl.sh")],
                              capture_output=True, env=env, timeout=60)
        outputs.append((harness.normalise(proc.stdout.decode()), proc.stderr, proc.returncode))
    _clean(fresh_server.url)
    assert outputs[0][2] == 0, outputs[0]
    assert outputs[1] == outputs[0]


def test_etcd_conf_example_starts_the_server(fresh_server: procs.ServerProcess,
                                             tmp_path: Path) -> None:
    """``examples/etcd.conf`` as the environment of a second server of the same kind."""
    harness.require_real_etcdctl()
    env: dict[str, str] = {}
    for line in (EXAMPLES / "etcd.conf").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value.strip('"')
    assert {"ETCD_NAME", "ETCD_DATA_DIR", "ETCD_LISTEN_CLIENT_URLS",
            "ETCD_ADVERTISE_CLIENT_URLS"} <= env.keys()
    port, peer = procs.free_port(), procs.free_port()
    url = f"http://127.0.0.1:{port}"
    env.update(ETCD_DATA_DIR=str(tmp_path / "default.etcd"), ETCD_LISTEN_CLIENT_URLS=url,
               ETCD_ADVERTISE_CLIENT_URLS=url,
               ETCD_LISTEN_PEER_URLS=f"http://127.0.0.1:{peer}",
               ETCD_INITIAL_ADVERTISE_PEER_URLS=f"http://127.0.0.1:{peer}",
               ETCD_INITIAL_CLUSTER=f"{env['ETCD_NAME']}=http://127.0.0.1:{peer}")
    real = fresh_server.name == "ref"
    argv = [procs.ETCD_BIN] if real else [sys.executable, "-m", "pyetcd"]
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, **env}, start_new_session=True)
    server = procs.ServerProcess("conf", url, proc, log, tmp_path)
    try:
        procs.wait_healthy(url, proc)
        run = harness.run_real(["--endpoints", url, "set", "/from-conf", "ok"])
        assert run == harness.Run("ok\n", "", 0), server.log()
    finally:
        server.stop()
