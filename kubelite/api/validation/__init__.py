"""Pure validation of API objects: each validator returns a list of :class:`FieldError`."""

from kubelite.api.validation.fields import FieldError, Path, options_invalid, to_causes

__all__ = ["FieldError", "Path", "options_invalid", "to_causes"]
