"""``pyetcd --workers 2`` as real processes: the process tree, supervision in every order of
deaths, the limits counted over all fronts, readiness, and no acknowledged write lost to a
SIGKILL under load."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.pyetcd.durability.helpers import Load, get, put
from tests.support import procs

WORKERS = ["--workers", "2"]


def children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], timeout: float = 15.0) -> None:
    """Processes of another session have no event to await: poll, bounded."""
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, f"still running: {[p for p in pids if alive(p)]}"
        time.sleep(0.05)


@contextlib.contextmanager
def server(tmp_path: Path, *extra: str) -> Iterator[tuple[procs.ServerProcess, list[int]]]:
    with procs.pyetcd(tmp_path, "w", [*WORKERS, *extra]) as srv:
        fronts = children(srv.proc.pid)
        assert len(fronts) == 2, fronts
        try:
            yield srv, fronts
        finally:
            srv.stop(signal.SIGKILL)
            wait_gone(fronts)


def test_sigterm_answers_in_flight_ends_watches_and_leaves_no_process(tmp_path: Path) -> None:
    with server(tmp_path) as (srv, fronts):
        assert put(srv.url, "/a", "1").status == 201
        assert get(srv.url, "/a").body["node"]["value"] == "1"
        load = Load(srv.url, workers=16, target=200)

        async def run() -> tuple[bytes, bytes]:
            stop = asyncio.Event()
            async with aiohttp.ClientSession() as session:
                poll = await session.get(srv.url + "/v2/keys/watched?wait=true")
                stream = await session.get(srv.url + "/v2/keys/load?wait=true&recursive=true"
                                           "&stream=true")
                task = asyncio.create_task(load.run(stop))
                await asyncio.wait_for(load.reached.wait(), 60)
                srv.proc.send_signal(signal.SIGTERM)  # the core only: it stops the fronts
                await asyncio.wait_for(task, 30)
                return (await asyncio.wait_for(poll.read(), 10),
                        await asyncio.wait_for(stream.read(), 10))

        polled, streamed = asyncio.run(run())
        assert srv.proc.wait(15) == 0
        wait_gone(fronts)
        assert polled == b"" and streamed.count(b'"action":"set"') >= 1
        assert load.failures == []
        assert 'msg="stopped" index=' in srv.log()
    with procs.pyetcd(tmp_path, "w", WORKERS) as again:
        for key, (value, index) in load.acked.items():
            node = get(again.url, key).body["node"]
            assert (node["value"], node["modifiedIndex"]) == (value, index)


def test_sigterm_to_the_whole_group_is_an_orderly_stop(tmp_path: Path) -> None:
    # systemd and terminals signal every process: a front may finish before the core has
    # handled its own signal, which must not look like a front dying.
    for round_ in range(3):
        with server(tmp_path) as (srv, fronts):
            assert put(srv.url, f"/r{round_}", "x").status == 201
            assert srv.stop(signal.SIGTERM) == 0  # killpg
            wait_gone(fronts)


def test_a_port_in_use_is_refused_as_in_one_process(tmp_path: Path) -> None:
    # SO_REUSEPORT must not let a second server join the first one's listeners.
    with server(tmp_path) as (srv, _):
        argv = procs.pyetcd_argv("second", tmp_path / "second.etcd", srv.port, WORKERS)
        second = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert 'msg="cannot serve"' in second.stderr and "in use" in second.stderr


def test_a_dead_front_stops_the_server_with_status_1(tmp_path: Path) -> None:
    with server(tmp_path) as (srv, fronts):
        os.kill(fronts[0], signal.SIGKILL)
        assert srv.proc.wait(15) == 1
        wait_gone(fronts)
        assert 'msg="front process ended: stopping the server"' in srv.log()


def test_a_dead_core_ends_its_fronts(tmp_path: Path) -> None:
    with server(tmp_path) as (srv, fronts):
        srv.proc.send_signal(signal.SIGKILL)  # the core alone, not its process group
        srv.proc.wait(10)
        wait_gone(fronts)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()


def _open(port: int) -> socket.socket:
    """A kept-alive connection that has been served once (so a front has accepted it)."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.recv(4096).startswith(b"HTTP/1.1 200 OK")
    return conn


def test_connections_spread_over_the_fronts_and_the_cap_counts_them_all(tmp_path: Path) -> None:
    with server(tmp_path, "--max-connections", "33") as (srv, fronts):
        fds = {pid: len(os.listdir(f"/proc/{pid}/fd")) for pid in fronts}
        conns = [_open(srv.port) for _ in range(32)]
        for pid in fronts:  # SO_REUSEPORT: each front took some (all on one: p = 2**-31)
            assert len(os.listdir(f"/proc/{pid}/fd")) > fds[pid]
        conns.append(_open(srv.port))  # the 33rd
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as refused:
            answer = refused.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable")
        assert b"too many open connections" in answer
        for conn in conns:
            conn.close()


def test_the_watcher_cap_counts_every_front(tmp_path: Path) -> None:
    with server(tmp_path, "--max-watchers", "2") as (srv, _):
        async def run() -> tuple[int, dict[str, object]]:
            # Separate sessions: separate connections, so likely both fronts.
            sessions = [aiohttp.ClientSession() for _ in range(3)]
            try:
                watches = [await s.get(srv.url + f"/v2/keys/w{i}?wait=true")
                           for i, s in enumerate(sessions[:2])]
                assert all(w.status == 200 for w in watches)
                third = await sessions[2].get(srv.url + "/v2/keys/w3?wait=true")
                return third.status, json.loads(await third.read())
            finally:
                for s in sessions:
                    await s.close()

        status, body = asyncio.run(run())
        assert status == 500 and body["errorCode"] == 300
        assert body["cause"] == "pyetcd: too many watchers (limit 2)"


def test_ready_is_sent_once_by_the_core_after_every_front_serves(tmp_path: Path) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    notify.bind(path)
    notify.settimeout(20)
    port = procs.free_port()
    argv = procs.pyetcd_argv("n", tmp_path / "n.etcd", port, WORKERS)
    with notify, open(tmp_path / "n.log", "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "NOTIFY_SOCKET": path},
                                start_new_session=True)
        fronts: list[int] = []
        try:
            message = notify.recv(4096).decode()
            fronts = children(proc.pid)
            assert message.startswith("READY=1\n") and f"MAINPID={proc.pid}" in message
            assert len(fronts) == 2
            for _ in range(8):  # whichever front the kernel picks answers at once
                _open(port).close()
        finally:
            proc.terminate()
            status = proc.wait(15)
        assert status == 0
        assert notify.recv(4096) == b"STOPPING=1"
        notify.settimeout(0.5)
        with pytest.raises(TimeoutError):
            notify.recv(4096)  # nothing else: the fronts never speak to systemd
        wait_gone(fronts)


@pytest.mark.slow
def test_every_acknowledged_write_survives_sigkill_under_load(tmp_path: Path) -> None:
    extra = [*WORKERS, "--snapshot-count", "400"]
    with procs.pyetcd(tmp_path, "k", extra) as srv:
        fronts = children(srv.proc.pid)
        load = Load(srv.url, workers=32, target=1500)

        async def run_then_kill() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(load.run(stop))
            await asyncio.wait_for(load.reached.wait(), 60)
            os.killpg(srv.proc.pid, signal.SIGKILL)  # the whole server, mid-load
            await asyncio.wait_for(task, 30)

        asyncio.run(run_then_kill())
        srv.proc.wait(10)
        wait_gone(fronts)
    assert len(load.acked) >= 1500 and load.failures == []
    assert load.errors, "the kill should have cut some writes short"
    with procs.pyetcd(tmp_path, "k", extra) as srv:
        for key, (value, index) in load.acked.items():
            node = get(srv.url, key).body.get("node")
            assert node is not None, f"acknowledged {key} lost"
            assert (node["value"], node["modifiedIndex"]) == (value, index), key
