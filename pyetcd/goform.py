"""Go's parsing rules that the v2 API exposes to clients, reproduced exactly.

etcd's HTTP layer is Go's ``net/http``, ``net/url``, ``mime``, ``path`` and ``strconv``;
their edge cases are part of the API (what ``?wait`` alone means, which ``ttl`` strings are
numbers, which error text a bad form gets). Each function names the Go function it mirrors.
Byte strings that are not valid UTF-8 are carried as ``str`` with ``surrogateescape``.
"""

from __future__ import annotations

import re

UINT64_MAX = (1 << 64) - 1
_HEX = frozenset(b"0123456789abcdefABCDEF")
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_DIGITS = re.compile(r"[0-9]+\Z")


class FormError(ValueError):
    """A parse failure; ``str(err)`` is Go's error text."""


def parse_bool(text: str) -> bool:
    """``strconv.ParseBool``."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FormError(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def parse_uint64(text: str) -> int:
    """``strconv.ParseUint(text, 10, 64)``: decimal digits only, must fit in 64 bits."""
    if not _DIGITS.match(text):
        raise FormError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    value = int(text)
    if value > UINT64_MAX:
        raise FormError(f'strconv.ParseUint: parsing "{text}": value out of range')
    return value


def go_quote(raw: bytes) -> str:
    """``strconv.Quote`` for the short byte strings that appear in escape errors."""
    out = ['"']
    for b in raw:
        ch = chr(b)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\x{b:02x}")
    out.append('"')
    return "".join(out)


def unescape(text: str, plus_is_space: bool) -> str:
    """``url.QueryUnescape`` (``plus_is_space``) or ``url.PathUnescape``."""
    if "%" not in text and not (plus_is_space and "+" in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        b = raw[i]
        if b == 0x25:  # %
            if i + 2 >= n or raw[i + 1] not in _HEX or raw[i + 2] not in _HEX:
                raise FormError(f"invalid URL escape {go_quote(raw[i:i + 3])}")
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        elif b == 0x2B and plus_is_space:  # +
            out.append(0x20)
            i += 1
        else:
            out.append(b)
            i += 1
    return out.decode("utf-8", "surrogateescape")


Form = dict[str, list[str]]


def parse_query(query: str, into: Form | None = None) -> tuple[Form, FormError | None]:
    """``url.ParseQuery``: keeps going after errors; returns the values and Go's error.

    A key containing ``;`` always sets the error (overwriting an earlier one); an escape
    error is kept only when no error came before, as Go does.
    """
    form: Form = {} if into is None else into
    err: FormError | None = None
    for pair in query.split("&") if query else ():
        if ";" in pair:
            err = FormError("invalid semicolon separator in query")
            continue
        if not pair:
            continue
        key, _, value = pair.partition("=")
        try:
            key = unescape(key, True)
            value = unescape(value, True)
        except FormError as e:
            # Keep it without its traceback: a traceback holds this frame, which holds
            # ``err``: a reference cycle through the whole request's call stack.
            err = err or e.with_traceback(None)
            continue
        form.setdefault(key, []).append(value)
    return form, err


_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')


def _token_end(s: str, i: int) -> int:
    while i < len(s) and 0x20 < ord(s[i]) < 0x7F and s[i] not in _TSPECIALS:
        i += 1
    return i


_MEDIA_CACHE: dict[str, str | FormError] = {}


def media_type(content_type: str) -> str:
    """``mime.ParseMediaType``'s media type (lower-cased); FormError with Go's text.

    Clients send the same few Content-Type strings over and over: results are cached.
    """
    cached = _MEDIA_CACHE.get(content_type)
    if cached is None:
        try:
            cached = _media_type(content_type)
        except FormError as e:
            cached = FormError(str(e))  # the text only: a cached traceback would keep a
            # whole request (frames, connection) alive
        if len(_MEDIA_CACHE) < 256:
            _MEDIA_CACHE[content_type] = cached
    if isinstance(cached, FormError):
        raise FormError(str(cached))  # a fresh one each time: raising adds a traceback
    return cached


def _media_type(content_type: str) -> str:
    base, _, params = content_type.partition(";")
    mediatype = base.lower().strip()
    end = _token_end(mediatype, 0)
    if end == 0:
        raise FormError("mime: no media type")
    if end < len(mediatype):
        if mediatype[end] != "/":
            raise FormError("mime: expected slash after first token")
        sub_end = _token_end(mediatype, end + 1)
        if sub_end == end + 1:
            raise FormError("mime: expected token after slash")
        if sub_end != len(mediatype):
            raise FormError("mime: unexpected content after media subtype")
    if base != content_type:
        _check_params(content_type[len(base):])
    return mediatype


_PARAM = re.compile(r';\s*([^\s()<>@,;:\\"/\[\]?=]+)\s*=\s*'
                    r'(?:[^\s()<>@,;:\\"/\[\]?=]+|"(?:[^"\\]|\\.)*")\s*')


def _check_params(rest: str) -> None:
    seen: set[str] = set()
    pos = 0
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if m is None:
            if rest[pos:].strip() == ";":
                return  # a trailing semicolon is not an error
            raise FormError("mime: invalid media parameter")
        name = m.group(1).lower()
        if name in seen:
            raise FormError("mime: duplicate parameter name")
        seen.add(name)
        pos = m.end()


def clean_path(p: str) -> str:
    """``path.Clean``: collapse ``//``, resolve ``.`` and ``..``, drop a trailing ``/``."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    parts: list[str] = []
    for seg in p.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(seg)
    out = "/".join(parts)
    if rooted:
        return "/" + out
    return out or "."


def mux_clean_path(p: str) -> str:
    """``net/http``'s ``cleanPath`` (ServeMux): path.Clean that keeps a trailing slash."""
    if p == "":
        return "/"
    if not p.startswith("/"):
        p = "/" + p
    np = clean_path(p)
    if p.endswith("/") and np != "/":
        np += "/"
    return np


_PATH_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@")


def escape_path(p: str) -> str:
    """``url.URL.EscapedPath`` for a path with no RawPath (``encodePath`` mode)."""
    raw = p.encode("utf-8", "surrogateescape")
    if all(b in _PATH_SAFE for b in raw):
        return p
    return "".join(chr(b) if b in _PATH_SAFE else f"%{b:02X}" for b in raw)
