"""Errors of the CLI and how kubectl words them on stderr.

Three kinds reach the user:

* :class:`ApiError`: the server answered with a ``Status`` (or a non-Status error body);
  printed ``Error from server (<reason>): <message>``, except ``Invalid`` with causes, which
  kubectl rebuilds as ``The <Kind> "<name>" is invalid: <field>: <message>`` (one cause) or a
  ``*``-bulleted list (several);
* :class:`ConnectionFailed`: the server could not be reached
  (``The connection to the server HOST:PORT was refused - did you specify the right host or
  port?``);
* :class:`CLIError`: everything else, printed ``error: <message>``.

:func:`render` turns any of them into the exact text; ``main`` prints it and exits 1.
"""

from __future__ import annotations

from typing import Any

DEFAULT_EXIT = 1

# HTTP status -> (reason, message) for error bodies that are not a Status (client-go's
# newUnstructuredResponseError table).
_STATUS_REASONS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    401: ("Unauthorized", "the server has asked for the client to provide credentials"),
    403: ("Forbidden", "the server does not allow access to the requested resource"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    406: ("NotAcceptable", "the server was unable to respond with a content type that the client supports"),
    409: ("Conflict", "the server reported a conflict"),
    410: ("Expired", "the server has asked for the client to provide credentials"),
    413: ("RequestEntityTooLarge", "the server has rejected the request because it is too large"),
    415: ("UnsupportedMediaType", "the server was unable to respond with a content type that the client supports"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
    429: ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
    500: ("InternalError", "an error on the server has prevented the request from succeeding"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request"),
}


class CLIError(Exception):
    """A client-side error: printed ``error: <message>`` unless ``raw`` is set."""

    def __init__(self, message: str, *, raw: bool = False, code: int = DEFAULT_EXIT):
        super().__init__(message)
        self.message = message
        self.raw = raw
        self.code = code


class UsageError(CLIError):
    """A command-line mistake: kubectl adds ``See 'kubectl <cmd> -h' for help and examples``."""


class ConnectionFailed(Exception):
    def __init__(self, host: str, reason: str, refused: bool):
        super().__init__(reason)
        self.host = host
        self.reason = reason
        self.refused = refused

    def text(self) -> str:
        if self.refused:
            return (f"The connection to the server {self.host} was refused - "
                    "did you specify the right host or port?")
        return f"Unable to connect to the server: {self.reason}"


class ApiError(Exception):
    """The server's error ``Status`` (the body as sent, or one built from the HTTP code)."""

    def __init__(self, status: dict[str, Any]):
        super().__init__(str(status.get("message", "")))
        self.status = status

    @classmethod
    def from_response(cls, code: int, body: bytes, content_type: str = "") -> ApiError:
        import json

        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("kind") == "Status":
            parsed.setdefault("code", code)
            return cls(parsed)
        text = body.decode(errors="replace").strip() if "json" not in content_type else ""
        reason, message = _STATUS_REASONS.get(code, ("", "unknown"))
        if code >= 500:
            reason = reason or "InternalError"
            message = (f'an error on the server ("{text or "unknown"}") has prevented the '
                       "request from succeeding")
        return cls({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "message": message, "reason": reason, "code": code})

    @property
    def reason(self) -> str:
        return str(self.status.get("reason") or "")

    @property
    def code(self) -> int:
        return int(self.status.get("code") or 0)

    @property
    def message(self) -> str:
        return str(self.status.get("message") or "")

    def with_source(self, verb: str, source: str) -> ApiError:
        """kubectl's ``AddSourceToErr``: ``error when creating "pod.yaml": <message>``."""
        if not source:
            return self
        status = dict(self.status)
        status["message"] = f'error when {verb} "{source}": {self.message}'
        return ApiError(status)


def is_not_found(err: BaseException) -> bool:
    return isinstance(err, ApiError) and (err.reason == "NotFound" or
                                          (err.code == 404 and not err.reason))


def is_conflict(err: BaseException) -> bool:
    return isinstance(err, ApiError) and err.reason == "Conflict"


def _invalid_text(status: dict[str, Any]) -> str:
    details = status.get("details")
    text = "The request is invalid"
    if not isinstance(details, dict):
        if status.get("message"):
            text += ": " + str(status["message"])
        return text
    causes = details.get("causes") or []
    if details.get("kind") or details.get("name"):
        text = f'The {details.get("kind", "")} "{details.get("name", "")}" is invalid'
    elif status.get("message") and not causes:
        text += ": " + str(status["message"])
    if not causes:
        return text
    seen: list[str] = []
    for cause in causes:
        msg = f'{cause.get("field", "")}: {cause.get("message", "")}'
        if msg not in seen:
            seen.append(msg)
    if len(seen) == 1:
        return f"{text}: {seen[0]}"
    return f"{text}: \n" + "".join(f"* {m}\n" for m in seen)


def api_error_text(err: ApiError) -> str:
    """``Error from server (Reason): message`` (kubectl's StandardErrorMessage)."""
    if err.reason == "Unauthorized":
        return f"error: You must be logged in to the server ({err.message})"
    if err.reason:
        return f"Error from server ({err.reason}): {err.message}"
    return f"Error from server: {err.message}"


def render(err: BaseException) -> str:
    """The text kubectl's ``CheckErr`` prints for ``err`` (without the final newline)."""
    if isinstance(err, ApiError):
        if err.reason == "Invalid" and err.code == 422:
            return _invalid_text(err.status).rstrip("\n")
        return api_error_text(err)
    if isinstance(err, ConnectionFailed):
        return err.text()
    if isinstance(err, CLIError):
        if err.raw or err.message.startswith("error: "):
            return err.message
        return "error: " + err.message
    return "error: " + str(err)


def line_for(err: BaseException) -> str:
    """One error among several (kubectl's MultipleErrors): server errors as
    ``Error from server (...)`` (even Invalid ones), others without an ``error:`` prefix."""
    if isinstance(err, ApiError):
        return api_error_text(err)
    if isinstance(err, ConnectionFailed):
        return err.text()
    if isinstance(err, CLIError):
        return err.message
    return str(err)
