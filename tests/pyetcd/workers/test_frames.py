"""The pure pieces of ``--workers``: frames, the tuple form of a KeyRequest, the write
parsing a front does, and the flag itself."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pyetcd import frames
from pyetcd.api import KeyCall, V2Api, parse_key_write
from pyetcd.config import Config, ConfigError
from pyetcd.request import KeyRequest, Method
from pyetcd.server import build_api

T0 = 1_800_000_000 * 1_000_000_000


def test_frames_survive_any_split_of_the_byte_stream() -> None:
    batches = [[(frames.REQUEST, 1, "PUT", "/v2/keys/a?x=%ff", b"value=\xff\x00", None, T0,
                 ("Basic cm9vdDpy", ("cn",)))],
               [(frames.REPLY, 1, b"HTTP/1.1 200 OK\r\n", b"Content-Length: 0\r\n\r\n", False),
                (frames.WATCH, 2, {"X-Etcd-Index": "7"}, True), (frames.END, 2)],
               [(frames.REQUEST, 3, "GET", "/v2/keys/\udcff", b"", "text/plain", T0, None)]]
    stream = b"".join(frames.encode(batch) for batch in batches)
    expected = [message for batch in batches for message in batch]
    for step in (1, 3, 7, len(stream)):
        reader = frames.FrameReader()
        got = []
        for i in range(0, len(stream), step):
            got += reader.feed(stream[i:i + step])
        assert got == expected


def test_the_outbox_sends_one_frame_per_turn() -> None:
    scheduled: list[Callable[[], None]] = []
    written: list[bytes] = []
    outbox = frames.Outbox(scheduled.append, written.append)
    outbox.put((frames.READY, 0))
    outbox.put((frames.CANCEL, 7, False))
    assert len(scheduled) == 1 and written == []  # one flush for the whole turn
    scheduled.pop()()
    assert frames.FrameReader().feed(b"".join(written)) == [(frames.READY, 0),
                                                           (frames.CANCEL, 7, False)]
    outbox.put((frames.STOPPING, 0))  # the next turn schedules its own flush
    assert len(scheduled) == 1 and len(written) == 1


def test_a_key_request_round_trips_as_a_tuple() -> None:
    req = KeyRequest(Method.PUT, "/a", T0, value="v", prev_exist=False, expiration=T0 + 5,
                     prev_index=3)
    assert KeyRequest.from_tuple(req.to_tuple()) == req
    frames.encode([req.to_tuple()])  # plain data: marshal takes it


@pytest.fixture
def api() -> V2Api:
    return build_api(Config(name="t"), T0)


@pytest.mark.parametrize(("method", "target", "body", "ctype"), [
    ("PUT", "/v2/keys/a", b"value=1", "application/x-www-form-urlencoded"),
    ("PUT", "/v2/keys/a%2Fb?ttl=5&prevExist=false", b"value=%E2%82%AC",
     "application/x-www-form-urlencoded; charset=utf-8"),
    ("POST", "/v2/keys/queue", b"value=job", "application/x-www-form-urlencoded"),
    ("DELETE", "/v2/keys/d?recursive=true&dir=true", b"", None),
    ("PUT", "/v2/keys/d?dir=true", b"", None),
    ("PUT", "/v2/keys/a?prevValue=1&prevIndex=4", b"value=2", "application/x-www-form-urlencoded"),
])
def test_a_front_parses_a_write_as_route_does(api: V2Api, method: str, target: str,
                                              body: bytes, ctype: str | None) -> None:
    routed = api.route(method, target, body, ctype, T0)
    parsed = parse_key_write(method, target, body, ctype, T0)
    assert isinstance(routed, KeyCall) and parsed is not None
    assert parsed[0] == routed.request


@pytest.mark.parametrize(("method", "target", "body"), [
    ("GET", "/v2/keys/a", b""),              # reads stay with the core (its read cache)
    ("PUT", "/v2/keys//a", b"value=1"),      # needs cleaning: route redirects
    ("PUT", "/v2/keys/a?ttl=x", b"value=1"),  # an error: the core renders it
    ("PUT", "/v2/keys/a?wait=true", b"value=1"),
    ("PUT", "/v2/keys/a%zz", b"value=1"),    # a bad escape
    ("PUT", "/v2/auth/enable", b""),         # not /v2/keys
    ("PUT", "/v2/keys/a?a;b", b"value=1"),
])
def test_anything_else_is_left_to_the_core(method: str, target: str, body: bytes) -> None:
    assert parse_key_write(method, target, body, "application/x-www-form-urlencoded", T0) is None


def test_workers_flag_and_its_own_variable() -> None:
    assert Config.from_args([], env={}).workers == 0
    assert Config.from_args(["--workers", "2"], env={}).workers == 2
    assert Config.from_args([], env={"PYETCD_WORKERS": "3"}).workers == 3
    assert Config.from_args(["--workers=1"], env={"PYETCD_WORKERS": "3"}).workers == 1
    assert Config.from_args([], env={"ETCD_WORKERS": "3"}).workers == 0  # not etcd's namespace
    assert "workers" not in Config.from_args(["--workers", "2"], env={}).ignored
    for bad in ("-1", "x", "65", ""):
        with pytest.raises(ConfigError, match="-workers"):
            Config.from_args([f"--workers={bad}"], env={})
