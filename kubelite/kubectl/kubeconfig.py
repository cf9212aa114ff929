"""Where to connect: kubeconfig files merged the way kubectl (client-go clientcmd) does.

Loading rules, in order:

1. ``--kubeconfig FILE``: only that file, which must exist;
2. else ``$KUBECONFIG``: a colon-separated list; files that do not exist are skipped, and
   the files are merged so that the **first** file to define a cluster, user or context
   name (or ``current-context``) wins, never overwritten by later files;
3. else ``~/.kube/config`` if it exists.

Then the flags override: ``--context`` picks the context (else ``current-context``),
``--cluster``/``--user`` replace the context's, ``--server`` the cluster's server,
``--namespace`` the context's namespace (else ``default``). With nothing configured at all,
the server is ``http://localhost:8080``, as kubectl does without a kubeconfig. Relative
file paths inside a kubeconfig are relative to that file's directory. Pure apart from
reading the files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kubelite.kubectl.errors import CLIError

DEFAULT_SERVER = "http://localhost:8080"
DEFAULT_NAMESPACE = "default"
PATH_FIELDS = {"certificate-authority", "client-certificate", "client-key", "tokenFile"}


@dataclass
class Overrides:
    """The connection flags as given on the command line (empty = not given)."""

    kubeconfig: str = ""
    context: str = ""
    cluster: str = ""
    user: str = ""
    server: str = ""
    namespace: str = ""
    token: str = ""
    insecure_skip_tls_verify: bool = False
    certificate_authority: str = ""
    client_certificate: str = ""
    client_key: str = ""
    request_timeout: str = ""


@dataclass
class Connection:
    """Everything needed to talk to one apiserver."""

    server: str
    namespace: str
    namespace_explicit: bool = False
    context: str = ""
    token: str = ""
    username: str = ""
    password: str = ""
    insecure: bool = False
    ca_file: str = ""
    ca_data: bytes = b""
    cert_file: str = ""
    cert_data: bytes = b""
    key_file: str = ""
    key_data: bytes = b""
    timeout: float | None = None


@dataclass
class Merged:
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    current_context: str = ""


def _named(entries: Any, inner: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("name"):
            value = entry.get(inner)
            out.append((str(entry["name"]), dict(value) if isinstance(value, dict) else {}))
    return out


def _absolutize(values: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(values)
    for key in PATH_FIELDS:
        path = out.get(key)
        if isinstance(path, str) and path and not os.path.isabs(path):
            out[key] = str(base / path)
    return out


def load_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise CLIError(f"stat {path}: no such file or directory") from None
    except OSError as exc:
        raise CLIError(f"error loading config file \"{path}\": {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.MarkedYAMLError as exc:
        from kubelite.kubectl.manifest import yaml_message
        raise CLIError(f'error loading config file "{path}": {yaml_message(exc)}') from None
    except yaml.YAMLError as exc:
        raise CLIError(f'error loading config file "{path}": {exc}') from None
    if not isinstance(data, dict):
        raise CLIError(f'error loading config file "{path}": couldn\'t get version/kind; '
                       "json parse error")
    return data


def merge(files: list[Path], must_exist: bool = False) -> Merged:
    """Merge kubeconfig files; the first file to set a name or current-context wins."""
    merged = Merged()
    for path in files:
        if not must_exist and not path.exists():
            continue
        data = load_file(path)
        base = path.parent
        for name, cluster in _named(data.get("clusters"), "cluster"):
            merged.clusters.setdefault(name, _absolutize(cluster, base))
        for name, user in _named(data.get("users"), "user"):
            merged.users.setdefault(name, _absolutize(user, base))
        for name, ctx in _named(data.get("contexts"), "context"):
            merged.contexts.setdefault(name, ctx)
        if not merged.current_context and data.get("current-context"):
            merged.current_context = str(data["current-context"])
    return merged


def config_files(overrides: Overrides, env: dict[str, str]) -> tuple[list[Path], bool]:
    """The files to merge and whether they must exist (only for ``--kubeconfig``)."""
    if overrides.kubeconfig:
        return [Path(overrides.kubeconfig)], True
    listed = env.get("KUBECONFIG", "")
    if listed:
        seen: list[Path] = []
        for part in listed.split(os.pathsep):
            if part and Path(part) not in seen:
                seen.append(Path(part))
        return seen, False
    home = env.get("HOME") or str(Path.home())
    return [Path(home) / ".kube" / "config"], False


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CLIError(f"unable to read {path}: {exc.strerror}") from None


def resolve(overrides: Overrides, env: dict[str, str] | None = None) -> Connection:
    """The connection the flags and kubeconfig files describe."""
    import base64

    from kubelite.kubectl.flags import parse_duration

    env = dict(os.environ if env is None else env)
    files, must_exist = config_files(overrides, env)
    merged = merge(files, must_exist)
    context_name = overrides.context or merged.current_context
    context: dict[str, Any] = {}
    if context_name:
        if context_name not in merged.contexts:
            raise CLIError("Error in configuration: context was not found for specified "
                           f"context: {context_name}", raw=True)
        context = merged.contexts[context_name]
    cluster_name = overrides.cluster or str(context.get("cluster") or "")
    user_name = overrides.user or str(context.get("user") or "")
    if overrides.cluster and cluster_name not in merged.clusters:
        raise CLIError("cluster has no server defined")
    cluster = merged.clusters.get(cluster_name, {})
    user = merged.users.get(user_name, {})
    server = overrides.server or str(cluster.get("server") or "") or DEFAULT_SERVER
    namespace = overrides.namespace or str(context.get("namespace") or "") or DEFAULT_NAMESPACE
    conn = Connection(server=server.rstrip("/"), namespace=namespace,
                      namespace_explicit=bool(overrides.namespace), context=context_name)
    conn.insecure = overrides.insecure_skip_tls_verify or bool(cluster.get("insecure-skip-tls-verify"))
    conn.ca_file = overrides.certificate_authority or str(cluster.get("certificate-authority") or "")
    if cluster.get("certificate-authority-data") and not overrides.certificate_authority:
        conn.ca_data = base64.b64decode(str(cluster["certificate-authority-data"]))
    conn.cert_file = overrides.client_certificate or str(user.get("client-certificate") or "")
    conn.key_file = overrides.client_key or str(user.get("client-key") or "")
    if user.get("client-certificate-data"):
        conn.cert_data = base64.b64decode(str(user["client-certificate-data"]))
    if user.get("client-key-data"):
        conn.key_data = base64.b64decode(str(user["client-key-data"]))
    conn.token = overrides.token or str(user.get("token") or "")
    if not conn.token and user.get("tokenFile"):
        conn.token = _read(str(user["tokenFile"])).decode().strip()
    conn.username = str(user.get("username") or "")
    conn.password = str(user.get("password") or "")
    if "://" not in conn.server:
        # client-go: a bare host:port is https only when TLS settings are given
        tls = conn.insecure or conn.ca_file or conn.ca_data or conn.cert_file or conn.cert_data
        conn.server = ("https://" if tls else "http://") + conn.server
    if overrides.request_timeout and overrides.request_timeout != "0":
        conn.timeout = parse_duration(overrides.request_timeout) or None
        if conn.timeout is None:
            try:
                conn.timeout = float(overrides.request_timeout)
            except ValueError:
                raise CLIError("invalid timeout value. Timeout must be a single integer in "
                               "seconds, or an integer followed by a corresponding time unit "
                               "(e.g. 1s | 2m | 3h)") from None
    return conn
