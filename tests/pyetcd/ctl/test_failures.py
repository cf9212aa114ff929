"""pyetcdctl against the real etcdctl when the server misbehaves.

Canned servers (:mod:`fakes`) give what a healthy etcd never gives: 5xx answers, empty or
non-JSON bodies, unusual JSON, unhealthy and unreachable members, no published client URLs,
and a port that accepts connections but never answers (timeouts). Both programs run the same
command against the same fake; the outputs must be byte-identical.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from tests.pyetcd.ctl import harness
from tests.pyetcd.ctl.fakes import JSON, Routes, black_hole, fake_server
from tests.support.procs import free_port

pytestmark = pytest.mark.compat


@pytest.fixture(autouse=True)
def _needs_etcdctl() -> None:
    harness.require_real_etcdctl()


def _same(argv: list[str]) -> harness.Run:
    real = harness.run_real(argv)
    py = harness.run_py(argv)
    assert py == real
    return real


def _members(*members: dict[str, object]) -> bytes:
    return json.dumps({"members": list(members)}).encode()


def _member(mid: str, name: str, clients: list[str]) -> dict[str, object]:
    return {"id": mid, "name": name, "peerURLs": [f"http://127.0.0.1:1{mid[-3:]}"],
            "clientURLs": clients}


def _keys(body: dict[str, object]) -> tuple[int, str, bytes]:
    return (200, JSON, json.dumps(body).encode())


# -- answers from a single server ------------------------------------------------------------------

KEY_ROUTES: dict[str, Routes] = {
    "503-no-leader": {"/v2/keys/x": (503, JSON, b'{"message":"busy"}')},
    "500-no-leader": {"/v2/keys/x": (500, "text/plain", b"oops")},
    "502-server-error": {"/v2/keys/x": (502, "text/plain", b"bad gateway")},
    "empty-body": {"/v2/keys/x": (200, JSON, b"")},
    "not-json": {"/v2/keys/x": (200, "text/plain", b"hello")},
    "html-404": {"/v2/keys/x": (404, "text/html", b"<html>nope</html>")},
    "error-without-cause": {"/v2/keys/x": (412, JSON,
                                           b'{"errorCode":105,"message":"Key already exists","index":7}')},
    "error-odd-message": {"/v2/keys/x": (400, JSON, b'{"errorCode":999,"message":"<odd> & new"}')},
    "error-wrong-type": {"/v2/keys/x": (400, JSON, b'{"errorCode":"100"}')},
    "error-json-array": {"/v2/keys/x": (400, JSON, b"[1,2]")},
    "index-as-string": {"/v2/keys/x": _keys({"action": "get", "node": {
        "key": "/x", "value": "v", "createdIndex": "9"}})},
    "go-time-format": {"/v2/keys/x": _keys({"action": "get", "node": {
        "key": "/x", "value": "v", "expiration": "2030-01-02T03:04:05.120000+02:00", "ttl": 5,
        "nodes": [], "modifiedIndex": 9, "createdIndex": 8}})},
    "go-time-utc-offset": {"/v2/keys/x": _keys({"action": "get", "node": {
        "key": "/x", "value": "v", "expiration": "2030-01-02T03:04:05.000000000+00:00",
        "modifiedIndex": 9, "createdIndex": 8}})},
    "negative-ttl": {"/v2/keys/x": _keys({"action": "get", "node": {
        "key": "/x", "value": "v", "ttl": -3, "modifiedIndex": 9, "createdIndex": 8}})},
    "unknown-fields": {"/v2/keys/x": _keys({"action": "get", "extra": [1], "node": {
        "key": "/x", "value": "v\u2028<>", "Key": "ignored", "modifiedIndex": 9}})},
    "null-node-fields": {"/v2/keys/x": _keys({"action": "get", "node": {
        "key": None, "value": None, "dir": None, "modifiedIndex": 9}})},
    "lone-surrogate": {"/v2/keys/x": (200, JSON,
                                      b'{"action":"get","node":{"key":"/x","value":"a\\ud800b"}}')},
}

KEY_COMMANDS = [["get", "/x"], ["-o", "json", "get", "/x"], ["-o", "extended", "get", "/x"]]


@pytest.mark.parametrize("name", sorted(KEY_ROUTES))
@pytest.mark.parametrize("command", KEY_COMMANDS, ids=["simple", "json", "extended"])
def test_keys_answers(name: str, command: list[str]) -> None:
    with fake_server(KEY_ROUTES[name]) as url:
        _same(["--no-sync", "--endpoints", url, *command])


def test_5xx_moves_on_to_the_next_endpoint() -> None:
    good = {"/v2/keys/x": _keys({"action": "get", "node": {"key": "/x", "value": "fine"}})}
    with fake_server(KEY_ROUTES["503-no-leader"]) as bad, fake_server(good) as ok:
        run = _same(["--no-sync", "--endpoints", f"{bad},{ok}", "get", "/x"])
    assert run == harness.Run("fine\n", "", 0)


def test_sync_failure_that_is_not_a_connection_error_is_ignored() -> None:
    routes = {"/v2/members": (500, "text/plain", b"no"),
              "/v2/keys/x": _keys({"action": "get", "node": {"key": "/x", "value": "v"}})}
    with fake_server(routes) as url:
        assert _same(["--endpoints", url, "--debug", "get", "/x"]).code == 0


def test_no_published_client_urls() -> None:
    routes = {"/v2/members": (200, JSON, _members(_member("a1", "lonely", [])))}
    with fake_server(routes) as url:
        assert _same(["--endpoints", url, "get", "/x"]).code == 4


def test_members_list_with_odd_json() -> None:
    routes = {"/v2/members": (200, JSON, b"not json"),
              "/v2/keys/x": _keys({"action": "get", "node": {"key": "/x", "value": "v"}})}
    with fake_server(routes) as url:
        assert _same(["--endpoints", url, "get", "/x"]).code == 0


@pytest.mark.parametrize("stdin", [b"s3cret\n", b""], ids=["typed", "empty"])
def test_password_prompt(stdin: bytes) -> None:
    """``-u user`` without a password: etcdctl prompts on stdout and reads stdin (running
    ``stty`` on it, hence the same complaints when stdin is not a terminal)."""
    got: list[tuple[str, str, str]] = []
    routes = {"/v2/keys/x": _keys({"action": "get", "node": {"key": "/x", "value": "v"}})}
    with fake_server(routes, got) as url:
        argv = ["--no-sync", "--endpoints", url, "-u", "root", "get", "/x"]
        real = harness.run_real(argv, stdin=stdin)
        py = harness.run_py_process(argv, stdin=stdin)
    assert py == real
    assert real.stdout == "Password: \nv\n"
    password = base64.b64encode(b"root:" + stdin.strip()).decode()
    assert got == [("GET", "/v2/keys/x?quorum=false&recursive=false&sorted=false",
                    f"Basic {password}")] * 2


# -- a cluster with members in every state ---------------------------------------------------------


@pytest.fixture
def cluster() -> Iterator[str]:
    """Members: healthy, unhealthy (503), without client URLs, unreachable, answering
    non-JSON, answering a JSON boolean, reachable on their second URL, unstarted."""
    dead = f"http://127.0.0.1:{free_port()}"
    with (fake_server({"/health": (200, "text/plain", b'{"health":"true"}')}) as healthy,
          fake_server({"/health": (503, "text/plain", b'{"health":"false"}')}) as sick,
          fake_server({"/health": (200, "text/plain", b"all good")}) as chatty,
          fake_server({"/health": (200, JSON, b'{"health":true}')}) as boolean,
          fake_server({"/health": (200, JSON, b'{"health":1}')}) as numeric):
        members = _members(
            _member("8e9e05c52164694d", "healthy", [healthy]),
            _member("91bc3c398fb3c146", "sick", [sick]),
            _member("fd422379fda50e48", "quiet", []),
            _member("1c8e2f0a4bba5b1e", "gone", [dead]),
            _member("2f1a3b4c5d6e7f80", "chatty", [chatty]),
            _member("3a4b5c6d7e8f9012", "boolean", [boolean]),
            _member("4b5c6d7e8f901234", "numeric", [numeric]),
            _member("5c6d7e8f90123456", "second-url", [dead, healthy]),
            {"id": "6d7e8f9012345678", "name": "", "peerURLs": ["http://127.0.0.1:2380"],
             "clientURLs": []},
        )
        leader = json.dumps(_member("8e9e05c52164694d", "healthy", [healthy])).encode()
        routes = {"/v2/members": (200, JSON, members), "/v2/members/leader": (200, JSON, leader)}
        with fake_server(routes) as api:
            yield api


def test_cluster_health_of_a_degraded_cluster(cluster: str) -> None:
    run = _same(["--endpoints", cluster, "cluster-health"])
    assert run.code == 5 and run.stdout.endswith("cluster is degraded\n")


def test_member_list_marks_leader_and_unstarted(cluster: str) -> None:
    run = _same(["--no-sync", "--endpoints", cluster, "member", "list"])
    assert "isLeader=true" in run.stdout and "[unstarted]" in run.stdout


def test_member_list_without_a_leader() -> None:
    routes = {"/v2/members": (200, JSON, _members(_member("a1", "solo", [])))}
    with fake_server(routes) as url:
        assert _same(["--no-sync", "--endpoints", url, "member", "list"]).code == 1


def test_cluster_health_of_an_empty_member_list() -> None:
    with fake_server({"/v2/members": (200, JSON, b'{"members":[]}')}) as url:
        assert _same(["--endpoints", url, "cluster-health"]) == harness.Run(
            "cluster is healthy\n", "", 0)


# -- timeouts ------------------------------------------------------------------------------------------

TIMEOUT_COMMANDS = {
    "header-timeout": ["--timeout", "200ms", "--total-timeout", "3s", "get", "/x"],
    "header-timeout-no-sync": ["--no-sync", "--timeout", "200ms", "get", "/x"],
    "deadline-no-sync": ["--no-sync", "--timeout", "5s", "--total-timeout", "300ms", "get", "/x"],
    "deadline-during-sync": ["--timeout", "5s", "--total-timeout", "300ms", "get", "/x"],
    "deadline-one-shot": ["--no-sync", "--timeout", "0", "--total-timeout", "300ms", "rm", "/x"],
    "cluster-health": ["--timeout", "200ms", "cluster-health"],
    "member-list": ["--no-sync", "--timeout", "200ms", "member", "list"],
    "debug": ["--debug", "--timeout", "200ms", "--total-timeout", "1s", "ls"],
}


@pytest.mark.parametrize("name", sorted(TIMEOUT_COMMANDS))
def test_server_that_never_answers(name: str) -> None:
    with black_hole() as url:
        run = _same(["--endpoints", url, *TIMEOUT_COMMANDS[name]])
    assert run.code in (1, 2, 4)


def test_timeout_then_a_live_endpoint() -> None:
    good = {"/v2/keys/x": _keys({"action": "get", "node": {"key": "/x", "value": "late"}})}
    with black_hole() as hole, fake_server(good) as ok:
        run = _same(["--no-sync", "--timeout", "200ms", "--endpoints", f"{hole},{ok}",
                     "get", "/x"])
    assert run == harness.Run("late\n", "", 0)
