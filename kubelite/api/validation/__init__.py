"""Pure validation of API objects: each validator returns a list of :class:`FieldError`."""

from kubelite.api.validation.fields import FieldError, Path, to_causes

__all__ = ["FieldError", "Path", "to_causes"]
