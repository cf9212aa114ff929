"""``kubelite apiserver`` configuration, with kube-apiserver's flag names.

Flags are given as ``--name=value`` or ``--name value``. Besides the flags that matter,
a few the tutorial's ``/etc/kubernetes/*`` files pass are accepted and ignored with a log
line (``--logtostderr``, ``--allow-privileged``, ``--admission-control`` ...) so the
classic unit file runs unchanged. The old ``--address``/``--port`` are aliases of
``--insecure-bind-address``/``--insecure-port``.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field

SECONDS = float

IGNORED_FLAGS = ("logtostderr", "allow-privileged", "admission-control",
                 "enable-admission-plugins", "disable-admission-plugins", "secure-port",
                 "bind-address", "tls-cert-file", "tls-private-key-file", "client-ca-file",
                 "service-account-key-file", "service-account-issuer",
                 "service-account-signing-key-file", "authorization-mode", "kubelet-port",
                 "storage-backend", "apiserver-count", "master")


@dataclass(frozen=True, slots=True)
class Config:
    etcd_servers: tuple[str, ...] = ("http://127.0.0.1:2379",)
    etcd_prefix: str = "/registry"
    insecure_bind_address: str = "127.0.0.1"
    insecure_port: int = 8080
    service_cluster_ip_range: str = "10.0.0.0/24"  # kube-apiserver's historical default
    service_node_port_range: str = "30000-32767"
    advertise_address: str = ""
    event_ttl: SECONDS = 3600.0
    min_request_timeout: SECONDS = 1800.0
    kubelet_https: bool = False
    verbosity: int = 0
    ignored: tuple[str, ...] = field(default=())


def parse_duration(text: str) -> float:
    """Go durations as kube flags take them: ``1h``, ``1h0m0s``, ``90s``, ``1.5m``."""
    total, matched = 0.0, False
    for number, unit in re.findall(r"([0-9.]+)(ms|h|m|s)", text):
        matched = True
        total += float(number) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    if not matched:
        total = float(text)
    return total


def _bool(text: str) -> bool:
    return text.lower() in ("1", "true", "t", "yes")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kubelite apiserver", description=(
        "The kubelite API server: Kubernetes' REST API over objects stored in etcd v2."))
    p.add_argument("--etcd-servers", action="append", default=[],
                   help="etcd endpoints, comma separated (repeatable); tried in order")
    p.add_argument("--etcd-prefix", default="/registry", help="etcd key prefix of all objects")
    p.add_argument("--insecure-bind-address", "--address", dest="address", default="127.0.0.1",
                   help="address of the plain HTTP listener")
    p.add_argument("--insecure-port", "--port", dest="port", type=int, default=8080,
                   help="port of the plain HTTP listener")
    p.add_argument("--service-cluster-ip-range", default="10.0.0.0/24",
                   help="CIDR from which Service cluster IPs are allocated")
    p.add_argument("--service-node-port-range", default="30000-32767",
                   help="port range for NodePort Services")
    p.add_argument("--advertise-address", default="",
                   help="IP published in the kubernetes Service's endpoints")
    p.add_argument("--event-ttl", default="1h0m0s", help="how long events are kept")
    p.add_argument("--min-request-timeout", type=float, default=1800,
                   help="seconds a watch lasts at least (randomised up to twice this)")
    p.add_argument("--kubelet-https", nargs="?", const="true", default="false",
                   help="reach kubelets over HTTPS (kubelite's kubelet serves HTTP)")
    p.add_argument("--v", "-v", dest="v", type=int, default=0, help="log verbosity")
    for name in IGNORED_FLAGS:
        p.add_argument(f"--{name}", dest=f"ignored_{name.replace('-', '_')}", nargs="?",
                       const="true", default=None, help=argparse.SUPPRESS)
    return p


def from_args(argv: list[str]) -> Config:
    args = parser().parse_args(argv)
    servers = tuple(s.strip() for group in args.etcd_servers for s in group.split(",")
                    if s.strip()) or ("http://127.0.0.1:2379",)
    ignored = tuple(name for name in IGNORED_FLAGS
                    if getattr(args, f"ignored_{name.replace('-', '_')}") is not None)
    return Config(
        etcd_servers=servers, etcd_prefix=args.etcd_prefix,
        insecure_bind_address=args.address, insecure_port=args.port,
        service_cluster_ip_range=args.service_cluster_ip_range,
        service_node_port_range=args.service_node_port_range,
        advertise_address=args.advertise_address,
        event_ttl=parse_duration(args.event_ttl),
        min_request_timeout=args.min_request_timeout,
        kubelet_https=_bool(args.kubelet_https), verbosity=args.v, ignored=ignored,
    )
