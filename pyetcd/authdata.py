"""v2 auth data: users, roles and permissions, their JSON, and key-permission matching.

Pure (no I/O, no clock). This is etcd 3.4's ``etcdserver/api/v2auth`` data model:

* a :class:`User` has a name, a password hash and a list of role names; a :class:`Role`
  has a name and :class:`Permissions` (lists of key patterns for read and for write);
* the ``root`` role is built in (read and write ``/*``) and never stored; a stored user
  named ``root`` always has it;
* patterns: ``/foo`` matches exactly ``/foo``; ``/foo*`` matches every key starting with
  ``/foo``. A recursive request (``recursive=true``) needs a ``*`` pattern;
* the state lives in the store's internal ``/2`` namespace, as etcd keeps it:
  ``/2/users/<name>`` and ``/2/roles/<name>`` hold Go's JSON of the struct and
  ``/2/enabled`` holds ``true`` or ``false``.

JSON goes both ways as Go's ``encoding/json`` does it, because clients see it: request
bodies are decoded leniently (first value only, field names case-insensitive, ``null``
leaves a field unset) and strictly typed (a number where a string belongs is an error);
output keeps the struct's field order, ``omitempty`` rules and the ``null``/``[]``
distinction (``roles`` is ``null`` for a user created without roles, ``[]`` after an
update emptied them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pyetcd.codec import go_string

PREFIX = "/2"
USERS = PREFIX + "/users"
ROLES = PREFIX + "/roles"
ENABLED = PREFIX + "/enabled"
ROOT = "root"
GUEST = "guest"

Names = tuple[str, ...] | None  # a Go []string: None is nil (JSON null), () is empty


class DecodeError(ValueError):
    """The body is not JSON of the expected shape (etcd: "Invalid JSON in request body.")."""


@dataclass(frozen=True, slots=True)
class Permissions:
    read: Names = None
    write: Names = None

    def is_empty(self) -> bool:
        return not self.read and not self.write


@dataclass(frozen=True, slots=True)
class User:
    user: str = ""
    password: str = ""  # the hash when stored; the clear text in a request
    roles: Names = None
    grant: Names = None
    revoke: Names = None


@dataclass(frozen=True, slots=True)
class Role:
    role: str = ""
    permissions: Permissions = Permissions()
    grant: Permissions | None = None
    revoke: Permissions | None = None

    def has_key_access(self, key: str, write: bool) -> bool:
        if self.role == ROOT:
            return True
        patterns = (self.permissions.write if write else self.permissions.read) or ()
        return any(simple_match(p, key) for p in patterns)

    def has_recursive_access(self, key: str, write: bool) -> bool:
        if self.role == ROOT:
            return True
        patterns = (self.permissions.write if write else self.permissions.read) or ()
        return any(prefix_match(p, key) for p in patterns)


ROOT_ROLE = Role(ROOT, Permissions(("/*",), ("/*",)))
GUEST_ROLE = Role(GUEST, Permissions(("/*",), ("/*",)))


def simple_match(pattern: str, key: str) -> bool:
    """``/a*`` is a prefix; anything else must be equal. (An empty pattern matches nothing;
    etcd would crash on it.)"""
    if pattern.endswith("*"):
        return key.startswith(pattern[:-1])
    return bool(pattern) and key == pattern


def prefix_match(pattern: str, key: str) -> bool:
    """Recursive requests: only ``*`` patterns grant them."""
    return pattern.endswith("*") and key.startswith(pattern[:-1])


# ---- reading the state from the store's internal namespace ------------------------------

def user_key(name: str) -> str:
    return f"{USERS}/{name}"


def role_key(name: str) -> str:
    return f"{ROLES}/{name}"


def is_enabled(internal: Mapping[str, str | None]) -> bool:
    return internal.get(ENABLED) == "true"


def get_user(internal: Mapping[str, str | None], name: str) -> User | None:
    """The stored user, with the root role attached to ``root`` (etcd ``getUser``)."""
    if not name or "/" in name:
        return None
    raw = internal.get(user_key(name))
    if raw is None:
        return None
    try:
        user = decode_user(raw.encode())
    except DecodeError:
        return None
    if user.user == ROOT and ROOT not in (user.roles or ()):
        user = _replace_roles(user, (*(user.roles or ()), ROOT))
    return user


def get_role(internal: Mapping[str, str | None], name: str) -> Role | None:
    if name == ROOT:
        return ROOT_ROLE
    if not name or "/" in name:
        return None
    raw = internal.get(role_key(name))
    if raw is None:
        return None
    try:
        return decode_role(raw.encode())
    except DecodeError:
        return None


def _children(internal: Mapping[str, str | None], directory: str) -> list[str]:
    start = directory + "/"
    return [k[len(start):] for k in internal if k.startswith(start) and "/" not in k[len(start):]]


def all_users(internal: Mapping[str, str | None]) -> list[str]:
    return sorted(_children(internal, USERS))


def all_roles(internal: Mapping[str, str | None]) -> list[str]:
    return sorted([ROOT, *_children(internal, ROLES)])


def _replace_roles(user: User, roles: Names) -> User:
    return User(user.user, user.password, roles, user.grant, user.revoke)


# ---- Go JSON out --------------------------------------------------------------------------

def _names_json(names: Names) -> str:
    if names is None:
        return "null"
    return "[" + ",".join(go_string(n) for n in names) + "]"


def permissions_json(p: Permissions) -> str:
    return '{"kv":{"read":' + _names_json(p.read) + ',"write":' + _names_json(p.write) + "}}"


def role_json(role: Role) -> str:
    out = '{"role":' + go_string(role.role) + ',"permissions":' + permissions_json(role.permissions)
    if role.grant is not None:
        out += ',"grant":' + permissions_json(role.grant)
    if role.revoke is not None:
        out += ',"revoke":' + permissions_json(role.revoke)
    return out + "}"


def user_json(user: User) -> str:
    """The stored form (and, with the password blanked, the PUT response)."""
    out = '{"user":' + go_string(user.user)
    if user.password:
        out += ',"password":' + go_string(user.password)
    out += ',"roles":' + _names_json(user.roles)
    if user.grant:
        out += ',"grant":' + _names_json(user.grant)
    if user.revoke:
        out += ',"revoke":' + _names_json(user.revoke)
    return out + "}"


def user_with_roles_json(name: str, roles: list[Role]) -> str:
    """etcd's ``userWithRoles``: the roles expanded, omitted when there are none."""
    out = '{"user":' + go_string(name)
    if roles:
        out += ',"roles":[' + ",".join(role_json(r) for r in roles) + "]"
    return out + "}"


# ---- Go JSON in ---------------------------------------------------------------------------

def _first_value(body: bytes) -> Any:
    """``json.NewDecoder(body).Decode``: the first JSON value; what follows is not read."""
    text = body.decode("utf-8", "replace")
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if start == len(text):
        raise DecodeError("EOF")

    def no_constants(name: str) -> Any:
        raise DecodeError(f"invalid character {name!r}")

    try:
        value, _ = json.JSONDecoder(parse_constant=no_constants).raw_decode(text, start)
    except ValueError as e:
        raise DecodeError(str(e)) from None
    return value


def _fold(name: str) -> str:
    """Go matches JSON keys to field names case-insensitively (with its special folds)."""
    return name.replace("\u017f", "s").replace("\u212a", "k").lower()


def _fields(value: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """An object's members by (folded) field name; the last duplicate wins, as in Go."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DecodeError("not an object")
    out: dict[str, Any] = {}
    for key, item in value.items():
        folded = _fold(key)
        if folded in names:
            out[folded] = item
    return out


def _str(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DecodeError(f"{name}: not a string")
    return value


def _names(fields: dict[str, Any], name: str) -> Names:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DecodeError(f"{name}: not a list of strings")
    return tuple(value)


def _permissions(value: Any) -> Permissions:
    kv = _fields(_fields(value, ("kv",)).get("kv"), ("read", "write"))
    return Permissions(_names(kv, "read"), _names(kv, "write"))


def _optional_permissions(fields: dict[str, Any], name: str) -> Permissions | None:
    return None if fields.get(name) is None else _permissions(fields[name])


def decode_user(body: bytes) -> User:
    f = _fields(_first_value(body), ("user", "password", "roles", "grant", "revoke"))
    return User(_str(f, "user"), _str(f, "password"), _names(f, "roles"), _names(f, "grant"),
                _names(f, "revoke"))


def decode_role(body: bytes) -> Role:
    f = _fields(_first_value(body), ("role", "permissions", "grant", "revoke"))
    return Role(_str(f, "role"), _permissions(f.get("permissions")),
                _optional_permissions(f, "grant"), _optional_permissions(f, "revoke"))


# ---- merges (etcd's grant/revoke semantics) --------------------------------------------------

class MergeError(ValueError):
    """A grant or revoke that etcd refuses (HTTP 409); the message is etcd's."""


def go_sprintf_no_args(text: str) -> str:
    """``fmt.Sprintf(text)`` with no arguments: etcd formats some messages twice, so a
    ``%`` in a user or role name comes out as Go's ``%!v(MISSING)`` notation."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        j = i + 1
        while j < len(text) and text[j] in "+-# 0123456789.":
            j += 1
        if j >= len(text):
            out.append("%!(NOVERB)")
            break
        verb = text[j]
        out.append("%" if verb == "%" else f"%!{verb}(MISSING)")
        i = j + 1
    return "".join(out)


def merge_user(old: User, new: User, hash_password: Callable[[str], str]) -> User:
    """etcd ``User.merge``: a new password (hashed), then grants, then revokes (sorted)."""
    password = hash_password(new.password) if new.password else old.password
    roles = set(old.roles or ())
    for g in new.grant or ():
        if g in roles:
            raise MergeError(go_sprintf_no_args(f"Granting duplicate role {g} for user {new.user}"))
        roles.add(g)
    for r in new.revoke or ():
        if r not in roles:
            raise MergeError(go_sprintf_no_args(f"Revoking ungranted role {r} for user {new.user}"))
        roles.remove(r)
    return User(old.user, password, tuple(sorted(roles)))


def _grant(current: Names, add: Names, kind: str) -> tuple[str, ...]:
    out = set(current or ())
    for p in add or ():
        if p in out:
            raise MergeError(f"Granting duplicate {kind} permission {p}")
        out.add(p)
    return tuple(sorted(out))


def merge_role(old: Role, new: Role) -> Role:
    """etcd ``Role.merge``: grants (duplicates refused), then revokes (unknown ones ignored)."""
    perms = old.permissions
    if new.grant is not None:
        perms = Permissions(_grant(perms.read, new.grant.read, "read"),
                            _grant(perms.write, new.grant.write, "write"))
    if new.revoke is not None:
        perms = Permissions(
            tuple(sorted(set(perms.read or ()) - set(new.revoke.read or ()))),
            tuple(sorted(set(perms.write or ()) - set(new.revoke.write or ()))))
    return Role(old.role, perms)
