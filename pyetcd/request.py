"""KeyRequest: one ``/v2/keys`` request as plain data, and the parser that makes it.

:func:`parse_key_request` is etcd's ``parseKeyRequest``: it takes the raw pieces of an HTTP
request (method, the key part of the decoded path, raw query, body, Content-Type) and the
current time, and either returns a frozen :class:`KeyRequest` or raises the
:class:`~pyetcd.errors.EtcdError` etcd would (all with ``index`` 0). It never looks at an
HTTP framework's objects, so any transport can use it.

Validation order is etcd's (spec §4): the first failure wins, and every parameter is
validated whatever the method. A TTL becomes an absolute ``expiration`` here, with Go's
integer wrap-around (spec §7.1), so that applying the request later (or replaying it from a
log) needs no clock.

A KeyRequest is serialisable (:meth:`KeyRequest.to_dict`): this is what a write-ahead log
records. Expiry is the ``SYNC`` request carrying the sweep time.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
from typing import Any

from pyetcd import errors
from pyetcd.errors import EtcdError
from pyetcd.goform import (
    Form,
    FormError,
    clean_path,
    media_type,
    parse_bool,
    parse_query,
    parse_uint64,
)
from pyetcd.values import value_class

NANOS_PER_SECOND = 1_000_000_000
MAX_FORM_BYTES = 10 << 20  # net/http's limit on an urlencoded body
FORM_TYPE = "application/x-www-form-urlencoded"


class Method(enum.Enum):
    GET = "GET"
    HEAD = "HEAD"
    PUT = "PUT"
    POST = "POST"
    DELETE = "DELETE"
    SYNC = "SYNC"  # expire every node whose expire time is at or before ``time``


@value_class
class KeyRequest:
    method: Method
    key: str  # cleaned, user-visible ("/" for the root)
    time: int  # Unix ns when the request was parsed: "now" for everything it does
    value: str = ""
    dir: bool = False
    prev_value: str = ""
    prev_index: int = 0
    prev_exist: bool | None = None
    wait: bool = False
    wait_index: int = 0
    recursive: bool = False
    sorted: bool = False
    quorum: bool = False
    stream: bool = False
    refresh: bool = False
    expiration: int | None = None  # Unix ns; None: no TTL
    no_value_on_success: bool = False
    internal: bool = False  # a write under etcd's internal /2 namespace (v2 auth data)

    @property
    def is_write(self) -> bool:
        """Whether applying this request may change the store (what a WAL must log)."""
        return self.method not in (Method.GET, Method.HEAD)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, only the fields that differ from the defaults."""
        out: dict[str, Any] = {"method": self.method.value, "key": self.key, "time": self.time}
        for f in dataclasses.fields(self)[3:]:
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = value
        return out

    def to_tuple(self) -> tuple[Any, ...]:
        """Every field in order, the method as its name: plain data (for marshal)."""
        return (self.method.value, *_FIELDS_AFTER_METHOD(self))

    @classmethod
    def from_tuple(cls, fields: tuple[Any, ...]) -> KeyRequest:
        return cls(_METHODS[fields[0]], *fields[1:])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeyRequest:
        fields = dict(data)
        fields["method"] = Method(fields["method"])
        return cls(**fields)


_FIELDS_AFTER_METHOD = operator.attrgetter(*(f.name for f in dataclasses.fields(KeyRequest)[1:]))


def sync_request(now: int) -> KeyRequest:
    return KeyRequest(Method.SYNC, "/", now)


def read_form(method: str, query: str, body: bytes, content_type: str | None) -> Form:
    """``Request.ParseForm``: body values (PUT/POST/PATCH urlencoded) first, then the query.

    Raises error 210 with Go's error text; a body error is reported before a query error.
    """
    if not query and content_type == FORM_TYPE and method in ("PUT", "POST", "PATCH"):
        # The usual write, ``value=...`` with nothing to unescape: the form parse_query
        # would make, without its general loop.
        text = body.decode("utf-8", "surrogateescape")
        if (text.startswith("value=") and len(body) <= MAX_FORM_BYTES and "%" not in text
                and "+" not in text and "&" not in text and ";" not in text):
            return {"value": [text[6:]]}
    form: Form = {}
    err: FormError | None = None
    if method in ("PUT", "POST", "PATCH"):
        err = _read_body_form(form, body, content_type)
    _, query_err = parse_query(query, form)
    err = err or query_err
    if err is not None:
        raise EtcdError(errors.INVALID_FORM, str(err), 0)
    return form


def _read_body_form(form: Form, body: bytes, content_type: str | None) -> FormError | None:
    try:
        ctype = media_type(content_type or "application/octet-stream")
    except FormError as e:
        return e.with_traceback(None)  # no frames kept alive (see goform.parse_query)
    if ctype != "application/x-www-form-urlencoded":
        return None
    if len(body) > MAX_FORM_BYTES:
        return FormError("http: POST too large")
    _, err = parse_query(body.decode("utf-8", "surrogateescape"), form)
    return err


def _uint(form: Form, name: str, code: int, cause: str) -> int:
    values = form.get(name)
    if values is None:
        return 0
    try:
        return parse_uint64(values[0])
    except FormError:
        raise EtcdError(code, cause, 0) from None


def _bool(form: Form, name: str, cause: str | None = None) -> bool:
    values = form.get(name)
    if values is None:
        return False
    try:
        return parse_bool(values[0])
    except FormError:
        raise EtcdError(errors.INVALID_FIELD, cause or f'invalid value for "{name}"', 0) from None


def expiration_for(ttl: int, now: int) -> int:
    """``now + time.Duration(ttl) * time.Second`` as Unix ns, wrapping as Go's int64 does."""
    duration = _wrap64(_wrap64(ttl) * NANOS_PER_SECOND)
    return _wrap64(now + duration)


def _wrap64(n: int) -> int:
    return ((n + (1 << 63)) % (1 << 64)) - (1 << 63)


_METHODS = {m.value: m for m in Method}
_ONLY_VALUE = frozenset({"value"})


def key_for(key_path: str) -> str:
    """The store key for the decoded path after ``/v2/keys`` (``path.Join("/", ...)``)."""
    if "//" in key_path or "/." in key_path or key_path.endswith("/") or not key_path:
        return clean_path("/" + key_path)
    return key_path if key_path.startswith("/") else clean_path("/" + key_path)


def parse_key_request(method: str, key_path: str, form: Form, now: int) -> KeyRequest:
    """Validate parameters in etcd's order and build the request.

    ``key_path`` is the decoded URL path after ``/v2/keys``; ``form`` comes from
    :func:`read_form`.
    """
    if not form:  # the common read: nothing to validate
        return KeyRequest(_METHODS[method], key_for(key_path), now)
    if form.keys() <= _ONLY_VALUE:  # the common write
        return KeyRequest(_METHODS[method], key_for(key_path), now, value=form["value"][0])
    prev_index = _uint(form, "prevIndex", errors.INDEX_NAN, 'invalid value for "prevIndex"')
    wait_index = _uint(form, "waitIndex", errors.INDEX_NAN, 'invalid value for "waitIndex"')
    recursive = _bool(form, "recursive")
    sorted_ = _bool(form, "sorted")
    wait = _bool(form, "wait")
    dir_ = _bool(form, "dir")
    quorum = _bool(form, "quorum")
    stream = _bool(form, "stream")
    if wait and method != "GET":
        raise EtcdError(errors.INVALID_FIELD, '"wait" can only be used with GET requests', 0)
    prev_values = form.get("prevValue")
    prev_value = prev_values[0] if prev_values else ""
    if prev_values is not None and not prev_value:
        raise EtcdError(errors.PREV_VALUE_REQUIRED, '"prevValue" cannot be empty', 0)
    no_value = _bool(form, "noValueOnSuccess")
    ttl: int | None = None
    if form.get("ttl", [""])[0]:
        ttl = _uint(form, "ttl", errors.TTL_NAN, 'invalid value for "ttl"')
    prev_exist: bool | None = None
    if "prevExist" in form:
        prev_exist = _bool(form, "prevExist", "invalid value for prevExist")
    refresh = False
    value = form.get("value", [""])[0]
    if "refresh" in form:
        refresh = _bool(form, "refresh", "invalid value for refresh")
        if refresh and value:
            raise EtcdError(errors.REFRESH_VALUE, "A value was provided on a refresh", 0)
        if refresh and ttl is None:
            raise EtcdError(errors.REFRESH_TTL_REQUIRED, "No TTL value set", 0)
    return KeyRequest(
        _METHODS[method], key_for(key_path), now, value=value, dir=dir_,
        prev_value=prev_value, prev_index=prev_index, prev_exist=prev_exist, wait=wait,
        wait_index=wait_index, recursive=recursive, sorted=sorted_, quorum=quorum,
        stream=stream, refresh=refresh,
        expiration=None if ttl is None else expiration_for(ttl, now),
        no_value_on_success=no_value,
    )
