"""Name, label, annotation and port-name rules (kube's apimachinery ``validation``).

Each ``is_*`` returns the list of problems with a value (empty when valid); the texts are
the ones kube users see after ``Invalid value: "...":``.
"""

from __future__ import annotations

import re
from typing import Any

from kubelite.api.validation.fields import FieldError, Path

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
LABEL_VALUE_MAX = 63
QUALIFIED_NAME_MAX = 63
ANNOTATIONS_TOTAL_MAX = 256 * 1024  # bytes of all keys and values together

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = _LABEL + "(\\." + _LABEL + ")*"
_DNS1035 = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QNAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _QNAME + ")?"
_CONFIG_KEY = "[-._a-zA-Z0-9]+"
_ENV_NAME = "[-._a-zA-Z][-._a-zA-Z0-9]*"


def _full(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + pattern + "$")


_LABEL_RE, _SUBDOMAIN_RE, _DNS1035_RE = _full(_LABEL), _full(_SUBDOMAIN), _full(_DNS1035)
_QNAME_RE, _LABEL_VALUE_RE = _full(_QNAME), _full(_LABEL_VALUE)
_CONFIG_KEY_RE, _ENV_NAME_RE = _full(_CONFIG_KEY), _full(_ENV_NAME)


def _regex_msg(what: str, examples: list[str], pattern: str) -> str:
    ex = ",  or ".join(f"'{e}'" for e in examples)
    return f"{what} (e.g. {ex}, regex used for validation is '{pattern}')"


def _max_len(limit: int) -> str:
    return f"must be no more than {limit} characters"


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(_max_len(DNS1123_LABEL_MAX))
    if not _LABEL_RE.match(value):
        errs.append(_regex_msg(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
            "or '-', and must start and end with an alphanumeric character",
            ["my-name", "123-abc"], _LABEL))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(_max_len(DNS1123_SUBDOMAIN_MAX))
    if not _SUBDOMAIN_RE.match(value):
        errs.append(_regex_msg(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character",
            ["example.com"], _SUBDOMAIN))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(_max_len(DNS1123_LABEL_MAX))
    if not _DNS1035_RE.match(value):
        errs.append(_regex_msg(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
            "start with an alphabetic character, and end with an alphanumeric character",
            ["my-name", "abc-123"], _DNS1035))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """A label or annotation key: ``[prefix/]name``."""
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
        errs: list[str] = []
    elif len(parts) == 2:
        prefix, name = parts
        errs = []
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + e for e in is_dns1123_subdomain(prefix))
    else:
        return [_regex_msg(
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and "
            "must start and end with an alphanumeric character",
            ["MyName", "my.name", "123-abc"], _QNAME)
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + _max_len(QUALIFIED_NAME_MAX))
    if name and not _QNAME_RE.match(name):
        errs.append("name part " + _regex_msg(
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character", ["MyName", "my.name", "123-abc"], _QNAME))
    return errs


def is_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > LABEL_VALUE_MAX:
        errs.append(_max_len(LABEL_VALUE_MAX))
    if not _LABEL_VALUE_RE.match(value):
        errs.append(_regex_msg(
            "a valid label must be an empty string or consist of alphanumeric characters, "
            "'-', '_' or '.', and must start and end with an alphanumeric character",
            ["MyValue", "my_value", "12345"], _LABEL_VALUE))
    return errs


def is_config_key(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(_max_len(DNS1123_SUBDOMAIN_MAX))
    if not _CONFIG_KEY_RE.match(value):
        errs.append(_regex_msg(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            ["key.name", "KEY_NAME", "key-name"], _CONFIG_KEY))
    return errs


def is_env_var_name(value: str) -> list[str]:
    if _ENV_NAME_RE.match(value):
        return []
    return [_regex_msg(
        "a valid environment variable name must consist of alphabetic characters, digits, "
        "'_', '-', or '.', and must not start with a digit",
        ["my.env-name", "MY_ENV.NAME", "MyEnvName1"], _ENV_NAME)]


def is_port_name(value: str) -> list[str]:
    """IANA_SVC_NAME: at most 15 of [a-z0-9-], a letter, no '--', no edge '-'."""
    errs = []
    if len(value) > 15:
        errs.append(_max_len(15))
    if not re.match(r"^[-a-z0-9]+$", value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if not re.search(r"[a-z]", value):
        errs.append("must contain at least one letter (a-z)")
    if value.startswith("-") or value.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_port_number(value: Any) -> list[str]:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return []
    return ["must be between 1 and 65535, inclusive"]


def check(path: Path, value: Any, rules: list[str]) -> list[FieldError]:
    return [path.invalid(value, msg) for msg in rules]


def validate_labels(labels: Any, path: Path) -> list[FieldError]:
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [path.invalid(labels, "must be a map of string keys and values")]
    errs: list[FieldError] = []
    for key, value in labels.items():
        errs += check(path, key, is_qualified_name(key))
        if not isinstance(value, str):
            errs.append(path.key(key).invalid(value, "label values must be strings"))
        else:
            errs += check(path.key(key), value, is_label_value(value))
    return errs


def validate_annotations(annotations: Any, path: Path) -> list[FieldError]:
    if annotations is None:
        return []
    if not isinstance(annotations, dict):
        return [path.invalid(annotations, "must be a map of string keys and values")]
    errs: list[FieldError] = []
    total = 0
    for key, value in annotations.items():
        errs += check(path, key.lower(), is_qualified_name(key.lower()))
        total += len(key) + len(str(value))
    if total > ANNOTATIONS_TOTAL_MAX:
        errs.append(path.too_long(ANNOTATIONS_TOTAL_MAX))
    return errs
