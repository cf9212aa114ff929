"""flanneld's command line: flag names, Go ``flag`` syntax and ``FLANNELD_*`` variables.

Syntax (Go's ``flag`` package): ``-name value``, ``-name=value``, ``--name value``,
``--name=value``; boolean flags take no separate value (``-ip-masq``, ``-ip-masq=false``).
Parsing stops at the first non-flag argument or at ``--``.

Precedence: a flag given on the command line > ``FLANNELD_<NAME>`` (upper case, ``-`` ->
``_``; empty values ignored) > the default. For the repeatable ``iface``/``iface-regex`` the
variable gives exactly one value (commas are not split), as in flannel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ENDPOINTS = "http://127.0.0.1:4001,http://127.0.0.1:2379"
ENV_PREFIX = "FLANNELD_"


class UsageError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    kind: str  # "str", "int", "bool", "list"
    default: str | int | bool | tuple[str, ...]
    help: str
    ignored: bool = False  # accepted for compatibility, has no effect


FLAGS: tuple[Flag, ...] = (
    Flag("etcd-endpoints", "str", DEFAULT_ENDPOINTS, "a comma-delimited list of etcd endpoints"),
    Flag("etcd-prefix", "str", "/coreos.com/network", "etcd prefix"),
    Flag("etcd-keyfile", "str", "", "SSL key file used to secure etcd communication"),
    Flag("etcd-certfile", "str", "", "SSL certification file used to secure etcd communication"),
    Flag("etcd-cafile", "str", "", "SSL Certificate Authority file used to secure etcd communication"),
    Flag("etcd-username", "str", "", "username for BasicAuth to etcd"),
    Flag("etcd-password", "str", "", "password for BasicAuth to etcd"),
    Flag("help", "bool", False, "print this message"),
    Flag("version", "bool", False, "print version and exit"),
    Flag("kube-subnet-mgr", "bool", False, "contact the Kubernetes API for subnet assignment (not supported)"),
    Flag("kube-api-url", "str", "", "Kubernetes API server URL (not supported)", ignored=True),
    Flag("kube-annotation-prefix", "str", "flannel.alpha.coreos.com", "(not supported)", ignored=True),
    Flag("kubeconfig-file", "str", "", "kubeconfig file location (not supported)", ignored=True),
    Flag("net-config-path", "str", "/etc/kube-flannel/net-conf.json", "(kube mode only)", ignored=True),
    Flag("set-node-network-unavailable", "bool", True, "(kube mode only)", ignored=True),
    Flag("iface", "list", (), "interface to use (IP or name) for inter-host communication; repeatable"),
    Flag("iface-regex", "list", (), "regex of the interface (IP or name) to use; repeatable"),
    Flag("subnet-file", "str", "/run/flannel/subnet.env", "filename where env variables (subnet, MTU, ...) will be written to"),
    Flag("public-ip", "str", "", "IP accessible by other nodes for inter-host communication"),
    Flag("public-ipv6", "str", "", "IPv6 accessible by other nodes (not supported)", ignored=True),
    Flag("subnet-lease-renew-margin", "int", 60, "subnet lease renewal margin, in minutes, ranging from 1 to 1439"),
    Flag("ip-masq", "bool", False, "setup IP masquerade rule for traffic destined outside of overlay network"),
    Flag("iptables-resync", "int", 5, "resync period for iptables rules, in seconds"),
    Flag("iptables-forward-rules", "bool", True, "add default accept rules to FORWARD chain in iptables"),
    Flag("healthz-ip", "str", "0.0.0.0", "the IP address for healthz server to listen"),
    Flag("healthz-port", "int", 0, "the port for healthz server to listen (0 to disable)"),
    Flag("charon-executable-path", "str", "", "(ipsec backend, not supported)", ignored=True),
    Flag("charon-viciuri", "str", "", "(ipsec backend, not supported)", ignored=True),
    # glog/klog flags flanneld inherits; -v maps onto our log level.
    Flag("v", "int", 0, "log level for V logs"),
    Flag("vmodule", "str", "", "(accepted, ignored)", ignored=True),
    Flag("log_dir", "str", "", "(accepted, ignored: logs go to stderr)", ignored=True),
    Flag("logtostderr", "bool", True, "(accepted, ignored)", ignored=True),
    Flag("alsologtostderr", "bool", False, "(accepted, ignored)", ignored=True),
    Flag("stderrthreshold", "str", "", "(accepted, ignored)", ignored=True),
    Flag("log_backtrace_at", "str", "", "(accepted, ignored)", ignored=True),
)
BY_NAME = {f.name: f for f in FLAGS}
# Only flannel's own flag set is read from the environment (not the glog flags).
ENV_FLAGS = tuple(f for f in FLAGS if f.name not in {
    "v", "vmodule", "log_dir", "logtostderr", "alsologtostderr", "stderrthreshold",
    "log_backtrace_at", "help", "version"})


@dataclass(frozen=True, slots=True)
class Config:
    """flanneld's options with units in the names where they have one."""

    etcd_endpoints: tuple[str, ...] = tuple(DEFAULT_ENDPOINTS.split(","))
    etcd_prefix: str = "/coreos.com/network"
    etcd_keyfile: str = ""
    etcd_certfile: str = ""
    etcd_cafile: str = ""
    etcd_username: str = ""
    etcd_password: str = ""
    iface: tuple[str, ...] = ()
    iface_regex: tuple[str, ...] = ()
    subnet_file: Path = Path("/run/flannel/subnet.env")
    public_ip: str = ""
    subnet_lease_renew_margin_minutes: int = 60
    ip_masq: bool = False
    iptables_resync_seconds: int = 5
    iptables_forward_rules: bool = True
    healthz_ip: str = "0.0.0.0"
    healthz_port: int = 0
    kube_subnet_mgr: bool = False
    verbosity: int = 0
    show_version: bool = False
    show_help: bool = False
    explicit: frozenset[str] = field(default_factory=frozenset)


def _parse_bool(name: str, text: str) -> bool:
    low = text.lower()
    if low in {"1", "t", "true"}:
        return True
    if low in {"0", "f", "false"}:
        return False
    raise UsageError(f'invalid boolean value "{text}" for -{name}: parse error')


def _convert(flag: Flag, text: str) -> str | int | bool:
    if flag.kind == "bool":
        return _parse_bool(flag.name, text)
    if flag.kind == "int":
        try:
            return int(text, 0)
        except ValueError:
            raise UsageError(f'invalid value "{text}" for flag -{flag.name}: parse error') from None
    return text


def parse_flags(argv: Sequence[str]) -> tuple[dict[str, object], list[str]]:
    """Go-style flag parsing; returns (values given, remaining positional arguments)."""
    values: dict[str, object] = {}
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return values, args[i + 1:]
        if not arg.startswith("-") or arg == "-":
            return values, args[i:]
        body = arg[2:] if arg.startswith("--") else arg[1:]
        name, eq, inline = body.partition("=")
        flag = BY_NAME.get(name)
        if flag is None:
            raise UsageError(f"flag provided but not defined: -{name}")
        if flag.kind == "bool":
            value: object = _convert(flag, inline) if eq else True
        else:
            if not eq:
                i += 1
                if i >= len(args):
                    raise UsageError(f"flag needs an argument: -{name}")
                inline = args[i]
            value = inline if flag.kind == "list" else _convert(flag, inline)
        if flag.kind == "list":
            previous = values.get(name, ())
            assert isinstance(previous, tuple)
            values[name] = (*previous, value)
        else:
            values[name] = value
        i += 1
    return values, []


def from_args(argv: Sequence[str], environ: Mapping[str, str]) -> Config:
    """Build the config from the command line, then ``FLANNELD_*`` for flags not given."""
    given, _rest = parse_flags(argv)
    merged = dict(given)
    for flag in ENV_FLAGS:
        if flag.name in given:
            continue
        env = environ.get(ENV_PREFIX + flag.name.upper().replace("-", "_"), "")
        if not env:
            continue
        merged[flag.name] = (env,) if flag.kind == "list" else _convert(flag, env)

    def get(name: str) -> object:
        return merged.get(name, BY_NAME[name].default)

    endpoints = tuple(e.strip() for e in str(get("etcd-endpoints")).split(",") if e.strip())
    return Config(
        etcd_endpoints=endpoints,
        etcd_prefix=str(get("etcd-prefix")),
        etcd_keyfile=str(get("etcd-keyfile")),
        etcd_certfile=str(get("etcd-certfile")),
        etcd_cafile=str(get("etcd-cafile")),
        etcd_username=str(get("etcd-username")),
        etcd_password=str(get("etcd-password")),
        iface=tuple(str(v) for v in get("iface")),  # type: ignore[attr-defined]
        iface_regex=tuple(str(v) for v in get("iface-regex")),  # type: ignore[attr-defined]
        subnet_file=Path(str(get("subnet-file"))),
        public_ip=str(get("public-ip")),
        subnet_lease_renew_margin_minutes=int(get("subnet-lease-renew-margin")),  # type: ignore[call-overload]
        ip_masq=bool(get("ip-masq")),
        iptables_resync_seconds=int(get("iptables-resync")),  # type: ignore[call-overload]
        iptables_forward_rules=bool(get("iptables-forward-rules")),
        healthz_ip=str(get("healthz-ip")),
        healthz_port=int(get("healthz-port")),  # type: ignore[call-overload]
        kube_subnet_mgr=bool(get("kube-subnet-mgr")),
        verbosity=int(get("v")),  # type: ignore[call-overload]
        show_version=bool(get("version")),
        show_help=bool(get("help")),
        explicit=frozenset(merged),
    )


def usage() -> str:
    lines = ["Usage: pyflanneld [OPTION]...", ""]
    for flag in FLAGS:
        if flag.ignored:
            continue
        arg = "" if flag.kind == "bool" else (" value" if flag.kind != "int" else " int")
        lines.append(f"  -{flag.name}{arg}")
        default = ",".join(flag.default) if isinstance(flag.default, tuple) else flag.default
        lines.append(f"    \t{flag.help} (default {default!r})" if default not in ("", ()) else f"    \t{flag.help}")
    lines += ["", "Subcommands: pyflanneld mk-docker-opts [-f FILE] [-d FILE] [-i] [-c] [-k KEY] [-m]"]
    return "\n".join(lines) + "\n"
