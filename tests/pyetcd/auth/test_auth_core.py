"""Unit tests of the pure v2 auth core: data, JSON, matching, merges, plans, replay."""

from __future__ import annotations

import base64

import pytest

from pyetcd import authdata as ad
from pyetcd.api import AuthCall, V2Api
from pyetcd.apply import apply
from pyetcd.auth import NO_CREDENTIALS, Credentials
from pyetcd.cluster import ClusterInfo
from pyetcd.errors import EtcdError
from pyetcd.passwords import PasswordHasher
from pyetcd.request import KeyRequest
from pyetcd.store import Store

pytestmark = pytest.mark.unit
T0 = 1_700_000_000 * 10**9


@pytest.mark.parametrize(("pattern", "key", "simple", "recursive"), [
    ("/a", "/a", True, False),
    ("/a", "/a/b", False, False),
    ("/a*", "/ab", True, True),
    ("/a/*", "/a", False, False),
    ("/a/*", "/a/", True, True),
    ("/*", "", False, False),
    ("*", "", True, True),
    ("", "", False, False),
])
def test_pattern_matching_follows_etcd(pattern: str, key: str, simple: bool,
                                       recursive: bool) -> None:
    assert ad.simple_match(pattern, key) is simple
    assert ad.prefix_match(pattern, key) is recursive


def test_root_role_has_every_access_and_is_built_in() -> None:
    assert ad.get_role({}, "root") == ad.ROOT_ROLE
    assert ad.ROOT_ROLE.has_recursive_access("", True)
    assert ad.all_roles({}) == ["root"]


@pytest.mark.parametrize(("body", "expected"), [
    (b'{"user":"a","password":"p"}', ad.User("a", "p")),
    (b' {"USER":"a","roles":["x"]} junk', ad.User("a", "", ("x",))),
    (b'{"u\xc5\xbfer":"a"}', ad.User("a")),  # Go's special fold: long s matches s
    (b'{"user":"a","roles":null,"grant":[]}', ad.User("a", "", None, ())),
    (b"null", ad.User()),
    (b'{"user":"a","user":"b"}', ad.User("b")),
])
def test_user_json_is_decoded_like_go(body: bytes, expected: ad.User) -> None:
    assert ad.decode_user(body) == expected


@pytest.mark.parametrize("body", [b"", b"  ", b"[]", b'{"user":1}', b'{"roles":[1]}',
                                  b'{"roles":"x"}', b"{", b'{"user":NaN}'])
def test_bad_user_json_is_refused(body: bytes) -> None:
    with pytest.raises(ad.DecodeError):
        ad.decode_user(body)


def test_role_json_keeps_go_field_order_nulls_and_omitempty() -> None:
    role = ad.decode_role(b'{"role":"r","grant":{}}')
    assert ad.role_json(role) == ('{"role":"r","permissions":{"kv":{"read":null,"write":null}},'
                                  '"grant":{"kv":{"read":null,"write":null}}}')
    assert ad.user_json(ad.User("<a>", "", None)) == '{"user":"\\u003ca\\u003e","roles":null}'


def test_merges_sort_refuse_duplicates_and_ignore_unknown_revokes() -> None:
    old = ad.User("u", "h", ("b",))
    merged = ad.merge_user(old, ad.User("u", grant=("a",)), lambda p: "x")
    assert merged == ad.User("u", "h", ("a", "b"))
    with pytest.raises(ad.MergeError, match="Granting duplicate role b for user u"):
        ad.merge_user(old, ad.User("u", grant=("b",)), lambda p: "x")
    with pytest.raises(ad.MergeError, match="Revoking ungranted role z"):
        ad.merge_user(old, ad.User("u", revoke=("z",)), lambda p: "x")
    role = ad.Role("r", ad.Permissions(("/b",), None))
    grant = ad.merge_role(role, ad.Role("r", grant=ad.Permissions(("/a",))))
    assert grant.permissions == ad.Permissions(("/a", "/b"), ())
    revoke = ad.merge_role(role, ad.Role("r", revoke=ad.Permissions(("/x",))))
    assert revoke.permissions == ad.Permissions(("/b",), ())


def test_go_sprintf_without_arguments() -> None:
    assert ad.go_sprintf_no_args("a%db%%c%") == "a%!d(MISSING)b%c%!(NOVERB)"


def test_internal_writes_consume_indices_and_stay_invisible() -> None:
    store = Store()
    store.set("/k", False, "v", None, False, T0)
    event = store.write_internal("/2", None, False, False)
    assert (event.internal, store.index) == (True, 2)
    with pytest.raises(EtcdError) as exc:
        store.write_internal("/2", None, False, False)
    assert exc.value.code == 105 and store.index == 2
    with pytest.raises(EtcdError) as exc:
        store.write_internal("/2/x", None, True, True)
    assert exc.value.code == 100
    assert store.get("/", True, False, T0).node.nodes is not None
    assert [n.key for n in store.get("/", True, False, T0).node.nodes or ()] == ["/k"]
    restored = Store.restore(store.snapshot())
    assert restored.internal == {"/2": None}


def api() -> V2Api:
    cluster = ClusterInfo("n", ("http://127.0.0.1:2380",), ("http://127.0.0.1:2379",),
                          "etcd-cluster", T0)
    return V2Api(Store(), cluster, passwords=PasswordHasher(log_n=4))


def basic(user: str) -> Credentials:
    return Credentials("Basic " + base64.b64encode(user.encode()).decode())


def test_auth_plans_are_requests_and_replay_rebuilds_the_same_auth_state() -> None:
    live = api()
    log: list[dict[str, object]] = []

    def send(method: str, path: str, body: bytes = b"", creds: Credentials = NO_CREDENTIALS) -> int:
        routed = live.route(method, path, body, "application/json", T0, creds)
        if isinstance(routed, AuthCall):
            log.extend(r.to_dict() for r in routed.requests)
        result = live.handle(method, path, body, "application/json", T0, creds) \
            if not isinstance(routed, AuthCall) else live.execute(routed)
        return result.status  # type: ignore[union-attr]

    assert send("PUT", "/v2/auth/users/root", b'{"user":"root","password":"pw"}') == 201
    assert send("PUT", "/v2/auth/enable", creds=basic("root:pw")) == 200
    assert send("GET", "/v2/keys/x", creds=basic("root:bad")) == 401
    assert send("GET", "/v2/keys/x") == 404  # guest may read
    assert len(log) == 4 + 1 + 2  # ensure dirs and switch, root, guest role, enabled=true
    replayed = Store()
    for item in log:
        apply(replayed, KeyRequest.from_dict(item))
    ours, theirs = replayed.snapshot(), live.store.snapshot()
    ours.pop("stats"), theirs.pop("stats")  # the unlogged reads count there
    assert ours == theirs
    assert ad.is_enabled(replayed.internal)


def test_passwords_hash_check_and_cache() -> None:
    hasher = PasswordHasher(log_n=4)
    stored = hasher.hash("secret")
    assert stored.startswith("$scrypt$ln=4,r=8,p=1$") and "secret" not in stored
    assert hasher.check(stored, "secret") and hasher.check(stored, "secret")
    assert not hasher.check(stored, "wrong")
    assert not hasher.check("$2a$10$bcrypt-style", "secret")
    assert hasher.hash("secret") != stored  # salted
