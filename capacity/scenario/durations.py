"""Durations as scenario files write them: ``15s``, ``5m``, ``1h30m``, ``7d``, ``200ms``.

A bare number is seconds. Units: ms, s, m, h, d, w. Negative or malformed values are
rejected with a message naming the rule.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(value: Any) -> float:
    """Seconds from ``15s``, ``1h30m``, ``7d``, ``0.5s`` or a number of seconds.

    Raises ValueError for negative, non-finite or malformed values.
    """
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 15s, 5m, 1h30m or 7d")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
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


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A duration field: accepts strings or numbers, holds float seconds."""
