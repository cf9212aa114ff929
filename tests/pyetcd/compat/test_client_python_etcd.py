"""The python-etcd client library (import name ``etcd``) against each backend.

Read, write, compare-and-swap (``test_and_set``, ``prevValue``, ``prevIndex``), compare-and-
delete, TTLs (expiry observed through a watch, refresh), in-order keys (``append=True``),
directories, recursive delete, watches (from an index, recursive, live) and the cluster
endpoints python-etcd reads. Watches always name the index they start from, so a watch
that starts late still sees its event (the server keeps a history) and nothing sleeps.
"""

from __future__ import annotations

import concurrent.futures
from urllib.parse import urlsplit

import pytest

from tests.support.procs import ServerProcess

etcd = pytest.importorskip("etcd")
pytestmark = pytest.mark.compat
WATCH_TIMEOUT = 30


@pytest.fixture
def client(etcd_server: ServerProcess) -> etcd.Client:
    url = urlsplit(etcd_server.url)
    return etcd.Client(host=url.hostname, port=url.port, read_timeout=WATCH_TIMEOUT)


@pytest.fixture
def prefix(client: etcd.Client, unique_prefix: str):  # type: ignore[no-untyped-def]
    yield unique_prefix
    try:
        client.delete(unique_prefix, recursive=True)
    except etcd.EtcdKeyNotFound:
        pass


def test_write_then_read(client: etcd.Client, prefix: str) -> None:
    written = client.write(f"{prefix}/message", "Hello world")
    assert (written.action, written.value, written.newKey) == ("set", "Hello world", True)
    assert written.createdIndex == written.modifiedIndex == written.etcd_index
    read = client.read(f"{prefix}/message")
    assert (read.key, read.value, read.modifiedIndex) == (
        f"{prefix}/message", "Hello world", written.modifiedIndex)
    assert client.get(f"{prefix}/message").value == "Hello world"
    again = client.write(f"{prefix}/message", "again")
    assert again.newKey is False and again._prev_node.value == "Hello world"
    with pytest.raises(etcd.EtcdKeyNotFound):
        client.read(f"{prefix}/missing")


def test_create_and_update_preconditions(client: etcd.Client, prefix: str) -> None:
    key = f"{prefix}/k"
    assert client.write(key, "1", prevExist=False).action == "create"
    with pytest.raises(etcd.EtcdAlreadyExist):
        client.write(key, "2", prevExist=False)
    current = client.read(key)
    current.value = "3"
    updated = client.update(current)  # prevExist=true and prevIndex: a compare-and-swap
    assert (updated.action, updated.value) == ("compareAndSwap", "3")
    with pytest.raises(etcd.EtcdCompareFailed):
        client.update(current)  # its modifiedIndex is stale now
    assert client.write(key, "4", prevExist=True).action == "update"
    with pytest.raises(etcd.EtcdKeyNotFound):
        client.write(f"{prefix}/nope", "x", prevExist=True)


def test_compare_and_swap(client: etcd.Client, prefix: str) -> None:
    key = f"{prefix}/cas"
    first = client.write(key, "one")
    swapped = client.test_and_set(key, "two", "one")
    assert (swapped.action, swapped.value) == ("compareAndSwap", "two")
    assert swapped.createdIndex == first.createdIndex
    with pytest.raises(etcd.EtcdCompareFailed) as failed:
        client.test_and_set(key, "three", "one")
    assert "[one != two]" in str(failed.value)
    by_index = client.write(key, "three", prevIndex=swapped.modifiedIndex)
    assert by_index.value == "three"
    with pytest.raises(etcd.EtcdCompareFailed):
        client.write(key, "four", prevIndex=first.modifiedIndex)
    assert client.read(key).value == "three"


def test_compare_and_delete(client: etcd.Client, prefix: str) -> None:
    key = f"{prefix}/cad"
    written = client.write(key, "v")
    with pytest.raises(etcd.EtcdCompareFailed):
        client.delete(key, prevValue="other")
    with pytest.raises(etcd.EtcdCompareFailed):
        client.delete(key, prevIndex=written.modifiedIndex + 1000)
    assert client.delete(key, prevValue="v").action == "compareAndDelete"
    with pytest.raises(etcd.EtcdKeyNotFound):
        client.read(key)


def test_ttl_then_expiry_seen_by_a_watch(client: etcd.Client, prefix: str) -> None:
    key = f"{prefix}/ttl"
    long_lived = client.write(f"{prefix}/long", "x", ttl=300)
    assert long_lived.ttl in (299, 300) and long_lived.expiration is not None
    short = client.write(key, "soon gone", ttl=1)
    event = client.watch(key, index=short.modifiedIndex + 1, timeout=WATCH_TIMEOUT)
    assert event.action == "expire"
    assert event.modifiedIndex > short.modifiedIndex
    assert event._prev_node.value == "soon gone"
    with pytest.raises(etcd.EtcdKeyNotFound):
        client.read(key)


def test_refresh_keeps_the_value(client: etcd.Client, prefix: str) -> None:
    key = f"{prefix}/refresh"
    client.write(key, "kept", ttl=100)
    refreshed = client.refresh(key, ttl=300)
    assert refreshed.value == "kept" and refreshed.ttl in (299, 300)
    assert client.read(key).ttl in (299, 300)


def test_in_order_keys(client: etcd.Client, prefix: str) -> None:
    queue = f"{prefix}/queue"
    jobs = [client.write(queue, f"job{i}", append=True) for i in range(3)]
    for job in jobs:
        name = job.key.rsplit("/", 1)[1]
        assert name == f"{job.createdIndex:020d}"
    listed = client.read(queue, sorted=True)
    assert [c.value for c in listed.children] == ["job0", "job1", "job2"]
    assert [c.key for c in listed.children] == [j.key for j in jobs]


def test_directories_and_recursive_delete(client: etcd.Client, prefix: str) -> None:
    d = f"{prefix}/dir"
    made = client.write(d, None, dir=True)
    assert made.dir is True
    client.write(f"{d}/a", "1")
    client.write(f"{d}/sub/b", "2")
    client.write(f"{d}/_hidden", "3")
    tree = client.read(d, recursive=True, sorted=True)
    assert sorted(leaf.key for leaf in tree.leaves) == [f"{d}/a", f"{d}/sub/b"]
    assert client.read(f"{d}/_hidden").value == "3"
    with pytest.raises(etcd.EtcdNotFile):
        client.write(d, "value on a dir")
    with pytest.raises(etcd.EtcdNotDir):
        client.read(f"{d}/a/below")
    with pytest.raises(etcd.EtcdDirNotEmpty):
        client.delete(d, dir=True)
    gone = client.delete(d, recursive=True)
    assert gone.action == "delete" and gone.dir is True
    with pytest.raises(etcd.EtcdKeyNotFound):
        client.read(f"{d}/a")


def test_watch_from_an_index(client: etcd.Client, prefix: str) -> None:
    key = f"{prefix}/w"
    first = client.write(key, "one")
    client.write(key, "two")
    replay = client.watch(key, index=first.modifiedIndex, timeout=WATCH_TIMEOUT)
    assert (replay.action, replay.value, replay.modifiedIndex) == (
        "set", "one", first.modifiedIndex)
    nxt = client.watch(key, index=first.modifiedIndex + 1, timeout=WATCH_TIMEOUT)
    assert nxt.value == "two"


def test_live_and_recursive_watches(client: etcd.Client, prefix: str) -> None:
    d = f"{prefix}/wd"
    start = client.write(f"{prefix}/marker", "m").modifiedIndex
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        exact = pool.submit(client.watch, f"{d}/k", index=start + 1, timeout=WATCH_TIMEOUT)
        below = pool.submit(client.read, d, wait=True, recursive=True, waitIndex=start + 1,
                            timeout=WATCH_TIMEOUT)
        written = client.write(f"{d}/k", "live")
        got_exact, got_below = exact.result(WATCH_TIMEOUT), below.result(WATCH_TIMEOUT)
    for event in (got_exact, got_below):
        assert (event.key, event.value, event.modifiedIndex) == (
            f"{d}/k", "live", written.modifiedIndex)


def test_cluster_endpoints(client: etcd.Client, etcd_server: ServerProcess) -> None:
    assert etcd_server.url in client.machines
    members = client.members
    assert len(members) == 1
    (member,) = members.values()
    assert etcd_server.url in member["clientURLs"]
    assert client.leader["id"] == member["id"]
    assert client.version.count(".") == 2
