"""``/run/flannel/subnet.env``: flannel's exact format, atomic write, tolerant read.

Format (LF endings, no quotes, in this order)::

    FLANNEL_NETWORK=10.5.0.0/16
    FLANNEL_SUBNET=10.5.34.1/24
    FLANNEL_MTU=1472
    FLANNEL_IPMASQ=false

FLANNEL_SUBNET is the lease's network address + 1 (the address docker0/cni0 takes).
Writing creates the directory (0755), writes ``<dir>/.<name>`` and renames it over the
target, so a reader never sees a partial file. Reading parses dotenv-style and gives back
the previous network and subnet (masked), used to get the same subnet back after a restart.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

DEFAULT_PATH = Path("/run/flannel/subnet.env")


@dataclass(frozen=True, slots=True)
class SubnetEnv:
    network: IPv4Network
    subnet: IPv4Network
    mtu: int
    ip_masq: bool

    def render(self) -> str:
        first = self.subnet.network_address + 1
        return (
            f"FLANNEL_NETWORK={self.network}\n"
            f"FLANNEL_SUBNET={first}/{self.subnet.prefixlen}\n"
            f"FLANNEL_MTU={self.mtu}\n"
            f"FLANNEL_IPMASQ={'true' if self.ip_masq else 'false'}\n"
        )


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through ``<dir>/.<name>`` and rename(2)."""
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write(path: Path, env: SubnetEnv) -> None:
    write_atomic(path, env.render())


def parse_dotenv(text: str) -> dict[str, str]:
    """``KEY=value`` lines; blank lines and ``#`` comments ignored, optional quotes removed."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _net(value: str | None) -> IPv4Network | None:
    if not value:
        return None
    with contextlib.suppress(ValueError):
        iface = ipaddress.ip_interface(value)
        if isinstance(iface, ipaddress.IPv4Interface):
            return iface.network
    return None


@dataclass(frozen=True, slots=True)
class Previous:
    """What the previous run left: its network and subnet (either may be None)."""

    network: IPv4Network | None
    subnet: IPv4Network | None


def read_previous(path: Path) -> Previous:
    """The previous FLANNEL_NETWORK and FLANNEL_SUBNET (masked); empty when unreadable."""
    try:
        values = parse_dotenv(path.read_text())
    except (OSError, UnicodeDecodeError):
        return Previous(None, None)
    return Previous(_net(values.get("FLANNEL_NETWORK")), _net(values.get("FLANNEL_SUBNET")))
