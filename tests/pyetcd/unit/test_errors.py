"""The error tables and classifiers (every classifier gets a test: STYLE rule 9)."""

from __future__ import annotations

import pytest

from pyetcd import errors
from pyetcd.errors import EtcdError


@pytest.mark.parametrize(
    ("code", "status"),
    [(100, 404), (101, 412), (102, 403), (104, 400), (105, 412), (107, 400), (108, 403),
     (110, 401), (209, 400), (300, 500), (401, 400)],
)
def test_http_status_table(code: int, status: int) -> None:
    assert EtcdError(code).http_status == status


def test_cause_is_omitted_when_empty() -> None:
    assert EtcdError(102, "", 5).to_dict() == {"errorCode": 102, "message": "Not a file", "index": 5}
    assert EtcdError(100, "/a", 3).to_dict() == {
        "errorCode": 100, "message": "Key not found", "cause": "/a", "index": 3,
    }


def test_json_roundtrip_and_non_error_bodies() -> None:
    err = EtcdError.from_json(b'{"errorCode":105,"message":"Key already exists","cause":"/x","index":9}')
    assert err is not None and (err.code, err.cause, err.index) == (105, "/x", 9)
    assert str(err) == "105: Key already exists (/x) [9]"
    assert EtcdError.from_json(b"not json") is None
    assert EtcdError.from_json(b'{"action":"get"}') is None


@pytest.mark.parametrize(
    ("predicate", "code"),
    [(errors.is_key_not_found, 100), (errors.is_node_exist, 105),
     (errors.is_test_failed, 101), (errors.is_index_cleared, 401)],
)
def test_classifiers_match_only_their_code(predicate, code) -> None:  # type: ignore[no-untyped-def]
    assert predicate(EtcdError(code))
    assert not predicate(EtcdError(code + 1))
    assert not predicate(ValueError("x"))
