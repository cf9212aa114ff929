"""Differential: v2 authentication (``/v2/auth/*``, the guest role, key permissions, 110).

Every case runs on a fresh pair of servers (auth is global state) and compares the whole
transcript: statuses, headers (``X-Etcd-Cluster-Id`` exactly, ``X-Etcd-Index`` relative to
the case start, so the indices auth writes consume are compared too) and bodies.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from tests.pyetcd.differential.harness import FORM, Case, Req, Step, get

pytestmark = pytest.mark.compat
JSON = "application/json"


def basic(user: str | None) -> dict[str, str]:
    """``user`` is "name:password", or a raw Authorization header after "raw:"."""
    if user is None:
        return {}
    if user.startswith("raw:"):
        return {"Authorization": user[4:]}
    return {"Authorization": "Basic " + base64.b64encode(user.encode()).decode()}


def a(method: str, path: str, body: str | None = None, user: str | None = None,
      ctype: str | None = JSON) -> Req:
    return Req(method, "/v2/auth" + path, body, ctype if body is not None else None,
               headers=basic(user))


def k(method: str, path: str, user: str | None = None, form: str | None = None) -> Req:
    return Req(method, "/v2/keys" + path, form, FORM if form is not None else None,
               headers=basic(user))


INDEX = get("/")  # shows X-Etcd-Index: what the auth writes consumed
ROOT = "root:rootpw"
MK_ROOT = a("PUT", "/users/root", '{"user":"root","password":"rootpw"}')
ENABLE = a("PUT", "/enable", user=ROOT)


def enabled_with(*setup: Step) -> list[Step]:
    return [MK_ROOT, *setup, ENABLE]


CASES: list[Case] = [
    Case("fresh_reads", [
        a("GET", "/enable"), a("GET", "/users"), a("GET", "/users/"), a("GET", "/roles"),
        a("GET", "/roles/"), a("GET", "/roles/root"), a("GET", "/roles/guest"),
        a("GET", "/users/root"), a("HEAD", "/users"), a("PUT", "/users"), a("POST", "/enable"),
        a("PATCH", "/users/x"), a("HEAD", "/roles/x"), a("GET", "/users/a/b"),
        a("DELETE", "/roles/a/b/c"), a("GET", "/users?a=%zz"), a("GET", "/roles?x=%zz"),
        a("GET", "/roles/root?%zz"), a("GET", "/users/root?q=1"), INDEX,
    ]),
    Case("root_user_lifecycle", [
        MK_ROOT, INDEX, a("GET", "/users/root"), a("GET", "/users"),
        a("PUT", "/users/root", '{"user":"root","password":"other"}'),
        a("PUT", "/users/root", '{"user":"root"}'),
        a("PUT", "/users/root", '{"user":"root","revoke":["root"]}'), a("GET", "/users/root"),
        a("DELETE", "/users/root"), a("GET", "/users"), a("GET", "/users/root"),
        a("DELETE", "/users/root"), INDEX,
    ]),
    Case("first_write_fails_but_makes_dirs", [
        a("DELETE", "/users/nobody"), INDEX, a("DELETE", "/roles/nobody"), INDEX,
        a("GET", "/users"), a("GET", "/roles"),
    ]),
    Case("user_create_variants", [
        a("PUT", "/users/u1", '{"user":"u1"}'),
        a("PUT", "/users/u1", '{"user":"u1","password":""}'),
        a("PUT", "/users/u1", '{"user":"u2","password":"p"}'),
        a("PUT", "/users/u1", "not json"), a("PUT", "/users/u1", ""),
        a("PUT", "/users/u1", "null"), a("PUT", "/users/u1", "[]"),
        a("PUT", "/users/u1", '{"user":"u1","password":5}'),
        a("PUT", "/users/u1", '{"user":"u1","password":"p","roles":"x"}'),
        a("PUT", "/users/u1", '{"user":"u1","password":"p","roles":[1]}'),
        a("PUT", "/users/u1", ' {"USER":"u1","PassWord":"p","extra":1} trailing garbage'),
        INDEX, a("GET", "/users/u1"),
        a("PUT", "/users/u1", '{"user":"u1","password":"p2","roles":["r"]}'),
        a("PUT", "/users/u3", '{"user":"u3","password":"p","roles":["b","a","a"]}'),
        a("PUT", "/users/u3", '{"user":"u3","password":"p","roles":["x"],"grant":["y"]}'),
        a("PUT", "/users/u1", '{"user":"u1"}'), a("PUT", "/users/u1", '{"user":"u1"}'),
        a("PUT", "/users/u1", '{"user":"u1","password":"new"}'),
        a("PUT", "/users/u4", '{"user":"u4","grant":["a"]}'),
        a("PUT", "/users/root", '{"user":"root","password":"p","roles":["x"]}'),
        a("GET", "/users"), INDEX,
    ]),
    Case("user_grant_revoke", [
        a("PUT", "/users/u", '{"user":"u","password":"p"}'),
        a("PUT", "/users/u", '{"user":"u","grant":["r2","r1"]}'),
        a("PUT", "/users/u", '{"user":"u","grant":["r1"]}'),
        a("PUT", "/users/u", '{"user":"u","grant":["r3","r3"]}'),
        a("PUT", "/users/u", '{"user":"u","revoke":["zz"]}'),
        a("PUT", "/users/u", '{"user":"u","revoke":["r1"],"grant":["r4"]}'),
        a("PUT", "/users/u", '{"user":"u","grant":[]}'),
        a("GET", "/users/u"), a("GET", "/users"),
        a("PUT", "/roles/r2", '{"role":"r2","permissions":{"kv":{"read":["/a"],"write":[]}}}'),
        a("GET", "/users"), a("GET", "/users/u"),
        a("PUT", "/users/u", '{"user":"u","revoke":["r2","r3","r4"]}'), a("GET", "/users/u"),
        a("PUT", "/users/u%25d", '{"user":"u%d","password":"p"}'),
        a("PUT", "/users/u%25d", '{"user":"u%d","revoke":["x%s"]}'),
        a("PUT", "/users/%3Cb%3E", '{"user":"<b>","password":"p","roles":["<i>&"]}'),
        a("GET", "/users"), INDEX,
    ]),
    Case("role_variants", [
        a("PUT", "/roles/r", '{"role":"r","permissions":{"kv":{"read":["/r/*"],"write":["/r/w"]}}}'),
        a("PUT", "/roles/r", '{"role":"r"}'), a("PUT", "/roles/e", '{"role":"e"}'),
        a("PUT", "/roles/g", '{"role":"g","grant":{}}'), a("GET", "/roles/g"),
        a("PUT", "/roles/root", '{"role":"root"}'),
        a("PUT", "/roles/root", '{"role":"root","grant":{"kv":{"read":["/x"]}}}'),
        a("PUT", "/roles/r", '{"role":"x"}'), a("PUT", "/roles/r", "{"),
        a("PUT", "/roles/r", '{"role":"r","permissions":5}'),
        a("PUT", "/roles/r", '{"role":"r","grant":{"kv":{"read":["/a","/b"]}}}'),
        a("PUT", "/roles/r", '{"role":"r","grant":{"kv":{"write":["/r/w"]}}}'),
        a("PUT", "/roles/r", '{"role":"r","revoke":{"kv":{"read":["/nope"]}}}'),
        a("PUT", "/roles/r", '{"role":"r","revoke":{"kv":{"read":["/a"],"write":["/r/w"]}}}'),
        a("PUT", "/roles/r", '{"role":"r","permissions":{"kv":{"read":["/q"]}},'
                             '"grant":{"kv":{"read":["/z"]}}}'),
        a("PUT", "/roles/nope", '{"role":"nope","grant":{"kv":{"read":["/z"]}}}'),
        a("PUT", "/roles/e", '{"role":"e","revoke":{"kv":{"read":["/z"]}}}'),
        a("PUT", "/roles/e", '{"role":"e","grant":{"kv":{"read":["/z"]}}}'),
        a("GET", "/roles/r"), a("GET", "/roles/e"), a("GET", "/roles"),
        a("DELETE", "/roles/e"), a("DELETE", "/roles/e"), a("DELETE", "/roles/root"),
        a("GET", "/roles/nope"), a("GET", "/roles"), INDEX,
    ]),
    Case("enable_disable_without_root", [
        a("PUT", "/enable"), a("DELETE", "/enable"), a("GET", "/enable"), INDEX,
        a("PUT", "/users/u", '{"user":"u","password":"p","roles":["root"]}'),
        a("PUT", "/enable"), INDEX,
    ]),
    Case("enable_flow", [
        *enabled_with(), INDEX, a("GET", "/enable"), a("GET", "/roles/guest", user=ROOT),
        a("PUT", "/enable", user=ROOT), a("PUT", "/enable"), a("GET", "/roles"),
        a("GET", "/users", user="root:wrong"), a("GET", "/users", user=ROOT),
        a("GET", "/users/root", user=ROOT), a("PUT", "/users/x", '{"user":"x","password":"p"}'),
        a("DELETE", "/users/root", user=ROOT), a("DELETE", "/roles/root", user=ROOT),
        k("PUT", "/g", form="value=1"), k("GET", "/g"), k("GET", "/g", user="root:wrong"),
        k("GET", "/g", user="nobody:x"), k("GET", "/g", user="raw:Basic !!!"),
        k("GET", "/g", user="raw:Bearer abc"), k("GET", "/g", user="raw:basic cm9vdDpyb290cHc="),
        k("GET", "/g", user="raw:Basic cm9vdHJvb3Rwdw=="), k("GET", "/g", user="raw:"),
        Req("GET", "/v2/members"), Req("POST", "/v2/members", '{"peerURLs":["http://x:1"]}', JSON),
        Req("DELETE", "/v2/members/1234"), Req("GET", "/v2/members/leader"),
        Req("GET", "/v2/stats/self"), Req("GET", "/v2/machines"), Req("GET", "/version"),
        a("DELETE", "/enable"), a("DELETE", "/enable", user="root:wrong"),
        a("DELETE", "/enable", user=ROOT), a("GET", "/enable"), a("DELETE", "/enable"),
        a("DELETE", "/users/root"), INDEX,
    ]),
    Case("key_permissions", [
        *enabled_with(
            a("PUT", "/roles/app", '{"role":"app","permissions":{"kv":{"read":["/app/*","/exact"],'
                                   '"write":["/app/w*"]}}}'),
            a("PUT", "/users/alice", '{"user":"alice","password":"apw","roles":["app"]}'),
            a("PUT", "/users/bob", '{"user":"bob","password":"bpw","roles":["ghost"]}'),
            a("PUT", "/roles/guest", '{"role":"guest","permissions":{"kv":{"read":["/pub*"],'
                                     '"write":[]}}}'),
        ),
        k("GET", "/app/x", "alice:apw"), k("PUT", "/app/x", "alice:apw", "value=1"),
        k("PUT", "/app/w1", "alice:apw", "value=1"), k("GET", "/app/w1", "alice:apw"),
        k("GET", "/other", "alice:apw"), k("GET", "/app?recursive=true", "alice:apw"),
        k("GET", "/app/?recursive=true", "alice:apw"), k("GET", "/exact", "alice:apw"),
        k("GET", "/exact?recursive=true", "alice:apw"), k("GET", "/exact/x", "alice:apw"),
        k("POST", "/app/wq", "alice:apw", "value=1"), k("DELETE", "/app/w1", "alice:apw"),
        k("DELETE", "/app?recursive=true", "alice:apw"),
        k("GET", "/app/w1?wait=true&waitIndex=1", "alice:apw"),
        k("HEAD", "/app/x", "alice:apw"), k("GET", "/app/x", "alice:bad"),
        k("GET", "/app/x", "bob:bpw"), k("GET", "/app/x"), k("GET", "/pub/x"),
        k("GET", "/pub?recursive=true"), k("PUT", "/pub/x", form="value=1"),
        k("GET", ""), k("GET", "/"), k("GET", "/", ROOT), k("GET", "?recursive=true", ROOT),
        k("PUT", "/app/x", ROOT, "value=r"), k("GET", "/app/x", "alice:apw"),
        k("GET", "/app/x%2Fy", "alice:apw"), k("GET", "/app/../app/x", "alice:apw"), INDEX,
    ]),
    Case("guest_role_removed", [
        *enabled_with(), k("PUT", "/k", form="value=1"),
        a("DELETE", "/roles/guest", user=ROOT), k("GET", "/k"), k("GET", "/k", ROOT),
        a("GET", "/roles", user=ROOT),
        a("PUT", "/roles/guest", '{"role":"guest","permissions":{"kv":{"read":["/k"]}}}',
          user=ROOT), k("GET", "/k"), k("PUT", "/k", form="value=2"), INDEX,
    ]),
    Case("existing_guest_role_kept", [
        a("PUT", "/roles/guest", '{"role":"guest"}'), *enabled_with(), INDEX,
        a("GET", "/roles/guest", user=ROOT), k("GET", "/x"), k("GET", "/x", ROOT),
    ]),
    Case("non_root_user_admin", [
        *enabled_with(a("PUT", "/users/carol", '{"user":"carol","password":"c"}'),
                      a("PUT", "/users/dave", '{"user":"dave","password":"d","roles":["root"]}')),
        a("GET", "/users", user="carol:c"), a("GET", "/users", user="dave:d"),
        a("PUT", "/users/carol", '{"user":"carol","grant":["root"]}', user="carol:c"),
        a("PUT", "/users/carol", '{"user":"carol","grant":["root"]}', user="dave:d"),
        a("GET", "/roles", user="carol:c"), a("GET", "/roles/root", user="carol:c"),
        a("PUT", "/users/carol", '{"user":"carol","password":"c2"}', user="carol:c"),
        a("GET", "/users/carol", user="carol:c2"),
        k("GET", "/x", "carol:c"), k("GET", "/x", "carol:c2"), INDEX,
    ]),
    Case("password_with_colons_and_unicode", [
        *enabled_with(
            a("PUT", "/users/u", '{"user":"u","password":"a:b:c","roles":["root"]}'),
            a("PUT", "/users/%C3%A9t%C3%A9", '{"user":"été","password":"ü","roles":["root"]}')),
        k("GET", "/x", "u:a:b:c"), k("GET", "/x", "u:a:b"), k("GET", "/x", "été:ü"),
        a("GET", "/users", user="u:a:b:c"),
    ]),
    Case("writes_by_auth_are_invisible_to_watchers", [
        k("PUT", "/w", form="value=1"), k("GET", "/?recursive=true"),
        MK_ROOT, a("PUT", "/roles/r", '{"role":"r"}'), k("PUT", "/w", form="value=2"),
        k("GET", "/?wait=true&recursive=true&waitIndex={i+2}"),
        k("GET", "/2?recursive=true"), INDEX,
    ]),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_auth(case: Case, check: Callable[[Case], None]) -> None:
    case.fresh = True
    check(case)
