"""Reading a run as a week: weekday clock times, the stress windows and the hardest hour.

Simulated time starts at ``simulation.startTime`` (default a Monday 00:00; only the weekday
and the hour matter), so a time ``t`` in seconds reads as ``Wed 10:00``. The stress windows
of run 0 are found from the scenario and the run's own records:

* ``peak``: the hour of highest mean offered load;
* ``spike``: each ``load.spikes`` entry, and any minute whose offered load is more than
  1.5 times the hour around it (random spikes, bursts in a trace);
* ``zone outage``, ``node failure``, ``spot reclaim``: nodes stopped together
  (``NodeDown`` events and their message) until they are ``NodeReady`` again;
* ``drain``: a node cordoned (``NodeNotSchedulable``) until it is schedulable again.

:func:`hardest_hour` scores the hour starting a little before each window by what callers
felt: failed requests first, then the time the p99 latency was above the tightest latency
SLO, then the highest offered load relative to ready capacity.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from capacity.scenario.model import Scenario

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOUR = 3600.0
LEAD = 600.0  # the hour starts this long before a window: what led up to it


def start_hour_of_week(sc: Scenario) -> float:
    """Hours after Monday 00:00 at which the simulation starts."""
    st = sc.simulation.startTime
    if not st:
        return 0.0
    d = _dt.datetime.fromisoformat(st)
    return d.weekday() * 24.0 + d.hour + d.minute / 60.0 + d.second / 3600.0


@dataclass(frozen=True)
class Clock:
    """Simulated seconds as weekday clock times."""

    start_hour: float = 0.0

    def weekday(self, t: float) -> int:
        """0 = Monday."""
        return int(((t / HOUR + self.start_hour) // 24) % 7)

    def day_name(self, t: float) -> str:
        return DAYS[self.weekday(t)]

    def day_start(self, t: float) -> float:
        """Simulated time of the midnight at or before ``t``."""
        h = t / HOUR + self.start_hour
        return (math.floor(h / 24) * 24 - self.start_hour) * HOUR

    def __call__(self, t: float, seconds: bool = False, day: bool = True) -> str:
        """``Wed 10:00`` (``Wed 10:00:15`` with ``seconds``; no weekday without ``day``)."""
        total = t + self.start_hour * HOUR
        s = round(total) % 86400
        hh, mm, ss = s // 3600, s % 3600 // 60, s % 60
        w = DAYS[int((round(total) // 86400) % 7)][:3]
        text = f"{hh:02d}:{mm:02d}" + (f":{ss:02d}" if seconds else "")
        return f"{w} {text}" if day else text


def clock(sc: Scenario) -> Clock:
    return Clock(start_hour_of_week(sc))


def duration_text(seconds: float) -> str:
    """``45 s``, ``5 min 12 s``, ``3 h 1 min``, ``2 d 4 h``: two units at most."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = round(seconds)
    if s < 60:
        return f"{seconds:.0f} s" if s or seconds == 0 else f"{seconds:.1f} s"
    parts = []
    for unit, n in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if s >= n or parts:
            q, s = divmod(s, n)
            if q or parts:
                parts.append((q, unit))
    parts = [p for p in parts[:2] if p[0]] or parts[:1]
    return " ".join(f"{q} {u}" for q, u in parts)


@dataclass
class Window:
    """A stretch of run 0 worth looking at."""

    kind: str  # peak, spike, zone outage, node failure, spot reclaim, drain
    start: float
    end: float
    what: str  # one line: "load ×2 for 10 min", "zone-c: 2 nodes down"

    @property
    def is_failure(self) -> bool:
        return self.kind not in ("peak", "spike")


@dataclass
class Hour:
    """A scored hour around a window: what callers felt in it."""

    window: Window
    start: float
    end: float
    failed_requests: float
    seconds_over_latency: float
    max_p99: float
    max_load_over_capacity: float
    label: str = ""
    rescales: list[tuple[float, str]] = field(default_factory=list)

    def key(self) -> tuple[float, float, float]:
        # Rounded so a difference of a hundredth of a request does not decide.
        return (round(self.failed_requests, 1), self.seconds_over_latency,
                self.max_load_over_capacity)


def _run0(ts: pd.DataFrame) -> pd.DataFrame:
    if "run" in ts and len(ts):
        return ts[ts["run"] == ts["run"].min()]
    return ts


def _dt_of(t: np.ndarray, end: float) -> np.ndarray:
    return np.diff(t, append=max(end, float(t[-1]) if len(t) else end))


def peak_window(ts: pd.DataFrame) -> Window | None:
    """The hour of highest mean offered load in run 0."""
    df = _run0(ts)
    if len(df) < 2:
        return None
    s = df.set_index(pd.to_timedelta(df["time"], unit="s"))["offered_rps"]
    roll = s.rolling("3600s").mean()
    end = float(roll.index[int(np.argmax(roll.to_numpy()))].total_seconds())
    start = max(end - HOUR, float(df["time"].min()))
    return Window("peak", start, start + HOUR,
                  f"highest hourly load, {float(roll.max()):.3g} requests per second on average")


def _spikes(sc: Scenario, ts: pd.DataFrame, duration: float) -> list[Window]:
    out = []
    for sp in sc.load.spikes:
        if sp.at < duration:
            out.append(Window("spike", sp.at, min(sp.at + sp.duration, duration),
                              f"load ×{sp.factor:g} for {duration_text(sp.duration)}, "
                              "set in load.spikes"))
    df = _run0(ts)
    if len(df) < 8:
        return out
    # A burst: a minute above 1.5 times the median of the hour before it and of the hour
    # after it (a change of level, such as Friday night into the weekend, is neither).
    t = df["time"].to_numpy(dtype=float)
    s = pd.Series(df["offered_rps"].to_numpy(dtype=float), index=pd.to_timedelta(t, unit="s"))
    minute = s.rolling("60s").mean()
    before = s.rolling("3600s").median().shift(1)
    after = s[::-1].set_axis(pd.to_timedelta(t[-1] - t[::-1], unit="s")) \
        .rolling("3600s").median().shift(1)[::-1].to_numpy()
    hot = ((minute.to_numpy() > 1.5 * before.to_numpy()) & (minute.to_numpy() > 1.5 * after)
           & (before.to_numpy() > 0) & (t - t[0] >= 1800) & (t[-1] - t >= 1800))
    times = t[hot]
    if len(times):
        groups = np.split(times, np.where(np.diff(times) > 600)[0] + 1)
        for g in groups:
            a, b = float(g[0]), float(g[-1])
            if b - a < 45 or any(w.start - 600 <= a <= w.end + 600 for w in out):
                continue
            out.append(Window("spike", a, b, "a burst of load (more than 1.5× the hour "
                                             "before and after it)"))
    return out


def _zone_of(node: str, zones: Sequence[str]) -> str | None:
    """The zone in a node's name (``<pool>-<zone>-<index>``)."""
    return next((z for z in sorted(zones, key=len, reverse=True) if f"-{z}-" in f"-{node}"),
                None)


def _node_windows(events: pd.DataFrame | None, duration: float,
                  zones: Sequence[str] = ()) -> list[Window]:
    if events is None or events.empty:
        return []
    ev = events[events["run"] == events["run"].min()] if "run" in events else events
    ev = ev.sort_values("time", kind="stable")
    out: list[Window] = []
    ready = ev[ev["reason"] == "NodeReady"]
    down = ev[ev["reason"] == "NodeDown"]
    # A group: nodes stopped within 2 minutes of each other for the same cause (the
    # message starts with it: zone, node, spot, maintenance).
    groups: list[dict[str, Any]] = []
    for _, e in down.iterrows():
        msg = str(e["message"])
        cause = msg.split(":", 1)[0].strip() if ":" in msg else "node"
        t = float(e["time"])
        g = next((g for g in groups if g["cause"] == cause and t - g["last"] <= 120), None)
        if g is None:
            g = {"cause": cause, "start": t, "last": t, "nodes": []}
            groups.append(g)
        g["last"] = t
        g["nodes"].append(str(e["name"]))
    spot_spans = []
    for g in groups:
        if g["cause"] == "maintenance":
            continue  # drains are their own windows below
        names = ", ".join(g["nodes"][:3]) + (", …" if len(g["nodes"]) > 3 else "")
        if g["cause"] == "spot":
            # A reclaimed node does not come back (a new one replaces it): the window is
            # the notice before it and the time its pods take to be replaced after.
            notice = ev[(ev["reason"] == "SpotInterruption") & ev["name"].isin(g["nodes"])
                        & (ev["time"] <= g["start"])]["time"]
            a = float(notice.min()) if len(notice) else g["start"]
            b = min(g["last"] + 600.0, duration)
            spot_spans.append((a, b))
            out.append(Window("spot reclaim", a, b, f"{len(g['nodes'])} spot node(s) "
                                                    f"reclaimed ({names})"))
            continue
        back = [float(ready[(ready["name"] == n) & (ready["time"] >= g["start"])]["time"].min())
                for n in g["nodes"]]
        back = [b for b in back if b == b]
        end = max(back) if len(back) == len(g["nodes"]) else duration
        if g["cause"] == "zone":
            zs = sorted({z for n in g["nodes"] if (z := _zone_of(n, zones)) is not None})
            out.append(Window("zone outage", g["start"], min(end, duration),
                              f"{', '.join(zs) or 'a zone'}: {len(g['nodes'])} node(s) down"))
        else:
            out.append(Window("node failure", g["start"], min(end, duration),
                              f"{len(g['nodes'])} node(s) down ({names})"))
    cordon = ev[ev["reason"] == "NodeNotSchedulable"]
    uncordon = ev[ev["reason"] == "NodeSchedulable"]
    spans = []
    for _, e in cordon.iterrows():
        t = float(e["time"])
        if any(a <= t <= b for a, b in spot_spans):
            continue  # the drain of a reclaimed spot node belongs to the reclaim
        back = uncordon[(uncordon["name"] == e["name"]) & (uncordon["time"] >= t)]["time"]
        spans.append((t, float(back.min()) if len(back) else duration, str(e["name"])))
    spans.sort()
    merged: list[list[Any]] = []
    for a, b, n in spans:
        if merged and a <= merged[-1][1] + 900:
            merged[-1][1] = max(merged[-1][1], b)
            merged[-1][2].append(n)
        else:
            merged.append([a, b, [n]])
    for a, b, nodes in merged:
        out.append(Window("drain", a, min(b, duration),
                          f"{len(nodes)} node(s) drained one after another"
                          if len(nodes) > 1 else f"node {nodes[0]} drained"))
    return out


def stress_windows(sc: Scenario, ts: pd.DataFrame, events: pd.DataFrame | None,
                   duration: float) -> list[Window]:
    """Every window of run 0 worth a look, in time order (see the module docstring)."""
    out = []
    p = peak_window(ts)
    if p is not None:
        out.append(p)
    out += _spikes(sc, ts, duration)
    out += _node_windows(events, duration, sc.cluster.zones if sc.cluster else ())
    return sorted(out, key=lambda w: (w.start, w.kind))


def tightest_latency(sc: Scenario) -> float | None:
    """The smallest latency SLO threshold in seconds, if any."""
    ts = [float(o.threshold) for o in sc.objectives.latency or []]
    return min(ts) if ts else None


def score_hour(ts: pd.DataFrame, window: Window, duration: float,
               latency_threshold: float | None) -> Hour:
    """What callers felt in the hour around ``window`` (run 0)."""
    df = _run0(ts)
    start = max(0.0, min(window.start - LEAD, duration - HOUR))
    if window.kind == "peak":
        start = max(0.0, window.start)
    end = min(start + HOUR, duration)
    w = df[(df["time"] >= start) & (df["time"] < end)]
    if w.empty:
        return Hour(window, start, end, 0.0, 0.0, math.nan, math.nan)
    t = w["time"].to_numpy(dtype=float)
    dt = _dt_of(t, end)
    failed = float(np.nansum(w["error_rps"].to_numpy(dtype=float) * dt)) \
        if "error_rps" in w else 0.0
    p99 = w["latency_p99"].to_numpy(dtype=float) if "latency_p99" in w else np.full(len(w), np.nan)
    over = float(dt[np.nan_to_num(p99, nan=0.0) > latency_threshold].sum()) \
        if latency_threshold is not None else 0.0
    cap = w["capacity_rps"].to_numpy(dtype=float) if "capacity_rps" in w else None
    off = w["offered_rps"].to_numpy(dtype=float)
    ratio = math.nan
    if cap is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(cap > 0, off / cap, np.where(off > 0, np.inf, 0.0))
        ratio = float(np.nanmax(r)) if len(r) else math.nan
    return Hour(window, start, end, failed, over,
                float(np.nanmax(p99)) if np.isfinite(p99).any() else math.nan, ratio)


def hardest_hour(sc: Scenario, ts: pd.DataFrame, events: pd.DataFrame | None,
                 duration: float) -> tuple[Hour | None, list[Hour]]:
    """The hardest hour of run 0 and every scored candidate (time order)."""
    thr = tightest_latency(sc)
    hours = [score_hour(ts, w, duration, thr) for w in stress_windows(sc, ts, events, duration)]
    ck = clock(sc)
    for h in hours:
        h.label = f"{h.window.kind} on {ck.day_name(h.window.start)} {ck(h.window.start, day=False)}"
    if not hours:
        return None, []
    best = max(hours, key=lambda h: (h.key(), -h.start))
    if events is not None and not events.empty:
        ev = events[events["run"] == events["run"].min()] if "run" in events else events
        r = ev[(ev["reason"] == "SuccessfulRescale") & (ev["time"] >= best.start)
               & (ev["time"] < best.end)]
        best.rescales = [(float(t), str(m)) for t, m in zip(r["time"], r["message"], strict=True)]
    return best, hours


def day_of(ts: pd.DataFrame, t: float, ck: Clock) -> pd.DataFrame:
    """Rows of run 0 on the calendar day holding ``t``."""
    df = _run0(ts)
    a = ck.day_start(t)
    return df[(df["time"] >= a) & (df["time"] < a + 86400)]


def human_times(seconds: Sequence[float], ck: Clock, with_seconds: bool = True) -> list[str]:
    return [ck(float(s), seconds=with_seconds) for s in seconds]
