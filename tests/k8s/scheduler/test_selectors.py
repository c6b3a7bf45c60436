"""Tests for capacity.k8s.scheduler.selectors: label selectors as the plugins match them
(``labels.Selector``, ``metav1.LabelSelectorAsSelector``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from capacity.k8s.scheduler.selectors import label_selector_as_selector, label_selector_matches

# ------------------------------------------------------------------- label selectors


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        (None, {"a": "1"}, False),  # nil selector: labels.Nothing()
        ({}, {"a": "1"}, True),  # empty selector: labels.Everything()
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchLabels": {"a": ""}}, {}, False),  # equality needs the key
        ({"matchLabels": {"a": ""}}, {"a": ""}, True),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]},
            {"a": "2"},
            True,
        ),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        (
            {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]},
            {"a": "1"},
            False,
        ),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": ""}, False),
        (
            {"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]},
            {"a": "1"},
            False,
        ),
    ],
)
def test_label_selector_matches(
    selector: Mapping[str, Any] | None, labels: dict[str, str], matches: bool
) -> None:
    assert label_selector_matches(selector, labels) is matches


@pytest.mark.parametrize(
    "selector",
    [
        {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},  # not for pods
        {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
        {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
        {"matchLabels": {"a": "not a valid value!"}},
    ],
)
def test_label_selector_invalid(selector: Mapping[str, Any]) -> None:
    with pytest.raises(ValueError):
        label_selector_as_selector(selector)
