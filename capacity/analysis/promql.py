"""PromQL over simulated series, evaluated as Prometheus 2.42 evaluates it.

Two parts:

* :class:`SeriesStore`: the simulated series, one :class:`Series` per label set (with
  ``__name__``), samples as numpy arrays (timestamps in seconds in the API, whole
  milliseconds inside, as the TSDB keeps them). A sample whose value is :data:`STALE_NAN`
  is a staleness marker, as the scrape loop writes when a series disappears.
* :class:`Query`: an expression parsed with the ``promql-parser`` package, checked against
  what this evaluator supports, then evaluated at an instant (:meth:`Query.instant`) or at
  many evaluation timestamps at once (:meth:`Query.range`), vectorised over the timestamps.
  Evaluating at many timestamps gives, at every timestamp, what an instant query at that
  time returns (the rule manager's view), which is also what ``/api/v1/query_range``
  returns.

Semantics follow ``promql/engine.go`` and ``promql/functions.go`` of Prometheus v2.42 (the
version ``promtool`` and ``prometheus`` of the test machine are), cross-checked against
them in ``tests/analysis/test_promql_prometheus.py``:

* an instant selector takes, per series, the newest sample at or before ``t - offset`` and
  no older than the lookback delta (5 min; the window is closed at both ends in 2.x), and
  drops the series when that sample is a staleness marker;
* a range selector takes the samples in ``[t - offset - range, t - offset]`` (closed at
  both ends in 2.x), without staleness markers;
* ``rate``/``increase``/``delta`` extrapolate as ``extrapolatedRate`` does (2.42 order:
  the counter's zero point caps the start extrapolation before the 1.1 × average-interval
  threshold is applied);
* sums, means and Kahan sums are accumulated in the same order and with the same
  arithmetic, so values agree with Prometheus to float rounding (series order inside an
  aggregation may differ from Prometheus', which changes the last bits of a sum).

Supported: number literals, parentheses, instant selectors with ``= != =~ !~`` matchers
(regexes anchored at both ends), range selectors as function arguments, ``offset``
(negative too); ``rate irate increase delta idelta`` and ``avg_ min_ max_ sum_ count_
last_ present_ stddev_ stdvar_over_time``; ``sum avg min max count group stddev stdvar``
with ``by``/``without``; ``+ - * / % ^ atan2``, ``== != > < >= <=`` with and without
``bool``, ``and or unless``, between vectors (one-to-one, ``on``/``ignoring``,
``group_left``/``group_right`` with copied labels) or with scalars; unary minus; ``abs
ceil floor exp sqrt ln log2 log10 sgn round clamp clamp_min clamp_max scalar vector time
absent`` and ``histogram_quantile`` over classic ``le`` buckets. The metric name is
dropped by arithmetic (not by ``atan2`` or comparisons without ``bool``) and by functions
other than ``last_over_time``, as in 2.42.

Anything else (subqueries, ``@``, ``topk``/``bottomk``/``quantile``/``count_values``, other
functions, native histograms) raises :class:`UnsupportedPromQL` naming the expression and
the construct when the query is built: never a silently wrong or empty answer. Errors
Prometheus raises while evaluating (many-to-many matching, duplicate label sets) raise
:class:`PromQLError`, at the first step where they occur.

Regexes are compiled by Python's ``re``, which agrees with Go's RE2 on the usual syntax;
a pattern ``re`` does not know (``\\pL``) raises PromQLError rather than matching wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import promql_parser as pp

__all__ = [
    "LOOKBACK_DELTA",
    "STALE_NAN",
    "InstantSample",
    "PromQLError",
    "Query",
    "RangeResult",
    "ResultSeries",
    "Series",
    "SeriesStore",
    "UnsupportedPromQL",
    "is_stale",
    "query_instant",
    "query_range",
    "to_ms",
]

#: Prometheus' default lookback delta (``--query.lookback-delta``), seconds.
LOOKBACK_DELTA = 300.0

_STALE_BITS = np.uint64(0x7FF0000000000002)  # value.StaleNaN in model/value/value.go
#: The staleness marker: a NaN with a payload that ordinary arithmetic never produces.
STALE_NAN: float = float(np.array([_STALE_BITS], dtype=np.uint64).view(np.float64)[0])

_METRIC_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

Labels = tuple[tuple[str, str], ...]
"""A label set: ``(name, value)`` pairs sorted by name, no empty values (Prometheus drops
them), hashable. Sorting these tuples orders series as ``labels.Compare`` does."""


class PromQLError(ValueError):
    """An expression cannot be evaluated (Prometheus would fail the query too)."""


class UnsupportedPromQL(PromQLError):
    """The expression uses a construct this evaluator does not implement."""

    def __init__(self, expr: str, construct: str) -> None:
        super().__init__(f"unsupported PromQL in {expr!r}: {construct}")
        self.expr = expr
        self.construct = construct


def is_stale(values: np.ndarray | float) -> np.ndarray:
    """Which values are staleness markers (bit-exact :data:`STALE_NAN`)."""
    a = np.asarray(values, dtype=np.float64)
    return a.view(np.uint64) == _STALE_BITS


def to_ms(seconds: Any) -> np.ndarray:
    """Seconds → whole milliseconds (int64), rounded to nearest as the API does."""
    a = np.asarray(seconds, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("timestamps must be finite")
    return np.rint(a * 1000.0).astype(np.int64)


def _td_ms(td: timedelta) -> int:
    return td // timedelta(milliseconds=1)


def _labels_of(mapping: Mapping[str, str]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in mapping.items() if v != ""))


def _get(labels: Labels, name: str) -> str:
    for k, v in labels:
        if k == name:
            return v
    return ""


def _drop_name(labels: Labels) -> Labels:
    return tuple(p for p in labels if p[0] != "__name__")


def _fmt_labels(labels: Labels) -> str:
    name = _get(labels, "__name__")
    rest = ", ".join(f'{k}="{v}"' for k, v in labels if k != "__name__")
    return f"{name}{{{rest}}}"


# --- the series store ----------------------------------------------------------------------


class Series:
    """One series: its label set and its samples (``t_ms`` int64 ms, ``v`` float64).

    Timestamps strictly increase. Staleness markers are samples valued :data:`STALE_NAN`.
    Appended chunks are joined when the samples are first read (appending one scrape at a
    time stays linear).
    """

    __slots__ = ("_clean", "_last", "_parts", "_resets", "_shared", "labels")

    def __init__(self, labels: Labels, t_ms: np.ndarray, v: np.ndarray) -> None:
        self.labels = labels
        self._parts: list[tuple[np.ndarray, np.ndarray]] = [(t_ms, v)]
        self._last: int | None = int(t_ms[-1]) if len(t_ms) else None
        self._shared = False
        self._clean: tuple[np.ndarray, np.ndarray] | None = None
        self._resets: np.ndarray | None = None

    def _joined(self) -> tuple[np.ndarray, np.ndarray]:
        if len(self._parts) > 1:
            self._parts = [(np.concatenate([t for t, _ in self._parts]),
                            np.concatenate([v for _, v in self._parts]))]
        return self._parts[0]

    @property
    def t_ms(self) -> np.ndarray:
        """Sample timestamps, int64 milliseconds."""
        return self._joined()[0]

    @property
    def v(self) -> np.ndarray:
        """Sample values."""
        return self._joined()[1]

    @property
    def name(self) -> str:
        """The metric name (``__name__``)."""
        return _get(self.labels, "__name__")

    @property
    def label_dict(self) -> dict[str, str]:
        """The label set as a dict (with ``__name__``)."""
        return dict(self.labels)

    @property
    def t(self) -> np.ndarray:
        """Sample timestamps in seconds."""
        return self.t_ms / 1000.0

    def _append(self, t_ms: np.ndarray, v: np.ndarray) -> None:
        self._parts.append((t_ms, v))
        self._last = int(t_ms[-1])
        self._clean = None
        self._resets = None

    def _copy(self) -> Series:
        return Series(self.labels, *self._joined())

    def clean(self) -> tuple[np.ndarray, np.ndarray]:
        """Samples without staleness markers (what range selectors see)."""
        if self._clean is None:
            t, v = self._joined()
            keep = ~is_stale(v)
            self._clean = (t, v) if keep.all() else (t[keep], v[keep])
        return self._clean

    def resets(self) -> np.ndarray:
        """Indices ``j`` of the clean samples where ``v[j] < v[j-1]`` (counter resets)."""
        if self._resets is None:
            _, v = self.clean()
            self._resets = np.flatnonzero(v[1:] < v[:-1]) + 1
        return self._resets

    def __repr__(self) -> str:
        return f"Series({_fmt_labels(self.labels)}, {len(self.t_ms)} samples)"


class SeriesStore:
    """The simulated series, indexed by metric name.

    ``scrape_interval`` (seconds) is informational: the interval the samples were taken at.
    """

    def __init__(self, scrape_interval: float | None = None) -> None:
        self.scrape_interval = scrape_interval
        self._by_key: dict[Labels, Series] = {}
        self._by_name: dict[str, list[Series]] = {}

    def add(self, labels: Mapping[str, str], t: Any, v: Any, *, t_ms: np.ndarray | None = None,
            copy: bool = True) -> Series:
        """Add samples (``t`` in seconds, ``v`` values) to the series ``labels``.

        ``labels`` must hold ``__name__``; empty label values are dropped as Prometheus
        drops them. Calling again with the same labels appends (the new samples must be
        later than the ones already there), so a long run can be added chunk by chunk.
        Timestamps are rounded to whole milliseconds and must strictly increase.

        ``t_ms`` (int64 whole milliseconds; pass ``t=None``) replaces ``t`` when the caller
        has them already, so series sampled together can share one array: the caller
        vouches that they strictly increase (not checked again for each series).
        ``copy=False`` keeps the arrays given (the store never writes into them).
        Raises ValueError for bad names, lengths or timestamps, or both ``t`` and ``t_ms``.
        """
        key = _labels_of(labels)
        name = _get(key, "__name__")
        if not _METRIC_NAME_RE.fullmatch(name):
            raise ValueError(f"series {dict(labels)}: bad or missing metric name {name!r}")
        for k, _ in key:
            if k != "__name__" and not _LABEL_NAME_RE.fullmatch(k):
                raise ValueError(f"series {_fmt_labels(key)}: bad label name {k!r}")
        checked = t_ms is not None
        if t_ms is None:
            t_ms = np.atleast_1d(to_ms(t))
        elif t is not None or t_ms.dtype != np.int64:
            raise ValueError(f"series {_fmt_labels(key)}: t_ms must be int64 milliseconds "
                             "given instead of t, not with it")
        vv = np.atleast_1d(np.asarray(v, dtype=np.float64))
        if t_ms.shape != vv.shape or t_ms.ndim != 1:
            raise ValueError(f"series {_fmt_labels(key)}: {t_ms.shape} timestamps, {vv.shape} values")
        if not checked and len(t_ms) > 1 and not np.all(np.diff(t_ms) > 0):
            raise ValueError(f"series {_fmt_labels(key)}: timestamps must strictly increase "
                             "(after rounding to milliseconds)")
        s = self._by_key.get(key)
        if s is None:
            s = Series(key, t_ms.copy() if copy else t_ms, vv.copy() if copy else vv)
            self._by_key[key] = s
            self._by_name.setdefault(name, []).append(s)
        elif len(t_ms):
            if s._last is not None and t_ms[0] <= s._last:
                raise ValueError(f"series {_fmt_labels(key)}: appended samples start at "
                                 f"{t_ms[0] / 1000}s, not after {s._last / 1000}s")
            if s._shared:
                # Copy on write: another store (an overlay) holds this object too.
                s = s._copy()
                self._by_key[key] = s
                same = self._by_name[name]
                same[next(i for i, x in enumerate(same) if x.labels == key)] = s
            s._append(t_ms.copy() if copy else t_ms, vv.copy() if copy else vv)
        return s

    def overlay(self) -> SeriesStore:
        """A new store holding these series (shared, not copied); what is added to the new
        store does not appear in this one."""
        out = SeriesStore(self.scrape_interval)
        for series in self._by_key.values():
            series._shared = True
        out._by_key = dict(self._by_key)
        out._by_name = {k: list(v) for k, v in self._by_name.items()}
        return out

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[Series]:
        return iter(sorted(self._by_key.values(), key=lambda s: s.labels))

    def names(self) -> list[str]:
        """Metric names, sorted."""
        return sorted(self._by_name)

    def get(self, labels: Mapping[str, str]) -> Series | None:
        """The series with exactly these labels, or None."""
        return self._by_key.get(_labels_of(labels))

    def time_span(self) -> tuple[float, float] | None:
        """(first, last) sample time over all series in seconds, None when empty."""
        ts = [(s.t_ms[0], s.t_ms[-1]) for s in self._by_key.values() if len(s.t_ms)]
        if not ts:
            return None
        return min(a for a, _ in ts) / 1000.0, max(b for _, b in ts) / 1000.0

    def select(self, matchers: Sequence[tuple[str, str, str]]) -> list[Series]:
        """Series matching every ``(label, op, value)`` matcher (op ``= != =~ !~``),
        sorted by label set. Regexes are fully anchored; a missing label matches ``""``."""
        fns = [_matcher_fn(n, op, val) for n, op, val in matchers]
        names = [val for n, op, val in matchers if n == "__name__" and op == "="]
        pool: Iterable[Series]
        pool = self._by_name.get(names[0], []) if names else self._by_key.values()
        out = [s for s in pool if all(f(s.labels) for f in fns)]
        out.sort(key=lambda s: s.labels)
        return out


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        # labels.NewFastRegexMatcher anchors the pattern at both ends.
        # In 2.x "." does not match a newline (no (?s) flag), as in Python by default;
        # RE2's \d \w \s \b are ASCII-only, hence re.ASCII.
        # Leading inline flags ("(?i)...") apply to the whole pattern in RE2; Python wants
        # global flags first, so they move in front of the anchoring group.
        m = re.match(r"\(\?([imsU]+)\)", pattern)
        flags, body = (f"(?{m[1]})", pattern[m.end():]) if m and "U" not in m[1] else ("", pattern)
        return re.compile(f"{flags}(?:{body})", re.ASCII)
    except re.error as e:
        raise PromQLError(f"regex {pattern!r}: {e}") from e


def _matcher_fn(name: str, op: str, value: str) -> Callable[[Labels], bool]:
    if op == "=":
        return lambda ls: _get(ls, name) == value
    if op == "!=":
        return lambda ls: _get(ls, name) != value
    rx = _regex(value)
    if op == "=~":
        return lambda ls: rx.fullmatch(_get(ls, name)) is not None
    if op == "!~":
        return lambda ls: rx.fullmatch(_get(ls, name)) is None
    raise ValueError(f"unknown matcher operator {op!r}")


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultSeries:
    """One output series: labels, and the evaluation times (s) where it has a value."""

    labels: dict[str, str]
    t: np.ndarray
    v: np.ndarray


@dataclass(frozen=True)
class InstantSample:
    """One element of an instant vector."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class RangeResult:
    """The value of an expression at every evaluation time ``times`` (seconds).

    ``kind`` is ``"vector"`` (then ``series``, sorted by labels, holds each output series at
    the times it is present) or ``"scalar"`` (then ``scalar`` holds one value per time).
    """

    expr: str
    times: np.ndarray
    kind: str
    series: list[ResultSeries] = field(default_factory=list)
    scalar: np.ndarray | None = None

    def dense(self, labels: Mapping[str, str]) -> np.ndarray:
        """The series with exactly ``labels`` as one value per evaluation time, NaN where
        absent (an all-NaN array when there is no such series)."""
        out = np.full(len(self.times), np.nan)
        want = _labels_of(labels)
        for s in self.series:
            if _labels_of(s.labels) == want:
                idx = np.searchsorted(self.times, s.t)
                out[idx] = s.v
        return out


# --- the evaluator -------------------------------------------------------------------------


@dataclass
class _Vec:
    """An instant vector at k steps: n label sets, values (n, k), presence (n, k)."""

    labels: list[Labels]
    v: np.ndarray
    p: np.ndarray

    @staticmethod
    def empty(k: int) -> _Vec:
        return _Vec([], np.zeros((0, k)), np.zeros((0, k), dtype=bool))


@dataclass
class _Scal:
    v: np.ndarray


_Value = _Vec | _Scal


@dataclass
class _Ctx:
    store: SeriesStore
    ts: np.ndarray  # evaluation timestamps of this chunk, int64 ms
    lookback: int  # ms
    expr: str


_RANGE_FUNCS = {
    "rate", "increase", "delta", "irate", "idelta",
    "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time",
    "last_over_time", "present_over_time", "stddev_over_time", "stdvar_over_time",
}
_MATH_FUNCS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "abs": np.abs, "ceil": np.ceil, "floor": np.floor, "exp": np.exp, "sqrt": np.sqrt,
    "ln": np.log, "log2": np.log2, "log10": np.log10, "sgn": np.sign,
}
_AGGREGATIONS = {"sum", "avg", "min", "max", "count", "group", "stddev", "stdvar"}
_ARITH = {"+", "-", "*", "/", "%", "^", "atan2"}
# shouldDropMetricName (engine.go, v2.42): atan2 keeps the name.
_DROPS_NAME = {"+", "-", "*", "/", "%", "^"}
_COMPARE = {"==", "!=", ">", "<", ">=", "<="}
_SETOPS = {"and", "or", "unless"}
# Steps evaluated together; bounds the (series × steps) arrays of one chunk.
_CHUNK_STEPS = 2048


def _unparen(node: Any) -> Any:
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def _op(node: Any) -> str:
    return str(node.op).strip()


class Query:
    """A parsed, checked PromQL expression.

    Raises :class:`PromQLError` when the text does not parse and
    :class:`UnsupportedPromQL` when it uses a construct not implemented here.
    """

    def __init__(self, expr: str) -> None:
        self.expr = expr
        try:
            self._ast = pp.parse(expr)
        except ValueError as e:
            raise PromQLError(f"cannot parse {expr!r}: {e}") from e
        self.kind = self._check(self._ast)
        if self.kind not in ("vector", "scalar"):
            raise UnsupportedPromQL(expr, f"a {self.kind} result (range selectors are only "
                                          "supported as arguments of range functions)")

    def __repr__(self) -> str:
        return f"Query({self.expr!r})"

    def metric_names(self) -> set[str] | None:
        """The metric names the expression's selectors read, or None when a selector
        names none exactly (``{__name__=~"..."}``): then any series may be read."""
        names: set[str] = set()
        todo = [self._ast]
        while todo:
            node = todo.pop()
            if isinstance(node, pp.VectorSelector):
                exact = [v for k, op, v in _matchers(node) if k == "__name__" and op == "="]
                if not exact:
                    return None
                names.update(exact)
            elif isinstance(node, pp.MatrixSelector):
                todo.append(node.vector_selector)
            elif isinstance(node, pp.BinaryExpr):
                todo += [node.lhs, node.rhs]
            elif isinstance(node, pp.Call):
                todo += list(node.args)
            elif isinstance(node, pp.AggregateExpr):
                todo += [x for x in (node.expr, node.param) if x is not None]
            elif isinstance(node, pp.ParenExpr | pp.UnaryExpr | pp.SubqueryExpr):
                todo.append(node.expr)
            elif not isinstance(node, pp.NumberLiteral | pp.StringLiteral):
                return None  # a node this walk does not know: assume it reads anything
        return names

    # - checking -

    def _no(self, construct: str) -> UnsupportedPromQL:
        return UnsupportedPromQL(self.expr, construct)

    def _check(self, node: Any) -> str:
        """Type of ``node`` (vector, scalar, matrix, string); raises for unsupported parts."""
        if isinstance(node, pp.ParenExpr):
            return self._check(node.expr)
        if isinstance(node, pp.NumberLiteral):
            return "scalar"
        if isinstance(node, pp.StringLiteral):
            return "string"
        if isinstance(node, pp.VectorSelector):
            if node.at is not None:
                raise self._no(f"the @ modifier in {node}")
            if node.matchers.or_matchers:
                raise self._no(f"'or' inside label matchers in {node}")
            return "vector"
        if isinstance(node, pp.MatrixSelector):
            self._check(node.vector_selector)
            return "matrix"
        if isinstance(node, pp.SubqueryExpr):
            raise self._no(f"subquery {node}")
        if isinstance(node, pp.UnaryExpr):
            t = self._check(node.expr)
            if t not in ("vector", "scalar"):
                raise self._no(f"unary minus on a {t}")
            return t
        if isinstance(node, pp.AggregateExpr):
            op = _op(node)
            if op not in _AGGREGATIONS:
                raise self._no(f"aggregation {op}()")
            if node.param is not None:
                raise self._no(f"a parameter to {op}()")
            if self._check(node.expr) != "vector":
                raise self._no(f"{op}() of a non-vector")
            return "vector"
        if isinstance(node, pp.Call):
            return self._check_call(node)
        if isinstance(node, pp.BinaryExpr):
            op = _op(node)
            if op not in _ARITH | _COMPARE | _SETOPS:
                raise self._no(f"binary operator {op}")
            mod = node.modifier
            if mod is not None and mod.fill_values is not None and (
                    mod.fill_values.lhs is not None or mod.fill_values.rhs is not None):
                raise self._no("fill() modifiers of binary operators")
            lt, rt = self._check(node.lhs), self._check(node.rhs)
            if lt not in ("vector", "scalar") or rt not in ("vector", "scalar"):
                raise self._no(f"operator {op} between a {lt} and a {rt}")
            return "vector" if "vector" in (lt, rt) else "scalar"
        raise self._no(f"expression type {type(node).__name__}")

    def _check_call(self, node: Any) -> str:
        name = node.func.name
        args = [_unparen(a) for a in node.args]
        if name in _RANGE_FUNCS:
            if len(args) == 1 and isinstance(args[0], pp.SubqueryExpr):
                raise self._no(f"subquery {args[0]}")
            if len(args) != 1 or not isinstance(args[0], pp.MatrixSelector):
                raise self._no(f"{name}() of something other than a range selector")
            self._check(args[0])
            return "vector"
        if name in _MATH_FUNCS or name in ("clamp", "clamp_min", "clamp_max", "round",
                                           "scalar", "absent"):
            types = [self._check(a) for a in args]
            if not types or types[0] != "vector" or any(t != "scalar" for t in types[1:]):
                raise self._no(f"{name}() with arguments {types}")
            return "scalar" if name == "scalar" else "vector"
        if name == "time":
            return "scalar"
        if name == "histogram_quantile":
            types = [self._check(a) for a in args]
            if types != ["scalar", "vector"]:
                raise self._no(f"histogram_quantile() with arguments {types}")
            return "vector"
        if name == "vector":
            if [self._check(a) for a in args] != ["scalar"]:
                raise self._no("vector() of a non-scalar")
            return "vector"
        raise self._no(f"function {name}()")

    # - evaluation -

    def range(self, store: SeriesStore, times: Any, *,
              lookback_delta: float = LOOKBACK_DELTA) -> RangeResult:
        """The expression at every time of ``times`` (seconds, increasing).

        Each time is evaluated as an instant query at that time would be.
        Raises PromQLError when Prometheus would fail the query.
        """
        ts_all = np.atleast_1d(to_ms(times))
        if len(ts_all) > 1 and not np.all(np.diff(ts_all) > 0):
            raise ValueError("evaluation times must strictly increase")
        lookback = round(lookback_delta * 1000)
        acc: dict[Labels, list[tuple[np.ndarray, np.ndarray]]] = {}
        scal: list[np.ndarray] = []
        for a in range(0, len(ts_all), _CHUNK_STEPS):
            ts = ts_all[a:a + _CHUNK_STEPS]
            ctx = _Ctx(store, ts, lookback, self.expr)
            val = _eval(self._ast, ctx)
            if isinstance(val, _Scal):
                scal.append(val.v)
                continue
            for i, ls in enumerate(val.labels):
                m = val.p[i]
                if m.any():
                    acc.setdefault(ls, []).append((ts[m], val.v[i][m]))
        times_s = ts_all / 1000.0
        if self.kind == "scalar":
            return RangeResult(self.expr, times_s, "scalar",
                               scalar=np.concatenate(scal) if scal else np.zeros(0))
        out = [ResultSeries(dict(ls), np.concatenate([t for t, _ in parts]) / 1000.0,
                            np.concatenate([v for _, v in parts]))
               for ls, parts in sorted(acc.items())]
        return RangeResult(self.expr, times_s, "vector", series=out)

    def instant(self, store: SeriesStore, time: float, *,
                lookback_delta: float = LOOKBACK_DELTA) -> list[InstantSample] | float:
        """The expression at ``time`` (seconds): a list of samples sorted by labels, or a
        float for a scalar expression. Raises PromQLError as :meth:`range` does."""
        r = self.range(store, [time], lookback_delta=lookback_delta)
        if r.kind == "scalar":
            assert r.scalar is not None
            return float(r.scalar[0])
        return [InstantSample(s.labels, float(s.v[0])) for s in r.series]


def query_range(expr: str, store: SeriesStore, start: float, end: float, step: float, *,
                lookback_delta: float = LOOKBACK_DELTA) -> RangeResult:
    """``/api/v1/query_range``: ``expr`` at ``start, start + step, ...`` up to ``end``
    (seconds). Raises PromQLError / UnsupportedPromQL."""
    if step <= 0:
        raise ValueError("step must be positive")
    s0, s1, st = int(to_ms(start)), int(to_ms(end)), int(to_ms(step))
    times = np.arange(s0, s1 + 1, st, dtype=np.int64) / 1000.0
    return Query(expr).range(store, times, lookback_delta=lookback_delta)


def query_instant(expr: str, store: SeriesStore, time: float, *,
                  lookback_delta: float = LOOKBACK_DELTA) -> list[InstantSample] | float:
    """``/api/v1/query`` at ``time`` (seconds). Raises PromQLError / UnsupportedPromQL."""
    return Query(expr).instant(store, time, lookback_delta=lookback_delta)


# --- node evaluation -----------------------------------------------------------------------


def _eval(node: Any, ctx: _Ctx) -> _Value:
    node = _unparen(node)
    if isinstance(node, pp.NumberLiteral):
        return _Scal(np.full(len(ctx.ts), float(node.val)))
    if isinstance(node, pp.VectorSelector):
        return _instant_selector(node, ctx)
    if isinstance(node, pp.UnaryExpr):
        val = _eval(node.expr, ctx)
        if isinstance(val, _Scal):
            return _Scal(-val.v)
        return _merge(ctx, [_drop_name(ls) for ls in val.labels], -val.v, val.p)
    if isinstance(node, pp.Call):
        return _call(node, ctx)
    if isinstance(node, pp.AggregateExpr):
        return _aggregate(node, ctx)
    if isinstance(node, pp.BinaryExpr):
        return _binary(node, ctx)
    raise UnsupportedPromQL(ctx.expr, f"expression type {type(node).__name__}")


def _matchers(vs: Any) -> list[tuple[str, str, str]]:
    out = [("__name__", "=", vs.name)] if vs.name else []
    out += [(m.name, _match_op(m.op), m.value) for m in vs.matchers.matchers]
    return out


def _match_op(op: Any) -> str:
    # The parser's enums are not hashable: compare them one by one.
    for known, text in ((pp.MatchOp.Equal, "="), (pp.MatchOp.NotEqual, "!="),
                        (pp.MatchOp.Re, "=~"), (pp.MatchOp.NotRe, "!~")):
        if op == known:
            return text
    raise AssertionError(op)


def _offset_ms(vs: Any) -> int:
    return _td_ms(vs.offset) if vs.offset is not None else 0


def _instant_selector(vs: Any, ctx: _Ctx) -> _Vec:
    """vectorSelectorSingle for every series and step."""
    ref = ctx.ts - _offset_ms(vs)
    labels: list[Labels] = []
    vals: list[np.ndarray] = []
    pres: list[np.ndarray] = []
    lo_t, hi_t = ref[0] - ctx.lookback, ref[-1]
    for s in ctx.store.select(_matchers(vs)):
        t, v = s.t_ms, s.v
        if not len(t) or t[0] > hi_t or t[-1] < lo_t:
            continue
        idx = np.searchsorted(t, ref, side="right") - 1
        ok = idx >= 0
        ic = np.maximum(idx, 0)
        tt, vv = t[ic], v[ic]
        ok &= tt >= ref - ctx.lookback
        ok &= ~is_stale(vv)
        if ok.any():
            labels.append(s.labels)
            vals.append(np.where(ok, vv, 0.0))
            pres.append(ok)
    if not labels:
        return _Vec.empty(len(ctx.ts))
    return _Vec(labels, np.array(vals), np.array(pres))


def _merge(ctx: _Ctx, labels: list[Labels], v: np.ndarray, p: np.ndarray) -> _Vec:
    """Rows with equal label sets become one; two of them present at one step is the
    error Prometheus raises ("vector cannot contain metrics with the same labelset")."""
    first: dict[Labels, int] = {}
    dup = False
    for i, ls in enumerate(labels):
        if ls in first:
            dup = True
        else:
            first[ls] = i
    if not dup:
        return _Vec(labels, v, p)
    out_l = list(first)
    ov = np.zeros((len(out_l), v.shape[1]))
    op = np.zeros((len(out_l), v.shape[1]), dtype=bool)
    pos = {ls: j for j, ls in enumerate(out_l)}
    for i, ls in enumerate(labels):
        j = pos[ls]
        if np.any(op[j] & p[i]):
            step = int(np.flatnonzero(op[j] & p[i])[0])
            raise PromQLError(f"{ctx.expr!r} at {ctx.ts[step] / 1000}s: vector cannot contain "
                              f"metrics with the same labelset {_fmt_labels(ls)}")
        ov[j] = np.where(p[i], v[i], ov[j])
        op[j] |= p[i]
    return _Vec(out_l, ov, op)


# - range functions -


def _call(node: Any, ctx: _Ctx) -> _Value:
    name = node.func.name
    args = [_unparen(a) for a in node.args]
    if name in _RANGE_FUNCS:
        return _range_function(name, args[0], ctx)
    if name == "time":
        return _Scal(ctx.ts / 1000.0)
    if name == "histogram_quantile":
        q = _eval(args[0], ctx)
        vec = _eval(args[1], ctx)
        assert isinstance(q, _Scal) and isinstance(vec, _Vec)
        return _histogram_quantile(q.v, vec, ctx)
    if name == "vector":
        s = _eval(args[0], ctx)
        assert isinstance(s, _Scal)
        return _Vec([()], s.v[None, :].copy(), np.ones((1, len(ctx.ts)), dtype=bool))
    vec = _eval(args[0], ctx)
    assert isinstance(vec, _Vec)
    scalars = []
    for a in args[1:]:
        s = _eval(a, ctx)
        assert isinstance(s, _Scal)
        scalars.append(s.v)
    k = len(ctx.ts)
    if name == "scalar":
        n = vec.p.sum(axis=0)
        only = np.where(vec.p, vec.v, 0.0).sum(axis=0)
        return _Scal(np.where(n == 1, only, np.nan))
    if name == "absent":
        present = vec.p.any(axis=0)
        ls = _absent_labels(args[0])
        return _Vec([ls], np.ones((1, k)), ~present[None, :])
    with np.errstate(all="ignore"):
        if name in _MATH_FUNCS:
            out = _MATH_FUNCS[name](vec.v)
            p = vec.p
        elif name == "clamp_min":
            out, p = _go_max(scalars[0][None, :], vec.v), vec.p
        elif name == "clamp_max":
            out, p = _go_min(scalars[0][None, :], vec.v), vec.p
        elif name == "clamp":
            lo, hi = scalars[0][None, :], scalars[1][None, :]
            out = _go_max(lo, _go_min(hi, vec.v))
            p = vec.p & ~(hi < lo)  # funcClamp returns nothing when max < min
        elif name == "round":
            to = scalars[0] if scalars else np.ones(k)
            inv = (1.0 / to)[None, :]
            out, p = np.floor(vec.v * inv + 0.5) / inv, vec.p
        else:  # guarded by Query._check
            raise UnsupportedPromQL(ctx.expr, f"function {name}()")
    return _merge(ctx, [_drop_name(ls) for ls in vec.labels], out, p)


def _go_max(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """math.Max: NaN if either is NaN (np.maximum agrees; ±0 ordering is immaterial here)."""
    return np.maximum(a, b)


def _go_min(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.minimum(a, b)


_GO_FLOAT_RE = re.compile(
    r"[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)", re.IGNORECASE)


def _parse_le(text: str) -> float | None:
    """strconv.ParseFloat of an ``le`` value (decimal or inf/nan), None when it fails."""
    if _GO_FLOAT_RE.fullmatch(text):
        return float(text)
    try:
        return float.fromhex(text) if text.lower().lstrip("+-").startswith("0x") else None
    except ValueError:
        return None


def _histogram_quantile(q: np.ndarray, vec: _Vec, ctx: _Ctx) -> _Vec:
    """funcHistogramQuantile / bucketQuantile (promql/functions.go, quantile.go; v2.42)
    for classic buckets: series grouped by their labels without ``le``."""
    groups: dict[Labels, list[tuple[float, int]]] = {}
    for i, ls in enumerate(vec.labels):
        le = _parse_le(_get(ls, "le"))
        if le is None:
            continue  # no or malformed le: Prometheus skips the series
        if le != le:
            raise PromQLError(f"{ctx.expr!r}: a bucket with le=NaN ({_fmt_labels(ls)})")
        groups.setdefault(tuple(p for p in ls if p[0] != "le"), []).append((le, i))
    k = len(ctx.ts)
    out_l: list[Labels] = []
    out_v: list[np.ndarray] = []
    out_p: list[np.ndarray] = []
    for sig, members in groups.items():
        members.sort(key=lambda m: m[0])
        bounds = np.array([b for b, _ in members])
        rows = [i for _, i in members]
        pres = vec.p[rows]  # (buckets, steps)
        val = np.full(k, np.nan)
        any_p = pres.any(axis=0)
        # Steps with the same buckets present are computed together.
        patterns, inverse = np.unique(pres.T, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        for j, pat in enumerate(patterns):
            steps = np.flatnonzero((inverse == j) & any_p)
            if not len(steps) or not pat.any():
                continue
            sel = np.flatnonzero(pat)
            val[steps] = _bucket_quantile(q[steps], bounds[sel], vec.v[np.array(rows)[sel]][:, steps])
        out_l.append(_drop_name(sig))
        out_v.append(np.where(any_p, val, 0.0))
        out_p.append(any_p)
    if not out_l:
        return _Vec.empty(k)
    return _merge(ctx, out_l, np.array(out_v), np.array(out_p))


def _bucket_quantile(q: np.ndarray, bounds: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """bucketQuantile for sorted ``bounds`` (n) and ``counts`` (n, steps)."""
    with np.errstate(all="ignore"):
        # coalesceBuckets: equal bounds add up, in order.
        ub, first = np.unique(bounds, return_index=True)
        cs = []
        for a, b in zip(first, [*first[1:], len(bounds)], strict=True):
            c = counts[a].copy()
            for r in range(a + 1, b):
                c = c + counts[r]
            cs.append(c)
        c = np.array(cs)
        # ensureMonotonic: a count below the running maximum is raised to it.
        mx = c[0].copy()
        for i in range(1, len(c)):
            up = c[i] > mx
            down = c[i] < mx
            mx = np.where(up, c[i], mx)
            c[i] = np.where(down, mx, c[i])
        n = len(ub)
        out = np.full(q.shape, np.nan)
        if n >= 2 and ub[-1] == np.inf:
            obs = c[-1]
            rank = q * obs
            ge = c[:-1] >= rank[None, :]  # sort.Search over all but the +Inf bucket
            b = np.where(ge.any(axis=0), ge.argmax(axis=0), n - 1)
            bc = np.minimum(b, n - 2)
            end = ub[bc]
            cnt = c[bc, np.arange(len(q))]
            prev_b = np.maximum(bc - 1, 0)
            prev_c = c[prev_b, np.arange(len(q))]
            start = np.where(bc > 0, ub[prev_b], 0.0)
            cnt = np.where(bc > 0, cnt - prev_c, cnt)
            rk = np.where(bc > 0, rank - prev_c, rank)
            res = start + (end - start) * (rk / cnt)
            res = np.where((b == 0) & (ub[0] <= 0), ub[0], res)
            res = np.where(b == n - 1, ub[n - 2], res)
            out = np.where(obs == 0, np.nan, res)
        out = np.where(q > 1, np.inf, out)
        out = np.where(q < 0, -np.inf, out)
        return np.where(np.isnan(q), np.nan, out)


def _absent_labels(arg: Any) -> Labels:
    """createLabelsForAbsentFunction: the equality matchers of a selector argument."""
    if not isinstance(arg, pp.VectorSelector):
        return ()
    out: dict[str, str] = {}
    seen: set[str] = set()
    for name, op, value in _matchers(arg):
        if name == "__name__":
            continue
        if op == "=" and name not in seen:
            out[name] = value
            seen.add(name)
        else:
            out.pop(name, None)
    return _labels_of(out)


def _range_function(name: str, ms: Any, ctx: _Ctx) -> _Vec:
    vs = ms.vector_selector
    rng = _td_ms(ms.range)
    off = _offset_ms(vs)
    maxt = ctx.ts - off
    mint = maxt - rng
    labels: list[Labels] = []
    vals: list[np.ndarray] = []
    pres: list[np.ndarray] = []
    for s in ctx.store.select(_matchers(vs)):
        t, v = s.clean()
        if not len(t) or t[0] > maxt[-1] or t[-1] < mint[0]:
            continue
        lo = np.searchsorted(t, mint, side="left")  # both ends closed in 2.x
        hi = np.searchsorted(t, maxt, side="right")
        n = hi - lo
        if not n.any():
            continue
        out, ok = _RANGE_IMPL[name](s, t, v, lo, hi, n, mint, maxt, rng)
        if ok.any():
            labels.append(s.labels if name == "last_over_time" else _drop_name(s.labels))
            vals.append(np.where(ok, out, 0.0))
            pres.append(ok)
    if not labels:
        return _Vec.empty(len(ctx.ts))
    return _merge(ctx, labels, np.array(vals), np.array(pres))


def _extrapolated(is_counter: bool, is_rate: bool) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """extrapolatedRate (promql/functions.go, v2.42) for every step of one series."""

    def f(s: Series, t: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray,
          n: np.ndarray, mint: np.ndarray, maxt: np.ndarray, rng: int
          ) -> tuple[np.ndarray, np.ndarray]:
        ok = n >= 2
        lo_c = np.minimum(lo, len(t) - 1)
        la_c = np.maximum(hi - 1, 0)
        first_t, last_t = t[lo_c], t[la_c]
        first_v, last_v = v[lo_c], v[la_c]
        result = last_v - first_v
        if is_counter:
            result = _add_resets(s, v, lo, hi, result)
        with np.errstate(all="ignore"):
            to_start = (first_t - mint) / 1000.0
            to_end = (maxt - last_t) / 1000.0
            sampled = (last_t - first_t) / 1000.0
            avg = sampled / (n - 1).astype(np.float64)
            if is_counter:
                # The counter's zero point bounds the extrapolation before the series' start.
                zp = (result > 0) & (first_v >= 0)
                to_zero = sampled * (first_v / result)
                to_start = np.where(zp & (to_zero < to_start), to_zero, to_start)
            threshold = avg * 1.1
            interval = sampled.copy()
            interval += np.where(to_start < threshold, to_start, avg / 2)
            interval += np.where(to_end < threshold, to_end, avg / 2)
            factor = interval / sampled
            if is_rate:
                factor /= rng / 1000.0
            out = result * factor
        return out, ok

    return f


def _add_resets(s: Series, v: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                result: np.ndarray) -> np.ndarray:
    """Adds, in sample order, the value before each counter reset inside each window."""
    r = s.resets()
    if not len(r):
        return result
    # Resets j with lo < j < hi: the drop from v[j-1] to v[j] is inside the window.
    a = np.searchsorted(r, lo, side="right")
    b = np.searchsorted(r, hi, side="left")
    cnt = np.maximum(b - a, 0)
    result = result.copy()
    for i in range(int(cnt.max(initial=0))):
        m = cnt > i
        j = r[np.minimum(a + i, len(r) - 1)]
        result = np.where(m, result + v[j - 1], result)
    return result


def _instant_value(is_rate: bool) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """instantValue (irate / idelta): the last two samples of the window."""

    def f(s: Series, t: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray,
          n: np.ndarray, mint: np.ndarray, maxt: np.ndarray, rng: int
          ) -> tuple[np.ndarray, np.ndarray]:
        ok = n >= 2
        last = np.maximum(hi - 1, 0)
        prev = np.maximum(hi - 2, 0)
        lv, pv = v[last], v[prev]
        if is_rate:
            out = np.where(lv < pv, lv, lv - pv)
            with np.errstate(all="ignore"):
                out = out / ((t[last] - t[prev]) / 1000.0)
        else:
            out = lv - pv
        return out, ok

    return f


def _columns(v: np.ndarray, lo: np.ndarray, n: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """For i = 0, 1, ...: (the i-th sample of every window, which windows have one)."""
    top = len(v) - 1
    for i in range(int(n.max(initial=0))):
        yield v[np.minimum(lo + i, top)], n > i


def _window_extreme(s: Series, v: np.ndarray, lo: np.ndarray, n: np.ndarray,
                    kind: str) -> np.ndarray:
    """fmax (or fmin) of v[lo:lo+n] for every window with n >= 1, via a sparse table."""
    f = np.fmax if kind == "max" else np.fmin
    span = int(n.max(initial=1))
    table = [v]
    width = 1
    while width * 2 <= span:
        prev = table[-1]
        table.append(f(prev[:-width], prev[width:]))
        width *= 2
    nn = np.maximum(n, 1)
    level = np.floor(np.log2(nn)).astype(np.int64)
    out = np.empty(len(lo))
    for j, row in enumerate(table):
        m = level == j
        if m.any():
            a = np.minimum(lo[m], len(row) - 1)
            b = np.minimum(lo[m] + nn[m] - (1 << j), len(row) - 1)
            out[m] = f(row[a], row[b])
    return out


def _kahan_inc(inc: np.ndarray, s: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """kahanSumInc: Neumaier's compensated step."""
    t = s + inc
    big = np.abs(s) >= np.abs(inc)
    c = c + np.where(big, (s - t) + inc, (inc - t) + s)
    return t, c


def _over_time(kind: str) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """The *_over_time functions, with the arithmetic of functions.go (v2.42)."""

    def f(s: Series, t: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray,
          n: np.ndarray, mint: np.ndarray, maxt: np.ndarray, rng: int
          ) -> tuple[np.ndarray, np.ndarray]:
        ok = n >= 1
        k = len(lo)
        with np.errstate(all="ignore"):
            if kind == "count":
                return n.astype(np.float64), ok
            if kind == "present":
                return np.ones(k), ok
            if kind == "last":
                return v[np.maximum(hi - 1, 0)], ok
            if kind in ("max", "min"):
                # The loop "if v > max || isNaN(max) { max = v }" ignores NaN unless all are
                # NaN: fmax/fmin, which are idempotent, so two overlapping power-of-two
                # blocks of a sparse table cover any window.
                return _window_extreme(s, v, lo, n, kind), ok
            if kind == "sum":
                sm, c = np.zeros(k), np.zeros(k)
                for x, m in _columns(v, lo, n):
                    s2, c2 = _kahan_inc(x, sm, c)
                    sm, c = np.where(m, s2, sm), np.where(m, c2, c)
                return np.where(np.isinf(sm), sm, sm + c), ok
            if kind == "avg":
                mean, c, cnt = np.zeros(k), np.zeros(k), np.zeros(k)
                for x, m in _columns(v, lo, n):
                    cnt = np.where(m, cnt + 1, cnt)
                    inf = np.isinf(mean)
                    skip = inf & ((np.isinf(x) & ((mean > 0) == (x > 0)))
                                  | (~np.isinf(x) & ~np.isnan(x)))
                    m2, c2 = _kahan_inc(x / cnt - mean / cnt, mean, c)
                    upd = m & ~skip
                    mean, c = np.where(upd, m2, mean), np.where(upd, c2, c)
                return np.where(np.isinf(mean), mean, mean + c), ok
            if kind in ("stddev", "stdvar"):
                cnt, mean, cm, aux, ca = (np.zeros(k) for _ in range(5))
                for x, m in _columns(v, lo, n):
                    cnt = np.where(m, cnt + 1, cnt)
                    delta = x - (mean + cm)
                    mean2, cm2 = _kahan_inc(delta / cnt, mean, cm)
                    aux2, ca2 = _kahan_inc(delta * (x - (mean2 + cm2)), aux, ca)
                    mean, cm = np.where(m, mean2, mean), np.where(m, cm2, cm)
                    aux, ca = np.where(m, aux2, aux), np.where(m, ca2, ca)
                var = (aux + ca) / cnt
                return (np.sqrt(var) if kind == "stddev" else var), ok
        raise AssertionError(kind)

    return f


_RANGE_IMPL: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "rate": _extrapolated(True, True),
    "increase": _extrapolated(True, False),
    "delta": _extrapolated(False, False),
    "irate": _instant_value(True),
    "idelta": _instant_value(False),
    **{f"{k}_over_time": _over_time(k)
       for k in ("avg", "max", "min", "sum", "count", "last", "present", "stddev", "stdvar")},
}


# - aggregations -


def _group_key(ls: Labels, names: frozenset[str], without: bool) -> Labels:
    if without:
        return tuple(p for p in ls if p[0] not in names and p[0] != "__name__")
    return tuple(p for p in ls if p[0] in names)


def _aggregate(node: Any, ctx: _Ctx) -> _Vec:
    """aggregation() in engine.go (v2.42), every step at once."""
    op = _op(node)
    vec = _eval(node.expr, ctx)
    assert isinstance(vec, _Vec)
    mod = node.modifier
    without = mod is not None and mod.type == pp.AggModifierType.Without
    names = frozenset(mod.labels) if mod is not None else frozenset()
    groups: dict[Labels, list[int]] = {}
    for i, ls in enumerate(vec.labels):
        groups.setdefault(_group_key(ls, names, without), []).append(i)
    k = len(ctx.ts)
    out_l: list[Labels] = []
    out_v: list[np.ndarray] = []
    out_p: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for key, rows in groups.items():
            has = np.zeros(k, dtype=bool)
            cnt = np.zeros(k)
            val = np.zeros(k)
            mean = np.zeros(k)
            for i in rows:
                x, m = vec.v[i], vec.p[i]
                new = m & ~has
                upd = m & has
                cnt = np.where(m, cnt + 1, cnt)
                if op == "sum":
                    val = np.where(new, x, np.where(upd, val + x, val))
                elif op == "avg":
                    inf = np.isinf(mean)
                    skip = inf & ((np.isinf(x) & ((mean > 0) == (x > 0)))
                                  | (~np.isinf(x) & ~np.isnan(x)))
                    nxt = mean + (x / cnt - mean / cnt)
                    mean = np.where(new, x, np.where(upd & ~skip, nxt, mean))
                elif op == "max":
                    take = upd & ((val < x) | np.isnan(val))
                    val = np.where(new | take, x, val)
                elif op == "min":
                    take = upd & ((val > x) | np.isnan(val))
                    val = np.where(new | take, x, val)
                elif op in ("stddev", "stdvar"):
                    # Welford, as engine.go: the first sample sets mean and a zero value.
                    delta = x - mean
                    mean2 = mean + delta / cnt
                    val2 = val + delta * (x - mean2)
                    mean = np.where(new, x, np.where(upd, mean2, mean))
                    val = np.where(new, 0.0, np.where(upd, val2, val))
                has |= m
            if op == "avg":
                val = mean
            elif op == "count":
                val = cnt
            elif op == "group":
                val = np.ones(k)
            elif op == "stdvar":
                val = val / cnt
            elif op == "stddev":
                val = np.sqrt(val / cnt)
            out_l.append(key)
            out_v.append(np.where(has, val, 0.0))
            out_p.append(has)
    if not out_l:
        return _Vec.empty(k)
    return _Vec(out_l, np.array(out_v), np.array(out_p))


# - binary operators -


def _arith(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if op == "%":
            return np.fmod(a, b)  # math.Mod: the sign of the dividend
        if op == "^":
            return np.power(a, b)
        if op == "atan2":
            return np.arctan2(a, b)
    raise AssertionError(op)


def _compare(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if op == ">":
            return a > b
        if op == "<":
            return a < b
        if op == ">=":
            return a >= b
        return a <= b


def _binary(node: Any, ctx: _Ctx) -> _Value:
    op = _op(node)
    mod = node.modifier
    return_bool = bool(mod is not None and mod.return_bool)
    lhs, rhs = _eval(node.lhs, ctx), _eval(node.rhs, ctx)
    if isinstance(lhs, _Scal) and isinstance(rhs, _Scal):
        if op in _COMPARE:
            return _Scal(_compare(op, lhs.v, rhs.v).astype(np.float64))
        return _Scal(_arith(op, lhs.v, rhs.v))
    if isinstance(lhs, _Vec) and isinstance(rhs, _Vec):
        if op in _SETOPS:
            return _set_op(op, lhs, rhs, mod, ctx)
        return _vector_binop(op, lhs, rhs, mod, return_bool, ctx)
    if isinstance(lhs, _Vec):
        assert isinstance(rhs, _Scal)
        return _vector_scalar(op, lhs, rhs.v, False, return_bool, ctx)
    assert isinstance(rhs, _Vec) and isinstance(lhs, _Scal)
    return _vector_scalar(op, rhs, lhs.v, True, return_bool, ctx)


def _vector_scalar(op: str, vec: _Vec, sc: np.ndarray, swap: bool, return_bool: bool,
                   ctx: _Ctx) -> _Vec:
    """VectorscalarBinop: comparisons keep the vector's value, bool makes it 0/1."""
    s = sc[None, :]
    a, b = (s, vec.v) if swap else (vec.v, s)
    if op in _COMPARE:
        keep = _compare(op, a, b)
        if return_bool:
            out, p = keep.astype(np.float64), vec.p
        else:
            out, p = vec.v, vec.p & keep
    else:
        out, p = _arith(op, a, b), vec.p
    labels = vec.labels
    if op in _DROPS_NAME or return_bool:
        labels = [_drop_name(ls) for ls in labels]
    return _merge(ctx, labels, np.where(p, out, 0.0), p)


def _matching(mod: Any) -> tuple[bool, frozenset[str], str, tuple[str, ...]]:
    """(on, matching label names, cardinality, include labels) of a binary operator."""
    if mod is None:
        return False, frozenset(), "one-to-one", ()
    on = mod.matching is not None and mod.matching.type == pp.LabelModifierType.Include
    names = frozenset(mod.matching.labels) if mod.matching is not None else frozenset()
    card = next(text for known, text in (
        (pp.VectorMatchCardinality.OneToOne, "one-to-one"),
        (pp.VectorMatchCardinality.ManyToOne, "many-to-one"),
        (pp.VectorMatchCardinality.OneToMany, "one-to-many"),
        (pp.VectorMatchCardinality.ManyToMany, "many-to-many")) if mod.card == known)
    include = tuple(mod.group_labels or ())
    return on, names, card, include


def _signature(ls: Labels, on: bool, names: frozenset[str]) -> Labels:
    if on:
        return tuple(p for p in ls if p[0] in names)
    return tuple(p for p in ls if p[0] not in names and p[0] != "__name__")


def _set_op(op: str, lhs: _Vec, rhs: _Vec, mod: Any, ctx: _Ctx) -> _Vec:
    """VectorAnd / VectorOr / VectorUnless, step by step through the presence masks."""
    on, names, _, _ = _matching(mod)
    k = len(ctx.ts)

    def sig_presence(vec: _Vec) -> dict[Labels, np.ndarray]:
        out: dict[Labels, np.ndarray] = {}
        for i, ls in enumerate(vec.labels):
            sg = _signature(ls, on, names)
            out[sg] = out.get(sg, np.zeros(k, dtype=bool)) | vec.p[i]
        return out

    none = np.zeros(k, dtype=bool)
    if op in ("and", "unless"):
        right = sig_presence(rhs)
        p = np.array([lhs.p[i] & (right.get(_signature(ls, on, names), none)
                                   if op == "and" else ~right.get(_signature(ls, on, names), none))
                      for i, ls in enumerate(lhs.labels)]).reshape(len(lhs.labels), k)
        return _Vec(list(lhs.labels), lhs.v, p)
    left = sig_presence(lhs)
    rp = np.array([rhs.p[i] & ~left.get(_signature(ls, on, names), none)
                   for i, ls in enumerate(rhs.labels)]).reshape(len(rhs.labels), k)
    return _merge(ctx, list(lhs.labels) + list(rhs.labels),
                  np.concatenate([lhs.v, rhs.v]), np.concatenate([lhs.p, rp]))


def _vector_binop(op: str, lhs: _Vec, rhs: _Vec, mod: Any, return_bool: bool,
                  ctx: _Ctx) -> _Vec:
    """VectorBinop (engine.go, v2.42) with one-to-one, group_left and group_right."""
    on, names, card, include = _matching(mod)
    k = len(ctx.ts)
    many, one = (rhs, lhs) if card == "one-to-many" else (lhs, rhs)
    one_by_sig: dict[Labels, list[int]] = {}
    for j, ls in enumerate(one.labels):
        one_by_sig.setdefault(_signature(ls, on, names), []).append(j)
    # VectorBinop returns nothing at a step where either side is empty, before it looks
    # for duplicates.
    many_any = many.p.any(axis=0)
    for sg, js in one_by_sig.items():
        if len(js) > 1:
            both = (one.p[js].sum(axis=0) > 1) & many_any
            if both.any():
                step = int(np.flatnonzero(both)[0])
                side = "left" if card == "one-to-many" else "right"
                raise PromQLError(
                    f"{ctx.expr!r} at {ctx.ts[step] / 1000}s: found duplicate series for the "
                    f"match group {dict(sg)} on the {side} hand-side of the operation; "
                    "many-to-many matching not allowed: matching labels must be unique on one side")
    out_l: list[Labels] = []
    out_v: list[np.ndarray] = []
    out_p: list[np.ndarray] = []
    # Per signature (one-to-one) or per (signature, result labels) (group_x): how many
    # kept results each step has; more than one is an error.
    counts: dict[Any, np.ndarray] = {}
    for i, ls in enumerate(many.labels):
        sg = _signature(ls, on, names)
        for j in one_by_sig.get(sg, ()):
            both = many.p[i] & one.p[j]
            if not both.any():
                continue
            vl, vr = (one.v[j], many.v[i]) if card == "one-to-many" else (many.v[i], one.v[j])
            if op in _COMPARE:
                keep = _compare(op, vl, vr)
                if return_bool:
                    val, p = keep.astype(np.float64), both
                else:
                    val, p = vl, both & keep
            else:
                val, p = _arith(op, vl, vr), both
            if not p.any():
                continue
            metric = _result_metric(ls, one.labels[j], op, on, names, card, include)
            if return_bool:
                metric = _drop_name(metric)
            ck: Any = sg if card == "one-to-one" else (sg, metric)
            c = counts.get(ck)
            c = p.astype(np.int64) if c is None else c + p
            counts[ck] = c
            if (c > 1).any():
                step = int(np.flatnonzero(c > 1)[0])
                why = ("many-to-one matching must be explicit (group_left/group_right)"
                       if card == "one-to-one" else "grouping labels must ensure unique matches")
                raise PromQLError(f"{ctx.expr!r} at {ctx.ts[step] / 1000}s: multiple matches "
                                  f"for labels: {why}")
            out_l.append(metric)
            out_v.append(np.where(p, val, 0.0))
            out_p.append(p)
    if not out_l:
        return _Vec.empty(k)
    return _merge(ctx, out_l, np.array(out_v), np.array(out_p))


def _result_metric(ls: Labels, rs: Labels, op: str, on: bool, names: frozenset[str],
                   card: str, include: tuple[str, ...]) -> Labels:
    """resultMetric: the 'many' side's labels, reduced for one-to-one, plus group_x labels
    copied from the 'one' side."""
    d = dict(ls)
    if op in _DROPS_NAME:
        d.pop("__name__", None)
    if card == "one-to-one":
        if on:
            d = {n: v for n, v in d.items() if n in names}
        else:
            d = {n: v for n, v in d.items() if n not in names}
    for n in include:
        v = _get(rs, n)
        if v:
            d[n] = v
        else:
            d.pop(n, None)
    return _labels_of(d)
