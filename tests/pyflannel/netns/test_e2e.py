"""pyflanneld end to end: namespace "hosts" on a bridge, etcd, a pyflanneld and a pod per host.

Each test builds its own topology (see topology.py) and tears it down, whatever happens.
Checks follow the interoperability checklist of the spec (C/D/F/I ids in the comments).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pyflannel.netns.conftest import start_etcd
from tests.pyflannel.netns.pcap import udp_records
from tests.pyflannel.netns.topology import UNDERLAY, Host, Topology

pytestmark = [pytest.mark.netns, pytest.mark.e2e]
NETWORK = "198.18.0.0/16"
PREFIX = "/coreos.com/network"
EXPECTED_TTL = {"udp": 60, "vxlan": 62, "host-gw": 62}
EXPECTED_MTU = {"udp": "1472", "vxlan": "1450", "host-gw": "1500"}


# Leases the tests write by hand for hosts without a pyflanneld (198.18.77.0/24) lie above
# SubnetMax, so the random allocation can never hand them to a real host first.
SUBNET_MAX = "198.18.76.0"


def config(backend: str) -> str:
    return json.dumps({"Network": NETWORK, "SubnetMax": SUBNET_MAX, "Backend": {"Type": backend}},
                      separators=(",", ":"))


def bring_up(topo: Topology, backend: str, *flags: str, hosts: list[Host] | None = None,
             env: dict[str, str] | None = None) -> list[dict[str, str]]:
    hosts = topo.hosts if hosts is None else hosts
    for h in hosts:
        topo.start_flanneld(h, *flags, env=env)
    envs = []
    for h in hosts:
        e = topo.wait_subnet_file(h)
        topo.add_pod(h, e)
        envs.append(e)
    return envs


def wait_ping(topo: Topology, a: Host, b: Host, timeout: float = 15) -> subprocess.CompletedProcess[str]:
    """Pings until one gets through (a peer's lease reaches the other daemon by a watch)."""
    deadline = time.monotonic() + timeout
    while True:
        r = topo.ping(a, b, count=1)
        if r.returncode == 0 or time.monotonic() > deadline:
            return r


def wait_log(host: Host, text: str, count: int = 1, timeout: float = 20) -> None:
    """Wait until ``host``'s pyflanneld has logged ``text`` ``count`` times (its log is
    the only event a separate process offers), failing with the log's tail."""
    deadline = time.monotonic() + timeout
    while True:
        log = host.flanneld.log() if host.flanneld else ""
        if log.count(text) >= count:
            return
        assert time.monotonic() < deadline, f"{text!r} x{count} not logged: {log[-3000:]}"
        time.sleep(0.1)


def tcp_transfer(topo: Topology, client: Host, server: Host) -> None:
    topo.run(server.pod_ns, "iperf3", "-s", "-D", "-1", "-p", "5201")
    deadline = time.monotonic() + 10
    while True:
        r = topo.run(client.pod_ns, "iperf3", "-c", server.pod_ip, "-p", "5201", "-n", "4M", "-J",
                     check=False, timeout=60)
        if r.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.3)  # the one-shot server may not be listening yet
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr
    result = json.loads(r.stdout)
    assert result["end"]["sum_sent"]["bytes"] >= 4 * 1024 * 1024  # TCP: sent means delivered
    assert result["end"]["sum_received"]["bytes"] > 0


def lease_nodes(topo: Topology) -> list[dict[str, object]]:
    body = topo.etcd("GET", f"{PREFIX}/subnets", query="recursive=true")
    node = body.get("node")
    assert isinstance(node, dict)
    nodes = node.get("nodes", [])
    assert isinstance(nodes, list)
    return nodes


def expected_value(backend: str, host: Host, topo: Topology) -> str:
    ip = host.ip
    if backend == "udp":
        return f'{{"PublicIP":"{ip}"}}'
    if backend == "host-gw":
        return f'{{"PublicIP":"{ip}","BackendType":"host-gw"}}'
    mac = topo.run(host.ns, "cat", "/sys/class/net/flannel.1/address").stdout.strip()
    return f'{{"PublicIP":"{ip}","BackendType":"vxlan","BackendData":{{"VNI":1,"VtepMAC":"{mac}"}}}}'


@pytest.mark.parametrize("backend", ["udp", "vxlan", "host-gw"])
def test_pods_on_two_hosts_talk(topo: Topology, etcd_kind: str, backend: str) -> None:
    topo.build(2)
    start_etcd(topo, etcd_kind)
    topo.put_config(config(backend))
    envs = bring_up(topo, backend)
    h1, h2 = topo.hosts
    # F1: subnet.env bytes
    for h, e in zip(topo.hosts, envs, strict=True):
        assert h.subnet_file.read_text() == (
            f"FLANNEL_NETWORK={NETWORK}\nFLANNEL_SUBNET={e['FLANNEL_SUBNET']}\n"
            f"FLANNEL_MTU={EXPECTED_MTU[backend]}\nFLANNEL_IPMASQ=false\n")
        assert re.fullmatch(r"198\.18\.\d{1,3}\.1/24", e["FLANNEL_SUBNET"])
    # D3: ping both ways with flannel's TTLs, then TCP both ways
    for a, b in ((h1, h2), (h2, h1)):
        r = wait_ping(topo, a, b)
        assert r.returncode == 0, r.stdout + (h1.flanneld.log() if h1.flanneld else "")
        assert f"ttl={EXPECTED_TTL[backend]}" in r.stdout
    tcp_transfer(topo, h1, h2)
    tcp_transfer(topo, h2, h1)
    # C3: keys and values exactly as flannel writes them
    nodes = {n["key"]: n for n in lease_nodes(topo)}
    for h, e in zip(topo.hosts, envs, strict=True):
        key = f"{PREFIX}/subnets/{e['FLANNEL_SUBNET'].replace('.1/24', '.0-24')}"
        assert nodes[key]["value"] == expected_value(backend, h, topo)
        ttl = nodes[key]["ttl"]
        assert isinstance(ttl, int) and 86390 <= ttl <= 86400
    # device checks (D1 / V1 / G1)
    s2 = envs[1]["FLANNEL_SUBNET"].replace(".1/24", ".0")
    routes = topo.run(h1.ns, "ip", "route").stdout
    if backend == "udp":
        link = topo.run(h1.ns, "ip", "-d", "link", "show", "flannel0").stdout
        assert "mtu 1472" in link and "tun" in link
        addrs = topo.run(h1.ns, "ip", "-4", "-o", "addr", "show", "flannel0").stdout
        assert f"{envs[0]['FLANNEL_SUBNET'].replace('.1/24', '.0')}/32" in addrs
        assert f"{NETWORK} dev flannel0" in routes
    elif backend == "vxlan":
        link = topo.run(h1.ns, "ip", "-d", "link", "show", "flannel.1").stdout
        assert "vxlan id 1" in link and f"local {h1.ip}" in link and "dstport 8472" in link
        assert "nolearning" in link and "mtu 1450" in link
        assert f"{s2}/24 via {s2} dev flannel.1 onlink \n" in routes
        mac2 = topo.run(h2.ns, "cat", "/sys/class/net/flannel.1/address").stdout.strip()
        neigh = topo.run(h1.ns, "ip", "neigh", "show", "dev", "flannel.1").stdout
        assert f"{s2} lladdr {mac2} PERMANENT" in neigh
        fdb = topo.run(h1.ns, "bridge", "fdb", "show", "dev", "flannel.1").stdout
        assert f"{mac2} dst {h2.ip} self permanent" in fdb
    else:
        assert f"{s2}/24 via {h2.ip} dev eth0 \n" in routes
    # D12 / §13: SIGTERM -> exit 0; the udp TUN goes away, vxlan/host-gw state stays
    assert h1.flanneld is not None and h1.flanneld.stop() == 0
    links = topo.run(h1.ns, "ip", "-o", "link").stdout
    if backend == "udp":
        assert "flannel0" not in links
    elif backend == "vxlan":
        assert "flannel.1" in links
    assert "Exiting cleanly" in h1.flanneld.log()


def _capture(topo: Topology, ns: str, out: Path, count: int, bpf: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        ["ip", "netns", "exec", ns, "tcpdump", "-i", "eth0", "-nn", "-U", "-c", str(count),
         "-s", "2000", "-w", str(out), bpf],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # "listening on eth0 ..." once the capture is armed
    assert b"listening" in line, line
    return proc


FAKE_PEER = r'''
import json, socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
me, fl_host, pod = sys.argv[1], sys.argv[2], sys.argv[3]
src = socket.inet_aton("198.18.77.5"); dst = socket.inet_aton(pod)
icmp = bytearray(struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"pyflannel-fake-peer")
struct.pack_into("!H", icmp, 2, csum(bytes(icmp)))
ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 7, 0x4000, 64, 1, 0, src, dst))
struct.pack_into("!H", ip, 10, csum(bytes(ip)))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((me, 8285)); s.settimeout(10)
s.sendto(bytes(ip + icmp), (fl_host, 8285))
while True:
    data, addr = s.recvfrom(65535)
    if data[9] == 1 and data[20] == 0:
        break
print(json.dumps({"from": list(addr), "hex": data.hex(), "ip_ok": csum(data[:20]) == 0,
                  "icmp_ok": csum(data[20:]) == 0}))
'''


HASH_SERVER = r"""
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5202)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)
"""
HASH_CLIENT = r"""
import hashlib, random, socket, sys
data = random.Random(int(sys.argv[2])).randbytes(int(sys.argv[3]))
c = socket.create_connection((sys.argv[1], 5202)); c.sendall(data); c.close()
print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
"""


def tcp_content_transfer(topo: Topology, client: Host, server: Host, nbytes: int = 24 << 20) -> None:
    """Random bytes arrive intact. Merged super-packets reach the pod as CHECKSUM_PARTIAL,
    which TCP does not verify, so only a content check shows a merge that mixed payloads."""
    srv = subprocess.Popen(["ip", "netns", "exec", server.pod_ns, sys.executable, "-c", HASH_SERVER, server.pod_ip],
                           stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert srv.stdout is not None and srv.stdout.readline().strip() == "ready"
        sent = topo.run(client.pod_ns, sys.executable, "-c", HASH_CLIENT, server.pod_ip, str(os.getpid()),
                        str(nbytes), timeout=120).stdout.strip()
        received, _ = srv.communicate(timeout=60)
    finally:
        if srv.poll() is None:
            os.killpg(srv.pid, signal.SIGKILL)
            srv.wait()
    assert received.strip() == sent


@pytest.mark.parametrize("offload", ["batch", "off"])
def test_udp_wire_format_and_a_fake_flannel_peer(topo: Topology, offload: str) -> None:
    """The same bytes on the wire whichever way the forwarder batches its work."""
    topo.build(3)
    topo.start_real_etcd()
    topo.put_config(config("udp"))
    h1, h2, h3 = topo.hosts
    bring_up(topo, "udp", hosts=[h1, h2], env={"PYFLANNEL_UDP_OFFLOAD": offload})
    assert wait_ping(topo, h1, h2).returncode == 0
    # D4: with UDP GSO off on h1's eth0 the kernel cuts our GSO sends before the wire, so
    # the capture sees exactly what crosses a real link.
    topo.set_features(h1.ns, "eth0", tx_udp_segmentation=False)
    pcap = topo.tmp / "wire.pcap"
    cap = _capture(topo, h2.ns, pcap, 200, f"udp and src host {h1.ip}")
    try:
        assert topo.ping(h1, h2, count=2).returncode == 0
        tcp_transfer(topo, h1, h2)
    finally:
        cap.send_signal(signal.SIGINT)
        cap.wait(10)
    recs = udp_records(pcap)
    assert len(recs) >= 50
    pings = [r for r in recs if r.payload[9] == 1]
    assert pings, "no ICMP inside the captured datagrams"
    for r in recs:
        assert (r.sport, r.dport) == (8285, 8285)
        assert (r.outer_src, r.outer_dst) == (h1.ip, h2.ip)
        assert r.outer_df and r.outer_ttl == 64
        inner_len = int.from_bytes(r.payload[2:4], "big")
        assert r.payload[0] == 0x45 and r.udp_length == 8 + inner_len <= 8 + 1472
        assert r.payload[12:16] == socket.inet_aton(h1.pod_ip)
        assert r.payload[16:20] == socket.inet_aton(h2.pod_ip)
    assert all(r.payload[8] == 62 for r in pings)  # one hop in h1's kernel, one in pyflanneld
    assert any(r.udp_length == 8 + 1472 for r in recs), "TCP segments should fill the MTU"
    # what the forwarders merge and batch arrives byte for byte, both ways
    tcp_content_transfer(topo, h1, h2)
    tcp_content_transfer(topo, h2, h1)
    # D7: a peer that is not pyflanneld (hand-built datagrams, no offloads) is understood
    topo.etcd("PUT", f"{PREFIX}/subnets/198.18.77.0-24", f'{{"PublicIP":"{h3.ip}"}}', ttl=600)
    wait_log(h1, "Subnet added: 198.18.77.0/24")  # the lease reached h1 through its watch
    r = topo.run(h3.ns, sys.executable, "-c", FAKE_PEER, h3.ip, h1.ip, h1.pod_ip, timeout=20)
    reply = json.loads(r.stdout)
    data = bytes.fromhex(reply["hex"])
    assert reply["from"] == [h1.ip, 8285]
    assert reply["ip_ok"] and reply["icmp_ok"]
    assert data[12:16] == socket.inet_aton(h1.pod_ip) and data[16:20] == socket.inet_aton("198.18.77.5")
    assert data[8] == 62 and data.endswith(b"pyflannel-fake-peer")


def test_ip_masq_rules_kept_in_place_and_removed_on_exit(topo: Topology) -> None:
    topo.build(1)
    topo.start_real_etcd()
    topo.put_config(config("host-gw"))
    (h1,) = topo.hosts
    (env,) = bring_up(topo, "host-gw", "--ip-masq", "--iptables-resync=1")
    lease = env["FLANNEL_SUBNET"].replace(".1/24", ".0/24")
    assert env["FLANNEL_IPMASQ"] == "true"
    want = [
        f"-A POSTROUTING -s {NETWORK} -d {NETWORK} -j RETURN",
        f"-A POSTROUTING -s {NETWORK} ! -d 224.0.0.0/4 -j MASQUERADE --random-fully",
        f"-A POSTROUTING ! -s {NETWORK} -d {lease} -j RETURN",
        f"-A POSTROUTING ! -s {NETWORK} -d {NETWORK} -j MASQUERADE --random-fully",
    ]

    def rules() -> tuple[list[str], list[str]]:
        nat = [x for x in topo.run(h1.ns, "iptables-save", "-t", "nat").stdout.splitlines()
               if x.startswith("-A POSTROUTING")]
        fwd = [x for x in topo.run(h1.ns, "iptables-save", "-t", "filter").stdout.splitlines()
               if x.startswith("-A FORWARD")]
        return nat, fwd

    deadline = time.monotonic() + 10
    while rules()[0] != want and time.monotonic() < deadline:
        time.sleep(0.2)
    nat, fwd = rules()
    assert nat == want  # I1
    assert fwd == [f"-A FORWARD -s {NETWORK} -j ACCEPT", f"-A FORWARD -d {NETWORK} -j ACCEPT"]  # I2
    topo.run(h1.ns, "iptables", "-t", "nat", "-D", "POSTROUTING", "3")
    deadline = time.monotonic() + 5
    while rules()[0] != want and time.monotonic() < deadline:  # I3
        time.sleep(0.2)
    assert rules()[0] == want
    assert h1.flanneld is not None and h1.flanneld.stop() == 0
    assert rules() == ([], [])  # removed on clean shutdown (issue 4), unlike flannel (I5)


def test_revoked_lease_exits_zero_and_ready_is_notified(topo: Topology) -> None:
    topo.build(1)
    topo.start_real_etcd()
    topo.put_config(config("udp"))
    (h1,) = topo.hosts
    sock_path = topo.tmp / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(sock_path))
    notify.settimeout(20)
    try:
        topo.start_flanneld(h1, "--healthz-port=18080", env={"NOTIFY_SOCKET": str(sock_path)})
        assert notify.recv(100) == b"READY=1"  # S1: after the subnet file exists
        assert h1.subnet_file.exists()
    finally:
        notify.close()
    health = topo.run(h1.ns, "curl", "-s", "-i", "http://127.0.0.1:18080/healthz").stdout
    assert health.startswith("HTTP/1.1 200") and health.endswith("flanneld is running")
    assert topo.run(h1.ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                    "http://127.0.0.1:18080/x").stdout == "404"
    key = lease_nodes(topo)[0]["key"]
    assert isinstance(key, str)
    topo.etcd("DELETE", key)  # C14
    assert h1.flanneld is not None
    assert h1.flanneld.popen.wait(10) == 0
    assert "Lease has been revoked" in h1.flanneld.log()
    assert "flannel0" not in topo.run(h1.ns, "ip", "-o", "link").stdout
    assert lease_nodes(topo) == []  # not re-created


def test_three_member_etcd_with_a_member_stopped(topo: Topology) -> None:
    topo.build(3, extra_etcd_ips=2)
    members = topo.start_real_etcd(members=3)
    topo.put_config(config("host-gw"))
    h1, h2, h3 = topo.hosts
    endpoints = ",".join(f"http://{UNDERLAY}.{k}:2379" for k in (10, 11, 12))
    for h in (h1, h2):
        topo.start_flanneld(h, endpoints=endpoints)
    envs = [topo.wait_subnet_file(h) for h in (h1, h2)]
    for h, e in zip((h1, h2), envs, strict=True):
        topo.add_pod(h, e)
    assert wait_ping(topo, h1, h2).returncode == 0
    members[0].stop()  # the first endpoint of every daemon goes away
    deadline = time.monotonic() + 20
    while True:  # the survivors may need a moment to elect a new leader
        out = topo.run(topo.ns("sw"), "curl", "-s", "-m", "3", "-X", "PUT",
                       f"http://{UNDERLAY}.11:2379/v2/keys{PREFIX}/subnets/198.18.77.0-24",
                       "--data-urlencode", f'value={{"PublicIP":"{h3.ip}","BackendType":"host-gw"}}',
                       "-d", "ttl=600", check=False).stdout
        if '"action":"set"' in out:
            break
        assert time.monotonic() < deadline, out
        time.sleep(0.3)
    deadline = time.monotonic() + 15
    while f"198.18.77.0/24 via {h3.ip}" not in topo.run(h1.ns, "ip", "route").stdout:
        assert time.monotonic() < deadline, h1.flanneld.log() if h1.flanneld else ""
        time.sleep(0.2)
    assert topo.ping(h1, h2, count=1).returncode == 0
    # a restart while the member is still down gets the same subnet back
    assert h2.flanneld is not None and h2.flanneld.stop() == 0
    os.unlink(h2.subnet_file)
    topo.start_flanneld(h2, endpoints=endpoints)
    assert topo.wait_subnet_file(h2)["FLANNEL_SUBNET"] == envs[1]["FLANNEL_SUBNET"]
    assert wait_ping(topo, h2, h1).returncode == 0


def test_etcd_down_at_start_and_during_forwarding(topo: Topology) -> None:
    topo.build(2)
    h1, h2 = topo.hosts
    for h in topo.hosts:  # C15: no etcd yet; the daemons keep retrying instead of exiting
        topo.start_flanneld(h)
    for h in topo.hosts:
        wait_log(h, "Couldn't fetch network config", count=2)
    assert all(h.flanneld is not None and h.flanneld.popen.poll() is None for h in topo.hosts)
    (etcd,) = topo.start_real_etcd()
    for h in topo.hosts:  # etcd is up but has no config: still retrying, with the v2 hint
        wait_log(h, "ETCDCTL_API=2")
    assert all(h.flanneld is not None and h.flanneld.popen.poll() is None for h in topo.hosts)
    topo.put_config(config("udp"))
    for h in topo.hosts:
        topo.add_pod(h, topo.wait_subnet_file(h))
    assert h1.flanneld is not None and "ETCDCTL_API=2" in h1.flanneld.log()
    assert wait_ping(topo, h1, h2).returncode == 0
    etcd.stop()  # forwarding between known hosts does not need etcd
    assert topo.ping(h1, h2, count=3).returncode == 0
    assert topo.ping(h2, h1, count=3).returncode == 0
    for h in topo.hosts:  # each daemon has seen its lease watch fail
        wait_log(h, "watch of subnet leases failed")
    topo.start_real_etcd()  # same data dir: the leases are back, the daemons carry on
    topo.etcd("PUT", f"{PREFIX}/subnets/198.18.77.0-24", f'{{"PublicIP":"{UNDERLAY}.77"}}', ttl=600)
    wait_log(h1, "Subnet added: 198.18.77.0/24")
    assert all(h.flanneld is not None and h.flanneld.popen.poll() is None for h in topo.hosts)


def test_udp_ttl_mtu_and_unknown_destinations(topo: Topology) -> None:
    topo.build(2)
    topo.start_real_etcd()
    topo.put_config(config("udp"))
    envs = bring_up(topo, "udp")
    h1, h2 = topo.hosts
    assert wait_ping(topo, h1, h2).returncode == 0
    # D9: flanneld eats 2 TTL without Time Exceeded; h2's kernel answers for -t 4
    assert topo.ping(h1, h2, count=1, extra=("-t", "3")).returncode != 0
    r = topo.ping(h1, h2, count=1, extra=("-t", "4"))
    assert "Time to live exceeded" in r.stdout
    assert topo.ping(h1, h2, count=1, extra=("-t", "5")).returncode == 0
    # D10: the pod's MTU is 1472 (from subnet.env); raise it to see flannel0 refuse DF packets
    topo.run(h1.pod_ns, "ip", "link", "set", "eth0", "mtu", "1500")
    assert topo.ping(h1, h2, count=1, extra=("-M", "do", "-s", "1444")).returncode == 0
    r = topo.ping(h1, h2, count=1, extra=("-M", "do", "-s", "1445"))
    assert "mtu = 1472" in r.stdout or "mtu=1472" in r.stdout, r.stdout + r.stderr
    assert topo.ping(h1, h2, count=1, extra=("-s", "3000")).returncode == 0  # fragmented
    # D8: a UDP probe to a subnet nobody leases gets flannel's net-unreachable on flannel0
    lease0 = envs[0]["FLANNEL_SUBNET"].replace(".1/24", ".0")
    cap = subprocess.Popen(
        ["ip", "netns", "exec", h1.ns, "tcpdump", "-i", "flannel0", "-nn", "-v", "-l", "-c", "2", "icmp or udp"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert cap.stderr is not None and "listening" in cap.stderr.readline()
    topo.run(h1.pod_ns, sys.executable, "-c",
             "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('198.18.250.9', 9))")
    try:
        out, _ = cap.communicate(timeout=10)
    finally:
        if cap.poll() is None:
            os.killpg(cap.pid, signal.SIGKILL)
    assert f"{lease0} > {h1.pod_ip}: ICMP net 198.18.250.9 unreachable" in out, out
    assert "ttl 8," in out and "id 0," in out, out


ROGUE = r'''
import socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
def ip(size, dst):
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, size, 1, 0x4000, 64, 17, 0,
                              socket.inet_aton("198.18.99.5"), socket.inet_aton(dst)))
    struct.pack_into("!H", h, 10, csum(bytes(h)))
    return bytes(h) + bytes(size - 20)
me, fl_host, pod, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((me, 8285))
s.sendto(ip(size, pod), (fl_host, 8285))
'''


def test_udp_unknown_sender_and_oversize_datagrams(topo: Topology) -> None:
    """A sender without a lease is forwarded and logged once; a datagram larger than the
    MTU is dropped and counted; forwarding between the real peers goes on."""
    topo.build(3)
    topo.start_real_etcd()
    topo.put_config(config("udp"))
    h1, h2, h3 = topo.hosts
    bring_up(topo, "udp", hosts=[h1, h2])
    assert wait_ping(topo, h1, h2).returncode == 0
    cap = subprocess.Popen(
        ["ip", "netns", "exec", h1.ns, "tcpdump", "-i", "flannel0", "-nn", "-v", "-l", "-c", "1",
         "host 198.18.99.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        assert cap.stderr is not None and "listening" in cap.stderr.readline()
        topo.run(h3.ns, sys.executable, "-c", ROGUE, h3.ip, h1.ip, h1.pod_ip, "1600")  # > MTU 1472
        topo.run(h3.ns, sys.executable, "-c", ROGUE, h3.ip, h1.ip, h1.pod_ip, "100")
        out, _ = cap.communicate(timeout=10)
    finally:
        if cap.poll() is None:
            os.killpg(cap.pid, signal.SIGKILL)
    # only the 100-byte packet reaches flannel0, TTL decremented
    assert "198.18.99.5" in out and "length 100)" in out and "ttl 63," in out, out
    assert topo.ping(h1, h2, count=2).returncode == 0
    assert h1.flanneld is not None and h1.flanneld.stop() == 0
    log = h1.flanneld.log()
    assert log.count(f"datagram from {h3.ip}, which holds no lease") == 1, log[-3000:]
    assert "dropping 1600-byte packet larger than MTU 1472" in log
    assert "oversize 1," in log


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        out += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
    return out


def test_udp_workers_never_outlive_the_daemon(topo: Topology) -> None:
    """The forwarder's worker processes hold flannel0 open: when the daemon dies, even by
    SIGKILL, they notice the closed control socket and exit, and flannel0 goes away."""
    topo.build(2)
    topo.start_real_etcd()
    topo.put_config(config("udp"))
    h1, h2 = topo.hosts
    bring_up(topo, "udp")
    assert wait_ping(topo, h1, h2).returncode == 0
    assert h1.flanneld is not None
    pid = h1.flanneld.popen.pid
    workers = _children(pid)
    cmdlines = [Path(f"/proc/{w}/cmdline").read_bytes() for w in workers]
    assert len(workers) == 2 and all(b"pyflannel.worker" in c for c in cmdlines), cmdlines
    os.kill(pid, signal.SIGKILL)
    h1.flanneld.popen.wait(10)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{w}").exists() for w in workers)
    assert "flannel0" not in topo.run(h1.ns, "ip", "-o", "link").stdout
