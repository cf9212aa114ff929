"""URLs built the way etcd's Go v2 client builds them (``net/url``, ``path``).

etcdctl cleans key paths on the client (``a/../b`` reads ``/b``; a trailing slash is kept),
escapes them with Go's path rules and encodes queries and form bodies with sorted keys. The
same strings appear in ``--debug`` output (``cURL Command: ...``), so they are produced here
byte for byte as Go produces them. Keys and values are handled as UTF-8 bytes; arguments
that were not valid UTF-8 arrive as surrogate escapes and are sent as the original bytes.
Pure code: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyetcd.goform import clean_path, mux_clean_path

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
# Characters Go leaves alone in a path: unreserved plus the reserved ones except '?'.
_PATH_SAFE = _UNRESERVED | frozenset(b"$&+,/:;=@")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def to_bytes(s: str) -> bytes:
    """UTF-8 bytes of a string from argv or JSON; argv's undecodable bytes come back as-is."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        # A lone surrogate from a JSON escape: Go decodes it as U+FFFD.
        return re.sub("[\ud800-\udfff]", "\ufffd", s).encode("utf-8", "surrogateescape")


def _escape(data: bytes, safe: frozenset[int], space_plus: bool = False) -> str:
    out = []
    for b in data:
        if b in safe:
            out.append(chr(b))
        elif space_plus and b == 0x20:
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


def escape_path(path: str) -> str:
    """Go ``url.PathEscape``-like escaping used by ``URL.EscapedPath`` (keeps ``/``)."""
    return _escape(to_bytes(path), _PATH_SAFE)


def query_escape(s: str) -> str:
    """Go ``url.QueryEscape``: space becomes ``+``, everything but unreserved is escaped."""
    return _escape(to_bytes(s), _UNRESERVED, space_plus=True)


def encode_values(values: dict[str, str]) -> str:
    """Go ``url.Values.Encode``: ``k=v`` pairs sorted by key, joined with ``&``."""
    return "&".join(f"{query_escape(k)}={query_escape(values[k])}" for k in sorted(values))


# Go's ``path.Clean`` and etcd's ``pathutil.CanonicalURLPath`` (the ServeMux rule: cleaned,
# rooted, trailing slash kept): the server's implementations, shared.
clean = clean_path
canonical_url_path = mux_clean_path


def join(*elems: str) -> str:
    """Go ``path.Join``."""
    joined = "/".join(e for e in elems if e)
    return clean(joined) if joined else ""


class EndpointError(ValueError):
    """An ``--endpoints`` entry Go's ``url.Parse`` rejects; ``str()`` is Go's text."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A parsed endpoint URL: ``scheme://host`` plus an optional base path."""

    scheme: str
    host: str
    path: str = ""
    opaque: str = ""

    def __str__(self) -> str:
        if self.opaque:
            return f"{self.scheme}:{self.opaque}"
        return f"{self.scheme}://{self.host}{escape_path(self.path)}"

    @property
    def base(self) -> str:
        """The URL the HTTP client connects to (no path)."""
        return f"{self.scheme}://{self.host}"

    def url(self, path: str, query: str = "") -> str:
        """The full URL of ``path`` (already joined with this endpoint's base path)."""
        return f"{self.base}{escape_path(path)}" + (f"?{query}" if query else "")


def parse_endpoint(raw: str) -> Endpoint:
    """Parse one endpoint as etcdctl does: a URL, with ``http`` when the scheme is missing.

    ``127.0.0.1:2379`` is rejected exactly as Go rejects it; ``localhost:2379`` parses with
    scheme ``localhost`` (and then fails to connect, as in etcdctl).
    """
    scheme = ""
    rest = raw
    m = _SCHEME.match(raw)
    if raw.startswith(":"):
        raise EndpointError(f'parse "{raw}": missing protocol scheme')
    if m is not None:
        scheme, rest = m.group(1).lower(), raw[m.end():]
    elif ":" in raw.split("/", 1)[0]:
        raise EndpointError(f'parse "{raw}": first path segment in URL cannot contain colon')
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    if scheme and not rest.startswith("/"):
        return Endpoint(scheme, "", opaque=rest)  # opaque ("localhost:2379"): no usable host
    if rest.startswith("//"):
        host, _, path = rest[2:].partition("/")
        path = "/" + path if _ or path else ""
    elif scheme:
        host, path = "", rest
    else:
        # No scheme: Go keeps the text as a path, and String() prints it after "//".
        host, path = rest, ""
    return Endpoint(scheme or "http", host, path)
