"""Field errors: the unit of validation, rendered as ``details.causes`` of a 422 Status.

A :class:`FieldError` renders as kube's ``field.Error``: ``<field>: <Type>: <detail>`` with
the reason names of ``metav1.CauseType`` (``FieldValueRequired``, ``FieldValueInvalid``,
...). Values are printed the way Go's ``%#v`` prints them (strings quoted).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from kubelite.api.errors import Cause, StatusError


class ErrorType(enum.Enum):
    REQUIRED = ("FieldValueRequired", "Required value")
    INVALID = ("FieldValueInvalid", "Invalid value")
    NOT_SUPPORTED = ("FieldValueNotSupported", "Unsupported value")
    DUPLICATE = ("FieldValueDuplicate", "Duplicate value")
    FORBIDDEN = ("FieldValueForbidden", "Forbidden")
    TOO_LONG = ("FieldValueTooLong", "Too long")
    NOT_FOUND = ("FieldValueNotFound", "Not found")
    TOO_MANY = ("FieldValueTooMany", "Too many")


_OMIT = object()


def go_value(value: Any) -> str:
    """Render a value as Go's ``%#v`` would for the common JSON shapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, dict):
        inner = ", ".join(f"{go_value(k)}:{go_value(v)}" for k, v in sorted(value.items()))
        return "map[string]string{" + inner + "}"
    if isinstance(value, list):
        return "[]string{" + ", ".join(go_value(v) for v in value) + "}"
    return json.dumps(value)


@dataclass(frozen=True, slots=True)
class FieldError:
    type: ErrorType
    field: str
    detail: str = ""
    value: Any = _OMIT

    @property
    def message(self) -> str:
        text = self.type.value[1]
        if self.type in (ErrorType.INVALID, ErrorType.NOT_SUPPORTED, ErrorType.DUPLICATE,
                         ErrorType.NOT_FOUND) and self.value is not _OMIT:
            text += ": " + go_value(self.value)
        if self.detail:
            text += ": " + self.detail
        return text

    def cause(self) -> Cause:
        return Cause(self.type.value[0], self.message, self.field)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class Path:
    """A field path builder: ``Path("spec").child("containers").index(0)``."""

    __slots__ = ("_text",)

    def __init__(self, text: str = ""):
        self._text = text

    def child(self, name: str) -> Path:
        return Path(f"{self._text}.{name}" if self._text else name)

    def index(self, i: int) -> Path:
        return Path(f"{self._text}[{i}]")

    def key(self, k: str) -> Path:
        return Path(f"{self._text}[{k}]")

    def __str__(self) -> str:
        return self._text

    def required(self, detail: str = "") -> FieldError:
        return FieldError(ErrorType.REQUIRED, self._text, detail)

    def invalid(self, value: Any, detail: str) -> FieldError:
        return FieldError(ErrorType.INVALID, self._text, detail, value)

    def not_supported(self, value: Any, supported: list[str]) -> FieldError:
        detail = "supported values: " + ", ".join(json.dumps(s) for s in supported)
        return FieldError(ErrorType.NOT_SUPPORTED, self._text, detail, value)

    def duplicate(self, value: Any) -> FieldError:
        return FieldError(ErrorType.DUPLICATE, self._text, "", value)

    def forbidden(self, detail: str) -> FieldError:
        return FieldError(ErrorType.FORBIDDEN, self._text, detail)

    def too_long(self, limit: int) -> FieldError:
        return FieldError(ErrorType.TOO_LONG, self._text, f"may not be more than {limit} bytes")

    def not_found(self, value: Any) -> FieldError:
        return FieldError(ErrorType.NOT_FOUND, self._text, "", value)


def to_causes(errors: list[FieldError]) -> tuple[Cause, ...]:
    return tuple(e.cause() for e in errors)


def options_invalid(kind: str, errs: list[FieldError]) -> StatusError:
    """kube's 422 for bad request options: ``DeleteOptions.meta.k8s.io "" is invalid: ...``."""
    causes = to_causes(errs)
    parts = [f"{c.field}: {c.message}" for c in causes]
    text = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return StatusError("Invalid", f'{kind}.meta.k8s.io "" is invalid: {text}',
                       group="meta.k8s.io", kind=kind, causes=causes)
