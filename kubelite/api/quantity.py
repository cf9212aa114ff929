"""Kubernetes resource quantities (``500m``, ``1Gi``, ``2``, ``1e3``) as exact decimals.

Pure; shared by validation (and usable by a scheduler summing requests).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

PATTERN = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_RE = re.compile(PATTERN)
INVALID = f"quantities must match the regular expression '{PATTERN}'"

_SUFFIX = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
    "P": Decimal("1e15"), "E": Decimal("1e18"),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}


def parse(value: str | int | float) -> Decimal:
    """The quantity's value; ``ValueError`` (with kube's message) when malformed."""
    if isinstance(value, bool):
        raise ValueError(INVALID)
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = value.strip()
    match = _RE.match(text)
    if not match:
        raise ValueError(INVALID)
    number, suffix = match.groups()
    try:
        base = Decimal(number)
    except InvalidOperation as exc:
        raise ValueError(INVALID) from exc
    if suffix in _SUFFIX:
        return base * _SUFFIX[suffix]
    if suffix[:1] in "eE":
        try:
            return base * (Decimal(10) ** int(suffix[1:]))
        except ValueError as exc:
            raise ValueError(INVALID) from exc
    raise ValueError(INVALID)


def valid(value: object) -> bool:
    try:
        parse(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False
    return True


def canonical_number(value: int | float) -> str:
    """How kube prints a quantity given as a JSON number: ``1`` -> "1", ``0.5`` -> "500m"."""
    d = Decimal(str(value))
    if d == d.to_integral_value():
        return str(int(d))
    milli = d * 1000
    if milli == milli.to_integral_value():
        return f"{int(milli)}m"
    return format(d.normalize(), "f")
