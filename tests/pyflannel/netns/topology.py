"""Network-namespace "hosts" for pyflanneld end-to-end tests and the benchmark.

Layout (every name carries the test's pid, so parallel runs and other users never clash)::

    ns <p>-sw : bridge br0 198.51.100.10/24 (+ .11, .12 for extra etcd members); etcd runs here
       |-- veth -- ns <p>-h1  eth0 198.51.100.1  (pyflanneld #1; cbr0 = FLANNEL_SUBNET)
       |                         \\-- veth -- ns <p>-p1  eth0 <subnet>.2, default via <subnet>.1
       |-- veth -- ns <p>-h2  eth0 198.51.100.2  ...

Everything is created with ``ip`` and removed by :meth:`Topology.destroy`, which deletes
only the namespaces this object recorded (and kills the processes it started), whatever
happened before. Underlay: TEST-NET-2 198.51.100.0/24; overlay: 198.18.0.0/16 (benchmark
range). No packet leaves these namespaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

UNDERLAY = "198.51.100"
ETCD_IP = f"{UNDERLAY}.10"


def sh(*args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=timeout)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int | None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        return self.popen.returncode


@dataclass
class Host:
    index: int
    ns: str
    ip: str
    subnet_file: Path
    pod_ns: str = ""
    pod_ip: str = ""
    flanneld: Proc | None = None


@dataclass
class Topology:
    tmp: Path
    tag: str = field(default_factory=lambda: f"fl{os.getpid()}")
    namespaces: list[str] = field(default_factory=list)
    procs: list[Proc] = field(default_factory=list)
    hosts: list[Host] = field(default_factory=list)

    # -- namespaces ---------------------------------------------------------------------

    def ns(self, role: str) -> str:
        return f"{self.tag}-{role}"

    def add_ns(self, role: str) -> str:
        name = self.ns(role)
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        self.run(name, "ip", "link", "set", "lo", "up")
        self.sysctl(name, "net.ipv4.ip_forward", "1")
        return name

    def run(self, ns: str, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return sh("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)

    def sysctl(self, ns: str, key: str, value: str) -> None:
        self.run(ns, "sysctl", "-qw", f"{key}={value}")

    def spawn(self, ns: str, name: str, argv: list[str], env: dict[str, str] | None = None) -> Proc:
        log_path = self.tmp / f"{name}.log"
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(
                ["ip", "netns", "exec", ns, *argv], stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, env={**os.environ, **(env or {})},
            )
        proc = Proc(name, popen, log_path)
        self.procs.append(proc)
        return proc

    def build(self, nhosts: int, extra_etcd_ips: int = 0) -> None:
        sw = self.add_ns("sw")
        self.run(sw, "ip", "link", "add", "br0", "type", "bridge")
        self.run(sw, "ip", "addr", "add", f"{ETCD_IP}/24", "dev", "br0")
        for k in range(extra_etcd_ips):
            self.run(sw, "ip", "addr", "add", f"{UNDERLAY}.{11 + k}/24", "dev", "br0")
        self.run(sw, "ip", "link", "set", "br0", "up")
        for i in range(1, nhosts + 1):
            hns = self.add_ns(f"h{i}")
            self.run(sw, "ip", "link", "add", f"v{i}", "type", "veth", "peer", "name", "eth0", "netns", hns)
            self.run(sw, "ip", "link", "set", f"v{i}", "master", "br0", "up")
            self.run(hns, "ip", "addr", "add", f"{UNDERLAY}.{i}/24", "dev", "eth0")
            self.run(hns, "ip", "link", "set", "eth0", "up")
            self.hosts.append(Host(i, hns, f"{UNDERLAY}.{i}", self.tmp / f"h{i}" / "subnet.env"))

    def set_features(self, ns: str, ifname: str, **features: bool) -> None:
        """ethtool -K through pyroute2 (names with "_" for "-", e.g. rx_gro=True)."""
        import sys
        code = (
            "import sys\nfrom pyroute2.ethtool import Ethtool\n"
            "e = Ethtool(); f = e.get_features(sys.argv[1])\n"
            "for kv in sys.argv[2:]:\n"
            "    k, v = kv.split('=')\n"
            "    f.features[k].enable = v == '1'\n"
            "e.set_features(sys.argv[1], f)\n"
        )
        args = [f"{k.replace('_', '-')}={int(v)}" for k, v in features.items()]
        self.run(ns, sys.executable, "-c", code, ifname, *args)

    def destroy(self) -> None:
        for proc in reversed(self.procs):
            proc.stop(timeout=5)
        for name in reversed(self.namespaces):
            # kill anything still running inside (e.g. iperf3 servers), then the namespace
            pids = sh("ip", "netns", "pids", name, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            sh("ip", "netns", "del", name, check=False)
        self.namespaces.clear()

    # -- etcd ---------------------------------------------------------------------------

    def etcd_url(self, ip: str = ETCD_IP) -> str:
        return f"http://{ip}:2379"

    def start_real_etcd(self, members: int = 1) -> list[Proc]:
        ips = [ETCD_IP] + [f"{UNDERLAY}.{11 + k}" for k in range(members - 1)]
        cluster = ",".join(f"m{k}=http://{ip}:2380" for k, ip in enumerate(ips))
        out = []
        for k, ip in enumerate(ips):
            argv = [
                "etcd", "--name", f"m{k}", "--data-dir", str(self.tmp / f"etcd-m{k}"),
                "--listen-client-urls", f"http://{ip}:2379", "--advertise-client-urls", f"http://{ip}:2379",
                "--listen-peer-urls", f"http://{ip}:2380", "--initial-advertise-peer-urls", f"http://{ip}:2380",
                "--initial-cluster", cluster, "--initial-cluster-state", "new", "--enable-v2=true",
                "--log-level", "warn",
            ]
            out.append(self.spawn(self.ns("sw"), f"etcd-m{k}", argv))
        for ip in ips:
            self.wait_http(self.ns("sw"), f"http://{ip}:2379/health")
        return out

    def start_pyetcd(self) -> Proc:
        import sys
        url = self.etcd_url()
        proc = self.spawn(self.ns("sw"), "pyetcd", [
            sys.executable, "-m", "pyetcd", "--name", "py", "--data-dir", str(self.tmp / "pyetcd"),
            "--listen-client-urls", url, "--advertise-client-urls", url,
        ])
        self.wait_http(self.ns("sw"), f"{url}/health")
        return proc

    def wait_http(self, ns: str, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run(ns, "curl", "-sf", "-m", "1", url, check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{url} not answering; logs: {[p.log()[-500:] for p in self.procs]}")

    def etcd(self, method: str, key: str, value: str | None = None, ttl: int | None = None,
             query: str = "") -> dict[str, object]:
        url = f"{self.etcd_url()}/v2/keys{key}" + (f"?{query}" if query else "")
        args = ["curl", "-s", "-m", "5", "-X", method, url]
        if value is not None:
            args += ["--data-urlencode", f"value={value}"]
        if ttl is not None:
            args += ["-d", f"ttl={ttl}"]
        out = self.run(self.ns("sw"), *args).stdout
        result: dict[str, object] = json.loads(out)
        return result

    def put_config(self, config: str, prefix: str = "/coreos.com/network") -> None:
        deadline = time.monotonic() + 20
        while True:  # a fresh cluster may still be electing its leader
            try:
                if "node" in self.etcd("PUT", f"{prefix}/config", config):
                    return
            except (ValueError, subprocess.SubprocessError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("could not write the network config")
            time.sleep(0.3)

    # -- flanneld and pods ----------------------------------------------------------------

    def start_flanneld(self, host: Host, *extra: str, endpoints: str | None = None,
                       env: dict[str, str] | None = None) -> Proc:
        import sys
        host.subnet_file.parent.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "pyflannel", f"--etcd-endpoints={endpoints or self.etcd_url()}",
                "--iface=eth0", f"--subnet-file={host.subnet_file}", *extra]
        host.flanneld = self.spawn(host.ns, f"flanneld-h{host.index}-{len(self.procs)}", argv, env)
        return host.flanneld

    def wait_subnet_file(self, host: Host, timeout: float = 20) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if host.subnet_file.exists():
                text = host.subnet_file.read_text()
                return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
            if host.flanneld is not None and host.flanneld.popen.poll() is not None:
                raise RuntimeError(f"flanneld exited: {host.flanneld.log()[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"no subnet file for h{host.index}: {host.flanneld.log()[-3000:] if host.flanneld else ''}")

    def add_pod(self, host: Host, env: dict[str, str]) -> None:
        """docker0-style bridge cbr0 = FLANNEL_SUBNET, one pod with <subnet>.2, MTU from the file."""
        first, plen = env["FLANNEL_SUBNET"].split("/")
        mtu = env["FLANNEL_MTU"]
        a, b, c, _ = first.split(".")
        pod_ip = f"{a}.{b}.{c}.2"
        pns = self.add_ns(f"p{host.index}")
        h = host.ns
        self.run(h, "ip", "link", "add", "cbr0", "type", "bridge")
        self.run(h, "ip", "addr", "add", f"{first}/{plen}", "dev", "cbr0")
        self.run(h, "ip", "link", "set", "cbr0", "mtu", mtu, "up")
        self.run(h, "ip", "link", "add", "vp", "type", "veth", "peer", "name", "eth0", "netns", pns)
        self.run(h, "ip", "link", "set", "vp", "mtu", mtu, "master", "cbr0", "up")
        self.run(pns, "ip", "addr", "add", f"{pod_ip}/{plen}", "dev", "eth0")
        self.run(pns, "ip", "link", "set", "eth0", "mtu", mtu, "up")
        self.run(pns, "ip", "route", "add", "default", "via", first)
        host.pod_ns, host.pod_ip = pns, pod_ip

    def ping(self, src: Host, dst: Host, count: int = 3, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        return self.run(src.pod_ns, "ping", "-c", str(count), "-i", "0.2", "-W", "2", *extra, dst.pod_ip,
                        check=False, timeout=30)


def quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")
