"""Tests for capacity.k8s.intstr, ported from apimachinery ``intstr_test.go``."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity.k8s.intstr import (
    IntOrStringError,
    get_int_or_percent_value_safely,
    get_scaled_value_from_int_or_percent,
    value_or_default,
)

# TestGetIntFromIntOrString: (input, expected value, expected is_percent) or error.
SAFE_CASES = [
    (200, 200, False),
    ("40%", 40, True),
]
SAFE_ERRORS = ["200", "30%0", "%", "a%", "a", "40#", "40%%"]


@pytest.mark.parametrize(("value", "number", "is_percent"), SAFE_CASES)
def test_get_int_or_percent_value_safely(value, number, is_percent):
    assert get_int_or_percent_value_safely(value) == (number, is_percent)


@pytest.mark.parametrize("value", SAFE_ERRORS)
def test_get_int_or_percent_value_safely_errors(value):
    with pytest.raises(IntOrStringError):
        get_int_or_percent_value_safely(value)


# TestGetIntFromIntOrPercent: (input, total, round_up, expected) ...
SCALED_CASES = [
    (123, 0, False, 123),  # ints are not scaled
    ("90%", 100, True, 90),
    ("90%", 95, True, 86),  # 85.5 -> 86
    ("90%", 95, False, 85),  # 85.5 -> 85
]
# ... and inputs that must fail.
SCALED_ERRORS = ["%", "90#", "#%", "90"]


@pytest.mark.parametrize(("value", "total", "round_up", "expected"), SCALED_CASES)
def test_get_scaled_value_from_int_or_percent(value, total, round_up, expected):
    assert get_scaled_value_from_int_or_percent(value, total, round_up) == expected


@pytest.mark.parametrize("value", SCALED_ERRORS)
def test_get_scaled_value_errors(value):
    with pytest.raises(IntOrStringError):
        get_scaled_value_from_int_or_percent(value, 100, True)


def test_nil_is_an_error():
    # TestGetValueFromIntOrPercentNil
    with pytest.raises(IntOrStringError):
        get_scaled_value_from_int_or_percent(None, 0, False)


# Hand-worked cases beyond the upstream table.
@pytest.mark.parametrize(
    ("value", "total", "round_up", "expected"),
    [
        ("80%", 1, True, 1),  # 0.8 -> 1 (Knative activator PDB with one replica)
        ("80%", 1, False, 0),
        ("25%", 3, True, 1),  # 0.75 -> 1
        ("25%", 3, False, 0),
        ("34%", 3, True, 2),  # 1.02 -> 2
        ("28%", 22, True, 7),  # 6.16 -> 7
        ("0%", 10, True, 0),
        ("100%", 7, False, 7),
        ("+5%", 100, True, 5),  # Go's Atoi accepts a sign
        ("-5%", 100, True, -5),
        (-3, 10, True, -3),
    ],
)
def test_hand_worked(value, total, round_up, expected):
    assert get_scaled_value_from_int_or_percent(value, total, round_up) == expected


@pytest.mark.parametrize("value", [" 5%", "5 %", "1_0%", "5.5%", True, 1.5, None])
def test_python_int_leniency_is_rejected(value):
    # Python's int() accepts spaces and underscores; Go's Atoi does not.
    with pytest.raises(IntOrStringError):
        get_int_or_percent_value_safely(value)


def test_value_or_default():
    assert value_or_default(None, 0) == 0
    assert value_or_default("25%", 0) == "25%"


@given(st.integers(0, 1000), st.integers(0, 100_000))
def test_integer_rounding_matches_float_formula(pct, total):
    # Upstream computes math.Ceil/Floor(float64(v)*float64(total)/100).
    value = f"{pct}%"
    assert get_scaled_value_from_int_or_percent(value, total, True) == math.ceil(pct * total / 100)
    assert get_scaled_value_from_int_or_percent(value, total, False) == math.floor(
        pct * total / 100
    )
