"""Differential: routing, path cleaning and redirects, 404/405, CORS and OPTIONS, the other
endpoints (spec §3, §9.4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.pyetcd.differential.harness import FORM, Case, Req, put

pytestmark = pytest.mark.compat

METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "PROPFIND"]

SINGLE: dict[str, Req] = {
    # path canonicalisation (Go ServeMux): 301 to the cleaned path, query kept
    "double_slash_get": Req("GET", "/v2/keys//{p}//a?x=1&y=%20"),
    "double_slash_head": Req("HEAD", "/v2/keys//{p}/a"),
    "double_slash_put": Req("PUT", "/v2/keys//{p}/a", "value=1", FORM),
    "dot_segment": Req("GET", "/v2/keys/./{p}/a"),
    "dotdot_leaves_keys": Req("GET", "/v2/keys/../x?a=b"),
    "encoded_dotdot": Req("GET", "/v2/keys/%2E%2E/x"),
    "encoded_slash_double": Req("GET", "/v2/keys{p}%2F%2Fa"),
    "redirect_escapes_space": Req("GET", "/v2/keys//{p}/a%20b%3Cc%3E"),
    "redirect_html_escape": Req("GET", "/v2//keys?a=%22&b=<'>"),
    "dotdot_trailing_slash": Req("GET", "/v2/keys/a/../"),
    "v2_double_slash_keys": Req("POST", "/v2//keys", "value=1", FORM),
    "trailing_slash_canonical": Req("GET", "/v2/keys{p}/"),
    "v3_redirect": Req("GET", "/v3"),
    "v3_redirect_head": Req("HEAD", "/v3?x=1"),
    # routing
    "not_found_keysx": Req("GET", "/v2/keysx"),
    "not_found_v2": Req("GET", "/v2"),
    "not_found_root": Req("GET", "/"),
    "not_found_head": Req("HEAD", "/nope"),
    "not_found_stats_sub": Req("GET", "/v2/stats/storex"),
    "not_found_v3beta": Req("GET", "/v3beta"),
    "keys_without_slash": Req("GET", "/v2/keys"),
    "bad_escape_in_path": Req("GET", "/v2/keys/%zz"),
    "host_header_any": Req("GET", "/v2/keys/", headers={"Host": "evil.example.com"}),
    "origin_header": Req("GET", "/v2/keys/", headers={"Origin": "http://x.example"}),
    # other endpoints
    "version": Req("GET", "/version"),
    "version_post": Req("POST", "/version"),
    "health": Req("GET", "/health"),
    "health_delete": Req("DELETE", "/health"),
    "machines": Req("GET", "/v2/machines"),
    "machines_head": Req("HEAD", "/v2/machines"),
    "machines_put": Req("PUT", "/v2/machines"),
    "members": Req("GET", "/v2/members"),
    "members_slash": Req("GET", "/v2/members/"),
    "members_leader": Req("GET", "/v2/members/leader"),
    "members_other": Req("GET", "/v2/members/xyz"),
    "members_patch": Req("PATCH", "/v2/members"),
    "members_post_no_json": Req("POST", "/v2/members", "a=b", FORM),
    "members_delete_bad_id": Req("DELETE", "/v2/members/zz"),
    "members_delete_unknown": Req("DELETE", "/v2/members/1234"),
    "members_put_no_json": Req("PUT", "/v2/members/1234", "x", "text/plain"),
    "stats_self": Req("GET", "/v2/stats/self"),
    "stats_leader": Req("GET", "/v2/stats/leader"),
    "stats_store_post": Req("POST", "/v2/stats/store"),
    "auth_enable": Req("GET", "/v2/auth/enable"),
    "auth_users": Req("GET", "/v2/auth/users"),
    "auth_roles": Req("GET", "/v2/auth/roles"),
}
for method in METHODS:
    SINGLE[f"keys_{method.lower()}"] = Req(method, "/v2/keys{p}/m")
    SINGLE[f"options_anywhere_{method.lower()}"] = Req("OPTIONS", f"/{method.lower()}//x/../y")

CASES = [Case(name, [put("{p}/a", value="1"), req]) for name, req in SINGLE.items()]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_http(case: Case, check: Callable[[Case], None]) -> None:
    check(case)


def test_stats_store_shape(check: Callable[[Case], None]) -> None:
    """Counters differ with history; the field names and order must not."""
    check(Case("stats_store_fresh", [Req("GET", "/v2/stats/store")], fresh=True))
