"""Offered load as a piecewise-constant rate (requests per second) over the run.

``build_load(load, duration, rng, start_weekday_hour)`` returns two arrays: breakpoints
``times`` (seconds, starting at 0) and ``rates`` (rps on ``[times[i], times[i+1])``).
Everything is vectorised with numpy; the simulation then walks the segments.

Bases: ``constant``; ``diurnal`` (weekday/weekend cosine curve peaking at ``peakHour``);
``steps`` (level set at given times, 0 before the first); ``trace`` (a CSV, or a Prometheus
``query_range`` JSON response, replayed).
Modifiers: ``spikes`` (a factor over an interval), ``randomSpikes`` (Poisson arrivals per
day), ``noise`` (mean-one lognormal factor redrawn every ``interval``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from capacity.errors import ScenarioError
from capacity.scenario.model import Load, Trace


def _diurnal(t: np.ndarray, d, start_hour_of_week: float) -> np.ndarray:
    hours = (t / 3600.0 + start_hour_of_week) % (24 * 7)
    day = np.floor(hours / 24)  # 0 = Monday
    h = hours % 24
    shape = ((1 + np.cos(2 * math.pi * (h - d.peakHour) / 24)) / 2) ** d.sharpness
    level = d.min + (d.max - d.min) * shape
    return np.where(day >= 5, level * d.weekendFactor, level)


@dataclass
class PromSeries:
    """One series of a Prometheus range query: its labels, unix times (s) and values."""

    labels: dict[str, str]
    times: np.ndarray
    values: np.ndarray

    @property
    def name(self) -> str:
        """The series as Prometheus prints it: ``name{label="value", ...}`` (``{}`` if none)."""
        labels = dict(self.labels)
        metric = labels.pop("__name__", "")
        return metric + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def is_prometheus_json(path: Path) -> bool:
    """True for a ``.json`` file or one whose text starts with ``{`` (a CSV never does)."""
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as f:
            head = f.read(512).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")


def read_prometheus_matrix(path: Path) -> list[PromSeries]:
    """The series of a saved Prometheus ``/api/v1/query_range`` response.

    Accepts the whole response (``{"status": "success", "data": {"resultType": "matrix",
    "result": [...]}}``, as ``curl`` saves it) or its ``data`` object. Values are strings
    as Prometheus writes them. Raises ScenarioError naming the file for anything else:
    not JSON, an error response, an instant (``vector``) result, no series, a sample that
    is not ``[time, "value"]``, or a value that is NaN or infinite.
    """
    shown = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError("not a text file (UTF-8 JSON expected)", file=shown) from None
    except json.JSONDecodeError as e:
        raise ScenarioError(f"not JSON ({e.msg})", file=shown, line=e.lineno) from None
    if not isinstance(doc, dict):
        raise ScenarioError("not a Prometheus query_range response (a JSON object expected)",
                            file=shown)
    if doc.get("status") == "error":
        raise ScenarioError(f"Prometheus answered with an error ({doc.get('errorType', '?')}: "
                            f"{doc.get('error', '')})", file=shown)
    data = doc.get("data", doc)
    if not isinstance(data, dict) or "resultType" not in data:
        raise ScenarioError("not a Prometheus query_range response (no data.resultType)",
                            file=shown)
    if data["resultType"] != "matrix":
        raise ScenarioError("needs a range query result (resultType matrix, from "
                            "/api/v1/query_range)", file=shown, path="data.resultType",
                            value=data["resultType"], has_value=True)
    result = data.get("result")
    if not isinstance(result, list) or not result:
        raise ScenarioError("the query returned no series", file=shown, path="data.result")
    out: list[PromSeries] = []
    for i, item in enumerate(result):
        where = f"data.result[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            raise ScenarioError("a series needs metric and values", file=shown, path=where)
        labels = item.get("metric") if isinstance(item.get("metric"), dict) else {}
        times: list[float] = []
        values: list[float] = []
        for j, sample in enumerate(item["values"]):
            if not (isinstance(sample, list) and len(sample) == 2):
                raise ScenarioError('a sample must be [unix time, "value"]', file=shown,
                                    path=f"{where}.values[{j}]", value=sample, has_value=True)
            try:
                t, v = float(sample[0]), float(sample[1])
            except (TypeError, ValueError):
                raise ScenarioError('a sample must be [unix time, "value"]', file=shown,
                                    path=f"{where}.values[{j}]", value=sample,
                                    has_value=True) from None
            if not math.isfinite(v):
                series = PromSeries({str(k): str(x) for k, x in labels.items()},
                                    np.empty(0), np.empty(0))
                raise ScenarioError(
                    f"series {series.name} is {sample[1]} at {_utc(t)}: the query divides "
                    "by zero there; filter it (e.g. `> 0`) or fill it (`or vector(0)`)",
                    file=shown, path=f"{where}.values[{j}]")
            times.append(t)
            values.append(v)
        if not times:
            continue
        out.append(PromSeries({str(k): str(x) for k, x in labels.items()},
                              np.asarray(times, dtype=float), np.asarray(values, dtype=float)))
    if not out:
        raise ScenarioError("the query returned no samples", file=shown, path="data.result")
    return out


def _utc(t: float) -> str:
    return pd.Timestamp(t, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def sum_series(series: list[PromSeries]) -> tuple[np.ndarray, np.ndarray]:
    """(unix times, sum) over every series, as PromQL ``sum()`` does at each step.

    A time where only some series have a sample sums those present (a pod that came or
    went); the union of the series' times is returned, sorted.
    """
    times = np.unique(np.concatenate([s.times for s in series]))
    total = np.zeros(times.shape)
    for s in series:
        total[np.searchsorted(times, s.times)] += s.values
    return times, total


def read_csv_series(path: Path, time_column: str, value_column: str,
                    where: str = "load.trace") -> tuple[np.ndarray, np.ndarray]:
    """(times, values) of a CSV: times in seconds (unix time when they are dates).

    Numbers in the time column are taken as seconds as they are; dates and times are
    converted to unix seconds (UTC when no zone is given). Raises ScenarioError naming
    the file and row for a bad row, and ``where`` for a missing column.
    """
    shown = str(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ScenarioError(f"not a readable CSV ({str(e).splitlines()[0]})", file=shown) from None
    except pd.errors.EmptyDataError:
        raise ScenarioError("trace file is empty", file=shown) from None
    for col in (time_column, value_column):
        if col not in df.columns:
            raise ScenarioError(f"trace has no column {col!r} (columns: {', '.join(df.columns)})",
                                file=shown, path=where)
    if len(df) < 2:
        raise ScenarioError("trace needs at least two rows", file=shown)
    raw_t = df[time_column].str.strip()
    raw_v = df[value_column].str.strip()
    values = pd.to_numeric(raw_v, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise ScenarioError(f"column {value_column!r} must be a non-negative number",
                            file=f"{shown}:{i + 2}", value=raw_v.iloc[i], has_value=True)
    numeric_t = pd.to_numeric(raw_t, errors="coerce")
    if not numeric_t.isna().any():
        secs = numeric_t.to_numpy(dtype=float)
    else:
        parsed = pd.to_datetime(raw_t, errors="coerce", format="mixed", utc=True)
        if parsed.isna().any():
            i = int(np.argmax(parsed.isna().to_numpy()))
            raise ScenarioError(f"column {time_column!r} must be a time or a number of seconds",
                                file=f"{shown}:{i + 2}", value=raw_t.iloc[i], has_value=True)
        epoch = pd.Timestamp(0, tz="UTC")
        secs = (parsed - epoch).dt.total_seconds().to_numpy(dtype=float)
    if np.any(np.diff(secs) < 0):
        i = int(np.argmax(np.diff(secs) < 0)) + 1
        raise ScenarioError(f"column {time_column!r} must not go back in time",
                            file=f"{shown}:{i + 2}", value=raw_t.iloc[i], has_value=True)
    return secs, values.to_numpy(dtype=float)


def read_trace(tr: Trace) -> tuple[np.ndarray, np.ndarray]:
    """(seconds from the first sample, rps) from a trace file; raises ScenarioError.

    The file is a CSV (``timeColumn``, ``valueColumn``) or, when it ends in ``.json`` or
    its text starts with ``{``, a Prometheus ``query_range`` response whose series are
    summed (see :func:`read_prometheus_matrix`). ``unit`` and ``scale`` apply to both.
    """
    path = Path(tr.path)
    shown = str(path)
    if not path.exists():
        raise ScenarioError("trace file not found", file=shown)
    if is_prometheus_json(path):
        secs, v = sum_series(read_prometheus_matrix(path))
        if secs.size < 2:
            raise ScenarioError("trace needs at least two samples", file=shown)
        if np.any(v < 0):
            i = int(np.argmax(v < 0))
            raise ScenarioError("the series sum must be non-negative (a rate of requests)",
                                file=shown, value=f"{v[i]:g} at {_utc(secs[i])}", has_value=True)
    else:
        secs, v = read_csv_series(path, tr.timeColumn, tr.valueColumn)
    secs = secs - secs[0]
    # Aggregate rows with the same timestamp (per-request traces) into counts.
    step = np.diff(secs)
    positive = step[step > 0]
    interval = float(np.median(positive)) if positive.size else 1.0
    if tr.unit == "perMinute":
        rps = v / 60.0
    elif tr.unit == "perInterval":
        rps = v / interval
    else:
        rps = v
    return secs, rps * tr.scale


def _trace_segments(tr: Trace, duration: float) -> tuple[np.ndarray, np.ndarray]:
    secs, rps = read_trace(tr)
    step = np.diff(secs)
    interval = float(np.median(step[step > 0])) if np.any(step > 0) else 1.0
    ends = np.append(secs[1:], secs[-1] + interval)
    if tr.resample:
        # Time-weighted average into fixed buckets.
        b = tr.resample
        nb = max(1, math.ceil(ends[-1] / b))
        edges = np.arange(nb + 1) * b
        cum = np.concatenate([[0.0], np.cumsum(rps * (ends - secs))])
        knots = np.concatenate([secs, ends[-1:]])
        area = np.interp(edges, knots, cum)
        secs = edges[:-1]
        rps = np.diff(area) / b
        ends = edges[1:]
    # skip the start offset
    keep = ends > tr.startOffset
    secs, rps, ends = secs[keep] - tr.startOffset, rps[keep], ends[keep] - tr.startOffset
    if secs.size == 0:
        raise ScenarioError("startOffset is beyond the end of the trace", path="load.trace.startOffset",
                            value=tr.startOffset, has_value=True)
    secs[0] = 0.0
    span = ends[-1]
    if span < duration and tr.loop:
        reps = math.ceil(duration / span)
        secs = np.concatenate([secs + k * span for k in range(reps)])
        rps = np.tile(rps, reps)
    return secs, rps


def build_load(load: Load, duration: float, rng: np.random.Generator,
               start_hour_of_week: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints and rates (see module docstring). Times cover ``[0, duration)``."""
    res = load.resolution
    extra: list[float] = [0.0]
    if load.trace is not None:
        times, base = _trace_segments(load.trace, duration)
        keep = times < duration
        times, base = times[keep], base[keep]
    else:
        grid = np.arange(0.0, duration, res)
        if load.steps:
            extra.extend(s.at for s in load.steps if s.at < duration)
        for s in load.spikes:
            extra.extend([s.at, s.at + s.duration])
        times = np.unique(np.concatenate([grid, np.array(extra)]))
        times = times[times < duration]
        if load.constant is not None:
            base = np.full(times.shape, float(load.constant))
        elif load.diurnal is not None:
            ends = np.append(times[1:], duration)
            base = _diurnal((times + ends) / 2, load.diurnal, start_hour_of_week)
        else:
            steps = sorted(load.steps or [], key=lambda s: s.at)
            at = np.array([s.at for s in steps])
            lv = np.array([s.rps for s in steps])
            idx = np.searchsorted(at, times, side="right") - 1
            base = np.where(idx >= 0, lv[np.clip(idx, 0, None)], 0.0)
    rates = base.astype(float).copy()
    # Modifiers need their own breakpoints.
    cuts: list[float] = []
    spikes = [(s.at, s.at + s.duration, s.factor) for s in load.spikes]
    if load.randomSpikes is not None and load.randomSpikes.perDay > 0:
        rs = load.randomSpikes
        n = rng.poisson(rs.perDay * duration / 86400.0)
        starts = np.sort(rng.uniform(0, duration, size=n))
        from capacity.sim.distributions import sample

        for s0 in starts:
            spikes.append((float(s0), float(s0) + sample(rs.duration, rng), rs.factor))
    for a, b, _ in spikes:
        cuts.extend([a, b])
    if load.noise is not None and load.noise.cv > 0:
        cuts.extend(np.arange(0.0, duration, load.noise.interval).tolist())
    if cuts:
        new_times = np.unique(np.concatenate([times, np.array(cuts)]))
        new_times = new_times[(new_times >= 0) & (new_times < duration)]
        idx = np.searchsorted(times, new_times, side="right") - 1
        rates = rates[idx]
        times = new_times
    for a, b, f in spikes:
        rates[(times >= a) & (times < b)] *= f
    if load.noise is not None and load.noise.cv > 0:
        sigma2 = math.log1p(load.noise.cv**2)
        k = (times // load.noise.interval).astype(np.int64)
        draws = rng.lognormal(-sigma2 / 2, math.sqrt(sigma2), size=int(k.max()) + 1)
        rates = rates * draws[k]
    # Merge equal neighbours: fewer events to walk.
    if times.size > 1:
        change = np.concatenate([[True], rates[1:] != rates[:-1]])
        times, rates = times[change], rates[change]
    return times.astype(float), rates.astype(float)


def external_series(load: Load, column: str, duration: float,
                    where: str) -> tuple[np.ndarray, np.ndarray]:
    """A column of ``load.trace``'s file as a step series over the run (times from 0, the
    same start offset, resampling and looping as the load; values as written).

    Raises ScenarioError naming ``where`` when there is no CSV trace or no such column.
    """
    tr = load.trace
    if tr is None:
        raise ScenarioError("reads a trace column, but the load has no trace", path=where)
    if is_prometheus_json(Path(tr.path)):
        raise ScenarioError("a Prometheus JSON trace has one value per time: give the series "
                            "as fromLoad or constant, or use a CSV trace", path=where)
    col = tr.model_copy(update={"valueColumn": column, "unit": "perSecond", "scale": 1.0})
    t, v = _trace_segments(col, duration)
    keep = t < duration
    return t[keep], v[keep]
