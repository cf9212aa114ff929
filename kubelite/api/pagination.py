"""Chunked lists: ``limit``, ``continue`` tokens and the page cut (kube's ``storage/continue.go``
and the paging half of ``etcd3/store.go: GetList``). Pure: no I/O, no clock.

What a client sees, as from kube-apiserver:

* ``limit=N`` returns at most N items in key order (``<namespace>/<name>`` across
  namespaces, ``<name>`` within one; byte order, as etcd 3 ranges return them). When keys
  remain after the last item returned, the list carries ``metadata.continue`` and, when no
  label or field selector was given, ``metadata.remainingItemCount`` (with a selector the
  count of what would match is unknown, so kube leaves it out). With a selector the cut
  keeps reading until N items matched or the keys ran out; a token is still issued when
  only non-matching keys remain, as kube does.
* The token is unpadded URL-safe base64 of ``{"v":"meta.k8s.io/v1","rv":RV,"start":KEY}``:
  RV is the list's resourceVersion (``-1`` means "the latest", the token kube hands out with
  a 410) and KEY the first key the next page may hold, relative to the list's key prefix
  (the last key returned plus ``"\\x00"``, so ``key >= start`` means ``key > last``).

Where kubelite differs, and why: etcd's v2 API cannot read at an old index, so a continued
page is read from the *current* state after the start key, not from the snapshot the first
page saw (objects created, changed or deleted meanwhile show up as they are now). The page
still reports the *original* list's resourceVersion: a client that lists and then watches
from that version gets every change made since, including those already visible in later
pages, so its cache converges (reporting the newer index could skip the changes made to
keys of earlier pages). Once the original version has left the apiserver's watch window
(:data:`HISTORY_EVENTS` etcd events, what a watch from it could still replay) such a list
would be neither consistent nor resumable, so the continue gets kube's 410 ``Expired`` for a
compacted revision, with a ``-1`` token that finishes the list at the latest state.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kubelite.api import errors, listrv
from kubelite.api.validation import FieldError, Path, options_invalid
from pyetcd.goform import clean_path

Obj = dict[str, Any]

TOKEN_VERSION = "meta.k8s.io/v1"
# The token's rv for "continue at the latest state" (never 0: 0 is a broken token).
LATEST = -1
# etcd's v2 event history keeps the last 1000 events, one per index with no gaps (pyetcd's
# history.py, etcd's store/event_history.go). A watch from rv R asks for index R+1, which
# is still there while current - R <= 1000; older tokens get the 410.
HISTORY_EVENTS = 1000
INT64_MAX = 2**63 - 1

# kube's messages (k8s.io/apiserver/pkg/storage: continue.go, etcd3/store.go, etcd3/errors.go)
INVALID = "continue key is not valid"
INVALID_RV = f"{INVALID}: incorrect encoded start resourceVersion (version {TOKEN_VERSION})"
EMPTY_START = f"{INVALID}: encoded start key empty (version {TOKEN_VERSION})"
UNKNOWN_VERSION = f"{INVALID}: server does not recognize this encoded version"
WITH_RESOURCE_VERSION = "specifying resource version is not allowed when using continue"
INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list.")
FUTURE_REVISION = "etcdserver: mvcc: required revision is a future revision"

_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_GO_TYPES = {str: "string", bool: "bool", list: "array", dict: "object"}


@dataclass(frozen=True, slots=True)
class ContinueToken:
    rv: int
    start: str


def encode(token: ContinueToken) -> str:
    """The opaque ``continue`` value for ``token``."""
    data = json.dumps({"v": TOKEN_VERSION, "rv": token.rv, "start": token.start},
                      separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    """Go's ``base64.RawURLEncoding.DecodeString``: its alphabet, no padding, CR/LF skipped;
    the error names the offending input byte as Go's does."""
    digits = 0
    for i, ch in enumerate(text):
        if ch in "\r\n":
            continue
        if ch not in _ALPHABET:
            raise ValueError(f"illegal base64 data at input byte {i}")
        digits += 1
    if digits % 4 == 1:
        last = max(i for i, ch in enumerate(text) if ch not in "\r\n")
        raise ValueError(f"illegal base64 data at input byte {last}")
    clean = "".join(ch for ch in text if ch not in "\r\n")
    try:
        return base64.urlsafe_b64decode(clean + "=" * (-len(clean) % 4))
    except binascii.Error as exc:  # unreachable after the checks above; kept as a guard
        raise ValueError(str(exc)) from exc


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return f"number {json.dumps(value)}"
    return _GO_TYPES.get(type(value), "value")


def _fields(data: bytes) -> tuple[Any, Any, Any]:
    """The token's (v, rv, start) as Go's ``json.Unmarshal`` into kube's struct reads them:
    keys match case-insensitively, the last one wins, ``null`` leaves the zero value."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from exc
    if not isinstance(doc, dict):
        raise ValueError(f"json: cannot unmarshal {_go_type(doc).split()[0]} into Go value of "
                         "type storage.continueToken")
    found: dict[str, Any] = {"v": "", "rv": 0, "start": ""}
    for key, value in doc.items():
        name = key.lower()
        if name not in found or value is None:
            continue
        want_int = name == "rv"
        ok = (isinstance(value, int) and not isinstance(value, bool)
              and -INT64_MAX - 1 <= value <= INT64_MAX) if want_int else isinstance(value, str)
        if not ok:
            raise ValueError(f"json: cannot unmarshal {_go_type(value)} into Go struct field "
                             f"continueToken.{name} of type {'int64' if want_int else 'string'}")
        found[name] = value
    return found["v"], found["rv"], found["start"]


def decode(text: str) -> ContinueToken:
    """Parse a ``continue`` value; a bad one is kube's 400 ``invalid continue token: ...``.

    The start key must be clean (no ``..``, ``//``): a token can never reach outside the
    key prefix of the list it continues.
    """
    try:
        version, rv, start = _fields(_b64decode(text))
    except ValueError as exc:
        raise errors.bad_request(f"invalid continue token: {INVALID}: {exc}") from exc
    if version != TOKEN_VERSION:
        raise errors.bad_request(f"invalid continue token: {UNKNOWN_VERSION} {version}")
    if rv == 0:
        raise errors.bad_request(f"invalid continue token: {INVALID_RV}")
    if not start:
        raise errors.bad_request(f"invalid continue token: {EMPTY_START}")
    rooted = start if start.startswith("/") else "/" + start
    if clean_path(rooted) != rooted:  # Go's path.Clean, as kube checks it
        raise errors.bad_request(f"invalid continue token: {INVALID}: {start}")
    return ContinueToken(rv, rooted[1:])


# -- list options --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ListOptions:
    """The paging half of a list request, and the read its resourceVersion asks for
    (:mod:`kubelite.api.listrv`). ``limit`` 0 means everything."""

    limit: int = 0
    token: ContinueToken | None = None
    read: listrv.ReadAt = listrv.LATEST


def _validation_errors(rv: str, match: str, has_continue: bool,
                       initial_events: bool) -> list[FieldError]:
    """kube's ``ValidateListOptions`` for a list (not a watch); ``sendInitialEvents`` is
    refused whatever its value, as kube checks only that it was given."""
    errs: list[FieldError] = []
    path = Path("resourceVersionMatch")
    if match:
        if not rv:
            errs.append(path.forbidden(
                "resourceVersionMatch is forbidden unless resourceVersion is provided"))
        if has_continue:
            errs.append(path.forbidden("resourceVersionMatch is forbidden when continue is "
                                       "provided"))
        if match not in ("Exact", "NotOlderThan"):
            errs.append(path.not_supported(match, ["Exact", "NotOlderThan", ""]))
        if match == "Exact" and rv == "0":
            errs.append(path.forbidden('resourceVersionMatch "exact" is forbidden for '
                                       'resourceVersion "0"'))
    if initial_events:
        errs.append(Path("sendInitialEvents").forbidden("sendInitialEvents is forbidden for list"))
    return errs


def list_options(limit: int | None, continue_: str, resource_version: str,
                 resource_version_match: str, has_initial_events: bool) -> ListOptions:
    """Validate a list request's paging parameters in kube's order: the options (422
    ``ListOptions.meta.k8s.io "" is invalid``), the token (400), then ``resourceVersion``
    beside it (400; ``"0"`` is allowed), then the resourceVersion itself. Without a token,
    ``resourceVersion=0`` is served whole, ``limit`` ignored, as kube 1.32 serves it from
    its watch cache."""
    errs = _validation_errors(resource_version, resource_version_match, bool(continue_),
                              has_initial_events)
    if errs:
        raise options_invalid("ListOptions", errs)
    if not continue_:
        paged = limit is not None and limit > 0 and resource_version != "0"
        read = listrv.read_at(resource_version, resource_version_match, limit)
        return ListOptions(limit if paged and limit else 0, read=read)
    token = decode(continue_)
    if resource_version not in ("", "0"):
        raise errors.bad_request(WITH_RESOURCE_VERSION)
    return ListOptions(max(limit or 0, 0), token)


# -- the page cut --------------------------------------------------------------------------

def item_key(obj: Obj, across_namespaces: bool) -> str:
    """An object's key relative to its list's prefix: ``ns/name`` across namespaces."""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name", ""))
    return f"{meta.get('namespace', '')}/{name}" if across_namespaces else name


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Obj]
    resource_version: int
    continue_: str = ""
    remaining: int | None = None


def _list_rv(token: ContinueToken | None, current: int, window: int) -> int:
    if token is None or token.rv < 0:
        return current
    if token.rv > current:
        # a token from another etcd (or made up): etcd 3 refuses the future revision
        raise errors.StatusError("", FUTURE_REVISION, code=500)
    if current - token.rv > window:
        retry = encode(ContinueToken(LATEST, token.start))
        raise errors.StatusError("Expired", INCONSISTENT_CONTINUE, continue_token=retry)
    return token.rv


@dataclass(frozen=True, slots=True)
class Entries:
    """Every key under a list's prefix in order, and the object at each position, loaded
    only when a page reads it (a chunk of 100 out of 10,000 decodes ~100 values, not all);
    ``load`` gives ``None`` for a value that cannot be read, which no page shows."""

    keys: Sequence[str]
    load: Callable[[int], Obj | None]

    def objects(self) -> list[Obj]:
        return [obj for i in range(len(self.keys)) if (obj := self.load(i)) is not None]


def sort_entries(objects: Sequence[Obj], across_namespaces: bool) -> Entries:
    """Objects already in memory, keyed by their metadata and put in key order."""
    pairs = sorted(((item_key(o, across_namespaces), o) for o in objects), key=lambda e: e[0])
    return Entries([k for k, _ in pairs], [o for _, o in pairs].__getitem__)


def cut(entries: Entries, current: int, opts: ListOptions, matches: Callable[[Obj], bool],
        count_remaining: bool, window: int = HISTORY_EVENTS) -> Page:
    """One page of ``entries`` (every key under the list's prefix, matching or not) read at
    etcd index ``current``.

    :param count_remaining: give ``remainingItemCount`` (only when nothing is filtered).
    :param window: how far behind ``current`` a token's resourceVersion may be.
    """
    listrv.check_exact(opts.read, current)
    rv = _list_rv(opts.token, current, window)
    keys = entries.keys
    i = bisect.bisect_left(keys, opts.token.start) if opts.token else 0
    items: list[Obj] = []
    last = ""
    while i < len(keys) and not (opts.limit and len(items) >= opts.limit):
        last, obj = keys[i], entries.load(i)
        if obj is not None and matches(obj):
            items.append(obj)
        i += 1
    if i == len(keys):
        return Page(items, rv)
    token = encode(ContinueToken(rv, last + "\x00"))
    return Page(items, rv, token, len(keys) - i if count_remaining else None)


__all__ = ["ContinueToken", "Entries", "ListOptions", "Page", "cut", "decode", "encode",
           "item_key", "list_options", "sort_entries"]
