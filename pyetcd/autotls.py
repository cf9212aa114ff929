"""``--auto-tls``: a self-signed client certificate, made once per data directory.

etcd 3.4 generates an ECDSA P-256 certificate for the listen hosts in
``<data-dir>/fixtures/client/{cert,key}.pem`` (organisation "etcd", valid for
``--self-signed-cert-validity`` years, default 1) when ``--auto-tls`` is given without
``--cert-file``/``--key-file``, and reuses it on restart. pyetcd does the same with the
``openssl`` command (Python's ``ssl`` module cannot make certificates). Clients must skip
verification (``curl -k``, ``etcdctl --insecure-skip-tls-verify`` in v3), as with etcd.
"""

from __future__ import annotations

import ipaddress
import logging
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


class AutoTlsError(OSError):
    pass


def self_signed(directory: Path, hosts: list[str], years: int = 1) -> tuple[str, str]:
    """``(cert_file, key_file)``, made now unless both already exist."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    if cert.exists() and key.exists():
        return str(cert), str(key)
    openssl = shutil.which("openssl")
    if openssl is None:
        raise AutoTlsError("--auto-tls needs the openssl command")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    names = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(f"IP:{ipaddress.ip_address(host)}")
        except ValueError:
            names.append(f"DNS:{host}")
    argv = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(365 * years),
            "-subj", "/O=etcd", "-addext", "subjectAltName=" + ",".join(names)]
    run = subprocess.run(argv, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise AutoTlsError(f"cannot make a self-signed certificate: {run.stderr.strip()}")
    key.chmod(0o600)
    log.info('msg="generated self-signed client certificate" cert=%s hosts=%s', cert,
             ",".join(hosts))
    return str(cert), str(key)
