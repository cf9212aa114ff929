"""systemd readiness (``Type=notify``): ``READY=1`` over ``$NOTIFY_SOCKET``, stdlib only.

systemd passes the path of a unix datagram socket in ``NOTIFY_SOCKET`` (a leading ``@``
means the abstract namespace). pyetcd sends ``READY=1`` once every client listener is up,
so ``systemctl start pyetcd`` returns when clients can connect, and ``STOPPING=1`` when it
begins to shut down. Without the variable (not under systemd) nothing is sent.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def sd_notify(state: str, environ: dict[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``); True if a notification socket took it."""
    env = os.environ if environ is None else environ
    path = env.get("NOTIFY_SOCKET", "")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as err:
        log.warning('msg="cannot notify systemd" socket=%s error="%s"', path, err)
        return False
    return True


def notify_ready() -> bool:
    return sd_notify(f"READY=1\nMAINPID={os.getpid()}")


def notify_stopping() -> bool:
    return sd_notify("STOPPING=1")
