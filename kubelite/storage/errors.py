"""Storage errors: what the storage layer can report, independent of etcd's numbers.

:func:`kubelite.storage.etcd2.translate_etcd_error` is the only place etcd v2 error codes are
read; :func:`kubelite.api.errors.interpret_storage_error` is the only place these become
Kubernetes ``Status`` errors.
"""

from __future__ import annotations

import enum


class StorageErrorCode(enum.Enum):
    KEY_NOT_FOUND = "KeyNotFound"
    KEY_EXISTS = "KeyExists"
    CONFLICT = "ResourceVersionConflict"
    EXPIRED = "Expired"          # a watch asked for history etcd no longer has (etcd 401)
    TOO_LARGE = "RequestTooLarge"
    UNREACHABLE = "Unreachable"  # no etcd endpoint answered
    INTERNAL = "Internal"


class StorageError(Exception):
    """A failed storage operation on ``key``; ``index`` is etcd's index when it failed."""

    def __init__(self, code: StorageErrorCode, key: str, message: str = "", index: int = 0):
        super().__init__(message or f"{code.value}: {key}")
        self.code = code
        self.key = key
        self.message = message or f"{code.value}: {key}"
        self.index = index

    def __repr__(self) -> str:
        return f"StorageError({self.code.value}, {self.key!r}, {self.message!r})"
