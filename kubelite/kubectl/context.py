"""What every command shares: the global flags, the connection, the client, the mapper and
the output streams (kubectl's ``Factory``). The client and the mapper are made on first use,
so commands that never talk to the server (``version --client``) never connect.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from kubelite.kubectl import flags as fl
from kubelite.kubectl.discovery import Mapper, discover
from kubelite.kubectl.kubeconfig import Connection, Overrides, resolve
from kubelite.kubectl.rest import RestClient

GLOBAL_FLAGS = [
    fl.Flag("server", short="s", help="The address and port of the Kubernetes API server"),
    fl.Flag("kubeconfig", help="Path to the kubeconfig file to use for CLI requests."),
    fl.Flag("context", help="The name of the kubeconfig context to use"),
    fl.Flag("cluster", help="The name of the kubeconfig cluster to use"),
    fl.Flag("user", help="The name of the kubeconfig user to use"),
    fl.Flag("namespace", short="n", help="If present, the namespace scope for this CLI request"),
    fl.Flag("token", help="Bearer token for authentication to the API server"),
    fl.Flag("insecure-skip-tls-verify", fl.Kind.BOOL,
            help="If true, the server's certificate will not be checked for validity."),
    fl.Flag("certificate-authority", help="Path to a cert file for the certificate authority"),
    fl.Flag("client-certificate", help="Path to a client certificate file for TLS"),
    fl.Flag("client-key", help="Path to a client key file for TLS"),
    fl.Flag("request-timeout", default="0",
            help="The length of time to wait before giving up on a single server request."),
    fl.Flag("cache-dir", help="Default cache directory (accepted for compatibility, unused)"),
    fl.Flag("v", short="v", default="0", help="number for the log level verbosity (unused)"),
    fl.Flag("help", fl.Kind.BOOL, short="h", help="help for this command"),
]


@dataclass
class Context:
    parsed: fl.Parsed
    command: str
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    env: dict[str, str] | None = None
    _conn: Connection | None = None
    _client: RestClient | None = None
    _mapper: Mapper | None = None

    def flag(self, name: str) -> Any:
        return self.parsed[name]

    @property
    def args(self) -> list[str]:
        return self.parsed.args

    def out(self, text: str) -> None:
        self.stdout.write(text)

    def err(self, text: str) -> None:
        self.stderr.write(text)

    @property
    def writer(self) -> Callable[[str], object]:
        return self.stdout.write

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            p = self.parsed
            self._conn = resolve(Overrides(
                kubeconfig=p["kubeconfig"], context=p["context"], cluster=p["cluster"],
                user=p["user"], server=p["server"], namespace=p["namespace"],
                token=p["token"], insecure_skip_tls_verify=p["insecure-skip-tls-verify"],
                certificate_authority=p["certificate-authority"],
                client_certificate=p["client-certificate"], client_key=p["client-key"],
                request_timeout=p["request-timeout"]), self.env)
        return self._conn

    @property
    def namespace(self) -> str:
        return self.conn.namespace

    @property
    def namespace_explicit(self) -> bool:
        return self.conn.namespace_explicit

    @property
    def client(self) -> RestClient:
        if self._client is None:
            self._client = RestClient(self.conn, f"kubelite {self.command}")
        return self._client

    @property
    def mapper(self) -> Mapper:
        if self._mapper is None:
            self._mapper = discover(self.client, lambda text: self.err(f"Warning: {text}\n"))
        return self._mapper

    def flush_warnings(self) -> None:
        """Print the server's ``Warning`` headers as kubectl does (``Warning: ...``)."""
        if self._client is None:
            return
        for text in self._client.warnings:
            self.err(f"Warning: {text}\n")
        self._client.warnings.clear()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
