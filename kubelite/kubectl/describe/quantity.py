"""Resource quantities (``100m``, ``128Mi``, ``1e3``) as apimachinery parses, adds and prints
them: the printed form is the canonical one (``0.5`` -> ``500m``, ``1000`` -> ``1k``,
``1048576`` bytes written ``1Mi`` stay ``1Mi``). Pure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {v: k for k, v in DECIMAL.items()}
_BINARY_SUFFIX = {v: k for k, v in BINARY.items()}
_PATTERN = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(.*)$")


@dataclass(frozen=True)
class Quantity:
    value: Fraction
    format: str = "DecimalSI"  # "BinarySI", "DecimalSI" or "DecimalExponent"

    @classmethod
    def parse(cls, text: object) -> Quantity:
        if isinstance(text, int | float):
            return cls(Fraction(text))
        s = str(text).strip()
        m = _PATTERN.match(s)
        if not s or m is None or not (m.group(2) or m.group(3)):
            raise ValueError(f"quantities must match the regular expression: {s!r}")
        sign, whole, frac, suffix = m.groups()
        number = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac))
                                                if frac else 0)
        if suffix in BINARY:
            value, fmt = number * 2 ** BINARY[suffix], "BinarySI"
        elif suffix in DECIMAL:
            value, fmt = number * Fraction(10) ** DECIMAL[suffix], "DecimalSI"
        elif suffix[:1] in ("e", "E") and re.fullmatch(r"[+-]?\d+", suffix[1:]):
            value, fmt = number * Fraction(10) ** int(suffix[1:]), "DecimalExponent"
        else:
            raise ValueError(f"unable to parse quantity's suffix: {suffix!r}")
        if sign == "-":
            value = -value
        # apimachinery rounds up to the nano scale
        value = Fraction(math.ceil(value * 10 ** 9), 10 ** 9)
        if fmt == "BinarySI" and 0 < abs(value) < 1:
            fmt = "DecimalSI"
        return cls(value, fmt)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.value, self.format)

    def milli_value(self) -> int:
        return math.ceil(self.value * 1000)

    def int_value(self) -> int:
        return math.ceil(self.value)

    def __str__(self) -> str:
        if self.value == 0:
            return "0"
        fmt = self.format
        if fmt == "BinarySI" and (-1024 < self.value < 1024 or self.value.denominator != 1):
            fmt = "DecimalSI"
        sign = "-" if self.value < 0 else ""
        value = abs(self.value)
        if fmt == "BinarySI":
            whole, exp = int(value), 0
            while exp < 60 and whole % 1024 == 0:
                whole //= 1024
                exp += 10
            return f"{sign}{whole}{_BINARY_SUFFIX.get(exp, '')}"
        exp = -9
        while exp < 18 and (value / Fraction(10) ** (exp + 3)).denominator == 1:
            exp += 3
        number = value / Fraction(10) ** exp
        if number.denominator != 1:  # finer than nano: round up as apimachinery does
            number = Fraction(math.ceil(number))
        if fmt == "DecimalExponent":
            return f"{sign}{int(number)}" + (f"e{exp}" if exp else "")
        return f"{sign}{int(number)}{_DECIMAL_SUFFIX[exp]}"


ZERO = Quantity(Fraction(0))


def canonical(text: object) -> str:
    """The canonical form of a quantity string (the input itself if it does not parse)."""
    try:
        return str(Quantity.parse(text))
    except ValueError:
        return str(text)
