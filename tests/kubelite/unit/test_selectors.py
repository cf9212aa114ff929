"""Label and field selectors: parsing and matching, as tables."""

from __future__ import annotations

import pytest

from kubelite.api import fieldselectors, labels

LABELS = {"app": "web", "tier": "fe", "version": "3"}


@pytest.mark.parametrize("text,matches", [
    ("", True),
    ("app=web", True),
    ("app==web", True),
    ("app!=web", False),
    ("app!=db", True),
    ("missing!=x", True),
    ("app in (web,db)", True),
    ("app in (db)", False),
    ("app notin (db, cache)", True),
    ("missing notin (a)", True),
    ("app", True),
    ("!app", False),
    ("!missing", True),
    ("app=web,tier=fe", True),
    ("app=web,tier=be", False),
    ("version>2", True),
    ("version<2", False),
    ("  app = web , tier in ( fe ) ", True),
])
def test_label_selector_matches(text: str, matches: bool) -> None:
    assert labels.parse(text).matches(LABELS) is matches


@pytest.mark.parametrize("text", ["app in web", "app=web,", "=web", "app in (a", "a>b", "a b"])
def test_label_selector_rejects_bad_syntax(text: str) -> None:
    with pytest.raises(labels.SelectorError):
        labels.parse(text)


def test_label_selector_object_and_string_form() -> None:
    sel = labels.from_label_selector({"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["fe", "be"]},
        {"key": "canary", "operator": "DoesNotExist"}]})
    assert sel.matches(LABELS)
    assert not sel.matches({"app": "web", "tier": "fe", "canary": "1"})
    assert str(sel) == "app=web,!canary,tier in (be,fe)"
    assert labels.from_label_selector(None).matches({}) is False
    assert labels.from_label_selector({}).matches({}) is True


@pytest.mark.parametrize("text,fields,matches", [
    ("metadata.name=nginx", {"metadata.name": "nginx"}, True),
    ("metadata.name==nginx", {"metadata.name": "nginx"}, True),
    ("status.phase!=Succeeded,status.phase!=Failed", {"status.phase": "Running"}, True),
    ("status.phase!=Succeeded,status.phase!=Failed", {"status.phase": "Failed"}, False),
    ("spec.nodeName=", {"spec.nodeName": ""}, True),
    ("involvedObject.name=a\\,b", {"involvedObject.name": "a,b"}, True),
])
def test_field_selector(text: str, fields: dict[str, str], matches: bool) -> None:
    assert fieldselectors.parse(text).matches(fields) is matches


def test_field_selector_unsupported_label() -> None:
    with pytest.raises(labels.SelectorError, match="field label not supported: spec.foo"):
        fieldselectors.parse("spec.foo=1").check_supported({"metadata.name"})
    with pytest.raises(labels.SelectorError):
        fieldselectors.parse("nonsense")
