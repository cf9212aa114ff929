"""etcd v2 errors: one exception type and the two tables that describe it.

Every error the v2 API can return is an :class:`EtcdError` carrying a numeric code, an
optional cause (a key, or Go's error text) and the etcd index current when it was raised.
The server renders it as ``{"errorCode","message","cause","index"}``; the client parses the
same JSON back into it. The tables below are the only place codes, messages and HTTP
statuses are written down (etcd 3.4 ``v2error``; see ``shared/specs/etcd-v2.md`` §9.2).
"""

from __future__ import annotations

import json
from typing import Any

# Command errors (1xx)
KEY_NOT_FOUND = 100
TEST_FAILED = 101
NOT_FILE = 102
NO_MORE_PEER = 103
NOT_DIR = 104
NODE_EXIST = 105
KEY_IS_PRESERVED = 106
ROOT_READ_ONLY = 107
DIR_NOT_EMPTY = 108
EXISTING_PEER_ADDR = 109
UNAUTHORIZED = 110
# Form errors (2xx)
VALUE_REQUIRED = 200
PREV_VALUE_REQUIRED = 201
TTL_NAN = 202
INDEX_NAN = 203
VALUE_OR_TTL_REQUIRED = 204
TIMEOUT_NAN = 205
NAME_REQUIRED = 206
INDEX_OR_VALUE_REQUIRED = 207
INDEX_VALUE_MUTEX = 208
INVALID_FIELD = 209
INVALID_FORM = 210
REFRESH_VALUE = 211
REFRESH_TTL_REQUIRED = 212
# Raft errors (3xx)
RAFT_INTERNAL = 300
LEADER_ELECT = 301
# etcd errors (4xx)
WATCHER_CLEARED = 400
EVENT_INDEX_CLEARED = 401
STANDBY_INTERNAL = 402
INVALID_ACTIVE_SIZE = 403
INVALID_REMOVE_DELAY = 404
# Client errors (5xx)
CLIENT_INTERNAL = 500

MESSAGES: dict[int, str] = {
    KEY_NOT_FOUND: "Key not found",
    TEST_FAILED: "Compare failed",
    NOT_FILE: "Not a file",
    NO_MORE_PEER: "Reached the max number of peers in the cluster",
    NOT_DIR: "Not a directory",
    NODE_EXIST: "Key already exists",
    KEY_IS_PRESERVED: "The prefix of given key is a keyword in etcd",
    ROOT_READ_ONLY: "Root is read only",
    DIR_NOT_EMPTY: "Directory not empty",
    EXISTING_PEER_ADDR: "Peer address has existed",
    UNAUTHORIZED: "The request requires user authentication",
    VALUE_REQUIRED: "Value is Required in POST form",
    PREV_VALUE_REQUIRED: "PrevValue is Required in POST form",
    TTL_NAN: "The given TTL in POST form is not a number",
    INDEX_NAN: "The given index in POST form is not a number",
    VALUE_OR_TTL_REQUIRED: "Value or TTL is required in POST form",
    TIMEOUT_NAN: "The given timeout in POST form is not a number",
    NAME_REQUIRED: "Name is required in POST form",
    INDEX_OR_VALUE_REQUIRED: "Index or value is required",
    INDEX_VALUE_MUTEX: "Index and value cannot both be specified",
    INVALID_FIELD: "Invalid field",
    INVALID_FORM: "Invalid POST form",
    REFRESH_VALUE: "Value provided on refresh",
    REFRESH_TTL_REQUIRED: "A TTL must be provided on refresh",
    RAFT_INTERNAL: "Raft Internal Error",
    LEADER_ELECT: "During Leader Election",
    WATCHER_CLEARED: "watcher is cleared due to etcd recovery",
    EVENT_INDEX_CLEARED: "The event in requested index is outdated and cleared",
    STANDBY_INTERNAL: "Standby Internal Error",
    INVALID_ACTIVE_SIZE: "Invalid active size",
    INVALID_REMOVE_DELAY: "Standby remove delay",
    CLIENT_INTERNAL: "Client Internal Error",
}

# Every code not listed here is answered with HTTP 400.
HTTP_STATUS: dict[int, int] = {
    KEY_NOT_FOUND: 404,
    TEST_FAILED: 412,
    NOT_FILE: 403,
    NODE_EXIST: 412,
    DIR_NOT_EMPTY: 403,
    UNAUTHORIZED: 401,
    RAFT_INTERNAL: 500,
    LEADER_ELECT: 500,
}


class EtcdError(Exception):
    """An etcd v2 API error, raised by the store and by the client alike."""

    def __init__(self, code: int, cause: str = "", index: int = 0, message: str | None = None):
        self.code = code
        self.cause = cause
        self.index = index
        self.message = message if message is not None else MESSAGES.get(code, "")
        super().__init__(str(self))

    def __str__(self) -> str:
        # The Go client's format: "100: Key not found (/coreos.com) [3]".
        return f"{self.code}: {self.message} ({self.cause}) [{self.index}]"

    def __repr__(self) -> str:
        return f"EtcdError(code={self.code}, cause={self.cause!r}, index={self.index})"

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"errorCode": self.code, "message": self.message}
        if self.cause:
            body["cause"] = self.cause
        body["index"] = self.index
        return body

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> EtcdError:
        return cls(
            int(body["errorCode"]),
            str(body.get("cause", "")),
            int(body.get("index", 0)),
            message=str(body.get("message", "")),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> EtcdError | None:
        """Parse an error body; ``None`` when it is not an etcd error JSON."""
        try:
            body = json.loads(text)
        except ValueError:
            return None
        if not isinstance(body, dict) or "errorCode" not in body:
            return None
        return cls.from_dict(body)


def is_key_not_found(err: BaseException) -> bool:
    return isinstance(err, EtcdError) and err.code == KEY_NOT_FOUND


def is_node_exist(err: BaseException) -> bool:
    return isinstance(err, EtcdError) and err.code == NODE_EXIST


def is_test_failed(err: BaseException) -> bool:
    return isinstance(err, EtcdError) and err.code == TEST_FAILED


def is_index_cleared(err: BaseException) -> bool:
    return isinstance(err, EtcdError) and err.code == EVENT_INDEX_CLEARED
