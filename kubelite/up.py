"""``kubelite up``: the master's components on one machine, each in its own process.

Starts an embedded pyetcd (unless ``--etcd-servers`` names an etcd that already runs), then
the apiserver on top of it, and supervises both:

* Readiness is an event, not a poll: each child gets its own ``NOTIFY_SOCKET`` (a unix
  datagram socket owned by ``up``) and sends ``READY=1`` there as it would to systemd, once
  its listeners are up. A child that exits before it is ready fails ``up`` with its log.
* SIGINT/SIGTERM stops the children in reverse start order (SIGTERM, then SIGKILL after
  ``STOP_GRACE``). If a child exits on its own, the others are stopped and ``up`` exits
  with that child's code, so a supervisor above (systemd, a shell) sees the failure.

Processes rather than one event loop: pyetcd's writes and the apiserver's JSON work then
run on separate cores, and each keeps the exact command line its systemd unit uses.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("kubelite.up")

READY_TIMEOUT = 60.0  # seconds; pyetcd replaying a large WAL is the slow case
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL


@dataclass
class Child:
    """One supervised component."""

    name: str
    argv: list[str]
    log_path: Path
    proc: asyncio.subprocess.Process | None = None
    notify: socket.socket | None = field(default=None, repr=False)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="kubelite up",
        description="Run the kubelite master (embedded pyetcd + apiserver) on this machine.",
    )
    p.add_argument("--data-dir", default="./data",
                   help="where the embedded pyetcd keeps its data, and the logs (default ./data)")
    p.add_argument("--etcd-servers", default="",
                   help="use these etcd v2 servers instead of an embedded pyetcd (comma list)")
    p.add_argument("--etcd-listen-url", default="http://127.0.0.1:2379",
                   help="client URL of the embedded pyetcd (default http://127.0.0.1:2379)")
    p.add_argument("--insecure-bind-address", default="127.0.0.1")
    p.add_argument("--insecure-port", type=int, default=8080)
    p.add_argument("--service-cluster-ip-range", default="")
    return p.parse_args(list(argv))


def plan(args: argparse.Namespace) -> tuple[list[Child], str]:
    """The children to start, in order, and the etcd servers the apiserver will use."""
    data_dir = Path(args.data_dir)
    children: list[Child] = []
    etcd_servers = args.etcd_servers
    if not etcd_servers:
        url = args.etcd_listen_url
        etcd_servers = url
        children.append(Child("pyetcd", [
            sys.executable, "-m", "pyetcd", "--name", "default",
            "--data-dir", str(data_dir / "default.etcd"),
            "--listen-client-urls", url, "--advertise-client-urls", url,
        ], data_dir / "pyetcd.log"))
    apiserver = [
        sys.executable, "-m", "kubelite", "apiserver", f"--etcd-servers={etcd_servers}",
        f"--insecure-bind-address={args.insecure_bind_address}",
        f"--insecure-port={args.insecure_port}",
    ]
    if args.service_cluster_ip_range:
        apiserver.append(f"--service-cluster-ip-range={args.service_cluster_ip_range}")
    children.append(Child("apiserver", apiserver, data_dir / "apiserver.log"))
    return children, etcd_servers


async def start(child: Child, sock_dir: Path) -> None:
    """Start ``child`` and return once it sent READY=1; raise if it exits first."""
    path = sock_dir / f"{child.name}.notify"
    child.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK)
    child.notify.bind(str(path))
    child.log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(child.log_path, "ab") as out:
        child.proc = await asyncio.create_subprocess_exec(
            *child.argv, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
            env={**os.environ, "NOTIFY_SOCKET": str(path)}, start_new_session=True,
        )
    loop = asyncio.get_running_loop()
    ready = asyncio.ensure_future(_wait_ready(loop, child.notify))
    exited = asyncio.ensure_future(child.proc.wait())
    try:
        done, _ = await asyncio.wait({ready, exited}, timeout=READY_TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        ready.cancel()
        exited.cancel()
    if ready not in done:
        why = f"exited with code {child.proc.returncode}" if exited in done else "is not ready"
        raise RuntimeError(f"{child.name} {why}; see {child.log_path}:\n{_tail(child.log_path)}")


async def _wait_ready(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    while True:
        message = await loop.sock_recv(sock, 4096)
        if b"READY=1" in message.split(b"\n"):
            return


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


async def stop(children: Sequence[Child]) -> None:
    """SIGTERM each running child, newest first, and wait; SIGKILL what does not exit."""
    for child in reversed(children):
        proc = child.proc
        if proc is None or proc.returncode is not None:
            continue
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), STOP_GRACE)
        except TimeoutError:
            log.warning("%s did not stop in %.0fs; killing it", child.name, STOP_GRACE)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    for child in children:
        if child.notify is not None:
            child.notify.close()


async def supervise(args: argparse.Namespace) -> int:
    children, etcd_servers = plan(args)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    with tempfile.TemporaryDirectory(prefix="kubelite-up-") as sock_dir:
        try:
            for child in children:
                await start(child, Path(sock_dir))
                log.info("%s is ready (pid %d, log %s)", child.name,
                         child.proc.pid if child.proc else 0, child.log_path)
        except RuntimeError as err:
            print(f"kubelite up: {err}", file=sys.stderr)
            await stop(children)
            return 1
        api = f"http://{args.insecure_bind_address}:{args.insecure_port}"
        print(f"kubelite is up: etcd {etcd_servers}, apiserver {api}\n"
              f"  kubectl --server {api} get namespaces", flush=True)
        waiters = {asyncio.ensure_future(c.proc.wait()): c for c in children if c.proc}
        signalled = asyncio.ensure_future(stopping.wait())
        done, _ = await asyncio.wait({signalled, *waiters}, return_when=asyncio.FIRST_COMPLETED)
        rc = 0
        for task in done - {signalled}:
            child = waiters[task]
            rc = task.result() or 1
            print(f"kubelite up: {child.name} exited with code {task.result()}; stopping\n"
                  f"{_tail(child.log_path)}", file=sys.stderr)
        signalled.cancel()
        for task in waiters:
            task.cancel()
        await stop(children)
        return rc


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return asyncio.run(supervise(args))
