"""Offered load as a piecewise-constant rate (requests per second) over the run.

``build_load(load, duration, rng, start_weekday_hour)`` returns two arrays: breakpoints
``times`` (seconds, starting at 0) and ``rates`` (rps on ``[times[i], times[i+1])``).
Everything is vectorised with numpy; the simulation then walks the segments.

Bases: ``constant``; ``diurnal`` (weekday/weekend cosine curve peaking at ``peakHour``);
``steps`` (level set at given times, 0 before the first); ``trace`` (a CSV replayed).
Modifiers: ``spikes`` (a factor over an interval), ``randomSpikes`` (Poisson arrivals per
day), ``noise`` (mean-one lognormal factor redrawn every ``interval``).
"""

from __future__ import annotations

import math
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


def read_trace(tr: Trace) -> tuple[np.ndarray, np.ndarray]:
    """(seconds from the first row, rps) from a trace CSV; raises ScenarioError on bad rows."""
    path = Path(tr.path)
    shown = str(path)
    if not path.exists():
        raise ScenarioError("trace file not found", file=shown)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ScenarioError(f"not a readable CSV ({str(e).splitlines()[0]})", file=shown) from None
    except pd.errors.EmptyDataError:
        raise ScenarioError("trace file is empty", file=shown) from None
    for col in (tr.timeColumn, tr.valueColumn):
        if col not in df.columns:
            raise ScenarioError(f"trace has no column {col!r} (columns: {', '.join(df.columns)})",
                                file=shown, path="load.trace")
    if len(df) < 2:
        raise ScenarioError("trace needs at least two rows", file=shown)
    raw_t = df[tr.timeColumn].str.strip()
    raw_v = df[tr.valueColumn].str.strip()
    values = pd.to_numeric(raw_v, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise ScenarioError(f"column {tr.valueColumn!r} must be a non-negative number",
                            file=f"{shown}:{i + 2}", value=raw_v.iloc[i], has_value=True)
    numeric_t = pd.to_numeric(raw_t, errors="coerce")
    if not numeric_t.isna().any():
        secs = numeric_t.to_numpy(dtype=float)
    else:
        parsed = pd.to_datetime(raw_t, errors="coerce", format="mixed")
        if parsed.isna().any():
            i = int(np.argmax(parsed.isna().to_numpy()))
            raise ScenarioError(f"column {tr.timeColumn!r} must be a time or a number of seconds",
                                file=f"{shown}:{i + 2}", value=raw_t.iloc[i], has_value=True)
        secs = (parsed - parsed.iloc[0]).dt.total_seconds().to_numpy(dtype=float)
    secs = secs - secs[0]
    if np.any(np.diff(secs) < 0):
        i = int(np.argmax(np.diff(secs) < 0)) + 1
        raise ScenarioError(f"column {tr.timeColumn!r} must not go back in time",
                            file=f"{shown}:{i + 2}", value=raw_t.iloc[i], has_value=True)
    v = values.to_numpy(dtype=float)
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
