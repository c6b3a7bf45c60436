"""Durations as scenario files write them: ``15s``, ``5m``, ``1h30m``, ``7d``, ``200ms``.

A bare number is seconds. Units: ms, s, m, h, d, w. Negative or malformed values are
rejected with a message naming the rule.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from capacity.scenario.rules import MAX_DURATION

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(value: Any) -> float:
    """Seconds from ``15s``, ``1h30m``, ``7d``, ``0.5s`` or a number of seconds.

    Raises ValueError for negative, non-finite, malformed or absurdly long values
    (more than :data:`~capacity.scenario.rules.MAX_DURATION`, a thousand years).
    """
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 15s, 5m, 1h30m or 7d")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond any float
            raise ValueError("must be at most 1000 years (365000d)") from None
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 100:
            raise ValueError("must be a duration such as 15s, 5m, 1h30m or 7d (at most 100 "
                             "characters)")
        if text.startswith("-"):
            raise ValueError("must be a non-negative duration")
        try:
            seconds = float(text)
        except ValueError:
            pos = 0
            seconds = 0.0
            if not text:
                raise ValueError("must be a duration such as 15s, 5m, 1h30m or 7d") from None
            for m in _PART.finditer(text):
                if m.start() != pos:
                    break
                seconds += float(m.group(1)) * _UNITS[m.group(2)]
                pos = m.end()
            if pos != len(text):
                raise ValueError("must be a duration such as 15s, 5m, 1h30m or 7d") from None
    else:
        raise ValueError("must be a duration such as 15s, 5m, 1h30m or 7d")
    if not math.isfinite(seconds):
        raise ValueError("must be a finite duration")
    if seconds < 0:
        raise ValueError("must be a non-negative duration")
    if seconds > MAX_DURATION:
        raise ValueError("must be at most 1000 years (365000d)")
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form: ``90`` → ``1m30s``; ``604800`` → ``7d``."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    s = int(seconds)
    if s == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size:
            out.append(f"{s // size}{unit}")
            s %= size
    return "".join(out)


def human_duration(seconds: float | None) -> str:
    """For people: ``47.5`` → ``47.5 s``, ``5400`` → ``1 h 30 min``, ``183600`` → ``2 d 3 h``.

    At most two units, the larger first (the smaller rounded); under a minute, seconds
    with one decimal; under a second, milliseconds. None or NaN → ``–``.
    """
    if seconds is None or not math.isfinite(seconds):
        return "–"
    sign = "-" if seconds < 0 else ""
    s = abs(float(seconds))
    if s == 0:
        return "0 s"
    if s < 1:
        return f"{sign}{s * 1000:.3g} ms"
    if s < 59.95:  # what rounds to 60.0 s reads as 1 min
        return f"{sign}{s:.1f}".removesuffix(".0") + " s"
    s = max(s, 60.0)
    units = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
    i = next(k for k, (_, size) in enumerate(units) if s >= size)
    big_unit, big_size = units[i]
    small_unit, small_size = units[i + 1]
    big = int(s // big_size)
    small = round((s - big * big_size) / small_size)
    if small * small_size >= big_size:  # 1 h 59.7 min rounds to 2 h
        big, small = big + 1, 0
        if i > 0 and big * big_size >= units[i - 1][1]:  # 59 min 59.9 s rounds to 1 h
            return human_duration((-1 if sign else 1) * big * big_size)
    return sign + f"{big} {big_unit}" + (f" {small} {small_unit}" if small else "")


#: A duration as written: a number of seconds, or parts like ``1h30m``, ``200ms``, ``7d``.
DURATION_PATTERN = r"^\s*(\d+(\.\d+)?|(\d+(\.\d+)?(ms|s|m|h|d|w))+)\s*$"
DURATION_JSON_SCHEMA = {
    "anyOf": [{"type": "string", "pattern": DURATION_PATTERN},
              {"type": "number", "minimum": 0}],
    "description": "A duration: 15s, 5m, 1h30m, 200ms, 7d, or a number of seconds.",
}

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema(DURATION_JSON_SCHEMA, mode="validation"),
]
"""A duration field: accepts strings or numbers, holds float seconds."""
