"""Differential: keys, directories, listings, in-order keys, CAS/CAD, deletes, root (spec §1, §2, §5, §6)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.pyetcd.differential.harness import FORM, Case, Req, delete, get, post, put

pytestmark = pytest.mark.compat

CASES = [
    Case("set_get_replace", [put("{p}/a", value="1"), get("{p}/a"), put("{p}/a", value="2"),
                             get("{p}/a"), get("{p}/a?quorum=true"), Req("HEAD", "/v2/keys{p}/a")]),
    Case("missing_key_cause_is_first_missing_component",
         [get("{p}/x/y/z"), put("{p}/x", value="f"), get("{p}/x/y/z"), get("{p}/x/y")]),
    Case("set_under_file_104", [put("{p}/f", value="1"), put("{p}/f/g", value="2"),
                                post("{p}/f", value="3"), put("{p}/f/g", prevExist="false", value="x")]),
    Case("set_over_dir_102", [put("{p}/d", dir="true"), put("{p}/d", value="x"),
                              put("{p}/d", dir="true"), put("{p}/d", prevExist="false")]),
    Case("file_to_dir_with_set", [put("{p}/f", value="1"), put("{p}/f", dir="true", value="ignored"),
                                  get("{p}/f")]),
    Case("empty_value_and_unicode", [put("{p}/e"), get("{p}/e"),
                                     put("{p}/u", value="h\u00e9llo <b>&amp; \u2028 \u65e5"),
                                     get("{p}/u")]),
    Case("invalid_utf8_value", [Req("PUT", "/v2/keys{p}/bad", b"value=%ff%fe%e2%82ok", FORM),
                                get("{p}/bad")]),
    Case("control_chars", [Req("PUT", "/v2/keys{p}/cc", b"value=a%08b%0cc%0a%09%01%7f", FORM),
                           get("{p}/cc")]),
    Case("implicit_dirs_get_write_index", [put("{p}/a/b/c", value="1"), get("{p}/a"),
                                           get("{p}/a?recursive=true"), get("{p}/a/b")]),
    Case("dir_indices_do_not_change", [put("{p}/d/x", value="1"), put("{p}/d/y", value="2"),
                                       delete("{p}/d/x"), get("{p}/d")]),
    Case("listing_hidden_and_recursive", [
        put("{p}/l/a", value="1"), put("{p}/l/_h", value="2"), put("{p}/l/s/x", value="3"),
        put("{p}/l/s/_y", value="4"), put("{p}/l/_hd/z", value="5"),
        get("{p}/l"), get("{p}/l?recursive=true"), get("{p}/l/_h"), get("{p}/l/_hd"),
        get("{p}/l/_hd?recursive=true")]),
    Case("only_hidden_children_omit_nodes", [put("{p}/h/_x", value="1"), get("{p}/h"),
                                             put("{p}/e", dir="true"), get("{p}/e")]),
    Case("sorted_listing", [put("{p}/s/b", value="1"), put("{p}/s/a", value="1"),
                            put("{p}/s/c/z", value="1"), put("{p}/s/c/a", value="1"),
                            put("{p}/s/A", value="1"), put("{p}/s/_", value="1"),
                            get("{p}/s?sorted=true"), get("{p}/s?sorted=true&recursive=true"),
                            get("{p}/s/a?sorted=true&recursive=true")]),
    Case("in_order_post", [post("{p}/q", value="j1"), post("{p}/q", value="j2"),
                           put("{p}/other", value="x"), post("{p}/q", value="j3"),
                           post("{p}/q", dir="true"), post("{p}/q", value="t", ttl="100"),
                           get("{p}/q?sorted=true"), get("{p}/q?recursive=true&sorted=true")]),
    Case("post_ignores_preconditions", [post("{p}/q", value="a", prevExist="true", prevValue="zz",
                                             prevIndex="99")]),
    Case("create_prev_exist_false", [put("{p}/c", value="1", prevExist="false"),
                                     put("{p}/c", value="2", prevExist="false"),
                                     put("{p}/cd", dir="true", prevExist="false"),
                                     put("{p}/cd", dir="true", prevExist="false"),
                                     put("{p}/c2", prevExist="false", prevValue="ignored", value="v")]),
    Case("update_prev_exist_true", [put("{p}/u", value="1", prevExist="true"),
                                    put("{p}/u", value="1"), put("{p}/u", value="2", prevExist="true"),
                                    put("{p}/u", prevExist="true"), get("{p}/u")]),
    Case("update_dir_quirk", [put("{p}/ud", dir="true"), put("{p}/ud", prevExist="true", ttl="100"),
                              get("{p}/ud"), put("{p}/ud", prevExist="true", value="x"),
                              put("{p}/ud", prevExist="true", dir="true")]),
    Case("cas", [put("{p}/a", value="1"), put("{p}/a", value="2", prevValue="1"),
                 put("{p}/a", value="3", prevValue="1"), put("{p}/a", value="3", prevIndex="{i+2}"),
                 put("{p}/a", value="3", prevIndex="{i+1}"),
                 put("{p}/a", value="4", prevIndex="{i+1}", prevValue="nope"),
                 put("{p}/a", value="4", prevIndex="{i+3}", prevValue="3"),
                 put("{p}/a", value="5", prevIndex="{i+4}", prevValue="nope"),
                 put("{p}/a", value="5", prevIndex="0"), get("{p}/a")]),
    Case("cas_missing_dir_and_prev_exist", [put("{p}/m", value="1", prevValue="x"),
                                            put("{p}/d/f", value="1"), put("{p}/d", value="1", prevValue="x"),
                                            put("{p}/d/f", value="2", prevExist="true", prevValue="1"),
                                            put("{p}/d/f", value="3", prevExist="true", prevValue="9"),
                                            put("{p}/d/f", prevValue="2")]),
    Case("cas_prev_index_under_file", [put("{p}/f", value="1"),
                                       put("{p}/f/x", value="1", prevIndex="3")]),
    Case("delete_file_and_dirs", [put("{p}/f", value="1"), delete("{p}/f"), delete("{p}/f"),
                                  put("{p}/d/x", value="1"), delete("{p}/d"), delete("{p}/d?dir=true"),
                                  delete("{p}/d?recursive=true"), get("{p}/d"),
                                  put("{p}/e", dir="true"), delete("{p}/e?dir=true"),
                                  put("{p}/g", value="1"), delete("{p}/g?dir=true&recursive=true")]),
    Case("delete_dir_hidden_child_not_empty", [put("{p}/h/_x", value="1"), delete("{p}/h?dir=true"),
                                               delete("{p}/h?recursive=true&dir=false")]),
    Case("delete_under_file_and_missing", [put("{p}/f", value="1"), delete("{p}/f/x"), delete("{p}/nope/x")]),
    Case("delete_body_ignored", [put("{p}/f", value="1"),
                                 Req("DELETE", "/v2/keys{p}/f", "prevValue=nope", FORM), get("{p}/f")]),
    Case("compare_and_delete", [put("{p}/f", value="1"), delete("{p}/f?prevValue=2"),
                                delete("{p}/f?prevIndex=1"), delete("{p}/f?prevValue=2&prevIndex=1"),
                                delete("{p}/f?prevValue=1&prevIndex={i+1}"),
                                put("{p}/g", value="1"), delete("{p}/g?prevIndex={i+2}"),
                                put("{p}/d", dir="true"), delete("{p}/d?prevValue=x"),
                                delete("{p}/missing?prevValue=x")]),
    Case("no_value_on_success", [put("{p}/n?noValueOnSuccess=true", value="1"),
                                 put("{p}/n?noValueOnSuccess=true", value="2"),
                                 put("{p}/n?noValueOnSuccess=true", value="3", prevValue="2"),
                                 put("{p}/n?noValueOnSuccess=true", value="4", prevExist="true"),
                                 put("{p}/m?noValueOnSuccess=true", value="4", prevExist="false"),
                                 post("{p}/q?noValueOnSuccess=true", value="4"),
                                 get("{p}/n?noValueOnSuccess=true"),
                                 delete("{p}/m?noValueOnSuccess=true&prevValue=4"),
                                 delete("{p}/n?noValueOnSuccess=true"),
                                 delete("{p}/n?noValueOnSuccess=true")]),
    Case("special_key_characters", [Req("PUT", "/v2/keys{p}/a%2Fb", "value=1", FORM), get("{p}/a"),
                                    Req("PUT", "/v2/keys{p}/sp%20ace%3F+plus", "value=2", FORM),
                                    get("{p}/sp%20ace%3F+plus"), get("{p}?recursive=true"),
                                    Req("PUT", "/v2/keys{p}/h%C3%A9/%E6%97%A5", "value=3", FORM),
                                    get("{p}/h%C3%A9?recursive=true")]),
    Case("sorted_is_byte_order", [Req("PUT", "/v2/keys{p}/o/%C3%A9", "value=1", FORM),
                                  Req("PUT", "/v2/keys{p}/o/%E6%97%A5", "value=1", FORM),
                                  put("{p}/o/z", value="1"), put("{p}/o/Z", value="1"),
                                  put("{p}/o/~", value="1"), put("{p}/o/0", value="1"),
                                  get("{p}/o?sorted=true")]),
    Case("flags_ignored_where_irrelevant", [put("{p}/f", value="1"), get("{p}/f?recursive=true&sorted=true"),
                                            get("{p}/f?dir=true&stream=true"), get("{p}/missing?quorum=true"),
                                            Req("HEAD", "/v2/keys{p}/missing?quorum=true")]),
    Case("post_under_hidden_dir", [post("{p}/_q", value="1"), get("{p}?recursive=true"),
                                   get("{p}/_q?recursive=true")]),
    Case("trailing_slash_writes_key", [put("{p}/t/", value="1"), get("{p}/t"), get("{p}/t/")]),
]

ROOT_CASES = [
    Case("root_get_empty_and_listing", [get(""), get("/"), put("/a", value="1"), put("/_h", value="1"),
                                        put("/d/x", value="1"), get("/"), get("/?recursive=true"),
                                        get("/?sorted=true")], fresh=True),
    Case("root_is_read_only", [put("/", value="1"), put("", value="1"), put("/", dir="true"),
                               put("/", prevExist="false"), put("/", prevExist="true", value="x"),
                               put("/", prevValue="x", value="y"), delete("/"), delete("/?recursive=true"),
                               delete("/?prevValue=x"), delete("/?prevIndex=1"),
                               Req("HEAD", "/v2/keys/")], fresh=True),
    Case("post_to_root", [post("", value="top"), post("/", dir="true"), get("/?recursive=true")], fresh=True),
    Case("root_refresh_and_update", [put("/?refresh=true&ttl=500"), put("/?prevExist=true&ttl=500")],
         fresh=True),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_keys(case: Case, check: Callable[[Case], None]) -> None:
    check(case)


@pytest.mark.parametrize("case", ROOT_CASES, ids=str)
def test_root(case: Case, check: Callable[[Case], None]) -> None:
    check(case)
