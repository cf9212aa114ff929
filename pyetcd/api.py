"""V2Api: etcd's client HTTP semantics without a transport (raw request in, reply out).

The I/O shell hands over the raw pieces of a request (method, request target as sent,
body bytes, Content-Type) and the time; :meth:`V2Api.route` answers with a finished
:class:`Reply`, or with a :class:`KeyCall` for ``/v2/keys`` requests that passed
validation. :meth:`V2Api.execute` runs a KeyCall through :func:`pyetcd.apply.apply` and
returns a :class:`Reply` or, for a watch, a :class:`WatchReply` whose events the shell
streams. Nothing here awaits or touches a socket, so a faster transport (or several reader
processes) can reuse it unchanged, and a write-ahead log fits between ``route`` and
``execute``.

Order of checks, as in etcd's handler chain (spec §3, §4): OPTIONS (CORS) -> path
canonicalisation (301) -> routing (404) -> method (405) -> the endpoint. Every reply
except the transport-level 400 carries the CORS headers. Header names are written in Go's
canonical form and in the sorted order Go writes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from pyetcd import ETCD_CLUSTER_VERSION, ETCD_VERSION
from pyetcd.apply import apply
from pyetcd.auth import (
    INTERNAL_ERROR,
    NO_AUTH,
    NO_CREDENTIALS,
    Answer,
    AuthApi,
    Authenticator,
    Credentials,
    Plan,
)
from pyetcd.cluster import RAFT_TERM, ClusterInfo
from pyetcd.codec import error_json, event_json, go_string, rfc3339nano
from pyetcd.errors import UNAUTHORIZED, EtcdError
from pyetcd.event import NO_VALUE_ACTIONS, Event
from pyetcd.godur import duration_string
from pyetcd.goform import FormError, escape_path, mux_clean_path, parse_query, unescape
from pyetcd.passwords import PasswordHasher
from pyetcd.request import KeyRequest, Method, parse_key_request, read_form, sync_request
from pyetcd.store import Store
from pyetcd.values import value_class
from pyetcd.watchers import Watcher

CORS = {
    "Access-Control-Allow-Headers": "accept, content-type, authorization",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS, PUT, DELETE",
    "Access-Control-Allow-Origin": "*",
}
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
KEYS = "/v2/keys"
KEY_METHODS = ("HEAD", "GET", "PUT", "POST", "DELETE")
# Exact paths and their allowed methods (the Allow header lists them in this order).
EXACT_ROUTES: dict[str, tuple[str, ...]] = {
    "/version": ("GET",),
    "/health": ("GET",),
    "/v2/machines": ("GET", "HEAD"),
    "/v2/stats/store": ("GET",),
    "/v2/stats/self": ("GET",),
    "/v2/stats/leader": ("GET",),
    "/metrics": ("GET",),
}
MEMBER_METHODS = ("GET", "POST", "DELETE", "PUT")
AUTH_TREES = ("/v2/auth/users", "/v2/auth/roles")
AUTH_PREFIXES = ("/v2/auth/users/", "/v2/auth/roles/")
_TERM = str(RAFT_TERM)
# The status lines of event answers, as pyetcd.h1 renders them (HTTP/1.1); see _event_wire.
_EVENT_STATUS = {200: "HTTP/1.1 200 OK\r\n", 201: "HTTP/1.1 201 Created\r\n"}


@dataclass(slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    close: bool = False  # close the connection after this reply
    # The transport's rendering of this reply (pyetcd.h1), kept for when the same reply
    # object is sent again (cached GET answers): the bytes before and after the Date line.
    wire: tuple[bytes, bytes] | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class WatchReply:
    """Headers to send at once, then the watcher's events, one JSON line each."""

    headers: dict[str, str]
    watcher: Watcher
    stream: bool


def parse_key_write(method: str, target: str, body: bytes, content_type: str | None,
                    now: int) -> tuple[KeyRequest, str] | None:
    """What :meth:`V2Api.route` makes of a well-formed ``/v2/keys`` write, without a store:
    the request and the decoded path (for :meth:`V2Api.authorize_keys`). None for anything
    else (reads, other endpoints, paths that need cleaning, any error): those are routed by
    ``route`` itself. Pure; a ``--workers`` front calls it to take parsing off the core."""
    if method not in ("PUT", "POST", "DELETE") or not target.startswith(KEYS + "/"):
        return None
    raw_path, _, raw_query = target.partition("?")
    try:
        path = unescape(raw_path, False)
        if "//" in path or "/." in path:
            return None
        form = read_form(method, raw_query, body, content_type)
        return parse_key_request(method, path[len(KEYS):], form, now), path
    except (FormError, EtcdError):
        return None


@value_class
class KeyCall:
    """A validated ``/v2/keys`` request, ready to be applied."""

    request: KeyRequest
    head: bool = False

    @property
    def requests(self) -> tuple[KeyRequest, ...]:
        """What a write-ahead log records before :meth:`V2Api.execute` (writes only)."""
        return (self.request,) if self.request.is_write else ()


@dataclass(frozen=True, slots=True)
class AuthCall:
    """A ``/v2/auth`` change: internal writes to apply in order, then the answer."""

    plan: Plan

    @property
    def requests(self) -> tuple[KeyRequest, ...]:
        """What a write-ahead log records before :meth:`V2Api.execute` (all writes)."""
        return tuple(w.request for w in self.plan.writes)


@dataclass
class V2Api:
    store: Store
    cluster: ClusterInfo
    raft_index: int = 0  # raft entries "committed": writes, syncs and quorum reads
    client_cert_auth: bool = False  # --client-cert-auth: a TLS client's CN may name a user
    passwords: PasswordHasher = field(default_factory=PasswordHasher)
    # /health and /metrics: the server's durability layer and registry plug in here.
    health_check: Callable[[], bool] = field(default=lambda: True)
    metrics_text: Callable[[], bytes] | None = None
    _cluster_hex: str = field(init=False)

    def __post_init__(self) -> None:
        self._cluster_hex = self.cluster.cluster_hex
        self._error_headers = {**CORS, "Content-Type": JSON, "X-Etcd-Cluster-Id": self._cluster_hex}
        self._event_heads = {status: _event_head_template(line, self._error_headers)
                             for status, line in _EVENT_STATUS.items()}
        self.authenticator = Authenticator(self.passwords.check, self.client_cert_auth)
        self.auth = AuthApi(self.authenticator, self.passwords.hash)

    # ---- entry points ------------------------------------------------------------------

    def route(self, method: str, target: str, body: bytes, content_type: str | None,
              now: int, creds: Credentials = NO_CREDENTIALS) -> Reply | KeyCall | AuthCall:
        """Everything before the store: CORS, 301, 404, 405, form parsing, validation and
        the v2 auth check (``creds``)."""
        raw_path, _, raw_query = target.partition("?")
        if method == "OPTIONS":
            return Reply(200, dict(CORS))
        try:
            path = unescape(raw_path, False)
        except FormError:
            return Reply(400, {"Content-Type": TEXT}, b"400 Bad Request", close=True)
        if "//" in path or "/." in path or not path.startswith("/"):
            clean = mux_clean_path(path)
            if clean != path:
                return _redirect(method, clean, raw_query)
        if path == KEYS or path.startswith(KEYS + "/"):
            return self._route_keys(method, path, raw_query, body, content_type, now, creds)
        if path == "/v3":
            return _redirect(method, "/v3/", raw_query)
        if path in AUTH_TREES or path.startswith(AUTH_PREFIXES) or path == "/v2/auth/enable":
            return self._auth(method, path, raw_query, body, creds, now)
        return self._route_other(method, path, body, content_type, now, creds)

    def execute(self, call: KeyCall | AuthCall) -> Reply | WatchReply:
        """Apply a validated request to the store and render the outcome."""
        if isinstance(call, AuthCall):
            return self._execute_auth(call)
        req = call.request
        try:
            result = apply(self.store, req)
        except EtcdError as err:
            return self.error_reply(err, call.head)
        if req.is_write or req.quorum:
            self.raft_index += 1
        if isinstance(result, Watcher):
            return WatchReply(self._event_headers(result.start_index), result, req.stream)
        assert isinstance(result, Event)
        no_value = req.no_value_on_success and result.action in NO_VALUE_ACTIONS
        # HEAD: the body is rendered anyway; the transport sends only its length, as Go does.
        status = 201 if result.is_created else 200
        body = event_json(result, no_value)
        return Reply(status, self._event_headers(result.etcd_index), body, False,
                     self._event_wire(status, result.etcd_index, body))

    def handle(self, method: str, target: str, body: bytes, content_type: str | None,
               now: int, creds: Credentials = NO_CREDENTIALS) -> Reply | WatchReply:
        """``route`` then ``execute``: the whole request, for transports without a WAL."""
        routed = self.route(method, target, body, content_type, now, creds)
        if isinstance(routed, Reply):
            return routed
        return self.execute(routed)

    def sync(self, now: int) -> list[Event]:
        """Expire what is due at ``now`` (the leader's periodic SYNC)."""
        events = apply(self.store, sync_request(now))
        assert isinstance(events, list)
        self.raft_index += 1
        return events

    def bootstrap(self) -> None:
        """The three internal writes a fresh etcd member makes before serving."""
        member = f"/0/members/{self.cluster.member_hex}"
        for key in (member + "/raftAttributes", member + "/attributes", "/0/version"):
            self.store.record_internal(key)
        # The counters those writes (and the reads around them) leave in a fresh etcd.
        stats = self.store.stats
        stats.gets_success, stats.gets_fail = 1, 2
        stats.sets_success, stats.create_success = 2, 1
        self.raft_index = self.store.index + 1

    # ---- /v2/keys ----------------------------------------------------------------------

    def _route_keys(self, method: str, path: str, query: str, body: bytes,
                    content_type: str | None, now: int, creds: Credentials) -> Reply | KeyCall:
        if method not in KEY_METHODS:
            return _not_allowed(KEY_METHODS)
        try:
            form = read_form(method, query, body, content_type)
            req = parse_key_request(method, path[len(KEYS):], form, now)
        except EtcdError as err:
            return self.error_reply(err, method == "HEAD")
        denied = self.authorize_keys(method, path, req, creds)
        if denied is not None:
            return denied
        return KeyCall(req, method == "HEAD")

    def authorize_keys(self, method: str, path: str, req: KeyRequest,
                       creds: Credentials) -> Reply | None:
        """The v2 auth check of a parsed ``/v2/keys`` request: None, or error 110.
        etcd checks access after parsing, on the URL path (not the cleaned key)."""
        if self.authenticator.has_key_access(self.store.internal, creds, method,
                                             path[len(KEYS):], req.recursive):
            return None
        return self.error_reply(EtcdError(UNAUTHORIZED, "Insufficient credentials", 0))

    def error_reply(self, err: EtcdError, head: bool = False) -> Reply:
        headers = dict(self._error_headers)
        headers["X-Etcd-Index"] = str(err.index)
        return Reply(err.http_status, headers, error_json(err))

    def _event_wire(self, status: int, etcd_index: int, body: bytes) -> tuple[bytes, bytes]:
        """What :func:`pyetcd.h1.reply_wire` renders for the reply of :meth:`_event_headers`,
        from a template (every PUT's answer; a test checks they agree): the transport, or a
        ``--workers`` front, then renders nothing."""
        return (self._event_heads[status] % (etcd_index, self.raft_index),
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def _event_headers(self, etcd_index: int) -> dict[str, str]:
        headers = self._error_headers.copy()  # CORS, Content-Type, cluster ID: in Go's order
        headers["X-Etcd-Index"] = str(etcd_index)
        headers["X-Raft-Index"] = str(self.raft_index)
        headers["X-Raft-Term"] = _TERM
        return headers

    # ---- everything else ---------------------------------------------------------------

    def _route_other(self, method: str, path: str, body: bytes, content_type: str | None,
                     now: int, creds: Credentials) -> Reply:
        if path == "/v2/members" or path.startswith("/v2/members/"):
            if method not in MEMBER_METHODS:
                return _not_allowed(MEMBER_METHODS)
            if not self.authenticator.has_write_root_access(self.store.internal, creds, method):
                return self._answer(NO_AUTH)
            return self._members(method, path, content_type)
        allowed = EXACT_ROUTES.get(path)
        if allowed is None:
            return _not_found()
        if method not in allowed:
            return _not_allowed(allowed)
        if path == "/version":
            body_ = json.dumps({"etcdserver": ETCD_VERSION, "etcdcluster": ETCD_CLUSTER_VERSION},
                               separators=(",", ":")).encode()
            return Reply(200, {**CORS, "Content-Type": JSON}, body_)
        if path == "/health":
            if self.health_check():
                return Reply(200, {**CORS, "Content-Type": TEXT}, b'{"health":"true"}')
            # etcd: http.Error(w, `{"health":"false"}`, 503)
            return Reply(503, {**CORS, "Content-Type": TEXT, "X-Content-Type-Options": "nosniff"},
                         b'{"health":"false"}\n')
        if path == "/v2/machines":
            urls = ", ".join(self.cluster.client_urls).encode()
            return Reply(200, {**CORS, "Content-Type": TEXT}, b"" if method == "HEAD" else urls)
        if path == "/metrics":
            body_ = self._metrics() if self.metrics_text is None else self.metrics_text()
            return Reply(200, {**CORS, "Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
                         body_)
        return Reply(200, {**CORS, "Content-Type": JSON}, self._stats(path, now))

    def _member_json(self) -> bytes:
        c = self.cluster

        def urls(xs: tuple[str, ...]) -> bytes:
            return b"[" + b",".join(go_string(u).encode() for u in xs) + b"]"

        return (b'{"id":"' + c.member_hex.encode() + b'","name":' + go_string(c.name).encode()
                + b',"peerURLs":' + urls(c.peer_urls) + b',"clientURLs":'
                + urls(c.client_urls) + b"}")

    def _members(self, method: str, path: str, content_type: str | None) -> Reply:
        headers = {**CORS, "Content-Type": JSON, "X-Etcd-Cluster-Id": self._cluster_hex}
        sub = path[len("/v2/members"):].strip("/")
        if method == "GET":
            if not sub:
                return Reply(200, headers, b'{"members":[' + self._member_json() + b"]}\n")
            if sub == "leader":
                return Reply(200, headers, self._member_json() + b"\n")
            return Reply(404, headers, b'{"message":"Not found"}')
        if method == "POST" or (method == "PUT" and sub):
            ctype = (content_type or "").split(";")[0].strip()
            if ctype != JSON:
                msg = f"Bad Content-Type {content_type or ''}, accept application/json"
                return Reply(415, headers, b'{"message":' + go_string(msg).encode() + b"}")
        if method != "POST":
            try:
                member = int(sub, 16) if sub else None
            except ValueError:
                member = None
            if member != self.cluster.member_id:
                return Reply(404, headers, b'{"message":' + go_string(
                    f"No such member: {sub}").encode() + b"}")
        # A single-member pyetcd cannot change its membership (spec: deviation).
        return Reply(500, headers, b'{"message":"pyetcd: membership changes are not supported"}')

    def _auth(self, method: str, path: str, query: str, body: bytes, creds: Credentials,
              now: int) -> Reply | AuthCall:
        _, query_err = parse_query(query, {})  # handlers that parse the form fail with 500
        outcome = self.auth.handle(self.store.internal, method, path, query_err is None, body,
                                   creds, now)
        if isinstance(outcome, Plan):
            return AuthCall(outcome)
        return self._answer(outcome)

    def _execute_auth(self, call: AuthCall) -> Reply:
        for write in call.plan.writes:
            try:
                apply(self.store, write.request)
            except EtcdError as err:
                answer = dict(write.on_error).get(err.code, INTERNAL_ERROR)
                if answer is None:
                    continue
                return self._answer(answer)
            self.raft_index += 1
        return self._answer(call.plan.answer)

    def _answer(self, answer: Answer) -> Reply:
        if answer.allow:
            return _not_allowed(answer.allow)
        headers = {**CORS, "Content-Type": JSON}
        if answer.cluster:
            headers["X-Etcd-Cluster-Id"] = self._cluster_hex
        return Reply(answer.status, headers, answer.body)

    def _stats(self, path: str, now: int) -> bytes:
        c = self.cluster
        if path == "/v2/stats/store":
            data: dict[str, object] = dict(self.store.stats.to_json(self.store.hub.count))
        elif path == "/v2/stats/leader":
            data = {"leader": c.member_hex, "followers": {}}
        else:
            started = rfc3339nano(c.start_time)
            data = {"name": c.name, "id": c.member_hex, "state": "StateLeader",
                    "startTime": started,
                    "leaderInfo": {"leader": c.member_hex,
                                   "uptime": duration_string(now - c.start_time),
                                   "startTime": started},
                    "recvAppendRequestCnt": 0, "sendAppendRequestCnt": 0}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()

    def _metrics(self) -> bytes:
        lines = [
            "# HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 is not.",
            "# TYPE etcd_server_has_leader gauge", "etcd_server_has_leader 1",
            "# HELP etcd_server_is_leader Whether or not this member is a leader.",
            "# TYPE etcd_server_is_leader gauge", "etcd_server_is_leader 1",
            "# HELP etcd_debugging_store_watchers Count of currently active watchers.",
            "# TYPE etcd_debugging_store_watchers gauge",
            f"etcd_debugging_store_watchers {self.store.hub.count}",
        ]
        return ("\n".join(lines) + "\n").encode()


def _event_head_template(status_line: str, common: dict[str, str]) -> bytes:
    """The head of an event answer up to the Date line: ``common`` headers, then
    X-Etcd-Index, X-Raft-Index (``%d`` each) and X-Raft-Term, as :meth:`_event_headers`
    orders them."""
    lines = status_line + "".join(f"{name}: {value}\r\n" for name, value in common.items())
    return (lines.replace("%", "%%") + "X-Etcd-Index: %d\r\nX-Raft-Index: %d\r\n"
            + f"X-Raft-Term: {_TERM}\r\n").encode("latin-1")


def _not_found() -> Reply:
    return Reply(404, {**CORS, "Content-Type": TEXT, "X-Content-Type-Options": "nosniff"},
                 b"404 page not found\n")


def _not_allowed(methods: tuple[str, ...]) -> Reply:
    return Reply(405, {**CORS, "Allow": ",".join(methods), "Content-Type": TEXT,
                       "X-Content-Type-Options": "nosniff"}, b"Method Not Allowed\n")


_HTML_ESCAPES = str.maketrans({"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;"})


def _redirect(method: str, clean: str, raw_query: str) -> Reply:
    """Go's ServeMux redirect to the cleaned path (``http.Redirect``, 301)."""
    location = escape_path(clean) + ("?" + raw_query if raw_query else "")
    headers = {**CORS, "Location": location}
    if method in ("GET", "HEAD"):
        headers["Content-Type"] = "text/html; charset=utf-8"
    body = b""
    if method == "GET":
        body = f'<a href="{location.translate(_HTML_ESCAPES)}">Moved Permanently</a>.\n\n'.encode()
    return Reply(301, headers, body)


__all__ = ["V2Api", "Reply", "WatchReply", "KeyCall", "AuthCall", "Credentials", "Method"]
