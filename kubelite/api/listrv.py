"""What a list's ``resourceVersion`` / ``resourceVersionMatch`` ask of the read, answered as
kube-apiserver 1.32 answers them (k8s.io/apiserver v0.32: ``storage/cacher/cacher.go``
``shouldDelegateList`` + ``GetList``, ``cacher/watch_cache.go waitUntilFreshAndBlock``,
``storage/etcd3/store.go resolveGetListRev`` + ``GetList``, ``etcd3/errors.go``,
``storage/errors.go NewTooLargeResourceVersionError``). Pure: no I/O, no clock; the shell
passes the etcd index it read and how long it has waited.

kube serves a list from one of two places, and the parameters pick which:

* **The watch cache ("not older than N")**: ``resourceVersion=N`` alone, or with
  ``resourceVersionMatch=NotOlderThan``. The cache waits up to :data:`BLOCK_TIMEOUT` for
  its revision to reach N, then answers 504 ``Timeout`` "Too large resource version"
  (:func:`too_large`). kubelite waits the same way, re-reading etcd's index.
* **etcd at exactly N**: ``resourceVersionMatch=Exact``, and also ``resourceVersion=N`` with
  ``limit`` and no match (kube's "legacy exact match": the cacher hands it to etcd3, whose
  ``resolveGetListRev`` reads at revision N). A future N is etcd 3's future-revision error
  (a 500 with no reason); a compacted N is 410 ``Expired``.

Where kubelite differs, and why: etcd's v2 API can only read the *current* state, at
``X-Etcd-Index``. So an exact read is served only when N *is* the current index; an older
N gets the 410 kube gives for a compacted revision, although real kube, reading etcd 3's
MVCC history, would serve any N still inside its compaction window (5 minutes by default).
The index is etcd-wide, so any write anywhere in etcd (a lease renewal, an event) makes an
earlier list's resourceVersion unreadable exactly.

``resourceVersion`` ``""`` and ``"0"`` ask nothing (the latest state, or any state). A value
that is not a base-10 uint64 is refused as kube refuses it: 400 on the etcd path
(``invalid resource version: ...``), and, on the watch-cache path, the storage
``InvalidError`` that no layer translates, which reaches the client as a 500 with no reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubelite.api import errors
from kubelite.api.validation import Path
from kubelite.api.validation.fields import go_value

# kube's watch cache blockTimeout: how long a "not older than" read waits for the revision.
BLOCK_TIMEOUT = 3.0  # seconds
# kube's resourceVersionTooHighRetrySeconds, sent as details.retryAfterSeconds with the 504.
RETRY_AFTER = 1  # seconds
UINT64_MAX = 2**64 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# kube's messages (etcd3/errors.go, storage/errors.go, etcd's rpctypes.ErrFutureRev)
EXPIRED = "The resourceVersion for the provided list is too old."
FUTURE_REVISION = "etcdserver: mvcc: required revision is a future revision"
TOO_LARGE_CAUSE = "Too large resource version"

_UNSIGNED = re.compile(r"[0-9]+\Z", re.ASCII)
_SIGNED = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)


@dataclass(frozen=True, slots=True)
class ReadAt:
    """The read a list asks for: at least index ``minimum`` (0: any), or exactly index
    ``exact`` (0: not an exact read). At most one of them is set."""

    minimum: int = 0
    exact: int = 0


LATEST = ReadAt()


def _go_number_error(func: str, text: str, out_of_range: bool) -> str:
    """Go's ``*strconv.NumError`` text."""
    return f"strconv.{func}: parsing {go_value(text)}: " + (
        "value out of range" if out_of_range else "invalid syntax")


def parse_int64(text: str) -> int:
    """Go's ``strconv.ParseInt(text, 10, 64)``; raises ``ValueError`` with Go's message."""
    if not _SIGNED.match(text):
        raise ValueError(_go_number_error("ParseInt", text, False))
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(_go_number_error("ParseInt", text, True))
    return value


def parse_query_int(text: str | None) -> int | None:
    """An int64 query parameter (``limit``, ``timeoutSeconds``, ``gracePeriodSeconds``) as
    kube's query-parameter conversion reads it: absent is ``None``, any value given, even
    an empty one, must be an int64; a bad one is its 400 (Go's strconv text), word for
    word."""
    if text is None:
        return None
    try:
        return parse_int64(text)
    except ValueError as exc:
        raise errors.bad_request(str(exc)) from exc


def _invalid_rv(text: str) -> str | None:
    """kube's ``APIObjectVersioner.ParseResourceVersion`` error text, or ``None``."""
    if not _UNSIGNED.match(text):
        detail = _go_number_error("ParseUint", text, False)
    elif int(text) > UINT64_MAX:
        detail = _go_number_error("ParseUint", text, True)
    else:
        return None
    return str(Path("resourceVersion").invalid(text, detail))


def read_at(resource_version: str, match: str, limit: int | None,
            has_continue: bool = False) -> ReadAt:
    """What ``resourceVersion``/``resourceVersionMatch`` ask of a list already accepted by
    :func:`kubelite.api.pagination.list_options` (which refuses bad combinations first)."""
    if has_continue or resource_version in ("", "0"):
        return LATEST
    exact = match == "Exact" or (match == "" and limit is not None and limit > 0)
    problem = _invalid_rv(resource_version)
    if problem is not None:
        if exact:  # etcd3's resolveGetListRev
            raise errors.bad_request(f"invalid resource version: {problem}")
        raise errors.StatusError("", problem, code=500)  # the watch cache's, untranslated
    n = int(resource_version)
    return ReadAt(exact=n) if exact else ReadAt(minimum=n)


def check_exact(read: ReadAt, current: int) -> None:
    """Refuse an exact read that etcd's v2 API cannot serve at ``current``."""
    if not read.exact or read.exact == current:
        return
    if read.exact > current:
        raise errors.StatusError("", FUTURE_REVISION, code=500)
    raise errors.StatusError("Expired", EXPIRED)


def too_large(minimum: int, current: int, retry_after: int = RETRY_AFTER) -> errors.StatusError:
    """kube's ``NewTooLargeResourceVersionError``: a 504 that client-go recognises by its
    cause and answers by listing again without a resourceVersion."""
    return errors.StatusError(
        "Timeout", f"Timeout: Too large resource version: {minimum}, current: {current}",
        causes=(errors.Cause("ResourceVersionTooLarge", TOO_LARGE_CAUSE),),
        retry_after=retry_after)


def must_wait(read: ReadAt, current: int, waited: float, timeout: float) -> bool:
    """Whether a "not older than" read at etcd index ``current`` should wait for a newer
    index, after ``waited`` of ``timeout`` seconds; once out of time it is :func:`too_large`.
    """
    if current >= read.minimum:
        return False
    if waited >= timeout:
        raise too_large(read.minimum, current)
    return True


__all__ = ["BLOCK_TIMEOUT", "LATEST", "ReadAt", "check_exact", "must_wait", "parse_int64",
           "parse_query_int", "read_at", "too_large"]
