"""v2 auth changes go through the WAL like key writes: users, roles and the switch survive."""

from __future__ import annotations

import base64
import json
import signal
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.pyetcd.durability.helpers import call, put
from tests.support import procs

pytestmark = pytest.mark.e2e


def auth(url: str, method: str, path: str, body: dict[str, object] | None = None,
         user: str = "") -> int:
    return request(url, method, path, body, user)[0]


def request(url: str, method: str, path: str, body: dict[str, object] | None = None,
            user: str = "") -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if user:
        req.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return int(err.code), dict(err.headers)


def test_users_roles_and_the_auth_switch_survive_a_crash(tmp_path: Path) -> None:
    with procs.pyetcd(tmp_path, "a") as server:
        assert auth(server.url, "PUT", "/v2/auth/users/root", {"user": "root", "password": "pw"}) == 201
        assert auth(server.url, "PUT", "/v2/auth/enable", user="root:pw") == 200
        assert auth(server.url, "PUT", "/v2/auth/roles/guest",
                    {"role": "guest", "revoke": {"kv": {"read": ["/*"], "write": ["/*"]}}},
                    user="root:pw") == 200
        assert put(server.url, "/x", "1").status == 401  # guest may no longer write
        index = int(request(server.url, "GET", "/v2/keys/", user="root:pw")[1]["X-Etcd-Index"])
        server.stop(signal.SIGKILL)
    with procs.pyetcd(tmp_path, "a") as server:
        enabled = call(server.url, "GET", "/v2/auth/enable").body
        assert enabled == {"enabled": True}
        assert put(server.url, "/x", "1").status == 401
        assert auth(server.url, "GET", "/v2/auth/users/root", user="root:pw") == 200
        assert auth(server.url, "GET", "/v2/auth/users/root", user="root:bad") == 401
        after = request(server.url, "GET", "/v2/keys/", user="root:pw")[1]["X-Etcd-Index"]
        assert int(after) == index + 1  # + the attributes publish
