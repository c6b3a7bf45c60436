"""OpenMetrics text with timestamps: a streaming writer, and a strict reader for tests.

The writer produces what ``promtool tsdb create-blocks-from openmetrics`` (Prometheus
v2.42, ``cmd/promtool/backfill.go`` over ``model/textparse/openmetricsparse.go``) accepts
and what the OpenMetrics 1.0 text format requires:

* ``# TYPE`` (then ``# UNIT``, ``# HELP``) before a family's samples; families are written
  one after the other and never interleaved; a family name appears once;
* counters as ``<family>_total``; histograms as ``<family>_bucket{le}`` (cumulative,
  ending with ``le="+Inf"``), ``<family>_sum``, ``<family>_count``, each point's lines
  together (MetricPoints are not interleaved);
* within a family a metric (label set) is written in one run (metrics are not
  interleaved) with strictly increasing timestamps;
* timestamps in seconds, written so that the parser's ``int64(seconds * 1000)`` gives
  back the exact millisecond;
* ``# EOF`` at the end.

So the writer takes data family by family and, inside a family, metric by metric; each
metric may come in several chunks (consecutive, later in time), so a week of data never
has to be in memory at once. Staleness markers cannot be written in this format (the text
parser reads ``NaN`` as an ordinary NaN): the writer refuses them unless told to drop them.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from capacity.analysis.promql import SeriesStore, is_stale

__all__ = [
    "FamilyInfo",
    "FamilyWriter",
    "HistogramChunk",
    "MetricFamily",
    "OpenMetricsData",
    "OpenMetricsError",
    "OpenMetricsWriter",
    "SeriesChunk",
    "format_le",
    "format_value",
    "read_openmetrics",
    "store_families",
    "write_openmetrics",
]

_METRIC_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_TYPES = ("counter", "gauge", "histogram", "unknown")
# Sample-name suffixes of each type (OpenMetrics 1.0, "Suffixes").
_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count",
                                                              "_created"),
             "gauge": ("",), "unknown": ("",)}


class OpenMetricsError(ValueError):
    """Data that cannot be written (or text that is not valid) OpenMetrics."""


def format_value(x: float) -> str:
    """A float as OpenMetrics text that parses back to the same float."""
    if x != x:
        return "NaN"
    if x == float("inf"):
        return "+Inf"
    if x == float("-inf"):
        return "-Inf"
    return repr(float(x))


def format_le(x: float) -> str:
    """The canonical ``le`` label value: Go's shortest ``%g`` with ``.0`` when it has no
    point or exponent (``0.005``, ``1.0``, ``100000.0``, ``1e+06``, ``+Inf``)."""
    x = float(x)
    if x == float("inf"):
        return "+Inf"
    if x == float("-inf"):
        return "-Inf"
    if x != x:
        raise OpenMetricsError("le must not be NaN")
    if x == 0:
        return "0.0"
    sci = np.format_float_scientific(x, unique=True, trim="-", exp_digits=2)
    exp = int(sci.split("e")[1])
    if exp < -4 or exp >= 6:  # strconv's 'g' with the shortest precision switches at 6
        return sci
    pos = np.format_float_positional(x, unique=True, trim="-")
    return pos if "." in pos else pos + ".0"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _unescape(value: str) -> str:
    out = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _label_text(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _timestamps(t_ms: np.ndarray) -> list[str]:
    """Millisecond timestamps as seconds text the Go parser maps back exactly
    (``int64(ParseFloat(s) * 1000) == ms``)."""
    f = t_ms / 1000.0  # the double nearest to the decimal "S.mmm", what ParseFloat returns
    ok = np.trunc(f * 1000.0) == t_ms
    out = []
    for ms, good, fv in zip(t_ms.tolist(), ok.tolist(), f.tolist(), strict=True):
        if good:
            s, m = divmod(abs(ms), 1000)
            sign = "-" if ms < 0 else ""
            out.append(f"{sign}{s}" if m == 0 else f"{sign}{s}.{m:03d}".rstrip("0"))
            continue
        # The product rounds just below the integer and truncation loses a millisecond:
        # write the neighbouring double (away from zero) in full.
        g = float(np.nextafter(fv, np.inf if ms > 0 else -np.inf))
        if int(g * 1000.0) != ms:
            raise OpenMetricsError(f"cannot write timestamp {ms} ms exactly")
        out.append(repr(g))
    return out


@dataclass(frozen=True)
class SeriesChunk:
    """Part of one counter/gauge metric: labels (no ``__name__``), ``t`` seconds, ``v``."""

    labels: Mapping[str, str]
    t: Any
    v: Any


@dataclass(frozen=True)
class HistogramChunk:
    """Part of one histogram metric: ``le`` upper bounds (increasing, last ``+Inf``),
    ``buckets`` cumulative counts shaped (len(t), len(le)), ``sum`` and ``count`` per point."""

    labels: Mapping[str, str]
    t: Any
    le: Sequence[float]
    buckets: Any
    sum: Any
    count: Any


@dataclass(frozen=True)
class MetricFamily:
    """A family to write: ``name`` (a counter's without ``_total``), its OpenMetrics type,
    help text, unit, and its chunks in writing order."""

    name: str
    type: str
    help: str = ""
    unit: str = ""
    chunks: Iterable[SeriesChunk | HistogramChunk] = ()


class FamilyWriter:
    """Writes the metrics of one family; obtained from :meth:`OpenMetricsWriter.family`."""

    def __init__(self, owner: OpenMetricsWriter, name: str, type_: str) -> None:
        self._owner = owner
        self.name = name
        self.type = type_
        self._current: tuple[tuple[str, str], ...] | None = None
        self._last_ms: int | None = None
        self._done: set[tuple[tuple[str, str], ...]] = set()
        self.closed = False

    def _start(self, labels: Mapping[str, str], t: Any) -> tuple[dict[str, str], np.ndarray]:
        if self.closed or self._owner._family is not self:
            raise OpenMetricsError(f"family {self.name}: already finished (families must not "
                                   "be interleaved)")
        lab = {str(k): str(v) for k, v in labels.items() if v != ""}
        name = lab.pop("__name__", None)
        if name is not None and not name.startswith(self.name):
            raise OpenMetricsError(f"family {self.name}: a sample named {name}")
        for k in lab:
            if not _LABEL_NAME_RE.fullmatch(k) or k.startswith("__"):
                raise OpenMetricsError(f"family {self.name}: bad label name {k!r}")
        if self.type == "histogram" and "le" in lab:
            raise OpenMetricsError(f"family {self.name}: a histogram metric has no 'le' label")
        key = tuple(sorted(lab.items()))
        t_ms = np.atleast_1d(np.rint(np.asarray(t, dtype=np.float64) * 1000.0)
                             + self._owner._offset_ms).astype(np.int64)
        if key != self._current:
            if key in self._done:
                raise OpenMetricsError(f"family {self.name}: metric {lab} written again after "
                                       "another one (metrics must not be interleaved)")
            if self._current is not None:
                self._done.add(self._current)
            self._current, self._last_ms = key, None
        if len(t_ms):
            steps = np.diff(t_ms)
            if (steps <= 0).any() or (self._last_ms is not None and t_ms[0] <= self._last_ms):
                raise OpenMetricsError(f"family {self.name}, metric {lab}: timestamps must "
                                       "strictly increase (after rounding to milliseconds)")
            self._last_ms = int(t_ms[-1])
        return dict(key), t_ms

    def samples(self, labels: Mapping[str, str], t: Any, v: Any) -> None:
        """Write a chunk of a counter/gauge/unknown metric (``t`` seconds)."""
        if self.type == "histogram":
            raise OpenMetricsError(f"family {self.name}: use histogram() for a histogram")
        lab, t_ms = self._start(labels, t)
        vv = np.atleast_1d(np.asarray(v, dtype=np.float64))
        if vv.shape != t_ms.shape:
            raise OpenMetricsError(f"family {self.name}: {len(t_ms)} timestamps, {len(vv)} values")
        t_ms, vv = self._owner._stale(self.name, t_ms, vv)
        if self.type == "counter":
            bad = np.isnan(vv) | (vv < 0)
            if bad.any():
                raise OpenMetricsError(f"counter {self.name} {lab}: value {vv[bad][0]} (a total "
                                       "is a non-negative number)")
        sample = self.name + ("_total" if self.type == "counter" else "")
        prefix = sample + _label_text(lab) + " "
        ts = _timestamps(t_ms)
        self._owner._write("".join(f"{prefix}{format_value(x)} {s}\n"
                                   for x, s in zip(vv.tolist(), ts, strict=True)))

    def histogram(self, labels: Mapping[str, str], t: Any, le: Sequence[float], buckets: Any,
                  sum: Any, count: Any) -> None:
        """Write a chunk of a histogram metric: per point all buckets, then sum and count."""
        if self.type != "histogram":
            raise OpenMetricsError(f"family {self.name} is a {self.type}, not a histogram")
        lab, t_ms = self._start(labels, t)
        les = [float(x) for x in le]
        if not les or les[-1] != float("inf") or any(b <= a for a, b in itertools.pairwise(les)):
            raise OpenMetricsError(f"histogram {self.name}: le must increase and end with +Inf")
        b = np.asarray(buckets, dtype=np.float64).reshape(len(t_ms), len(les))
        sm = np.atleast_1d(np.asarray(sum, dtype=np.float64))
        ct = np.atleast_1d(np.asarray(count, dtype=np.float64))
        if sm.shape != t_ms.shape or ct.shape != t_ms.shape:
            raise OpenMetricsError(f"histogram {self.name}: sum/count lengths differ from t")
        if (np.isnan(b).any() or (b < 0).any() or (np.diff(b, axis=1) < 0).any()
                or (b != np.rint(b)).any()):
            raise OpenMetricsError(f"histogram {self.name} {lab}: buckets must be cumulative "
                                   "non-negative integers")
        if (ct != b[:, -1]).any():
            raise OpenMetricsError(f"histogram {self.name} {lab}: count differs from the +Inf "
                                   "bucket")
        if np.isnan(sm).any():
            raise OpenMetricsError(f"histogram {self.name} {lab}: sum is NaN")
        ts = _timestamps(t_ms)
        base = dict(lab)
        bucket_prefix = [f"{self.name}_bucket" + _label_text({**base, "le": format_le(x)}) + " "
                         for x in les]
        sum_prefix = f"{self.name}_sum" + _label_text(base) + " "
        count_prefix = f"{self.name}_count" + _label_text(base) + " "
        parts: list[str] = []
        for i, s in enumerate(ts):
            row = b[i]
            for j, pre in enumerate(bucket_prefix):
                parts.append(f"{pre}{int(row[j])} {s}\n")
            parts.append(f"{sum_prefix}{format_value(sm[i])} {s}\n")
            parts.append(f"{count_prefix}{int(ct[i])} {s}\n")
        self._owner._write("".join(parts))


class OpenMetricsWriter:
    """Streams families to ``out`` (a path or a text file), ``# EOF`` on :meth:`close`.

    ``time_offset`` (seconds) is added to every timestamp (e.g. an epoch for the run's
    start). ``drop_stale``: skip staleness markers instead of raising.
    Use as a context manager; nothing after an exception is terminated with ``# EOF``.
    """

    def __init__(self, out: str | Path | IO[str], *, time_offset: float = 0.0,
                 drop_stale: bool = False) -> None:
        if isinstance(out, str | Path):
            self._fh: IO[str] = open(out, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
            self._own = True
        else:
            self._fh, self._own = out, False
        self._offset_ms = round(time_offset * 1000.0)
        self._drop_stale = drop_stale
        self._family: FamilyWriter | None = None
        self._names: set[str] = set()
        self._sample_names: set[str] = set()
        self.closed = False

    def __enter__(self) -> OpenMetricsWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        elif self._own:
            self._fh.close()

    def _write(self, text: str) -> None:
        self._fh.write(text)

    def _stale(self, name: str, t_ms: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        st = is_stale(v)
        if not st.any():
            return t_ms, v
        if not self._drop_stale:
            raise OpenMetricsError(f"family {name}: staleness markers cannot be written as "
                                   "OpenMetrics text (pass drop_stale=True to skip them)")
        return t_ms[~st], v[~st]

    def family(self, name: str, type: str, help: str = "", unit: str = "") -> FamilyWriter:
        """Start family ``name`` (for a counter, with or without ``_total``) of ``type``
        counter, gauge, histogram or unknown; finishes the previous family."""
        if self.closed:
            raise OpenMetricsError("writer is closed")
        if type not in _TYPES:
            raise OpenMetricsError(f"family {name}: type {type!r} not supported ({_TYPES})")
        if type == "counter" and name.endswith("_total"):
            name = name[: -len("_total")]
        if not _METRIC_NAME_RE.fullmatch(name):
            raise OpenMetricsError(f"bad family name {name!r}")
        samples = {name + s for s in _SUFFIXES[type]}
        if name in self._names or samples & self._sample_names:
            raise OpenMetricsError(f"family {name} written twice or clashes with another "
                                   "family's sample names")
        if unit and not name.endswith("_" + unit):
            raise OpenMetricsError(f"family {name}: unit {unit!r} must be its suffix")
        if self._family is not None:
            self._family.closed = True
        self._names.add(name)
        self._sample_names |= samples
        head = f"# TYPE {name} {type}\n"
        if unit:
            head += f"# UNIT {name} {unit}\n"
        if help:
            escaped = help.replace("\\", "\\\\").replace("\n", "\\n")
            head += f"# HELP {name} {escaped}\n"
        self._write(head)
        self._family = FamilyWriter(self, name, type)
        return self._family

    def close(self) -> None:
        """Write ``# EOF`` and close the file (if the writer opened it)."""
        if self.closed:
            return
        if self._family is not None:
            self._family.closed = True
        self._write("# EOF\n")
        self.closed = True
        if self._own:
            self._fh.close()
        else:
            self._fh.flush()


def write_openmetrics(out: str | Path | IO[str], families: Iterable[MetricFamily], *,
                      time_offset: float = 0.0, drop_stale: bool = False) -> None:
    """Write ``families`` (each with its chunks, consumed lazily) and ``# EOF``.
    Raises OpenMetricsError for data the format cannot hold."""
    with OpenMetricsWriter(out, time_offset=time_offset, drop_stale=drop_stale) as w:
        for fam in families:
            fw = w.family(fam.name, fam.type, fam.help, fam.unit)
            for ch in fam.chunks:
                if isinstance(ch, HistogramChunk):
                    fw.histogram(ch.labels, ch.t, ch.le, ch.buckets, ch.sum, ch.count)
                else:
                    fw.samples(ch.labels, ch.t, ch.v)


def store_families(store: SeriesStore, types: Mapping[str, str],
                   helps: Mapping[str, str] | None = None) -> Iterator[MetricFamily]:
    """The families of ``store`` for :func:`write_openmetrics`.

    ``types`` maps a family name to its type: a ``counter`` ``x`` covers the series named
    ``x_total``; a ``histogram`` ``h`` covers ``h_bucket`` (with ``le``), ``h_sum``,
    ``h_count``, which must share their timestamps. Series whose family is not in
    ``types`` raise OpenMetricsError (a type must be known to be written correctly).
    """
    helps = helps or {}
    owner: dict[str, str] = {}
    for fam, ty in types.items():
        if ty not in _TYPES:
            raise OpenMetricsError(f"family {fam}: type {ty!r} not supported")
        base = fam[: -len("_total")] if ty == "counter" and fam.endswith("_total") else fam
        for suf in ("_total",) if ty == "counter" else (
                ("_bucket", "_sum", "_count") if ty == "histogram" else ("",)):
            owner[base + suf] = base
    kinds = {(fam[: -len("_total")] if ty == "counter" and fam.endswith("_total") else fam): ty
             for fam, ty in types.items()}
    by_family: dict[str, list[Any]] = {}
    for s in store:
        fam = owner.get(s.name)
        if fam is None:
            raise OpenMetricsError(f"series {s.name}: no type given for its family")
        by_family.setdefault(fam, []).append(s)
    for fam in sorted(by_family):
        ty = kinds[fam]
        series = by_family[fam]
        help_ = helps.get(fam, helps.get(fam + "_total", ""))
        if ty != "histogram":
            chunks = [SeriesChunk({k: v for k, v in s.labels if k != "__name__"}, s.t, s.v)
                      for s in series]
            yield MetricFamily(fam, ty, help_, chunks=chunks)
            continue
        yield MetricFamily(fam, ty, help_, chunks=list(_histogram_chunks(fam, series)))


def _histogram_chunks(fam: str, series: list[Any]) -> Iterator[HistogramChunk]:
    metrics: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    for s in series:
        lab = tuple((k, v) for k, v in s.labels if k not in ("__name__", "le"))
        m = metrics.setdefault(lab, {"buckets": {}})
        part = s.name[len(fam):]
        if part == "_bucket":
            le = dict(s.labels).get("le")
            if le is None:
                raise OpenMetricsError(f"{s.name} {dict(lab)}: bucket without le")
            m["buckets"][float(le.replace("Inf", "inf"))] = s
        else:
            m[part] = s
    for lab, m in sorted(metrics.items()):
        if "_sum" not in m or "_count" not in m or not m["buckets"]:
            raise OpenMetricsError(f"histogram {fam} {dict(lab)}: needs buckets, _sum and _count")
        les = sorted(m["buckets"])
        t = m["_count"].t_ms
        parts = [m["buckets"][x] for x in les] + [m["_sum"]]
        if any(len(p.t_ms) != len(t) or (p.t_ms != t).any() for p in parts):
            raise OpenMetricsError(f"histogram {fam} {dict(lab)}: its series have different "
                                   "timestamps")
        yield HistogramChunk(dict(lab), t / 1000.0, les,
                             np.stack([m["buckets"][x].v for x in les], axis=1),
                             m["_sum"].v, m["_count"].v)


# --- reader --------------------------------------------------------------------------------


@dataclass
class FamilyInfo:
    """Metadata of one family read back."""

    type: str = "unknown"
    help: str = ""
    unit: str = ""


@dataclass
class OpenMetricsData:
    """What :func:`read_openmetrics` returns: the series (sample names, as Prometheus
    stores them) and the families' metadata."""

    store: SeriesStore
    families: dict[str, FamilyInfo] = field(default_factory=dict)


_SAMPLE_RE = re.compile(
    r'(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?P<labels>\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?'
    r" (?P<value>\S+)(?: (?P<ts>\S+))?")
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _family_of(sample: str, families: Mapping[str, FamilyInfo]) -> str | None:
    for fam, info in families.items():
        for suf in _SUFFIXES.get(info.type, ("",)):
            if sample == fam + suf:
                return fam
    return None


def read_openmetrics(source: str | Path | IO[str]) -> OpenMetricsData:
    """Parse OpenMetrics text strictly (the rules the writer follows) into a store.

    Raises OpenMetricsError on a grammar error, an interleaved family/metric/point,
    non-increasing timestamps, a missing ``# EOF`` or data after it.
    """
    if isinstance(source, str | Path):
        fh: IO[str] = open(source, encoding="utf-8")  # noqa: SIM115
    else:
        fh = source
    try:
        return _read(fh)
    finally:
        if isinstance(source, str | Path):
            fh.close()


def _read(fh: IO[str] | io.StringIO) -> OpenMetricsData:
    families: dict[str, FamilyInfo] = {}
    samples: dict[tuple[tuple[str, str], ...], tuple[list[int], list[float]]] = {}
    current: str | None = None
    finished: set[str] = set()
    metric_key: tuple[tuple[str, str], ...] | None = None
    done_metrics: set[tuple[tuple[str, str], ...]] = set()
    point_ts: int | None = None
    eof = False
    for no, raw in enumerate(fh, 1):
        if eof:
            raise OpenMetricsError(f"line {no}: data after # EOF")
        if not raw.endswith("\n"):
            raise OpenMetricsError(f"line {no}: no line feed")
        line = raw[:-1]
        if line == "# EOF":
            eof = True
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[0] != "#" or parts[1] not in ("TYPE", "HELP", "UNIT"):
                raise OpenMetricsError(f"line {no}: {line!r} is not TYPE/HELP/UNIT/EOF")
            kind, name = parts[1], parts[2]
            text = parts[3] if len(parts) > 3 else ""
            if name != current:
                if name in families or name in finished:
                    raise OpenMetricsError(f"line {no}: family {name} interleaved")
                if current is not None:
                    finished.add(current)
                current, metric_key, done_metrics, point_ts = name, None, set(), None
                families[name] = FamilyInfo()
            info = families[name]
            if kind == "TYPE":
                if text not in _TYPES and text not in ("summary", "info", "stateset",
                                                        "gaugehistogram"):
                    raise OpenMetricsError(f"line {no}: bad type {text!r}")
                info.type = text
            elif kind == "HELP":
                info.help = _unescape(text)
            else:
                info.unit = text
            continue
        m = _SAMPLE_RE.fullmatch(line)
        if m is None:
            raise OpenMetricsError(f"line {no}: cannot parse {line!r}")
        name = m["name"]
        fam = _family_of(name, families)
        if fam is None:
            fam = name  # a sample without metadata is its own unknown family
            if fam in families or fam in finished:
                raise OpenMetricsError(f"line {no}: sample {name} outside its family")
            if current is not None:
                finished.add(current)
            families[fam] = FamilyInfo()
            current, metric_key, done_metrics, point_ts = fam, None, set(), None
        elif fam != current:
            raise OpenMetricsError(f"line {no}: family {fam} interleaved")
        labels: dict[str, str] = {}
        body = m["labels"]
        if body:
            inner = body[1:-1]
            pos = 0
            while pos < len(inner):
                lm = _LABEL_RE.match(inner, pos)
                if lm is None:
                    raise OpenMetricsError(f"line {no}: bad labels {body!r}")
                if lm[1] in labels:
                    raise OpenMetricsError(f"line {no}: label {lm[1]} twice")
                labels[lm[1]] = _unescape(lm[2])
                pos = lm.end()
                if pos < len(inner):
                    if inner[pos] != ",":
                        raise OpenMetricsError(f"line {no}: bad labels {body!r}")
                    pos += 1
        if m["ts"] is None:
            raise OpenMetricsError(f"line {no}: sample without timestamp")
        try:
            value = float(m["value"].replace("Inf", "inf"))
            ts_ms = int(float(m["ts"]) * 1000.0)  # as the Go parser: int64(ts * 1000)
        except ValueError as e:
            raise OpenMetricsError(f"line {no}: {e}") from e
        mkey = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        if mkey != metric_key:
            if mkey in done_metrics:
                raise OpenMetricsError(f"line {no}: metric {dict(mkey)} of {fam} interleaved")
            if metric_key is not None:
                done_metrics.add(metric_key)
            metric_key, point_ts = mkey, None
        skey = tuple(sorted({**labels, "__name__": name}.items()))
        ts_list, vs = samples.setdefault(skey, ([], []))
        if ts_list and ts_ms <= ts_list[-1]:
            raise OpenMetricsError(f"line {no}: timestamps of {name}{labels} do not increase")
        if point_ts is not None and ts_ms < point_ts:
            raise OpenMetricsError(f"line {no}: point of {fam} {dict(mkey)} interleaved")
        point_ts = ts_ms
        ts_list.append(ts_ms)
        vs.append(value)
    if not eof:
        raise OpenMetricsError("data does not end with # EOF")
    store = SeriesStore()
    for key, (ts_list, vs) in samples.items():
        store.add(dict(key), np.asarray(ts_list) / 1000.0, vs)
    return OpenMetricsData(store, families)
