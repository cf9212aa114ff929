"""``value_class``: immutable value types, checked by the type checker rather than at run time.

A ``@dataclass(frozen=True)`` stores each field through ``object.__setattr__`` in its
``__init__``: about three times the cost of a plain class. Requests, node views and events
are built several times per request (a PUT makes one request, two views and an event), and
on the project machine the frozen constructors alone were ~16 µs of a ~60 µs PUT
(``KeyRequest()`` 6.3 µs, ``NodeView()`` 3.3 µs, ``Event()`` 3.0 µs, measured in process).

``value_class`` makes the same slotted dataclass (equality, hashing and ``repr`` as a frozen
one would have) and declares it frozen to type checkers (PEP 681 ``frozen_default``), so
``mypy --strict`` rejects any assignment to a field, as it does for a frozen dataclass; only
the run-time guard against writes that mypy cannot see (``setattr`` with a computed name)
is gone. Code that needs a modified copy uses :func:`dataclasses.replace`.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def value_class(cls: type[T]) -> type[T]:
    return dataclasses.dataclass(slots=True, eq=True, unsafe_hash=True)(cls)
