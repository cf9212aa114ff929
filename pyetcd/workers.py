"""``--workers N`` (pyetcd's own flag; env ``PYETCD_WORKERS``): use more than one core.

One process serving everything spends ~125 µs of one core per durable PUT (three quarters
of it in the interpreter), while etcd spreads its work over ~1.5 cores. With ``--workers N``
the server is N + 1 processes:

* **N front processes** own the client sockets: HTTP/1.1 (:mod:`pyetcd.h1`), TLS, the
  header, body and idle deadlines, the connection cap (counted over all fronts in shared
  memory), writing answers. Each front has its own listening socket per URL, all bound
  with ``SO_REUSEPORT`` before the fork, so the kernel spreads new connections evenly over
  the fronts (one shared socket would not: the first front to wake takes the whole backlog).
  A front holds no store: its connections call a :class:`~pyetcd.front.CoreLink`.
* **One core process** (the one started, the parent) holds the store, the WAL, watchers,
  auth, TTL expiry, snapshots and metrics, as a single-process server does, and answers the
  fronts' requests (:mod:`pyetcd.core`) over one socket pair per front
  (:mod:`pyetcd.frames`), in batches: one read and one write per front per loop turn.

The store exists once (memory per key unchanged); the answers are the single process's
answers, byte for byte (the core renders them).

Supervision (no orphans in any order of deaths):

* the fronts are forked before the store is recovered (they share no store pages and no
  threads) and before any event loop exists;
* the core tells systemd READY=1 only once it has recovered and every front serves its
  listeners; fronts never talk to systemd;
* SIGTERM/SIGINT (to the core, or to the whole group as systemd and terminals send it):
  every front stops accepting, ends its watches, waits for its in-flight requests (the core
  still answers them, writes after their fsync), closes and exits; then the core closes its
  WAL and exits 0;
* a front that dies stops the whole server with exit status 1: the server never runs with
  fewer fronts than asked for (a front told to stop, by a signal to the group, stops the
  whole server in order, status 0);
* if the core dies (even by SIGKILL) every front sees its socket pair close and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Sequence
from multiprocessing.sharedctypes import Synchronized
from typing import NoReturn

from pyetcd.autotls import self_signed
from pyetcd.config import Config
from pyetcd.core import Core, FrontLink
from pyetcd.front import CoreLink
from pyetcd.gcpolicy import freeze_periodically
from pyetcd.h1 import H1Server
from pyetcd.listener import Connections, Limits, bind
from pyetcd.metrics import REGISTRY, add_process_metrics
from pyetcd.sdnotify import notify_ready, notify_stopping
from pyetcd.server import (
    SHUTDOWN_TIMEOUT,
    background_until,
    build_listeners,
    open_service,
    run_loop,
    signal_event,
)

log = logging.getLogger(__name__)

POLL = 0.02  # seconds between checks while waiting for fronts to finish or exit


def run_split(config: Config) -> int:
    """Bind, fork the fronts, serve as the core; the exit status."""
    data_dir = config.effective_data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    urls = config.listen_urls()
    if config.auto_tls and not (config.cert_file and config.key_file) \
            and any(u.scheme == "https" for u in urls):
        # Made once here: every front then loads the same files.
        self_signed(data_dir / "fixtures" / "client", [u.host for u in urls])
    # Certificates and keys are loaded here once too, so that a bad one fails the start
    # as in one process ("cannot serve"), not as a front dying.
    build_listeners(config, asyncio.Protocol, Connections(Limits()))
    socks = [_bind_all(u.host, u.port, config.workers) for u in urls]  # [url][front]
    total: Synchronized[int] = multiprocessing.Value("q", 0)
    pairs = [socket.socketpair() for _ in range(config.workers)]
    pids: list[int] = []
    try:
        for index in range(config.workers):
            pid = os.fork()
            if pid == 0:
                _front_process(config, index, socks, pairs, total)
            pids.append(pid)
    except BaseException:
        _kill(pids)
        raise
    finally:
        for url_socks in socks:
            for sock in url_socks:
                sock.close()  # the fronts have them
        for _, front_end in pairs:
            front_end.close()
    return run_loop(serve_core(config, [core_end for core_end, _ in pairs], pids))


def _bind_all(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening sockets on one address (port 0: a free port).

    A plain bind first, closed at once: it fails with "address already in use" when anyone
    listens there, as a single-process server's bind does. Without it, a second server
    started with ``--workers`` on the same port would silently join the first one's
    ``SO_REUSEPORT`` group and share its clients."""
    with bind(host, port) as probe:
        port = probe.getsockname()[1]
    socks: list[socket.socket] = []
    try:
        while len(socks) < count:
            socks.append(bind(host, port, reuse_port=True))
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


def _front_process(config: Config, index: int, socks: Sequence[Sequence[socket.socket]],
                   pairs: Sequence[tuple[socket.socket, socket.socket]],
                   total: Synchronized[int]) -> NoReturn:
    """The forked child: serve as front ``index``, then leave without the parent's atexit."""
    status = 1
    try:
        for i, (core_end, front_end) in enumerate(pairs):
            core_end.close()
            if i != index:
                front_end.close()
        mine = []
        for url_socks in socks:
            for i, sock in enumerate(url_socks):
                if i == index:
                    mine.append(sock)
                else:
                    sock.close()
        os.environ.pop("NOTIFY_SOCKET", None)  # only the core speaks to systemd
        status = run_loop(serve_front(config, index, mine, pairs[index][1], total))
    except KeyboardInterrupt:
        status = 0
    except BaseException:
        log.exception('msg="front failed" front=%d', index)
    finally:
        logging.shutdown()
        os._exit(status)


async def serve_front(config: Config, index: int, socks: Sequence[socket.socket],
                      link_sock: socket.socket,
                      total: Synchronized[int] | None = None) -> int:
    """A front process: h1 on the listening sockets, every request to the core."""
    loop = asyncio.get_running_loop()
    stop = signal_event()
    core_gone = asyncio.Event()
    _, link = await loop.connect_accepted_socket(lambda: CoreLink(core_gone.set), link_sock)
    limits = Limits(config.max_connections, config.header_timeout, config.idle_timeout)
    connections = Connections(limits, total)
    h1 = H1Server(link, connections=connections, max_watchers=0,  # the core counts watchers
                  body_timeout=config.idle_timeout)
    listeners = build_listeners(config, h1, connections, guarded=False, socks=socks)
    for listener in listeners:
        await listener.start()
    link.ready()
    freezer = asyncio.create_task(freeze_periodically())
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(core_gone.wait())]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in waits:
        task.cancel()
    _ignore_stop_signals(loop)
    for listener in listeners:
        await listener.stop()
    status = 0
    if core_gone.is_set():
        log.error('msg="core process gone: front exits" front=%d', index)
        status = 1
    else:
        link.stopping()
        h1.close_watches()
        h1.close_idle()  # busy connections close once answered
        deadline = loop.time() + SHUTDOWN_TIMEOUT
        while any(conn.busy for conn in h1.open) and not core_gone.is_set() \
                and loop.time() < deadline:
            await asyncio.sleep(POLL)  # the core answers the writes in flight
    h1.stop()
    freezer.cancel()
    await asyncio.gather(freezer, return_exceptions=True)
    if link.transport is not None:
        link.transport.close()  # after the watch cancels queued above
    return status


def _ignore_stop_signals(loop: asyncio.AbstractEventLoop) -> None:
    """A front already stopping ignores SIGTERM/SIGINT from here to its exit: the core
    sends its own SIGTERM to every front when it stops, and once the loop is closed its
    handlers are gone (SIG_DFL), so that signal would kill a front that is leaving in order
    and its exit status would read as a failure."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(sig)
        signal.signal(sig, signal.SIG_IGN)


async def serve_core(config: Config, link_socks: Sequence[socket.socket],
                     pids: Sequence[int]) -> int:
    """The core process: the store and its service, answering every front; the exit status."""
    loop = asyncio.get_running_loop()
    stop = signal_event()
    failed = False
    try:
        service = await open_service(config, time.time_ns())
    except BaseException:
        _kill(pids)
        raise
    api = service.api
    add_process_metrics(REGISTRY)

    def lost(link: FrontLink) -> None:
        nonlocal failed
        if not link.stopping and not stop.is_set():
            log.error('msg="front process ended: stopping the server" front=%s', link.name)
            failed = True
            stop.set()

    def stopping(link: FrontLink) -> None:
        # A front told to stop (systemd and terminals signal the whole group; the core's
        # own signal may be handled a moment later): the whole server stops, in order.
        if not stop.is_set():
            log.info('msg="front stopping: stopping the server" front=%s', link.name)
            stop.set()

    core = Core(service, config.max_watchers, lost, stopping)
    links: list[FrontLink] = []
    try:
        for i, sock in enumerate(link_socks):
            name = f"{i}:{pids[i]}"
            _, link = await loop.connect_accepted_socket(
                lambda name=name: FrontLink(core, name), sock)  # type: ignore[misc]
            links.append(link)
        ready = asyncio.create_task(_all_ready(links))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait([ready, stopped], return_when=asyncio.FIRST_COMPLETED)
        if not stop.is_set():
            for url in config.listen_client_urls:
                log.info('msg="serving client requests" url=%s', url)
            log.info('msg="ready to serve client requests" name=%s member_id=%s cluster_id=%s '
                     "data_dir=%s max_connections=%d max_watchers=%d workers=%d", config.name,
                     api.cluster.member_hex, api.cluster.cluster_hex, config.effective_data_dir,
                     config.max_connections, config.max_watchers, config.workers)
            notify_ready()
            await background_until(stop, service, config)
        ready.cancel()
        stopped.cancel()
    finally:
        log.info('msg="shutting down"')
        notify_stopping()
        _signal(pids, signal.SIGTERM)  # the fronts finish what is in flight, then leave
        try:
            await asyncio.wait_for(core.gone.wait(), SHUTDOWN_TIMEOUT + 1)
        except TimeoutError:
            log.warning('msg="fronts did not finish in time"')
        core.close_watches()
        try:
            await service.close()  # in-flight writes are fsynced and answered, WAL closed
        finally:
            for link in links:
                if link.transport is not None:
                    link.transport.close()
            if not await _reap(pids, SHUTDOWN_TIMEOUT):
                failed = True
        log.info('msg="stopped" index=%d', api.store.index)
    return 1 if failed else 0


async def _all_ready(links: Sequence[FrontLink]) -> None:
    for link in links:
        await link.ready.wait()


def _signal(pids: Sequence[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _kill(pids: Sequence[int]) -> None:
    """Start-up failed: end the fronts at once and reap them."""
    _signal(pids, signal.SIGKILL)
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


async def _reap(pids: Sequence[int], timeout: float) -> bool:
    """Wait for the fronts to exit (killing any still there after ``timeout``); True when
    all exited with status 0."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    left = set(pids)
    clean = True
    while left:
        for pid in list(left):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                left.discard(pid)
                continue
            if done:
                left.discard(pid)
                if status != 0:
                    clean = False
                    log.warning('msg="front exited" pid=%d status=%d', pid,
                                os.waitstatus_to_exitcode(status))
        if not left:
            break
        if loop.time() >= deadline:
            log.warning('msg="killing fronts that did not exit" pids=%s', sorted(left))
            _kill(sorted(left))
            return False
        await asyncio.sleep(POLL)
    return clean
