"""Kubernetes ``Status`` errors: one exception type and the table that describes it.

Every failure the apiserver reports is a :class:`StatusError`, rendered as a ``v1 Status``
exactly shaped as the real apiserver's (``kind``, ``apiVersion``, ``metadata``, ``status``,
``message``, ``reason``, ``details``, ``code``). kubectl prints ``Error from server
(<reason>): <message>`` and, for ``Invalid``, rebuilds the text from ``details.causes``.

The constructors below are the only place message formats are written down. Storage
errors become API errors in exactly one function, :func:`interpret_storage_error`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubelite.storage.errors import StorageError, StorageErrorCode

# reason -> HTTP status (apimachinery metav1.StatusReason* and their codes)
REASON_CODES: dict[str, int] = {
    "BadRequest": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "NotAcceptable": 406,
    "AlreadyExists": 409,
    "Conflict": 409,
    "Gone": 410,
    "Expired": 410,
    "RequestEntityTooLarge": 413,
    "UnsupportedMediaType": 415,
    "Invalid": 422,
    "TooManyRequests": 429,
    "InternalError": 500,
    "ServiceUnavailable": 503,
    "Timeout": 504,
}

ACCEPTED_BODY_TYPES = "application/json, application/yaml, application/vnd.kubernetes.protobuf"


@dataclass(frozen=True, slots=True)
class Cause:
    """One entry of ``details.causes`` (a field error or a strict-decoding problem)."""

    reason: str
    message: str
    field: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"reason": self.reason, "message": self.message} if self.reason else {
            "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


class StatusError(Exception):
    """An API error; ``to_status()`` is the body sent to the client."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        code: int | None = None,
        name: str = "",
        group: str = "",
        kind: str = "",
        causes: tuple[Cause, ...] = (),
        retry_after: int | None = None,
        continue_token: str = "",
    ):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.code = code if code is not None else REASON_CODES.get(reason, 500)
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retry_after = retry_after
        self.continue_token = continue_token  # a 410 for a continue carries a fresh token

    def details(self) -> dict[str, Any] | None:
        details: dict[str, Any] = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.to_dict() for c in self.causes]
        if self.retry_after is not None:
            details["retryAfterSeconds"] = self.retry_after
        return details or None

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {"continue": self.continue_token} if self.continue_token else {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:  # kube omits the reason of an error it could not classify
            status["reason"] = self.reason
        details = self.details()
        if details is not None:
            status["details"] = details
        status["code"] = self.code
        return status

    def __repr__(self) -> str:
        return f"StatusError({self.code} {self.reason}: {self.message})"


def success_status(name: str, group: str, kind: str, uid: str = "") -> dict[str, Any]:
    """The ``Status`` a successful DELETE of a non-pod kind or a binding returns."""
    details: dict[str, Any] = {"name": name, "kind": kind}
    if group:
        details["group"] = group
    if uid:
        details["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": details}


def qualified(resource: str, group: str) -> str:
    """``pods`` or ``deployments.apps``: how kube names a resource in messages."""
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, group: str, name: str) -> StatusError:
    return StatusError("NotFound", f'{qualified(resource, group)} "{name}" not found',
                       name=name, group=group, kind=resource)


def already_exists(resource: str, group: str, name: str) -> StatusError:
    return StatusError("AlreadyExists", f'{qualified(resource, group)} "{name}" already exists',
                       name=name, group=group, kind=resource)


def conflict(resource: str, group: str, name: str, why: str) -> StatusError:
    return StatusError(
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {why}',
        name=name, group=group, kind=resource,
    )


MODIFIED = "the object has been modified; please apply your changes to the latest version and try again"


def stale(resource: str, group: str, name: str) -> StatusError:
    return conflict(resource, group, name, MODIFIED)


def invalid(kind: str, group: str, name: str, causes: tuple[Cause, ...]) -> StatusError:
    """422: ``Pod "x" is invalid: a: msg`` or ``... is invalid: [a: msg, b: msg]``."""
    parts = [f"{c.field}: {c.message}" if c.field else c.message for c in causes]
    text = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return StatusError("Invalid", f'{kind} "{name}" is invalid: {text}', name=name, group=group,
                       kind=kind, causes=causes)


def bad_request(message: str, causes: tuple[Cause, ...] = ()) -> StatusError:
    return StatusError("BadRequest", message, causes=causes)


def forbidden(resource: str, group: str, name: str, why: str) -> StatusError:
    return StatusError("Forbidden", f'{qualified(resource, group)} "{name}" is forbidden: {why}',
                       name=name, group=group, kind=resource)


def method_not_allowed(message: str = "") -> StatusError:
    return StatusError(
        "MethodNotAllowed",
        message or "the server does not allow this method on the requested resource",
    )


def not_acceptable(accepted: str) -> StatusError:
    return StatusError(
        "NotAcceptable",
        f"only the following media types are accepted: {accepted}",
    )


def unsupported_media_type(content_type: str, accepted: str = ACCEPTED_BODY_TYPES) -> StatusError:
    return StatusError(
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: {accepted}",
        code=415,
    ) if content_type else StatusError("UnsupportedMediaType", "missing content type", code=415)


def too_large(limit: int) -> StatusError:
    return StatusError("RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def expired(message: str) -> StatusError:
    return StatusError("Expired", message)


def internal(message: str) -> StatusError:
    return StatusError("InternalError", f"Internal error occurred: {message}",
                       causes=(Cause("", message),))  # kube's cause: the message alone


def page_not_found() -> StatusError:
    return StatusError("NotFound", "the server could not find the requested resource")


def interpret_storage_error(err: StorageError, resource: str, group: str, name: str) -> StatusError:
    """The one place storage failures become API errors (kube's ``storeerr.Interpret*``)."""
    match err.code:
        case StorageErrorCode.KEY_NOT_FOUND:
            return not_found(resource, group, name)
        case StorageErrorCode.KEY_EXISTS:
            return already_exists(resource, group, name)
        case StorageErrorCode.CONFLICT:
            return stale(resource, group, name)
        case StorageErrorCode.EXPIRED:
            return expired(err.message)
        case StorageErrorCode.TOO_LARGE:
            return StatusError("RequestEntityTooLarge", err.message)
        case _:  # UNREACHABLE, INTERNAL
            return internal(err.message)
