"""How the report writes numbers: money, shares, intervals, durations and quantities.

One rule throughout: a figure carries its unit, and figures that are compared (used against
hard, one scenario against another) are written in the same unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from capacity.k8s.quantity import Quantity
from capacity.report.document import NO_INTERVAL
from capacity.report.timeline import duration_text

GIB = 2.0**30


def missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def money(x: float | None) -> str:
    if missing(x):
        return "–"
    return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.4f}"  # type: ignore[arg-type]


def pct(x: float | None, digits: int = 3) -> str:
    if missing(x):
        return "–"
    return f"{x * 100:.{digits}f}%"  # type: ignore[operator]


def near_one(x: float | None) -> str:
    """A share close to 100% with enough decimals to show how close: 99.99994%."""
    if missing(x):
        return "–"
    gap = 1.0 - float(x)  # type: ignore[arg-type]
    if gap <= 0:
        return "100%"
    decimals = min(max(math.ceil(-math.log10(gap) - 1e-9) - 1, 1), 5)
    text = f"{float(x) * 100:.{decimals}f}%"  # type: ignore[arg-type]
    if text.startswith("100."):  # closer to 100% than the decimals show: say so
        return f"> {100 - 10**-decimals:.{decimals}f}%"
    return text


def interval(ci: Sequence[float] | None, fmt: Callable[[float], str] = money) -> str:
    return NO_INTERVAL if not ci else f"[{fmt(ci[0])}, {fmt(ci[1])}]"


def with_interval(mean: float | None, ci: Sequence[float] | None,
                  fmt: Callable[[float], str] = money) -> str:
    """``35.57 [35.19, 35.92]``, or the mean alone without an interval."""
    return fmt(mean) if not ci else f"{fmt(mean)} {interval(ci, fmt)}"  # type: ignore[arg-type]


def seconds(x: float | None) -> str:
    """A latency: ``850 ms``, ``1.53 s``."""
    if missing(x):
        return "–"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"  # type: ignore[operator]


def count(x: float | None, unit: str = "") -> str:
    if missing(x):
        return "–"
    v = float(x)  # type: ignore[arg-type]
    if 0 < abs(v) < 0.01:
        return f"< 0.01 {unit}".strip()
    text = f"{v:,.0f}" if abs(v) >= 100 or v == int(v) else f"{v:,.2g}" if abs(v) < 1 \
        else f"{v:,.1f}"
    return f"{text} {unit}".strip()


def duration(x: float | None) -> str:
    return "–" if missing(x) else duration_text(float(x))  # type: ignore[arg-type]


# --- quantities: one unit per resource ----------------------------------------------------


def resource_unit(resource: str) -> tuple[str, Callable[[Quantity], float]]:
    """The unit a quota resource is written in, and the conversion of a quantity to it:
    cores for CPU, GiB for memory and storage, a count for everything else (pods, services,
    ...)."""
    name = resource.lower()
    if "cpu" in name:
        return "cores", lambda q: q.milli_value() / 1000.0
    if "memory" in name or "storage" in name or "hugepages-" in name:
        return "GiB", lambda q: q.value() / GIB
    return "count", lambda q: float(q.value())


def number(v: float) -> str:
    """Up to three decimals, trailing zeros dropped: 2.5, 17.5, 0.125, 40."""
    if v == int(v):
        return f"{int(v):,}"
    return f"{v:,.3f}".rstrip("0").rstrip(".")


def quota_row(resource: str, used: str, hard: str) -> list[str]:
    """``[resource, unit, used, hard, headroom, used share]``, all in one unit."""
    unit, conv = resource_unit(resource)
    try:
        u, h = conv(Quantity.parse(str(used))), conv(Quantity.parse(str(hard)))
    except (ValueError, TypeError):
        return [resource, unit, str(used), str(hard), "–", "–"]
    share = pct(u / h, 1) if h > 0 else "–"
    return [resource, unit, number(u), number(h), number(h - u), share]


def amount(resource: str, value: Any) -> str:
    """A container resource amount in its unit: ``180m`` CPU as ``0.18 cores``, memory in
    MiB or GiB. Strings are Kubernetes quantities; numbers are millicores for CPU and
    bytes for memory (the VPA recommender's units)."""
    if value is None:
        return "–"
    try:
        if isinstance(value, str):
            q = Quantity.parse(value)
            cores, nbytes = q.milli_value() / 1000.0, q.value()
        else:
            cores, nbytes = float(value) / 1000.0, float(value)
    except (ValueError, TypeError):
        return str(value)
    if resource == "cpu":
        return f"{number(round(cores, 3))} cores"
    if resource in ("memory", "ephemeral-storage"):
        return (f"{number(round(nbytes / GIB, 2))} GiB" if nbytes >= GIB
                else f"{number(round(nbytes / 2**20, 1))} MiB")
    return str(value)


# --- differences ---------------------------------------------------------------------------


MINUS = "−"


def _signed(d: float, text: str) -> str:
    return ("+" if d > 0 else MINUS) + text


def diff_points(a: float | None, b: float | None, digits: int = 3) -> str:
    """Difference of two shares in percentage points: ``+0.012 pp``."""
    if missing(a) or missing(b):
        return "–"
    d = (b - a) * 100  # type: ignore[operator]
    if abs(d) < 0.5 * 10**-digits:
        return "±0 pp"
    return _signed(d, f"{abs(d):.{digits}f} pp")


def diff_relative(a: float | None, b: float | None, fmt: Callable[[float], str] = money,
                  unit: str = "") -> str:
    """Difference of two amounts, absolute and relative: ``−12.34 (−34.7%)``; ``±0`` when
    both read the same in ``fmt``; a factor (``×27``) beyond ten times."""
    if missing(a) or missing(b):
        return "–"
    d = b - a  # type: ignore[operator]
    if fmt(a) == fmt(b) or abs(d) < 1e-12:  # type: ignore[arg-type]
        return "±0"
    rel = ""
    if a:
        r = d / a  # type: ignore[operator]
        rel = f" ({_signed(r, f'{abs(r):.1%}')})" if abs(r) <= 10 else f" (×{b / a:,.3g})"  # type: ignore[operator]
    return _signed(d, f"{fmt(abs(d))}{(' ' + unit) if unit else ''}") + rel
