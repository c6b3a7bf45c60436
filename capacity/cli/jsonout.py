"""JSON as the commands print and write it: standard, and readable.

Floats are rounded to 12 significant digits, far below any figure's interval but enough to
print ``0.999`` rather than ``0.9990000000000001``; NaN and infinities (not JSON) become
``null``. numpy scalars are written as numbers. The Python API keeps full precision.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

SIGNIFICANT_DIGITS = 12


def _clean(x: Any) -> Any:
    if isinstance(x, bool) or x is None or isinstance(x, (int, str)):
        return x
    if isinstance(x, float):
        return float(f"{x:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(x) else None
    if isinstance(x, dict):
        return {_key(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    np = sys.modules.get("numpy")  # not imported here: without numpy there are no numpy values
    if np is not None and isinstance(x, np.floating):  # float(): long double's item() stays numpy
        return _clean(float(x))
    if np is not None and isinstance(x, np.integer | np.bool_):
        return x.item()
    if hasattr(x, "tolist"):  # a numpy array (or pandas object)
        return _clean(x.tolist())
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def _key(k: Any) -> Any:
    """A mapping key as JSON allows it (numpy integers as Python ones)."""
    np = sys.modules.get("numpy")
    return k.item() if np is not None and isinstance(k, np.generic) else k


def dumps(obj: Any, indent: int | None = 2) -> str:
    """``obj`` as JSON text (see the module docstring). Raises TypeError for other types."""
    return json.dumps(_clean(obj), indent=indent, allow_nan=False)
