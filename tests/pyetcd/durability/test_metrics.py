"""/metrics of a running pyetcd: etcd's names and meanings, compared with a real etcd 3.4."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pyetcd.durability.helpers import call, get, put
from tests.support import procs

pytestmark = pytest.mark.e2e


def metrics(url: str) -> str:
    answer = call(url, "GET", "/metrics")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text: str = answer.body["raw"]
    return text


def sample(text: str, series: str) -> float:
    m = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    assert m is not None, f"{series} missing"
    return float(m.group(1))


def families(text: str) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """name -> (HELP, TYPE, histogram bucket bounds)."""
    out: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    helps = dict(re.findall(r"^# HELP (\S+) (.*)$", text, re.M))
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        bounds: list[str] = []
        for m in re.finditer(rf'^{name}_bucket{{(?:[^}}]*,)?le="([^"]+)"}}', text, re.M):
            if m.group(1) not in bounds:
                bounds.append(m.group(1))
        out[name] = (helps.get(name, ""), kind, tuple(bounds))
    return out


@pytest.fixture(scope="module")
def py(tmp_path_factory: pytest.TempPathFactory) -> Iterator[procs.ServerProcess]:
    with procs.pyetcd(tmp_path_factory.mktemp("metrics"), "m") as server:
        yield server


def test_requests_store_operations_and_fsyncs_are_counted(py: procs.ServerProcess) -> None:
    before = metrics(py.url)
    for i in range(3):
        put(py.url, f"/m/k{i}", "v")
    get(py.url, "/m/k0")
    get(py.url, "/m/missing")
    get(py.url, "/m/k0", quorum="true")
    get(py.url, "/m", recursive="true")
    put(py.url, "/m/k0", "v", prevExist="false")  # 412
    call(py.url, "DELETE", "/v2/keys/m/k1")
    get(py.url, "/m/k2", wait="true", waitIndex="1")  # from history: a watch request
    text = metrics(py.url)

    def delta(series: str) -> float:
        return sample(text, series) - (sample(before, series) if series in before else 0)

    assert delta('etcd_http_received_total{method="PUT"}') == 4
    assert delta('etcd_http_received_total{method="GET"}') == 3  # the watch is not counted
    assert delta('etcd_http_received_total{method="QGET"}') == 1
    assert delta('etcd_http_received_total{method="DELETE"}') == 1
    assert delta('etcd_http_failed_total{code="404",method="GET"}') == 1
    assert delta('etcd_http_failed_total{code="412",method="PUT"}') == 1
    assert delta('etcd_http_successful_duration_seconds_count{method="PUT"}') == 3
    assert delta('etcd_debugging_store_writes_total{action="set"}') == 3
    assert delta('etcd_debugging_store_writes_failed_total{action="create"}') == 1
    assert delta('etcd_debugging_store_writes_total{action="delete"}') == 1
    assert delta('etcd_debugging_store_reads_total{action="getRecursive"}') == 1
    assert delta('etcd_debugging_store_reads_total{action="get"}') == 2
    assert delta("etcd_debugging_store_watch_requests_total") == 1
    # every write went through the WAL: one fsync per batch, each entry in a batch
    assert delta("pyetcd_wal_batch_entries_sum") == 5
    assert delta("etcd_disk_wal_fsync_duration_seconds_count") == delta(
        "pyetcd_wal_batch_entries_count") >= 1
    assert sample(text, "etcd_server_has_leader") == 1
    assert sample(text, "etcd_server_is_leader") == 1
    assert sample(text, "etcd_debugging_store_watchers") == 0
    assert sample(text, "process_resident_memory_bytes") > 1e6
    assert sample(text, "etcd_server_proposals_pending") == 0


def test_shared_metrics_have_etcds_help_type_and_buckets(
        py: procs.ServerProcess, real_etcd: procs.ServerProcess) -> None:
    put(real_etcd.url, "/m/x", "1")  # etcd prints a labelled family once it has a child
    put(real_etcd.url, "/m/x", "1", prevExist="false")
    put(py.url, "/m/x", "1")
    put(py.url, "/m/x", "1", prevExist="false")
    ours, theirs = families(metrics(py.url)), families(metrics(real_etcd.url))
    shared = sorted(set(ours) & set(theirs))
    assert len(shared) >= 20, shared
    for name in shared:
        assert ours[name] == theirs[name], name
    for name in ("etcd_http_received_total", "etcd_http_failed_total",
                 "etcd_http_successful_duration_seconds", "etcd_debugging_store_watchers",
                 "etcd_debugging_store_reads_total", "etcd_debugging_store_writes_total",
                 "etcd_debugging_store_expires_total", "etcd_disk_wal_fsync_duration_seconds",
                 "etcd_debugging_snap_save_total_duration_seconds", "etcd_server_has_leader",
                 "etcd_server_is_leader", "process_resident_memory_bytes"):
        assert name in shared, name


def test_health_is_true_and_counted(py: procs.ServerProcess) -> None:
    before = sample(metrics(py.url), "etcd_server_health_success")
    answer = call(py.url, "GET", "/health")
    assert (answer.status, answer.body) == (200, {"health": "true"})
    assert sample(metrics(py.url), "etcd_server_health_success") == before + 1


def test_snapshots_are_taken_and_old_files_removed(tmp_path: Path) -> None:
    with procs.pyetcd(tmp_path, "snap", ["--snapshot-count", "20"]) as server:
        for i in range(50):
            put(server.url, f"/s/k{i}", "v")
        text = metrics(server.url)
        assert sample(text, "pyetcd_snapshot_fork_pause_seconds_count") >= 2
        snap_dir = tmp_path / "snap.etcd" / "pyetcd" / "snap"
        wal_dir = tmp_path / "snap.etcd" / "pyetcd" / "wal"
        server.stop()  # SIGTERM waits for a running snapshot child
        snaps = sorted(p.name for p in snap_dir.iterdir())
        assert len(snaps) == 1 and int(snaps[0].split(".")[0], 16) >= 40
        first_lsns = [int(p.name[17:33], 16) for p in wal_dir.iterdir()]
        assert min(first_lsns) == int(snaps[0].split(".")[0], 16) + 1
    with procs.pyetcd(tmp_path, "snap") as server:
        assert [get(server.url, f"/s/k{i}").status for i in range(50)] == [200] * 50
