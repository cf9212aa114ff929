"""ReadCache through EtcdService: a repeated GET is the same answer while nothing changed,
and a fresh one as soon as anything did (a write, a quorum read, a TTL), counted as a GET."""

from __future__ import annotations

import pytest

from pyetcd.api import Reply
from pyetcd.auth import Credentials
from pyetcd.config import Config
from pyetcd.readcache import MAX_BODY
from pyetcd.server import build_api
from pyetcd.service import EtcdService

pytestmark = pytest.mark.unit
T0 = 1_800_000_000 * 1_000_000_000
FORM = "application/x-www-form-urlencoded"


def service() -> EtcdService:
    return EtcdService(build_api(Config(name="t", advertise_client_urls=("http://x:2379",)), T0))


def put(svc: EtcdService, key: str, body: bytes = b"value=1") -> Reply:
    reply = svc.handle("PUT", "/v2/keys" + key, body, FORM, T0, lambda r: None)
    assert isinstance(reply, Reply) and reply.status < 300
    return reply


def get(svc: EtcdService, target: str, creds: Credentials | None = None) -> Reply:
    reply = svc.handle("GET", target, b"", None, T0, lambda r: None,
                       *(() if creds is None else (creds,)))
    assert isinstance(reply, Reply)
    return reply


def test_a_repeated_get_is_the_same_answer_and_still_counts_as_a_get() -> None:
    svc = service()
    put(svc, "/a")
    first = get(svc, "/v2/keys/a")
    gets = svc.api.store.stats.gets_success
    second = get(svc, "/v2/keys/a")
    assert second is first  # served from the cache
    assert svc.api.store.stats.gets_success == gets + 1


def test_any_write_makes_the_next_get_fresh() -> None:
    svc = service()
    put(svc, "/a")
    first = get(svc, "/v2/keys/a")
    put(svc, "/b")  # another key: the index moved, so X-Etcd-Index must too
    second = get(svc, "/v2/keys/a")
    assert second is not first
    assert second.headers["X-Etcd-Index"] == str(int(first.headers["X-Etcd-Index"]) + 1)
    put(svc, "/a", b"value=2")
    assert b'"value":"2"' in get(svc, "/v2/keys/a").body


def test_quorum_reads_move_the_raft_index_and_are_never_reused() -> None:
    svc = service()
    put(svc, "/a")
    plain = get(svc, "/v2/keys/a")
    quorum = get(svc, "/v2/keys/a?quorum=true")
    assert get(svc, "/v2/keys/a?quorum=true") is not quorum
    fresh = get(svc, "/v2/keys/a")  # the quorum reads moved X-Raft-Index
    assert fresh is not plain and fresh.headers["X-Raft-Index"] != plain.headers["X-Raft-Index"]


def test_answers_showing_a_ttl_errors_and_large_bodies_are_not_cached() -> None:
    svc = service()
    put(svc, "/t", b"value=1&ttl=100")
    assert get(svc, "/v2/keys/t") is not get(svc, "/v2/keys/t")  # the TTL counts down
    assert get(svc, "/v2/keys/missing") is not get(svc, "/v2/keys/missing")
    put(svc, "/big", b"value=" + b"x" * MAX_BODY)
    assert get(svc, "/v2/keys/big") is not get(svc, "/v2/keys/big")


def test_requests_with_credentials_are_not_cached() -> None:
    svc = service()
    put(svc, "/a")
    creds = Credentials("Basic cm9vdDpy", ())
    assert get(svc, "/v2/keys/a", creds) is not get(svc, "/v2/keys/a", creds)


def test_recursive_hits_count_as_recursive_reads() -> None:
    svc = service()
    put(svc, "/d/x")
    get(svc, "/v2/keys/d?recursive=true")
    before = svc._recursive.success
    get(svc, "/v2/keys/d?recursive=true")
    assert svc._recursive.success == before + 1


def test_the_cache_is_bounded_in_bytes() -> None:
    from pyetcd import readcache

    svc = service()
    value = b"x" * (MAX_BODY // 2)
    for i in range(readcache.MAX_BYTES // MAX_BODY + 10):
        put(svc, f"/big{i}", b"value=" + value)
    for i in range(readcache.MAX_BYTES // MAX_BODY + 10):
        get(svc, f"/v2/keys/big{i}")
        assert svc._reads.size_bytes <= readcache.MAX_BYTES
    assert svc._reads.size_bytes > 0
