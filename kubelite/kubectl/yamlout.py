"""YAML and JSON as kubectl prints objects (``-o yaml``, ``-o json``).

kubectl encodes JSON with Go's ``encoding/json`` (keys sorted, four-space indent, ``<``,
``>`` and ``&`` escaped as ``\\u003c``...) and YAML with go-yaml v2 through sigs.k8s.io/yaml.
go-yaml differs from PyYAML's defaults in ways users see, reproduced here:

* keys are sorted in go-yaml's "natural" order (digit runs compare as numbers, a letter
  sorts after a non-letter at the first difference);
* a string that would read back as another type (``"true"``, ``"1"``, ``"2025-01-01T12:00:00Z"``,
  ``"null"``, ``"y"``...) is double-quoted; a string with a newline is a ``|`` block; any
  other string is plain when the YAML emitter allows it, else single-quoted (the same
  libyaml emitter rules PyYAML implements);
* ``null`` for nulls, lines folded at 80 columns, no document marker.

Pure.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import yaml


def to_json(obj: Any) -> str:
    """Go's ``json.MarshalIndent(obj, "", "    ")`` plus a newline."""
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    return _go_escape(text) + "\n"


def compact_json(obj: Any) -> str:
    """Go's ``json.Marshal``: compact, keys sorted, HTML characters escaped."""
    return _go_escape(json.dumps(obj, sort_keys=True, separators=(",", ":"),
                                 ensure_ascii=False))


def _go_escape(text: str) -> str:
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# -- go-yaml's key order --------------------------------------------------------------------

def _natural_less(a: str, b: str) -> bool:
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        la, lb = ca.isalpha(), cb.isalpha()
        if la and lb:
            return ca < cb
        if la or lb:
            return lb
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _natural_cmp(a: str, b: str) -> int:
    if _natural_less(a, b):
        return -1
    if _natural_less(b, a):
        return 1
    return 0


natural_key = functools.cmp_to_key(_natural_cmp)


# -- go-yaml's implicit types ----------------------------------------------------------------

_BOOL_OR_NULL = {
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    "", "~", "null", "Null", "NULL",
}
_INT = re.compile(r"^[-+]?(0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|0[0-7_]*|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
                  ".nan", ".NaN", ".NAN"}
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?"
    r"(([ \t]*)(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


def resolves_to_non_string(text: str) -> bool:
    """Would go-yaml read this plain scalar back as something other than a string?"""
    if text in _BOOL_OR_NULL or text in _SPECIAL_FLOAT:
        return True
    if text[:1] in "-+0123456789." and (_INT.match(text) or _FLOAT.match(text)
                                       or _BASE60.match(text)):
        return True
    return bool(text[:1].isdigit() and _TIMESTAMP.match(text))


class _GoDumper(yaml.SafeDumper):
    """A dumper whose resolver knows only strings, so the emitter's plain/single-quote
    choice is libyaml's; the representer forces double quotes where go-yaml does."""


_GoDumper.yaml_implicit_resolvers = {}
# Only the forms this module emits for non-strings, so they stay untagged; every string
# that looks like one of them is double-quoted by _represent_str anyway.
_GoDumper.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"),
                                list("tf"))
_GoDumper.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^null$"), ["n"])
_GoDumper.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^-?[0-9]+$"),
                                list("-0123456789"))
_GoDumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?$|^[-+]?\.(?:inf|nan)$"),
    list("-+0123456789."))


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if "\n" in value:
        style = "|"
    elif resolves_to_non_string(value):
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.MappingNode:
    items = sorted(value.items(), key=lambda kv: natural_key(str(kv[0])))
    return dumper.represent_mapping("tag:yaml.org,2002:map", items)


def _represent_none(dumper: yaml.SafeDumper, value: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "null")


def _represent_bool(dumper: yaml.SafeDumper, value: bool) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:bool", "true" if value else "false")


def _represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.ScalarNode:
    if value == int(value) and abs(value) < 1e21:
        text = str(int(value))
    else:
        text = repr(value).replace("e+", "e+").replace("inf", ".inf")
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_GoDumper.add_representer(str, _represent_str)
_GoDumper.add_representer(dict, _represent_dict)
_GoDumper.add_representer(type(None), _represent_none)
_GoDumper.add_representer(bool, _represent_bool)
_GoDumper.add_representer(float, _represent_float)


def to_yaml(obj: Any) -> str:
    """sigs.k8s.io/yaml's ``Marshal`` of a JSON-like value."""
    text: str = yaml.dump(obj, Dumper=_GoDumper, default_flow_style=False, allow_unicode=True,
                          sort_keys=False, width=80, indent=2)
    if text.endswith("\n...\n"):
        text = text[: -len("...\n")]
    return text
