"""WAL entries, snapshot files and the data dir: encoding, atomic files, recovery rules."""

from __future__ import annotations

import dataclasses
import json
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from pyetcd import entries
from pyetcd.api import V2Api
from pyetcd.cluster import ClusterInfo
from pyetcd.datadir import DataDir, DataDirError
from pyetcd.entries import Internal, Noop, decode, encode, encode_request
from pyetcd.request import KeyRequest, Method, sync_request
from pyetcd.snapfile import (
    SnapMeta,
    SnapshotError,
    list_snapshots,
    read_snapshot,
    snapshot_name,
    write_snapshot,
)
from pyetcd.store import Store
from pyetcd.wal import WalWriter, segment_name

pytestmark = pytest.mark.unit
T0 = 1_800_000_000 * 1_000_000_000


def random_request(rng: random.Random) -> KeyRequest:
    text = lambda: "".join(rng.choice("ab/\"\\\n\u00e9\udcff\u2028 ") for _ in range(rng.randint(0, 6)))  # noqa: E731
    return KeyRequest(
        rng.choice([Method.PUT, Method.POST, Method.DELETE, Method.SYNC]), "/" + text(),
        T0 + rng.randint(0, 10**12), value=text(), dir=rng.random() < 0.1,
        prev_value=text() if rng.random() < 0.2 else "",
        prev_index=rng.choice([0, 0, 7]), prev_exist=rng.choice([None, True, False]),
        wait_index=rng.choice([0, 0, 3]), recursive=rng.random() < 0.2,
        refresh=rng.random() < 0.1,
        expiration=rng.choice([None, T0 + 5, -(2**63)]),
        no_value_on_success=rng.random() < 0.1)


def test_entries_round_trip_through_ascii_json() -> None:
    rng = random.Random(3)
    for _ in range(500):
        req = random_request(rng)
        raw = encode(req)
        assert raw.isascii() and b"\n" not in raw
        assert decode(raw) == req
        assert json.loads(raw) == req.to_dict()  # the fast path writes the same JSON
    assert decode(encode(Internal("/0/members/1/attributes"))) == Internal(
        "/0/members/1/attributes")
    assert decode(encode(Noop())) == Noop()


@pytest.mark.parametrize("field", [f for f in dataclasses.fields(KeyRequest)
                                   if f.name not in ("method", "key", "time")])
def test_no_field_of_a_put_is_lost_by_the_fast_path(field: dataclasses.Field[object]) -> None:
    odd = {bool: True, int: 7, str: "x"}
    value = True if field.name == "prev_exist" else odd.get(type(field.default), 7)
    req = KeyRequest(Method.PUT, "/a", T0, **{field.name: value})
    assert decode(encode_request(req)) == req


def test_the_plain_put_fast_path_is_taken() -> None:
    req = KeyRequest(Method.PUT, "/a", T0, value="v", expiration=T0 + 1)
    assert encode_request(req) == (b'{"method":"PUT","key":"/a","time":%d,"value":"v",'
                                   b'"expiration":%d}' % (T0, T0 + 1))


def test_a_frame_decodes_in_one_go_and_odd_entries_are_refused() -> None:
    raws = [encode(Noop()), encode(Internal("/0/x")), encode_request(sync_request(T0))]
    assert entries.decode_many(raws) == [Noop(), Internal("/0/x"), sync_request(T0)]
    for bad in ([b'{"what":1}'], [b"1"], [b'{"noop":true},{"noop":true}']):
        with pytest.raises(ValueError):
            entries.decode_many(bad)
    with pytest.raises(ValueError):
        decode(b'{"what":1}')


def test_a_group_replays_as_one_change_and_stops_where_the_live_one_stopped() -> None:
    from pyetcd.entries import Group

    mkdir = KeyRequest(Method.PUT, "/g", T0, dir=True, prev_exist=False)
    first = KeyRequest(Method.PUT, "/g/a", T0, value="1", prev_exist=False)
    after = KeyRequest(Method.PUT, "/g/b", T0, value="2")
    group = Group(((mkdir, frozenset({105})), (first, frozenset()), (after, frozenset())))
    assert decode(encode(group)) == group
    store = Store()
    entries.replay_entry(store, group)
    assert [store.get(k, False, False, T0).node.value for k in ("/g/a", "/g/b")] == ["1", "2"]
    store.set("/g/a", False, "changed", None, False, T0)
    entries.replay_entry(store, group)  # /g exists: tolerated; /g/a exists: the group ends
    assert store.get("/g/a", False, False, T0).node.value == "changed"
    assert store.stats.create_fail == 2 and store.get("/g/b", False, False, T0).node.value == "2"
    assert store.index == 4  # mkdir, a, b, changed: the second replay wrote nothing


# ---- snapshot files --------------------------------------------------------------------


def sample_store() -> Store:
    store = Store()
    store.set("/a", False, "1", None, False, T0)
    store.set("/d/b", False, "\udcff", T0 + 10**10, False, T0)
    return store


def test_snapshot_file_round_trip(tmp_path: Path) -> None:
    store = sample_store()
    body = json.dumps(store.snapshot()).encode()
    path, _ = write_snapshot(tmp_path, SnapMeta(12, 20, store.index), body)
    assert path.name == snapshot_name(12) and list_snapshots(tmp_path) == [(12, path)]
    assert not list(tmp_path.glob("*.tmp"))
    meta, data = read_snapshot(path)
    assert (meta.lsn, meta.raft_index, meta.index, meta.length) == (12, 20, 2, len(body))
    assert Store.restore(data).snapshot() == store.snapshot()


@pytest.mark.parametrize(("damage", "message"), [
    (lambda b: b[:-1], "truncated"),
    (lambda b: b[:-2] + b"2" + b[-1:], "checksum mismatch"),
    (lambda b: b"junk" + b, "bad magic"),
    (lambda b: b.replace(b'"lsn"', b'"lsx"', 1), "damaged header"),
])
def test_a_damaged_snapshot_is_refused_with_its_path(
        tmp_path: Path, damage: Callable[[bytes], bytes], message: str) -> None:
    path, _ = write_snapshot(tmp_path, SnapMeta(1, 1, 1), b'{"x":1}')
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(SnapshotError, match=message) as info:
        read_snapshot(path)
    assert str(path) in str(info.value)


# ---- the data dir ----------------------------------------------------------------------


def cluster() -> ClusterInfo:
    return ClusterInfo("n", ("http://127.0.0.1:2380",), ("http://127.0.0.1:2379",),
                       "etcd-cluster", T0)


def bootstrap() -> tuple[Store, int]:
    api = V2Api(Store(), cluster())
    api.bootstrap()
    return api.store, api.raft_index


def test_a_fresh_dir_is_bootstrapped_once(tmp_path: Path) -> None:
    d = DataDir(tmp_path / "x.etcd")
    d.open()
    rec = d.recover(bootstrap)
    assert rec.fresh and rec.store.index == 3 and (rec.next_lsn, rec.next_seq) == (1, 1)
    assert [lsn for lsn, _ in list_snapshots(d.snap_dir)] == [0]
    again = d.recover(lambda: pytest.fail("bootstrapped twice"))  # type: ignore[arg-type,return-value]
    assert not again.fresh and again.store.snapshot() == rec.store.snapshot()
    d.close()


def test_recovery_replays_the_log_onto_the_snapshot(tmp_path: Path) -> None:
    d = DataDir(tmp_path)
    d.open()
    rec = d.recover(bootstrap)
    live = rec.store
    log = [KeyRequest(Method.PUT, "/a", T0, value="1"),
           KeyRequest(Method.PUT, "/t", T0, value="x", expiration=T0 + 10**9),
           KeyRequest(Method.PUT, "/a", T0 + 1, value="2", prev_exist=False),  # fails: 105
           Internal("/0/members/x/attributes"),
           Noop(),
           sync_request(T0 + 2 * 10**9)]
    w = WalWriter(d.wal_dir, rec.next_seq, rec.next_lsn)
    w.append([encode(x) for x in log[:2]])
    w.append([encode(x) for x in log[2:]])
    w.close()
    for item in log:
        entries.replay_entry(live, item)
    back = d.recover(bootstrap)
    assert back.replayed == 6 and back.next_lsn == 7 and back.next_seq == 2
    assert back.store.snapshot() == live.snapshot()
    assert back.store.stats.create_fail == 1 and back.store.stats.expire_count == 1
    assert back.raft_index == rec.raft_index + 6
    d.close()


def test_one_server_per_data_dir(tmp_path: Path) -> None:
    first, second = DataDir(tmp_path), DataDir(tmp_path)
    first.open()
    with pytest.raises(DataDirError, match="in use by another pyetcd"):
        second.open()
    first.close()
    second.open()
    second.close()


def test_an_etcd_data_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "member" / "wal").mkdir(parents=True)
    with pytest.raises(DataDirError, match="etcd 3.x data directory"):
        DataDir(tmp_path).open()


def test_a_wal_without_a_snapshot_is_refused(tmp_path: Path) -> None:
    d = DataDir(tmp_path)
    d.open()
    (d.wal_dir / segment_name(1, 1)).write_bytes(b"")
    with pytest.raises(DataDirError, match="no snapshot"):
        d.recover(bootstrap)
    d.close()


def test_unfinished_snapshots_are_removed_and_old_files_go_after_a_new_snapshot(
        tmp_path: Path) -> None:
    d = DataDir(tmp_path)
    d.open()
    rec = d.recover(bootstrap)
    (d.snap_dir / (snapshot_name(9) + ".tmp")).write_bytes(b"half")
    w = WalWriter(d.wal_dir, rec.next_seq, rec.next_lsn)
    for i in range(1, 4):
        w.append([encode(KeyRequest(Method.PUT, f"/k{i}", T0, value="v"))])
        w.rotate()
    w.close()
    assert d.recover(bootstrap).store.index == 6
    assert not list(d.snap_dir.glob("*.tmp"))
    store = bootstrap()[0]  # the state after entries 1 and 2
    for i in (1, 2):
        entries.replay_entry(store, KeyRequest(Method.PUT, f"/k{i}", T0, value="v"))
    write_snapshot(d.snap_dir, SnapMeta(2, 0, store.index), json.dumps(store.snapshot()).encode())
    assert d.remove_obsolete(2) == 3  # snapshot 0, segments 1 and 2 (entries 1, 2)
    assert sorted(os.listdir(d.wal_dir)) == [segment_name(3, 3)]
    assert d.recover(bootstrap).store.index == 6
    d.close()


# ---- flags -----------------------------------------------------------------------------


def test_durability_flags_and_their_environment_variables() -> None:
    from pyetcd.config import Config, ConfigError

    config = Config.from_args(["--snapshot-count", "500", "--unsafe-no-fsync"], env={})
    assert (config.snapshot_count, config.unsafe_no_fsync) == (500, True)
    assert "snapshot-count" not in config.ignored and "unsafe-no-fsync" not in config.ignored
    assert Config.from_args([], env={"ETCD_SNAPSHOT_COUNT": "7"}).snapshot_count == 7
    assert Config.from_args([], env={}).snapshot_count == 100_000
    for bad in ("0", "-1", "many"):
        with pytest.raises(ConfigError, match="snapshot-count"):
            Config.from_args([f"--snapshot-count={bad}"], env={})
