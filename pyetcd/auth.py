"""v2 authentication and ``/v2/auth/*``: who is asking, what they may do, and the admin API.

Transport-free, like :mod:`pyetcd.api` (which calls it): it gets the decoded path, the
method, the body and the :class:`Credentials` of a request, reads the auth state from the
store's internal ``/2`` namespace (:mod:`pyetcd.authdata`), and answers with either

* an :class:`Answer` (status and JSON body) when nothing changes, or
* a :class:`Plan`: the internal writes to apply, in order, each a
  :class:`~pyetcd.request.KeyRequest` with ``internal=True`` that goes through
  :func:`pyetcd.apply.apply` like any other state change (so a write-ahead log records it
  and a replay rebuilds the same users and roles), and the answer to give once they are
  applied. A write may fail at apply time (another request changed the state in between);
  its ``on_error`` says what to answer then, exactly as etcd turns the store's 105/100 into
  "already exists"/"does not exist".

The decisions follow etcd 3.4 (``v2http/client_auth.go``, ``v2auth/auth.go``), including
the order of checks, the writes it makes (the four ``/2`` directory/switch creations before
the first auth write of a process, which consume indices) and its messages. Password hashes
are made here, before the plan, so that applying (and replaying) a plan needs no randomness.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pyetcd import authdata as ad
from pyetcd.authdata import Role, User
from pyetcd.codec import go_string
from pyetcd.errors import KEY_NOT_FOUND, NODE_EXIST
from pyetcd.request import KeyRequest, Method

AUTH_PREFIX = "/v2/auth"
Internal = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request says about its sender: the raw ``Authorization`` header, and the
    common names of its verified TLS client certificate (empty without one)."""

    authorization: str = ""
    cert_names: tuple[str, ...] = ()


NO_CREDENTIALS = Credentials()


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes = b""
    cluster: bool = True  # etcd sets X-Etcd-Cluster-Id only once the root check passed
    allow: tuple[str, ...] = ()  # non-empty: 405 with these methods


@dataclass(frozen=True, slots=True)
class Write:
    request: KeyRequest
    # error code of a failed apply -> the answer to give instead (None: ignore, go on)
    on_error: tuple[tuple[int, Answer | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    writes: tuple[Write, ...]
    answer: Answer


def message(status: int, text: str, cluster: bool = True) -> Answer:
    """etcd's ``httptypes.HTTPError`` body: ``{"message":...}`` without a newline."""
    return Answer(status, b'{"message":' + go_string(text).encode() + b"}", cluster)


NO_AUTH = message(401, "Insufficient credentials", cluster=False)
INVALID_JSON = message(400, "Invalid JSON in request body.")
INTERNAL_ERROR = message(500, "Internal Server Error")


def _json_line(text: str, status: int = 200) -> Answer:
    return Answer(status, text.encode() + b"\n")


@dataclass
class Authenticator:
    """Credentials -> user, and etcd's three access checks."""

    check_password: Callable[[str, str], bool]  # (stored hash, password) -> ok
    client_cert_auth: bool = False

    def basic_user(self, internal: Internal, authorization: str) -> User | None:
        """Go's ``Request.BasicAuth`` then the user's password check."""
        if len(authorization) < 6 or authorization[:6].lower() != "basic ":
            return None
        try:
            raw = base64.b64decode(authorization[6:].replace("\r", "").replace("\n", ""),
                                   validate=True)
        except (binascii.Error, ValueError):
            return None
        name, sep, password = raw.decode("utf-8", "surrogateescape").partition(":")
        if not sep:
            return None
        user = ad.get_user(internal, name)
        if user is None or not self.check_password(user.password, password):
            return None
        return user

    def cert_user(self, internal: Internal, creds: Credentials) -> User | None:
        for name in creds.cert_names:
            user = ad.get_user(internal, name)
            if user is not None:
                return user
        return None

    def has_root_access(self, internal: Internal, creds: Credentials) -> bool:
        if not ad.is_enabled(internal):
            return True
        if not creds.authorization and self.client_cert_auth:
            user = self.cert_user(internal, creds)
        else:
            user = self.basic_user(internal, creds.authorization)
        return user is not None and ad.ROOT in (user.roles or ())

    def has_write_root_access(self, internal: Internal, creds: Credentials,
                              method: str) -> bool:
        return method in ("GET", "HEAD") or self.has_root_access(internal, creds)

    def has_key_access(self, internal: Internal, creds: Credentials, method: str, key: str,
                       recursive: bool) -> bool:
        """etcd ``hasKeyPrefixAccess``; ``key`` is the URL path after ``/v2/keys``."""
        if not ad.is_enabled(internal):
            return True
        write = method not in ("GET", "HEAD")
        user: User | None = None
        if not creds.authorization:
            if self.client_cert_auth:
                user = self.cert_user(internal, creds)
            if user is None:
                guest = ad.get_role(internal, ad.GUEST)
                return guest is not None and guest.has_key_access(key, write)
        else:
            user = self.basic_user(internal, creds.authorization)
            if user is None:
                return False
        for name in user.roles or ():
            role = ad.get_role(internal, name)
            if role is None:
                continue
            if role.has_recursive_access(key, write) if recursive \
                    else role.has_key_access(key, write):
                return True
        return False


@dataclass
class AuthApi:
    """The ``/v2/auth`` endpoints. ``handle`` never changes anything itself."""

    authenticator: Authenticator
    hash_password: Callable[[str], str]
    now: int = field(default=0)

    def handle(self, internal: Internal, method: str, path: str, query_ok: bool, body: bytes,
               creds: Credentials, now: int) -> Answer | Plan:
        self.now = now
        if path == AUTH_PREFIX + "/enable":
            return self._enable(internal, method, creds)
        kind = "users" if path.startswith(AUTH_PREFIX + "/users") else "roles"
        pieces = posixpath.normpath(path[len(AUTH_PREFIX):]).split("/")
        if len(pieces) == 2:
            return self._list(internal, kind, method, query_ok, creds)
        if len(pieces) != 3:
            return message(400, "Invalid path", cluster=False)
        if method not in ("GET", "PUT", "DELETE"):
            return Answer(405, allow=("GET", "PUT", "DELETE"))
        if not self.authenticator.has_root_access(internal, creds):
            return NO_AUTH
        if kind == "users":
            return self._user(internal, method, pieces[2], query_ok, body)
        return self._role(internal, method, pieces[2], body)

    # ---- lists -----------------------------------------------------------------------

    def _list(self, internal: Internal, kind: str, method: str, query_ok: bool,
              creds: Credentials) -> Answer:
        if method != "GET":
            return Answer(405, allow=("GET",))
        if not self.authenticator.has_root_access(internal, creds):
            return NO_AUTH
        if not query_ok:
            return INTERNAL_ERROR
        if kind == "roles":
            roles = [ad.get_role(internal, n) for n in ad.all_roles(internal)]
            return _json_line('{"roles":[' + ",".join(ad.role_json(r) for r in roles if r) + "]}")
        items = []
        for name in ad.all_users(internal):
            user = ad.get_user(internal, name)
            if user is None:
                return INTERNAL_ERROR
            expanded = [r for r in (ad.get_role(internal, n) for n in user.roles or ()) if r]
            items.append(ad.user_with_roles_json(user.user, expanded))
        return _json_line('{"users":' + ("[" + ",".join(items) + "]" if items else "null") + "}")

    # ---- one user --------------------------------------------------------------------

    def _user(self, internal: Internal, method: str, name: str, query_ok: bool,
              body: bytes) -> Answer | Plan:
        if method == "GET":
            user = ad.get_user(internal, name)
            if user is None:
                return message(404, f"auth: User {name} does not exist.")
            if not query_ok:
                return INTERNAL_ERROR
            roles = []
            for role_name in user.roles or ():
                role = ad.get_role(internal, role_name)
                if role is None:
                    return message(404, f"auth: Role {role_name} does not exist.")
                roles.append(role)
            return _json_line(ad.user_with_roles_json(user.user, roles))
        if method == "DELETE":
            if ad.is_enabled(internal) and name == ad.ROOT:
                return message(403, "auth: Cannot delete root user while auth is enabled.")
            gone = message(404, f"auth: User {name} does not exist")
            return self._plan(internal, [self._delete(ad.user_key(name), gone)], Answer(200))
        try:
            new = ad.decode_user(body)
        except ad.DecodeError:
            return INVALID_JSON
        if new.user != name:
            return message(400, "User JSON name does not match the name in the URL")
        if not new.grant and not new.revoke:
            if new.roles:
                return self._create_user(internal, new, created_status=200)
            if ad.get_user(internal, name) is None:
                return self._create_user(internal, new, created_status=201)
        elif new.roles:
            return message(400, "User JSON contains both roles and grant/revoke")
        return self._update_user(internal, new)

    def _create_user(self, internal: Internal, user: User, created_status: int) -> Answer | Plan:
        if user.user == ad.ROOT and ad.ROOT not in (user.roles or ()):
            user = User(user.user, user.password, (*(user.roles or ()), ad.ROOT), user.grant,
                        user.revoke)
        if not user.password:
            return message(400, f"auth: Cannot create user {user.user} with an empty password")
        stored = User(user.user, self.hash_password(user.password), user.roles)
        exists = message(409, f"auth: User {user.user} already exists.")
        shown = User(user.user, "", user.roles)
        return self._plan(internal, [self._create(ad.user_key(user.user), ad.user_json(stored),
                                                  exists)],
                          _json_line(ad.user_json(shown), created_status))

    def _update_user(self, internal: Internal, new: User) -> Answer | Plan:
        old = ad.get_user(internal, new.user)
        # (etcd's getUser error, which UpdateUser passes on unchanged)
        missing = message(404, f"auth: User {new.user} does not exist.")
        if old is None:
            return missing
        try:
            merged = ad.merge_user(old, new, self.hash_password)
        except ad.MergeError as e:
            return message(409, f"auth: {e}")
        if merged == old:
            return message(400, "auth: User not updated. Use grant/revoke/password to update "
                                "the user.")
        shown = User(merged.user, "", merged.roles)
        return self._plan(internal, [self._update(ad.user_key(new.user), ad.user_json(merged),
                                                  missing)],
                          _json_line(ad.user_json(shown)))

    # ---- one role --------------------------------------------------------------------

    def _role(self, internal: Internal, method: str, name: str, body: bytes) -> Answer | Plan:
        is_root = message(403, f"auth: Cannot modify role {name}: is root role.")
        if method == "GET":
            role = ad.get_role(internal, name)
            if role is None:
                return message(404, f"auth: Role {name} does not exist.")
            return _json_line(ad.role_json(role))
        if method == "DELETE":
            if name == ad.ROOT:
                return is_root
            gone = message(404, f"auth: Role {name} doesn't exist.")
            return self._plan(internal, [self._delete(ad.role_key(name), gone)], Answer(200))
        try:
            new = ad.decode_role(body)
        except ad.DecodeError:
            return INVALID_JSON
        if new.role != name:
            return message(400, "Role JSON name does not match the name in the URL")
        if _perms_empty(new.grant) and _perms_empty(new.revoke):
            return self._create_role(internal, new, 201)
        if not new.permissions.is_empty():
            return message(400, "Role JSON contains both permissions and grant/revoke")
        if name == ad.ROOT:
            return is_root
        old = ad.get_role(internal, name)
        missing = message(404, f"auth: Role {name} does not exist.")
        if old is None:
            return missing
        try:
            merged = ad.merge_role(old, new)
        except ad.MergeError as e:
            return message(409, f"auth: {e}")
        if merged == old:
            return message(400, "auth: Role not updated. Use grant/revoke to update the role.")
        return self._plan(internal, [self._update(ad.role_key(name), ad.role_json(merged),
                                                  missing)],
                          _json_line(ad.role_json(merged)))

    def _create_role(self, internal: Internal, role: Role, status: int,
                     then: Answer | None = None) -> Answer | Plan:
        if role.role == ad.ROOT:
            return message(403, f"auth: Cannot modify role {role.role}: is root role.")
        exists = message(409, f"auth: Role {role.role} already exists.")
        return self._plan(internal, [self._create(ad.role_key(role.role), ad.role_json(role),
                                                  exists)],
                          then or _json_line(ad.role_json(role), status))

    # ---- on/off ----------------------------------------------------------------------

    def _enable(self, internal: Internal, method: str, creds: Credentials) -> Answer | Plan:
        if method not in ("GET", "PUT", "DELETE"):
            return Answer(405, allow=("GET", "PUT", "DELETE"))
        if not self.authenticator.has_write_root_access(internal, creds, method):
            return NO_AUTH
        enabled = ad.is_enabled(internal)
        if method == "GET":
            return _json_line('{"enabled":' + ("true" if enabled else "false") + "}")
        if method == "DELETE":
            if not enabled:
                return message(409, "auth: already disabled")
            return self._plan(internal, [self._update(ad.ENABLED, "false", INTERNAL_ERROR)],
                              Answer(200))
        if enabled:
            return message(409, "auth: already enabled")
        if ad.get_user(internal, ad.ROOT) is None:
            return message(409, "auth: No root user available, please create one")
        switch_on = self._update(ad.ENABLED, "true", INTERNAL_ERROR)
        if ad.get_role(internal, ad.GUEST) is not None:
            return self._plan(internal, [switch_on], Answer(200))
        # etcd creates the guest role with full access first (a failure aborts the enable).
        plan = self._create_role(internal, ad.GUEST_ROLE, 200, Answer(200))
        assert isinstance(plan, Plan)
        return Plan((*plan.writes, switch_on), plan.answer)

    # ---- writes ----------------------------------------------------------------------

    def _plan(self, internal: Internal, writes: list[Write], answer: Answer) -> Plan:
        """``writes`` preceded by etcd's ``ensureAuthDirectories`` (what is missing of
        ``/2``, ``/2/users``, ``/2/roles`` and ``/2/enabled=false``)."""
        ensure = [self._request(Method.PUT, key, None, False) for key in
                  (ad.PREFIX, ad.USERS, ad.ROLES) if key not in internal]
        if ad.ENABLED not in internal:
            ensure.append(self._request(Method.PUT, ad.ENABLED, "false", False))
        tolerated = ((NODE_EXIST, None),)
        return Plan((*(Write(r, tolerated) for r in ensure), *writes), answer)

    def _request(self, method: Method, key: str, value: str | None,
                 prev_exist: bool) -> KeyRequest:
        return KeyRequest(method, key, self.now, value=value or "", dir=value is None and
                          method is Method.PUT, prev_exist=prev_exist, internal=True)

    def _create(self, key: str, value: str, exists: Answer) -> Write:
        return Write(self._request(Method.PUT, key, value, False), ((NODE_EXIST, exists),))

    def _update(self, key: str, value: str, missing: Answer) -> Write:
        return Write(self._request(Method.PUT, key, value, True), ((KEY_NOT_FOUND, missing),))

    def _delete(self, key: str, missing: Answer) -> Write:
        return Write(self._request(Method.DELETE, key, None, True), ((KEY_NOT_FOUND, missing),))


def _perms_empty(p: ad.Permissions | None) -> bool:
    return p is None or p.is_empty()
