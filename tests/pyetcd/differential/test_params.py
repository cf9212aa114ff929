"""Differential: form parsing and parameter validation (spec §3.4, §4, §7.1 TTL parsing)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.pyetcd.differential.harness import FORM, Case, Req, get, put

pytestmark = pytest.mark.compat


def q(method: str, query: str, body: str | None = None, ctype: str | None = FORM,
      key: str = "{p}/k") -> Req:
    return Req(method, f"/v2/keys{key}?{query}" if query else f"/v2/keys{key}", body,
               ctype if body is not None else None)


# One request per case, each against a prepared key.
SINGLE = {
    # validation order: the first failing check wins (spec §4 table)
    "order_prevIndex_first": q("PUT", "prevIndex=x&waitIndex=y&recursive=z"),
    "order_waitIndex": q("PUT", "waitIndex=y&recursive=z"),
    "order_recursive": q("GET", "recursive=z&sorted=z"),
    "order_sorted": q("GET", "sorted=z&wait=z"),
    "order_wait": q("GET", "wait=z&dir=z"),
    "order_dir": q("GET", "dir=z&quorum=z"),
    "order_quorum": q("GET", "quorum=z&stream=z"),
    "order_stream": q("GET", "stream=z&prevValue="),
    "wait_on_put": q("PUT", "wait=true&prevValue="),
    "wait_on_head": q("HEAD", "wait=true"),
    "wait_on_delete": q("DELETE", "wait=true"),
    "wait_false_on_put": q("PUT", "wait=false", "value=1"),
    "empty_prevValue": q("PUT", "prevValue=&noValueOnSuccess=z"),
    "noValueOnSuccess_bad": q("PUT", "noValueOnSuccess=z&ttl=x"),
    "ttl_bad": q("PUT", "ttl=x&prevExist=z"),
    "prevExist_bad": q("PUT", "prevExist=z&refresh=z"),
    "refresh_bad": q("PUT", "refresh=z"),
    "refresh_with_value": q("PUT", "refresh=true&value=x&ttl=5"),
    "refresh_without_ttl": q("PUT", "refresh=true"),
    "refresh_empty_ttl": q("PUT", "refresh=true&ttl="),
    "refresh_empty_value_ok": q("PUT", "refresh=true&value=&ttl=100"),
    "get_validates_ttl": q("GET", "ttl=abc"),
    "post_validates_prevExist": q("POST", "prevExist=maybe"),
    "root_validates_too": q("GET", "recursive=yes", key=""),
    # Go ParseBool
    **{f"bool_{v or 'empty'}": q("GET", f"recursive={v}") for v in
       ["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False",
        "", "yes", "tRUE", "2", "%20true"]},
    "bool_bare_flag": q("GET", "wait"),
    "bool_bare_recursive": q("GET", "recursive"),
    # Go ParseUint for prevIndex / ttl
    **{f"uint_{name}": q("PUT", f"prevIndex={v}", "value=x") for name, v in
       [("zero_padded", "007"), ("plus", "%2B5"), ("minus", "-1"), ("space", "%201"),
        ("hex", "0x10"), ("decimal", "1.0"), ("max", "18446744073709551615"),
        ("overflow", "18446744073709551616"), ("empty", "")]},
    "waitIndex_ignored_without_wait": q("GET", "waitIndex=99999"),
    "waitIndex_bad_without_wait": q("GET", "waitIndex=abc"),
    # ParseForm (error 210 with Go's texts)
    "semicolon_in_query": q("GET", "a=1;b=2"),
    "bad_escape_in_query": q("GET", "value=%zz"),
    "bad_escape_in_key_name": q("GET", "%zz=1"),
    "bad_escape_then_semicolon": q("GET", "a=%zz&b;c"),
    "bad_escape_in_body": q("PUT", "", "value=%zz"),
    "body_and_query_errors": q("PUT", "a;b", "value=%zz"),
    "bad_content_type": q("PUT", "", "value=1", "a/b/c"),
    "content_type_no_slash": q("PUT", "", "value=1", "text"),
    "content_type_bad_param": q("PUT", "", "value=1", "application/x-www-form-urlencoded; =x"),
    "content_type_charset": q("PUT", "", "value=cs", "application/x-www-form-urlencoded; charset=utf-8"),
    "content_type_upper": q("PUT", "", "value=up", "Application/X-WWW-Form-Urlencoded"),
    "content_type_json_ignored": q("PUT", "", "value=js", "application/json"),
    "content_type_missing_ignored": q("PUT", "", "value=none", None),
    # body first, then query; first value wins; names are case-sensitive
    "body_wins_over_query": q("PUT", "value=query", "value=body"),
    "first_value_wins": q("PUT", "value=a&value=b"),
    "plus_is_space_in_form": q("PUT", "", "value=a+b%2Bc"),
    "unknown_params_ignored": q("PUT", "Value=x&prevexist=false&TTL=5", "value=v"),
    "empty_pairs_ignored": q("PUT", "&&value=x&&"),
    "key_without_equals": q("PUT", "value"),
    "body_ignored_for_get": q("GET", "", "recursive=zzz"),
    "post_body_form": q("POST", "", "value=posted&ttl="),
    "ttl_empty_is_no_ttl": q("PUT", "ttl=", "value=x"),
    "ttl_overflow_202": q("PUT", "ttl=18446744073709551616", "value=x"),
    "ttl_negative_202": q("PUT", "ttl=-1", "value=x"),
}

CASES = [Case(name, [put("{p}/k", value="orig"), req, get("{p}/k")]) for name, req in SINGLE.items()]
CASES.append(Case("form_too_large", [put("{p}/k", value="orig"),
                                     Req("PUT", "/v2/keys{p}/k", b"value=" + b"x" * (10 << 20), FORM),
                                     get("{p}/k")], slow=True))
CASES.append(Case("large_value_1_5MiB", [Req("PUT", "/v2/keys{p}/big", b"value=" + b"y" * (1600 << 10), FORM,
                                             record=False), Req("HEAD", "/v2/keys{p}/big")]))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_params(case: Case, check: Callable[[Case], None]) -> None:
    check(case)
