"""Kubernetes resource quantities, parsed and formatted as apimachinery does.

Mirrors ``k8s.io/apimachinery/pkg/api/resource/quantity.go`` (``ParseQuantity``,
``CanonicalizeBytes``, ``MilliValue``, ``Value``) and ``suffix.go``.

A quantity is ``<signedNumber><suffix>`` where the suffix is a binary SI suffix
(Ki Mi Gi Ti Pi Ei), a decimal SI suffix (n u m "" k M G T P E) or a decimal exponent
(``e3``, ``E-3``). The value is exact (a rational number held as an integer count of
nano-units) and is rounded *up*, away from zero, to nano precision on parse, as upstream
does. The format of the suffix that was parsed is kept for canonical re-serialisation:
``1.5`` prints as ``1500m`` and ``1.5Gi`` as ``1536Mi``.

Differences from upstream: no upper bound on magnitude (Python integers), and no
``inf.Dec`` fallback; values beyond int64 still format the same way.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import total_ordering
from typing import Literal

Format = Literal["DecimalSI", "BinarySI", "DecimalExponent"]

_NANO = 10**9

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {v: k for k, v in _DECIMAL.items()}
_BINARY_BY_EXP = {v: k for k, v in _BINARY.items()}

_NUMBER = re.compile(r"^([+-]?)(\d+\.?\d*|\.\d*)(.*)$")
_EXPONENT = re.compile(r"^[eE]([+-]?\d+)$")


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity (message as apimachinery's)."""


def _ceil_away(value: Fraction) -> int:
    """Round to an integer, away from zero (apimachinery's ``RoundUp``)."""
    return math.ceil(value) if value >= 0 else -math.ceil(-value)


@total_ordering
class Quantity:
    """An exact Kubernetes quantity; immutable and hashable.

    ``nanos`` is the value in units of 1e-9. Comparison and arithmetic are exact.
    """

    __slots__ = ("format", "nanos")

    def __init__(self, nanos: int, format: Format = "DecimalSI") -> None:
        self.nanos = int(nanos)
        self.format: Format = format

    # construction -------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str | int | float | Quantity) -> Quantity:
        """Parse like ``resource.ParseQuantity``.

        Ints and floats are accepted for convenience (YAML ``cpu: 1`` or ``cpu: 0.5``)
        and read through their decimal string. Raises :class:`QuantityError`.
        """
        if isinstance(text, Quantity):
            return text
        if isinstance(text, bool):
            raise QuantityError(f"quantities must match the regular expression, got {text!r}")
        if isinstance(text, int):
            return cls(text * _NANO, "DecimalSI")
        if isinstance(text, float):
            # YAML floats (cpu: 0.5) are read through their shortest decimal string.
            text = repr(text)
        if not isinstance(text, str):
            raise QuantityError(f"quantities must be strings, got {type(text).__name__}")
        m = _NUMBER.match(text)
        if not m:
            raise QuantityError("quantities must match the regular expression "
                                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
        sign, number, suffix = m.groups()
        value = Fraction(number) if number != "." else Fraction(0)
        fmt: Format
        if suffix in _BINARY:
            value *= 2 ** _BINARY[suffix]
            fmt = "BinarySI"
        elif suffix in _DECIMAL:
            value *= Fraction(10) ** _DECIMAL[suffix]
            fmt = "DecimalSI"
        else:
            e = _EXPONENT.match(suffix)
            if not e:
                raise QuantityError("unable to parse quantity's suffix")
            value *= Fraction(10) ** int(e.group(1))
            fmt = "DecimalExponent"
        if sign == "-":
            value = -value
        nanos = value * _NANO
        if fmt == "BinarySI" and nanos.denominator != 1:
            # Rounding a binary amount to nano precision leaves a decimal one (upstream's
            # "rounds up, changes format" case).
            fmt = "DecimalSI"
        return cls(_ceil_away(nanos), fmt)

    @classmethod
    def from_milli(cls, milli: int, format: Format = "DecimalSI") -> Quantity:
        """A quantity of ``milli`` thousandths (``resource.NewMilliQuantity``)."""
        return cls(int(milli) * 10**6, format)

    @classmethod
    def from_value(cls, value: int, format: Format = "DecimalSI") -> Quantity:
        """A quantity of ``value`` whole units (``resource.NewQuantity``)."""
        return cls(int(value) * _NANO, format)

    # accessors ----------------------------------------------------------------------
    def milli_value(self) -> int:
        """``MilliValue()``: thousandths, rounded up away from zero."""
        return _ceil_away(Fraction(self.nanos, 10**6))

    def value(self) -> int:
        """``Value()``: whole units, rounded up away from zero."""
        return _ceil_away(Fraction(self.nanos, _NANO))

    def as_fraction(self) -> Fraction:
        return Fraction(self.nanos, _NANO)

    def __float__(self) -> float:
        return self.nanos / _NANO

    def is_zero(self) -> bool:
        return self.nanos == 0

    # arithmetic ---------------------------------------------------------------------
    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.nanos + other.nanos, self.format)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self.nanos - other.nanos, self.format)

    def __mul__(self, k: int) -> Quantity:
        return Quantity(self.nanos * int(k), self.format)

    __rmul__ = __mul__

    def __neg__(self) -> Quantity:
        return Quantity(-self.nanos, self.format)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self.nanos == other.nanos
        return NotImplemented

    def __lt__(self, other: Quantity) -> bool:
        return self.nanos < other.nanos

    def __hash__(self) -> int:
        return hash(self.nanos)

    def cmp(self, other: Quantity) -> int:
        """``Cmp``: -1, 0 or 1."""
        return (self.nanos > other.nanos) - (self.nanos < other.nanos)

    # formatting ---------------------------------------------------------------------
    def __str__(self) -> str:
        return format_quantity(self)

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"


def _strip_tens(n: int, exponent: int) -> tuple[int, int]:
    while n != 0 and n % 10 == 0:
        n //= 10
        exponent += 1
    return n, exponent


def format_quantity(q: Quantity) -> str:
    """Canonical string, as ``Quantity.String()`` / ``CanonicalizeBytes``."""
    if q.nanos == 0:
        return "0"
    fmt = q.format
    if fmt == "BinarySI":
        frac = abs(q.nanos) % _NANO
        if -1024 < q.nanos / _NANO < 1024 or frac != 0:
            fmt = "DecimalSI"
    sign = "-" if q.nanos < 0 else ""
    n = abs(q.nanos)
    if fmt == "BinarySI":
        v = n // _NANO
        exp = 0
        while v % 1024 == 0 and exp < 60:
            v //= 1024
            exp += 10
        return f"{sign}{v}{_BINARY_BY_EXP.get(exp, '')}"
    mantissa, exponent = _strip_tens(n, -9)
    # make the exponent a multiple of three by growing the mantissa (AsCanonicalBytes)
    r = exponent % 3
    if r:
        mantissa *= 10**r
        exponent -= r
    if fmt == "DecimalSI" and exponent in _DECIMAL_BY_EXP:
        return f"{sign}{mantissa}{_DECIMAL_BY_EXP[exponent]}"
    if exponent == 0:
        return f"{sign}{mantissa}"
    return f"{sign}{mantissa}e{exponent}"


def parse_quantity(text: str | int | float | Quantity) -> Quantity:
    """``resource.ParseQuantity``; raises :class:`QuantityError`."""
    return Quantity.parse(text)


def must_parse(text: str | int | float) -> Quantity:
    """``resource.MustParse``: parse or raise :class:`QuantityError`."""
    return Quantity.parse(text)


def milli(text: str | int | float | Quantity) -> int:
    """Shorthand for ``parse_quantity(text).milli_value()``."""
    return Quantity.parse(text).milli_value()
