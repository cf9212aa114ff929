"""The parsed form of a JSONPath template: literal text and actions made of path nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class JSONPathError(Exception):
    pass


@dataclass
class Text:
    text: str


@dataclass
class Field:
    name: str


@dataclass
class Wildcard:
    pass


@dataclass
class Recursive:
    pass


@dataclass
class Index:
    start: int | None
    end: int | None
    step: int | None
    derived_end: bool = False


@dataclass
class Union:
    branches: list[list[Any]]


@dataclass
class Filter:
    left: list[Any]
    op: str
    right: list[Any]


@dataclass
class Literal:
    value: Any  # int, float or bool


@dataclass
class Ident:
    name: str  # "range" or "end"


@dataclass
class Action:
    nodes: list[Any] = field(default_factory=list)
