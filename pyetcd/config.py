"""Config: pyetcd's settings, read from etcd's own flags and ``ETCD_*`` variables.

Flag syntax is Go's ``flag`` package, as etcd uses it: one or two dashes, ``-f value`` or
``-f=value``; boolean flags take no value (``--enable-v2``) or ``=true``/``=false``. Every
flag ``--foo-bar`` can also come from the environment as ``ETCD_FOO_BAR``; a flag given on
the command line wins. So the distribution's ``/etc/etcd/etcd.conf`` (an environment file)
and the command lines of scripts written for etcd work unchanged.

Flags pyetcd acts on: ``--name``, ``--data-dir``, ``--listen-client-urls``,
``--advertise-client-urls``, ``--initial-advertise-peer-urls`` and
``--initial-cluster-token`` (they determine the member and cluster IDs, computed as etcd
does), ``--log-level``, ``--debug``, and the client TLS flags ``--cert-file``,
``--key-file``, ``--trusted-ca-file``, ``--client-cert-auth`` (etcd's meaning: https listen
URLs need a certificate and key; a trusted CA or client-cert-auth makes client certificates
required), ``--snapshot-count`` (WAL entries between snapshots) and
``--unsafe-no-fsync`` (write the WAL without fsync: fast, not crash-safe). Every other etcd
flag is accepted and ignored (a single-member server has no
peers to talk to), with a note in the log.

pyetcd's own ``--workers N`` (etcd has no such flag, so its variable is ``PYETCD_WORKERS``,
not ``ETCD_*``): serve clients from N front processes in front of the one process that
holds the store (see :mod:`pyetcd.workers`); 0, the default, is one process.

pyetcd's own limits (etcd 3.4 has no equivalent; see :mod:`pyetcd.listener`):
``--max-connections`` (default 10000), ``--max-watchers`` (default 10000 open watch
responses), ``--header-timeout`` (default 10s) and ``--idle-timeout`` (default 300s); each
also as ``ETCD_*``. Durations are Go-style (``10s``, ``500ms``, ``1m``) or plain seconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pyetcd.cluster import DEFAULT_CLUSTER_TOKEN, DEFAULT_PEER_URL

SECONDS = 1.0
DEFAULT_CLIENT_URL = "http://localhost:2379"
SYNC_INTERVAL = 0.5 * SECONDS  # etcd's expiry sweep period (leader SYNC every 500 ms)
DEFAULT_SNAPSHOT_COUNT = 100_000  # etcd's default; why it fits pyetcd: pyetcd.durable
# Limits (pyetcd's own). 10000 connections and watchers stay under the 20000 open files a
# process may have here, with room for the data files; a header timeout of 10 s is ample
# for any client on a LAN; 300 s idle keep-alive outlasts the clients' own pools.
MAX_CONNECTIONS = 10000
MAX_WATCHERS = 10000
HEADER_TIMEOUT = 10 * SECONDS
IDLE_TIMEOUT = 300 * SECONDS
MAX_WORKERS = 64

# pyetcd's own flags that etcd does not have: their variables are PYETCD_*, not ETCD_*.
PYETCD_VALUE_FLAGS = frozenset({"workers"})

# Flags with values that pyetcd uses.
USED_VALUE_FLAGS = frozenset({
    "name", "data-dir", "listen-client-urls", "advertise-client-urls",
    "initial-advertise-peer-urls", "initial-cluster-token", "log-level", "config-file",
    "snapshot-count",
    "cert-file", "key-file", "trusted-ca-file",
    "max-connections", "max-watchers", "header-timeout", "idle-timeout",
})
# etcd 3.4 flags that take a value and that pyetcd accepts and ignores.
IGNORED_VALUE_FLAGS = frozenset({
    "wal-dir", "heartbeat-interval", "election-timeout", "listen-peer-urls",
    "listen-metrics-urls", "max-snapshots", "max-wals", "quota-backend-bytes",
    "backend-batch-limit", "backend-batch-interval", "backend-bbolt-freelist-type",
    "max-txn-ops", "max-request-bytes", "grpc-keepalive-min-time", "grpc-keepalive-interval",
    "grpc-keepalive-timeout", "cors", "host-whitelist", "initial-cluster",
    "initial-cluster-state", "discovery", "discovery-fallback", "discovery-proxy",
    "discovery-srv", "discovery-srv-name", "auto-compaction-retention", "auto-compaction-mode",
    "client-crl-file", "client-cert-allowed-hostname",
    "peer-cert-file", "peer-key-file", "peer-trusted-ca-file", "peer-cert-allowed-cn",
    "peer-cert-allowed-hostname", "peer-crl-file", "cipher-suites", "self-signed-cert-validity",
    "logger", "log-outputs", "log-package-levels", "auth-token", "bcrypt-cost",
    "auth-token-ttl", "proxy", "proxy-failure-wait", "proxy-refresh-interval",
    "proxy-dial-timeout", "proxy-write-timeout", "proxy-read-timeout", "metrics",
    "initial-election-tick-advance", "tls-min-version", "tls-max-version",
})
# Boolean flags pyetcd acts on (the rest of BOOL_FLAGS are accepted and ignored).
USED_BOOL_FLAGS = frozenset({"client-cert-auth", "auto-tls", "debug", "enable-v2", "version",
                             "help", "unsafe-no-fsync"})
# etcd 3.4 boolean flags.
BOOL_FLAGS = frozenset({
    "enable-v2", "enable-pprof", "client-cert-auth", "peer-client-cert-auth", "auto-tls",
    "peer-auto-tls", "debug", "strict-reconfig-check", "force-new-cluster",
    "enable-grpc-gateway", "pre-vote", "version", "socket-reuse-port", "socket-reuse-address",
    "unsafe-no-fsync", "help",
})


class ConfigError(ValueError):
    """A bad flag or value; the message is what etcd would print."""


@dataclass(frozen=True, slots=True)
class ListenURL:
    scheme: str
    host: str
    port: int
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> ListenURL:
        parts = urlsplit(text.strip())
        if parts.scheme not in ("http", "https"):
            raise ConfigError(f'unexpected URL scheme "{parts.scheme}" in "{text}"')
        if parts.port is None or parts.hostname is None:
            raise ConfigError(f'URL address does not have the form "host:port": {text}')
        if parts.path not in ("", "/"):
            raise ConfigError(f"URL must not contain a path: {text}")
        return cls(parts.scheme, parts.hostname, parts.port, text.strip())


@dataclass(frozen=True, slots=True)
class Config:
    name: str = "default"
    data_dir: Path | None = None  # default: "<name>.etcd" in the working directory
    listen_client_urls: tuple[str, ...] = (DEFAULT_CLIENT_URL,)
    advertise_client_urls: tuple[str, ...] = (DEFAULT_CLIENT_URL,)
    initial_advertise_peer_urls: tuple[str, ...] = (DEFAULT_PEER_URL,)
    initial_cluster_token: str = DEFAULT_CLUSTER_TOKEN
    log_level: str = "info"
    sync_interval: float = SYNC_INTERVAL
    snapshot_count: int = DEFAULT_SNAPSHOT_COUNT  # WAL entries between snapshots
    unsafe_no_fsync: bool = False
    cert_file: str = ""
    key_file: str = ""
    trusted_ca_file: str = ""
    client_cert_auth: bool = False
    auto_tls: bool = False  # a self-signed certificate in <data-dir>/fixtures/client
    max_connections: int = MAX_CONNECTIONS
    max_watchers: int = MAX_WATCHERS
    header_timeout: float = HEADER_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    workers: int = 0  # front processes (pyetcd.workers); 0: one process
    ignored: tuple[str, ...] = field(default=())  # etcd flags given but not acted on

    @property
    def effective_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else Path(f"{self.name}.etcd")

    def listen_urls(self) -> list[ListenURL]:
        return [ListenURL.parse(u) for u in self.listen_client_urls]

    @classmethod
    def from_args(cls, argv: Sequence[str], env: Mapping[str, str] | None = None) -> Config:
        """Parse etcd's command line, then fill what is missing from ``ETCD_*`` variables."""
        flags = parse_flags(argv)
        environ = os.environ if env is None else env
        for name in USED_VALUE_FLAGS | IGNORED_VALUE_FLAGS | BOOL_FLAGS:
            var = "ETCD_" + name.upper().replace("-", "_")
            if name not in flags and var in environ:
                flags[name] = environ[var]
        for name in PYETCD_VALUE_FLAGS:
            var = "PYETCD_" + name.upper().replace("-", "_")
            if name not in flags and var in environ:
                flags[name] = environ[var]
        if "config-file" in flags:
            for name, value in load_config_file(Path(flags["config-file"])).items():
                flags.setdefault(name, value)
        return cls.from_flags(flags)

    @classmethod
    def from_flags(cls, flags: dict[str, str]) -> Config:
        def urls(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            if name not in flags:
                return default
            return tuple(u.strip() for u in flags[name].split(",") if u.strip())

        level = flags.get("log-level", "debug" if _truthy(flags.get("debug", "")) else "info")
        if level not in ("debug", "info", "warn", "error"):
            raise ConfigError(f'invalid value "{level}" for flag -log-level: want debug, info, '
                              "warn or error")
        config = cls(
            name=flags.get("name", "default"),
            data_dir=Path(flags["data-dir"]) if flags.get("data-dir") else None,
            listen_client_urls=urls("listen-client-urls", (DEFAULT_CLIENT_URL,)),
            advertise_client_urls=urls("advertise-client-urls", (DEFAULT_CLIENT_URL,)),
            initial_advertise_peer_urls=urls("initial-advertise-peer-urls", (DEFAULT_PEER_URL,)),
            initial_cluster_token=flags.get("initial-cluster-token", DEFAULT_CLUSTER_TOKEN),
            log_level=level,
            snapshot_count=_positive_int(flags, "snapshot-count", DEFAULT_SNAPSHOT_COUNT),
            unsafe_no_fsync=_truthy(flags.get("unsafe-no-fsync", "")),
            cert_file=flags.get("cert-file", ""),
            key_file=flags.get("key-file", ""),
            trusted_ca_file=flags.get("trusted-ca-file", ""),
            client_cert_auth=_truthy(flags.get("client-cert-auth", "")),
            auto_tls=_truthy(flags.get("auto-tls", "")),
            max_connections=_positive_int(flags, "max-connections", MAX_CONNECTIONS),
            max_watchers=_positive_int(flags, "max-watchers", MAX_WATCHERS),
            header_timeout=_duration(flags, "header-timeout", HEADER_TIMEOUT),
            idle_timeout=_duration(flags, "idle-timeout", IDLE_TIMEOUT),
            workers=_workers(flags),
            ignored=tuple(sorted(n for n in flags if n not in USED_VALUE_FLAGS
                                 and n not in USED_BOOL_FLAGS and n not in PYETCD_VALUE_FLAGS)),
        )
        for url in config.listen_urls():  # validate early, with etcd-like messages
            if url.scheme == "https" and not (config.cert_file and config.key_file) \
                    and not config.auto_tls:
                raise ConfigError(f"TLS key/cert (--cert-file, --key-file) must be provided "
                                  f"for client url {url.text} with HTTPS scheme")
        return config


def load_config_file(path: Path) -> dict[str, str]:
    """etcd's YAML ``--config-file``: keys are flag names; lists become comma-separated."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read config file {path}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} is not a mapping")
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, bool):
            out[str(key)] = "true" if value else "false"
        elif isinstance(value, list):
            out[str(key)] = ",".join(str(v) for v in value)
        elif value is not None:
            out[str(key)] = str(value)
    return out


def _positive_int(flags: dict[str, str], name: str, default: int) -> int:
    if name not in flags:
        return default
    try:
        value = int(flags[name])
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(f'invalid value "{flags[name]}" for flag -{name}: want a positive integer')
    return value


def _workers(flags: dict[str, str]) -> int:
    text = flags.get("workers", "0").strip()
    if not text.isdigit() or int(text) > MAX_WORKERS:
        raise ConfigError(f'invalid value "{flags["workers"]}" for flag -workers: want 0 to '
                          f"{MAX_WORKERS}")
    return int(text)


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(flags: dict[str, str], name: str, default: float) -> float:
    """Go-style ``10s``/``500ms``/``1m`` or plain seconds; must be positive."""
    if name not in flags:
        return default
    text = flags[name].strip()
    unit = next((u for u in ("ms", "s", "m", "h") if text.endswith(u)), "")
    try:
        value = float(text[: len(text) - len(unit)]) * _UNITS.get(unit, 1.0)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ConfigError(f'invalid value "{flags[name]}" for flag -{name}: want a duration '
                          'such as 10s')
    return value


def _truthy(text: str) -> bool:
    return text.lower() in ("1", "t", "true")


def parse_flags(argv: Sequence[str]) -> dict[str, str]:
    """Go ``flag`` syntax over etcd's flag set; ConfigError on unknown or incomplete flags."""
    flags: dict[str, str] = {}
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or arg in ("-", "--"):
            raise ConfigError(f"'{arg}' is not a valid flag")
        name, has_value, value = arg.lstrip("-").partition("=")
        if name in BOOL_FLAGS or (name.startswith("experimental-") and not has_value
                                  and (i >= len(args) or args[i].startswith("-"))):
            if has_value and value.lower() not in ("1", "0", "t", "f", "true", "false"):
                raise ConfigError(f'invalid boolean value "{value}" for -{name}')
            flags[name] = value if has_value else "true"
            continue
        if name not in USED_VALUE_FLAGS and name not in IGNORED_VALUE_FLAGS \
                and name not in PYETCD_VALUE_FLAGS and not name.startswith("experimental-"):
            raise ConfigError(f"flag provided but not defined: -{name}")
        if not has_value:
            if i >= len(args):
                raise ConfigError(f"flag needs an argument: -{name}")
            value = args[i]
            i += 1
        flags[name] = value
    return flags
