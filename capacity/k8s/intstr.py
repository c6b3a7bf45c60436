"""``IntOrString`` arithmetic: absolute counts or percentages of a total.

Mirrors ``kubernetes/apimachinery`` ``pkg/util/intstr/intstr.go`` (vendored in
``kubernetes/kubernetes`` as ``staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go``).

An ``IntOrString`` is written in Python as ``int`` (the ``Int`` variant) or ``str`` (the
``String`` variant), exactly as it appears in YAML: ``maxSurge: 1`` vs ``maxSurge: "25%"``.
"""

from __future__ import annotations

import re

IntOrString = int | str
"""``intstr.IntOrString``: an ``int`` or a ``str`` such as ``"25%"``."""

# Go's strconv.Atoi (base 10): optional sign then ASCII digits only; no spaces, no "_",
# which Python's int() would accept.
_ATOI = re.compile(r"[+-]?[0-9]+")


class IntOrStringError(ValueError):
    """An ``IntOrString`` that is neither an int nor a ``"<int>%"`` string."""


def get_int_or_percent_value_safely(value: IntOrString) -> tuple[int, bool]:
    """``getIntOrPercentValueSafely``: ``(number, is_percent)``.

    An ``int`` is returned as is; a ``str`` must be ``"<int>%"`` (exactly one trailing
    ``%``). Raises :class:`IntOrStringError` otherwise (``"50"``, ``"a%"``, ``"40%%"``).
    """
    # bool is an int subclass in Python but is never a valid IntOrString.
    if isinstance(value, bool):
        raise IntOrStringError(f"invalid type: neither int nor percentage: {value!r}")
    if isinstance(value, int):
        return value, False
    if isinstance(value, str):
        if not value.endswith("%"):
            raise IntOrStringError(f"invalid type: string is not a percentage: {value!r}")
        digits = value[:-1]
        if not _ATOI.fullmatch(digits):
            raise IntOrStringError(f"invalid value {value!r}")
        return int(digits), True
    raise IntOrStringError(f"invalid type: neither int nor percentage: {value!r}")


def get_scaled_value_from_int_or_percent(
    value: IntOrString | None, total: int, round_up: bool
) -> int:
    """``GetScaledValueFromIntOrPercent``: ``value`` itself, or ``value``% of ``total``.

    Percentages round up (ceil) when ``round_up`` else down (floor). Integer arithmetic
    gives the same result as upstream's float64 ``math.Ceil/Floor(v*total/100)`` for all
    realistic sizes. Raises :class:`IntOrStringError` for ``None`` or a malformed value.
    """
    if value is None:
        raise IntOrStringError("nil value for IntOrString")
    number, is_percent = get_int_or_percent_value_safely(value)
    if not is_percent:
        return number
    product = number * total
    return -((-product) // 100) if round_up else product // 100


def value_or_default(value: IntOrString | None, default: IntOrString) -> IntOrString:
    """``ValueOrDefault``: ``value`` unless it is ``None``."""
    return default if value is None else value
