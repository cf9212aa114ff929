"""The differential table: etcdctl v2 command lines, each with the state it runs against.

Every :class:`Case` is run twice on the same server, once by the real etcdctl and once by
pyetcdctl, each in a fresh key prefix prepared by the same ``setup`` steps; the two
(stdout, stderr, exit code) must be equal after :func:`harness.normalise`. ``code`` is the
exit code the real etcdctl gives (checked too, so a case cannot pass by both programs
failing the same unexpected way).

Placeholders in arguments: ``{p}`` the run's key prefix, ``{rel}`` the same without the
leading slash, ``{ep}`` the server URL, ``{dead}`` a URL where nothing listens,
``{i_NAME}`` the index the (last) setup step for key ``.../NAME`` produced, ``{im_NAME}``
one less (so ``watch --after-index {im_NAME}`` replays that step's event from history).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

Step = tuple[str, ...]


def put(key: str, value: str = "v", ttl: int | None = None) -> Step:
    return ("set", key, value, str(ttl) if ttl is not None else "")


def mkdir(key: str, ttl: int | None = None) -> Step:
    return ("dir", key, "", str(ttl) if ttl is not None else "")


def post(key: str, value: str = "job") -> Step:
    return ("post", key, value, "")


def delete(key: str, recursive: bool = False) -> Step:
    return ("delete", key, "", "true" if recursive else "")


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    code: int = 0
    setup: tuple[Step, ...] = ()
    stdin: bytes = b""
    env: tuple[tuple[str, str], ...] = ()
    unordered: bool = False
    endpoint: bool = True  # prepend --endpoints {ep}
    tags: frozenset[str] = field(default_factory=frozenset)


def c(id: str, cmd: str, code: int = 0, *setup: Step, stdin: bytes = b"",
      env: dict[str, str] | None = None, unordered: bool = False,
      endpoint: bool = True) -> Case:
    return Case(id, tuple(shlex.split(cmd)), code, setup, stdin,
                tuple((env or {}).items()), unordered, endpoint)


FILE = put("{p}/a", "va")
DIR = (mkdir("{p}/d"), put("{p}/d/x", "vx"), put("{p}/d/y", "vy"), mkdir("{p}/d/sub"),
       put("{p}/d/sub/z", "vz"), put("{p}/d/_hidden", "h"))
EMPTY = mkdir("{p}/e")

CASES: list[Case] = [
    # -- set ------------------------------------------------------------------------------------
    c("set-new", "set {p}/a hello"),
    c("set-new-json", "-o json set {p}/a hello"),
    c("set-new-extended", "-o extended set {p}/a hello"),
    c("set-over", "set {p}/a new", 0, FILE),
    c("set-over-json", "--output json set {p}/a new", 0, FILE),
    c("set-over-extended", "--output=extended set {p}/a new", 0, FILE),
    c("set-ttl-json", "-o json set --ttl 300 {p}/a v", 0),
    c("set-ttl-extended", "-o extended set --ttl=300 {p}/a v", 0),
    c("set-ttl-after-args", "-o json set {p}/a v --ttl 300", 0),
    c("set-ttl-zero", "-o json set --ttl 0 {p}/a v"),
    c("set-ttl-negative", "-o json set --ttl=-5 {p}/a v"),
    c("set-ttl-hex", "-o extended set -ttl 0x12c {p}/a v"),
    c("set-ttl-overflow-wraps", "--debug --no-sync set --ttl 18446744074 {p}/a v"),
    c("set-ttl-overflow-negative", "--debug --no-sync set --ttl 9223372037 {p}/a v"),
    c("set-ttl-bad", "set --ttl abc {p}/a v", 1),
    c("set-ttl-range", "set --ttl 99999999999999999999 {p}/a v", 1),
    c("set-ttl-missing-value", "set {p}/a --ttl", 1),
    c("set-swap-value-ok", "set --swap-with-value va {p}/a vb", 0, FILE),
    c("set-swap-value-fail", "set --swap-with-value nope {p}/a vb", 4, FILE),
    c("set-swap-index-ok", "-o json set --swap-with-index {i_a} {p}/a vb", 0, FILE),
    c("set-swap-index-fail", "set --swap-with-index 1 {p}/a vb", 4, FILE),
    c("set-swap-both-fail", "set --swap-with-value x --swap-with-index 1 {p}/a vb", 4, FILE),
    c("set-swap-missing", "set --swap-with-value x {p}/nokey vb", 4),
    c("set-on-dir", "set {p}/d v", 4, *DIR),
    c("set-through-file", "set {p}/a/b v", 4, FILE),
    c("set-stdin", "set {p}/a", 0, stdin=b"from stdin\n"),
    c("set-stdin-json", "-o json set {p}/a", 0, stdin=b"line1\nline2"),
    c("set-no-value", "set {p}/a", 1),
    c("set-no-key", "set", 1),
    c("set-dash-value", "set -- {p}/a -5"),
    c("set-dash-value-after-key", "set {p}/a -- -v"),
    c("set-negative-number-value", "set {p}/a -5"),
    c("set-html-json", "-o json set {p}/a '<b>&amp; \"quoted\" \\\\ ü'"),
    c("set-control-chars-json", "-o json set {p}/a 'tab\there\x01\x7f'"),
    c("set-spaces-in-key", "set '{p}/with space/k?#%' 'v a l'"),
    c("set-relative-key", "set {rel}/rel v"),
    c("set-dotdot-key", "-o json set {p}/x/../a v"),
    c("set-trailing-slash", "-o json set {p}/a/ v"),
    c("set-json-value", "set {p}/network/config '{\"Network\":\"10.1.0.0/16\"}'"),
    c("set-unknown-flag", "set --bogus {p}/a v", 1),
    c("set-unknown-flag-after-args", "set {p}/a v --bogus"),
    c("set-help", "set --help"),
    # -- get ------------------------------------------------------------------------------------
    c("get", "get {p}/a", 0, FILE),
    c("get-json", "-o json get {p}/a", 0, FILE),
    c("get-extended", "-o extended get {p}/a", 0, FILE),
    c("get-missing", "get {p}/nokey", 4),
    c("get-missing-json", "-o json get {p}/nokey", 4),
    c("get-missing-deep", "get {p}/no/such/key", 4),
    c("get-through-file", "get {p}/a/b", 4, FILE),
    c("get-dir", "get {p}/d", 1, *DIR),
    c("get-dir-json", "-o json get {p}/d", 1, *DIR),
    c("get-sort-quorum", "get --sort --quorum {p}/a", 0, FILE),
    c("get-q", "-o json get -q {p}/a", 0, FILE),
    c("get-hidden", "get {p}/d/_hidden", 0, *DIR),
    c("get-ttl-json", "-o json get {p}/t", 0, put("{p}/t", "x", 300)),
    c("get-ttl-extended", "-o extended get {p}/t", 0, put("{p}/t", "x", 300)),
    c("get-empty-value", "get {p}/a", 0, put("{p}/a", "")),
    c("get-no-key", "get", 1),
    c("get-bool-flag-bad", "get --sort=maybe {p}/a", 1),
    c("get-two-forms", "get -q --quorum {p}/a", 1),
    # -- mk -------------------------------------------------------------------------------------
    c("mk", "mk {p}/a v"),
    c("mk-json", "-o json mk {p}/a v"),
    c("mk-existing", "mk {p}/a v", 4, FILE),
    c("mk-existing-dir", "mk {p}/d v", 4, *DIR),
    c("mk-ttl-extended", "-o extended mk --ttl 300 {p}/a v"),
    c("mk-in-order", "mk --in-order {p}/q job1"),
    c("mk-in-order-json", "-o json mk --in-order {p}/q job1", 0, post("{p}/q")),
    c("mk-in-order-extended", "-o extended mk --in-order --ttl 300 {p}/q job1"),
    c("mk-in-order-on-file", "mk --in-order {p}/a v", 4, FILE),
    c("mk-stdin", "mk {p}/a", 0, stdin=b"piped"),
    c("mk-no-value", "mk {p}/a", 1),
    # -- mkdir / setdir / updatedir ---------------------------------------------------------------
    c("mkdir", "mkdir {p}/nd"),
    c("mkdir-json", "-o json mkdir {p}/nd"),
    c("mkdir-extended", "-o extended mkdir {p}/nd"),
    c("mkdir-ttl-json", "-o json mkdir --ttl 300 {p}/nd"),
    c("mkdir-existing", "mkdir {p}/d", 4, *DIR),
    c("mkdir-on-file", "mkdir {p}/a", 4, FILE),
    c("mkdir-no-key", "mkdir", 1),
    c("mkdir-debug", "--debug mkdir {p}/nd"),
    c("setdir-new-json", "-o json setdir {p}/nd"),
    c("setdir-existing-dir", "setdir {p}/e", 4, EMPTY),
    c("setdir-over-file-json", "-o json setdir {p}/a", 0, FILE),
    c("setdir-ttl-extended", "-o extended setdir --ttl 300 {p}/nd"),
    c("updatedir", "updatedir {p}/e", 0, EMPTY),
    c("updatedir-ttl-json", "-o json updatedir --ttl 300 {p}/e", 0, EMPTY),
    c("updatedir-missing", "updatedir {p}/nodir", 4),
    c("updatedir-on-file-json", "-o json updatedir {p}/a", 0, FILE),
    # -- update ---------------------------------------------------------------------------------
    c("update", "update {p}/a new", 0, FILE),
    c("update-extended", "-o extended update {p}/a new", 0, FILE),
    c("update-ttl-json", "-o json update --ttl 300 {p}/a new", 0, FILE),
    c("update-removes-ttl-json", "-o json update {p}/t new", 0, put("{p}/t", "x", 300)),
    c("update-missing", "update {p}/nokey new", 4),
    c("update-dir", "update {p}/e new", 4, EMPTY),
    c("update-no-value", "update {p}/a", 1, FILE),
    # -- rm / rmdir -------------------------------------------------------------------------------
    c("rm", "rm {p}/a", 0, FILE),
    c("rm-json", "-o json rm {p}/a", 0, FILE),
    c("rm-extended", "-o extended rm {p}/a", 0, FILE),
    c("rm-missing", "rm {p}/nokey", 4),
    c("rm-dir-without-flags", "rm {p}/d", 4, *DIR),
    c("rm-dir-flag-empty", "rm --dir {p}/e", 0, EMPTY),
    c("rm-dir-flag-empty-json", "-o json rm --dir {p}/e", 0, EMPTY),
    c("rm-dir-flag-not-empty", "rm --dir {p}/d", 4, *DIR),
    c("rm-recursive", "rm --recursive {p}/d", 0, *DIR),
    c("rm-r-extended", "-o extended rm -r {p}/d", 0, *DIR),
    c("rm-recursive-json", "-o json rm -r {p}/d", 0, *DIR),
    c("rm-recursive-file", "rm -r {p}/a", 0, FILE),
    c("rm-with-value-ok", "rm --with-value va {p}/a", 0, FILE),
    c("rm-with-value-ok-extended", "-o extended rm --with-value va {p}/a", 0, FILE),
    c("rm-with-value-fail", "rm --with-value nope {p}/a", 4, FILE),
    c("rm-with-index-ok-json", "-o json rm --with-index {i_a} {p}/a", 0, FILE),
    c("rm-with-index-fail", "rm --with-index 1 {p}/a", 4, FILE),
    c("rm-with-value-dir", "rm --with-value x {p}/e", 4, EMPTY),
    c("rm-after-args-flag", "rm {p}/d --recursive", 0, *DIR),
    c("rm-no-key", "rm", 1),
    c("rm-debug", "--debug rm --dir --with-index 7 {p}/e", 4, EMPTY),
    c("rmdir", "rmdir {p}/e", 0, EMPTY),
    c("rmdir-json", "-o json rmdir {p}/e", 0, EMPTY),
    c("rmdir-extended", "-o extended rmdir {p}/e", 0, EMPTY),
    c("rmdir-not-empty", "rmdir {p}/d", 4, *DIR),
    c("rmdir-file", "rmdir {p}/a", 0, FILE),
    c("rmdir-missing", "rmdir {p}/nodir", 4),
    # -- ls -------------------------------------------------------------------------------------
    c("ls-unsorted", "ls {p}/d", 0, *DIR, unordered=True),
    c("ls-sort", "ls --sort {p}/d", 0, *DIR),
    c("ls-recursive-sort", "ls --recursive --sort {p}/d", 0, *DIR),
    c("ls-r-p-sort", "ls -r -p --sort {p}/d", 0, *DIR),
    c("ls-p-sort", "ls --sort -p {p}/d", 0, *DIR),
    c("ls-recursive-unsorted", "ls -r {p}/d", 0, *DIR, unordered=True),
    c("ls-json-sort", "-o json ls --sort {p}/d", 0, *DIR),
    c("ls-json-recursive-sort", "-o json ls -r --sort {p}/d", 0, *DIR),
    c("ls-extended", "-o extended ls {p}/d", 0, *DIR),
    c("ls-file", "ls {p}/a", 0, FILE),
    c("ls-file-extended", "-o extended ls {p}/a", 0, FILE),
    c("ls-empty-dir", "ls {p}/e", 0, EMPTY),
    c("ls-missing", "ls {p}/nodir", 4),
    c("ls-quorum", "ls -q --sort {p}/d", 0, *DIR),
    c("ls-trailing-slash", "ls --sort {p}/d/", 0, *DIR),
    c("ls-root-extended", "-o extended ls"),
    c("ls-root-empty-key", "-o extended ls ''"),
    c("ls-flag-after-key", "ls {p}/d --sort -r", 0, *DIR),
    c("ls-r-twice", "ls -r --recursive {p}/d", 1, *DIR),
    # -- global flags -----------------------------------------------------------------------------
    c("output-bogus", "-o bogus get {p}/a", 0, FILE),
    c("output-bogus-mkdir", "-o bogus mkdir {p}/nd"),
    c("output-missing-argument", "-o", 1),
    c("no-sync", "--no-sync get {p}/a", 0, FILE),
    c("debug-get", "--debug get {p}/a", 0, FILE),
    c("debug-no-sync-ls", "--debug --no-sync ls --sort -r {p}/d", 0, *DIR),
    c("debug-set-form", "--debug set --ttl 300 '{p}/k ey!' 'a b&c+d'"),
    c("debug-mk-in-order", "--debug mk --in-order {p}/q job"),
    c("debug-error", "--debug get {p}/nokey", 4),
    c("env-endpoints", "get {p}/a", 0, FILE, env={"ETCDCTL_ENDPOINTS": "{ep}"}, endpoint=False),
    c("env-endpoint", "get {p}/a", 0, FILE, env={"ETCDCTL_ENDPOINT": "{ep}"}, endpoint=False),
    c("env-peers", "get {p}/a", 0, FILE, env={"ETCDCTL_PEERS": "{ep}"}, endpoint=False),
    c("flag-peers", "--peers {ep} get {p}/a", 0, FILE, endpoint=False),
    c("flag-C", "-C {ep} get {p}/a", 0, FILE, endpoint=False),
    c("flag-endpoint", "--endpoint {ep} get {p}/a", 0, FILE, endpoint=False),
    c("flag-beats-env", "--endpoints {ep} get {p}/a", 0, FILE,
      env={"ETCDCTL_ENDPOINTS": "{dead}"}, endpoint=False),
    c("endpoint-trailing-slash", "--debug --endpoints {ep}/ --no-sync get {p}/a", 0, FILE,
      endpoint=False),
    c("username", "-u someone:secret get {p}/a", 0, FILE),
    c("username-env", "get {p}/a", 0, FILE, env={"ETCDCTL_USERNAME": "someone:secret"}),
    c("timeouts", "--timeout 3s --total-timeout 10s get {p}/a", 0, FILE),
    c("timeout-bad", "--timeout soon get {p}/a", 1, FILE),
    c("total-timeout-zero", "--total-timeout 0 get {p}/a", 2, FILE),
    c("total-timeout-zero-no-sync", "--no-sync --total-timeout 0 get {p}/a", 4, FILE),
    c("global-flag-after-command", "get --endpoints {ep} {p}/a", 1, FILE),
    c("double-dash-global", "-- get {p}/a", 0, FILE),
    # -- connection problems ------------------------------------------------------------------------
    c("dead-endpoint", "--endpoints {dead} get {p}/a", 2, endpoint=False),
    c("dead-endpoint-no-sync", "--no-sync --endpoints {dead} get {p}/a", 4, endpoint=False),
    c("dead-endpoint-one-shot", "--no-sync --endpoints {dead} rm {p}/a", 4, endpoint=False),
    c("dead-endpoint-json", "--no-sync -o json --endpoints {dead} mk {p}/a v", 4, endpoint=False),
    c("dead-then-live-no-sync", "--no-sync --endpoints {dead},{ep} get {p}/a", 0, FILE,
      endpoint=False),
    c("dead-then-live-sync", "--endpoints {dead},{ep} get {p}/a", 0, FILE, endpoint=False),
    c("endpoint-without-scheme", "--endpoints 127.0.0.1:1 get {p}/a", 1, endpoint=False),
    c("endpoint-bad-scheme", "--endpoints localhost:2379 get {p}/a", 4, endpoint=False),
    c("endpoint-not-etcd", "--endpoints {ep}/not-etcd/ get {p}/a", 4, FILE, endpoint=False),
    c("bad-ca-file", "--ca-file /nonexistent/ca.pem get {p}/a", 1, FILE),
    c("cert-without-key", "--cert-file /nonexistent/c.pem get {p}/a", 1, FILE),
    # -- cluster ----------------------------------------------------------------------------------
    c("member-list", "member list"),
    c("member-list-no-sync", "--no-sync member list"),
    c("member-list-args", "member list extra", 1),
    c("member-list-dead", "--endpoints {dead} member list", 2, endpoint=False),
    c("member-list-dead-no-sync", "--no-sync --endpoints {dead} member list", 1,
      endpoint=False),
    c("cluster-health", "cluster-health"),
    c("cluster-health-debug", "--debug cluster-health"),
    c("cluster-health-dead", "--endpoints {dead} cluster-health", 4, endpoint=False),
    # -- usage ------------------------------------------------------------------------------------
    c("no-arguments", "", endpoint=False),
    c("help", "--help", endpoint=False),
    c("help-command", "help", endpoint=False),
    c("help-topic", "help ls", endpoint=False),
    c("help-unknown", "help nosuch", 3, endpoint=False),
    c("help-help", "help help", endpoint=False),
    c("unknown-command", "nosuch", 3),
    c("version", "--version", endpoint=False),
    c("version-short", "-v", endpoint=False),
    c("bad-global-flag", "--bogus get /x", 1, endpoint=False),
    c("bad-flag-syntax", "---x get /x", 1, endpoint=False),
    c("member-help", "member", endpoint=False),
    c("member-help-help", "member help", endpoint=False),
    c("member-unknown", "member nosuch", 3, endpoint=False),
    c("member-bad-flag", "member --bogus", 1, endpoint=False),
    c("member-list-bad-flag", "member list -x", 1, endpoint=False),
    *[c(f"help-{name}", f"{name} --help", endpoint=False) for name in (
        "get", "mk", "mkdir", "setdir", "update", "updatedir", "rm", "rmdir", "ls", "watch",
        "exec-watch", "cluster-health", "backup", "user", "role", "auth")],
    c("help-role-grant", "role grant -h", endpoint=False),
    # -- watch (events replayed from the server's history, so no waiting) -------------------------
    c("watch-set", "watch --after-index {im_w} {p}/w", 0, put("{p}/w", "v1")),
    c("watch-set-json", "-o json watch --after-index {im_w} {p}/w", 0, put("{p}/w", "v1")),
    c("watch-set-extended", "-o extended watch --after-index {im_w} {p}/w", 0,
      put("{p}/w", "v1")),
    c("watch-delete", "watch --after-index {im_w} {p}/w", 0, put("{p}/w"), delete("{p}/w")),
    c("watch-delete-extended", "-o extended watch --after-index {im_w} {p}/w", 0,
      put("{p}/w"), delete("{p}/w")),
    c("watch-recursive", "watch -r --after-index {im_x} {p}/wd", 0, put("{p}/wd/x", "vx")),
    c("watch-recursive-json", "-o json watch --recursive --after-index {im_x} {p}/wd", 0,
      put("{p}/wd/x", "vx")),
    c("watch-skips-dir-events", "watch -r --after-index {im_wd} {p}/wd", 0, mkdir("{p}/wd"),
      put("{p}/wd/x", "vx")),
    c("watch-recursive-delete-dir-then-set", "watch -r --after-index {im_wd} {p}/wd", 0,
      mkdir("{p}/wd"), delete("{p}/wd", recursive=True), put("{p}/wd/y", "vy")),
    c("watch-update-ttl-json", "-o json watch --after-index {im_w} {p}/w", 0,
      put("{p}/w", "v1", 300)),
    c("watch-in-order", "-o extended watch -r --after-index {im_q} {p}/q", 0, post("{p}/q")),
    # exec-watch finds "<key> -- <command>" only when a flag sits right before the key (a
    # flag's reordering carries the key along); "--after-index N <key> -- cmd" would not.
    c("exec-watch-missing-program",
      "exec-watch --after-index {im_w} --recursive {p}/w -- pyetcdctl-no-such-program arg", 1,
      put("{p}/w")),
    c("exec-watch-missing-path",
      "exec-watch --after-index {im_w} -r {p}/w -- /nonexistent/prog", 1, put("{p}/w")),
    c("watch-no-key", "watch", 1),
    c("exec-watch-no-command", "exec-watch {p}/a", 1),
]
