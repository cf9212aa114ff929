"""Evaluating a path (a list of nodes) against decoded JSON, as client-go walks it. Pure."""

from __future__ import annotations

from typing import Any

from kubelite.kubectl.jsonpath.nodes import (
    Field,
    Filter,
    Ident,
    Index,
    JSONPathError,
    Literal,
    Recursive,
    Text,
    Union,
    Wildcard,
)


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return list(value.encode())  # Go walks a string's bytes, which have no children
    return []


def evaluate(values: list[Any], nodes: list[Any]) -> list[Any]:
    for node in nodes:
        values = _eval_node(values, node)
    return values


def _eval_node(values: list[Any], node: Any) -> list[Any]:
    if isinstance(node, Text):
        return [node.text]
    if isinstance(node, Literal):
        return [node.value for _ in values]
    if isinstance(node, Field):
        return [v[node.name] for v in values if isinstance(v, dict) and node.name in v]
    if isinstance(node, Wildcard):
        return [c for v in values if v is not None for c in _children(v)]
    if isinstance(node, Recursive):
        return _recursive(values)
    if isinstance(node, Index):
        return _index(values, node)
    if isinstance(node, Union):
        return [r for branch in node.branches for r in evaluate(values, branch)]
    if isinstance(node, Filter):
        return _filter(values, node)
    if isinstance(node, Ident):
        if node.name in ("range", "end"):
            return values
        raise JSONPathError(f"unrecognized identifier {node.name}")
    raise JSONPathError(f"unexpected node {node!r}")


def _recursive(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value is None:
            continue
        kids = _children(value)
        if kids:
            out.append(value)
            out.extend(_recursive(kids))
    return out


def _index(values: list[Any], node: Index) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value is None:
            continue
        if not isinstance(value, list):
            raise JSONPathError(f"{_go_type(value)} is not array or slice")
        length = len(value)
        start = node.start if node.start is not None else 0
        if start < 0:
            start += length
        stop = node.end if node.end is not None else length
        if node.end is not None and (stop < 0 or (stop == 0 and node.derived_end)):
            stop += length
        if stop == start:
            continue
        if start >= length or start < 0:
            raise JSONPathError(f"array index out of bounds: index {start}, length {length}")
        if stop > length or stop < 0:
            raise JSONPathError(f"array index out of bounds: index {stop - 1}, length {length}")
        if start > stop:
            raise JSONPathError(f"starting index {start} is greater than ending index {stop}")
        step = node.step or 1
        if node.step is not None and node.step <= 0:
            raise JSONPathError("step must be > 0")
        out.extend(value[start:stop:step])
    return out


def _compare(left: Any, op: str, right: Any) -> bool:
    numeric = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        if op in ("==", "!="):
            return bool((left == right) == (op == "=="))
        raise JSONPathError("invalid type for comparison")
    if isinstance(left, numeric) and isinstance(right, numeric):
        pass
    elif isinstance(left, str) and isinstance(right, str):
        pass
    else:
        raise JSONPathError("incompatible types for comparison")
    return bool({"==": left == right, "!=": left != right, "<": left < right,
                 ">": left > right, "<=": left <= right, ">=": left >= right}.get(op, False))


def _filter(values: list[Any], node: Filter) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if not isinstance(value, list):
            raise JSONPathError(f"{value} is not array or slice and cannot be filtered")
        for item in value:
            if node.op == "exists":  # errors count as "does not exist" here, as in client-go
                try:
                    if evaluate([item], node.left):
                        out.append(item)
                except JSONPathError:
                    pass
                continue
            lefts = evaluate([item], node.left)
            if not lefts:
                continue
            if len(lefts) > 1:
                raise JSONPathError("can only compare one element at a time")
            rights = evaluate([item], node.right)
            if not rights:
                continue
            if len(rights) > 1:
                raise JSONPathError("can only compare one element at a time")
            if node.op not in ("==", "!=", "<", ">", "<=", ">="):
                raise JSONPathError(f"unrecognized filter operator {node.op}")
            if _compare(lefts[0], node.op, rights[0]):
                out.append(item)
    return out


def _go_type(value: Any) -> str:
    return {dict: "map[string]interface {}", str: "string", bool: "bool", int: "int64",
            float: "float64"}.get(type(value), "interface {}")
