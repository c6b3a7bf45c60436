"""Alerting (and recording) rules evaluated over simulated series, as Prometheus does it.

Follows ``rules/alerting.go`` (``AlertingRule.Eval``) and ``rules/manager.go``
(``Group.Eval``) of Prometheus v2.42:

* a group is evaluated every ``interval``; at each evaluation its rules run in order, each
  as an instant query at that time (see :mod:`capacity.analysis.promql`);
* every output series of an alert's expression is an active alert, its labels those of the
  series without ``__name__``, then the rule's ``labels``, then ``alertname``; a new one is
  *pending* from that evaluation; it turns *firing* at the first evaluation at least
  ``for`` after it became active (at once with ``for: 0``); it is resolved at the first
  evaluation where the expression no longer returns it, unless it was firing and
  ``keep_firing_for`` has not yet elapsed since it was first missing (if it comes back
  within that time it is the same alert, still firing);
* a recording rule's output is written at the evaluation time under its ``record`` name
  (its ``labels`` applied) and seen by the rules after it; a series it stops returning gets
  a staleness marker, as ``Group.Eval`` writes one. Groups are evaluated in the order
  given, so a group sees the recorded series of the groups before it.

Evaluation times (the documented choice): group ``g`` is evaluated at
``start + phase + k * interval`` for k = 0, 1, ... up to ``end``. The Prometheus server puts
a group's evaluations at a fixed phase within the interval (``Group.EvalTimestamp``: a hash
of the group's name and file modulo the interval), which nothing offline can know, so the
phase is a parameter (one for all groups or one per group name); the default 0 is what
``promtool test rules`` does (evaluations at 0, interval, 2 × interval, ...).

Not modelled (they raise instead of being ignored): templates in rule labels, ``limit``,
``query_offset``, and expressions reading the ``ALERTS`` / ``ALERTS_FOR_STATE`` series.
Annotations are not evaluated (they do not change alert state). Where Prometheus would log
a failed evaluation and go on (duplicate label sets after relabelling, many-to-many
matching at one step), this raises :class:`~capacity.analysis.promql.PromQLError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from capacity.analysis.promql import (
    LOOKBACK_DELTA,
    STALE_NAN,
    PromQLError,
    Query,
    SeriesStore,
    UnsupportedPromQL,
)

__all__ = [
    "AlertInterval",
    "AlertResult",
    "RuleResults",
    "evaluate_rules",
    "parse_duration",
]

_DURATION_RE = re.compile(
    r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_UNITS = (365 * 86400.0, 7 * 86400.0, 86400.0, 3600.0, 60.0, 1.0, 0.001)
_GROUP_KEYS = {"name", "interval", "rules", "limit", "query_offset"}
_ALERT_KEYS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
_RECORD_KEYS = {"record", "expr", "labels"}


def parse_duration(value: str | float | int | None, default: float = 0.0) -> float:
    """A Prometheus duration (``model.ParseDuration``: ``1h30m``, ``90s``, ``500ms``, ``0``)
    or a number of seconds, in seconds. Raises ValueError for anything else."""
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"negative duration {value}")
        return float(value)
    text = str(value).strip()
    if text == "0":
        return 0.0
    m = _DURATION_RE.fullmatch(text)
    if not text or m is None or not any(m.groups()):
        raise ValueError(f"not a Prometheus duration: {value!r}")
    return sum(int(g) * u for g, u in zip(m.groups(), _UNITS, strict=True) if g)


@dataclass(frozen=True)
class AlertInterval:
    """One episode of one alert instance; times in seconds (the store's time base).

    ``firing_since`` is None when it never fired (pending, then gone); ``resolved_at`` is
    None when it was still active at the last evaluation.
    """

    labels: dict[str, str]
    pending_since: float
    firing_since: float | None
    resolved_at: float | None


@dataclass
class AlertResult:
    """Every episode of one alerting rule, and the group's evaluation times (seconds)."""

    name: str
    severity: str | None
    for_: float
    keep_firing_for: float
    group: str
    eval_times: np.ndarray
    intervals: list[AlertInterval] = field(default_factory=list)

    def firing_at(self, t: float) -> list[dict[str, str]]:
        """Label sets firing after the last evaluation at or before ``t`` (seconds), the
        state ``promtool test rules`` compares at ``eval_time: t``; sorted."""
        i = int(np.searchsorted(self.eval_times, t, side="right")) - 1
        if i < 0:
            return []
        e = float(self.eval_times[i])
        out = [iv.labels for iv in self.intervals
               if iv.firing_since is not None and iv.firing_since <= e
               and (iv.resolved_at is None or iv.resolved_at > e)]
        return sorted(out, key=lambda d: sorted(d.items()))

    def summary(self, start: float, end: float) -> dict[str, Any]:
        """DESIGN §11's ``summary.alerts`` entry for one run spanning [start, end] s.

        ``fired``: firing episodes over all instances (what the Alertmanager is sent);
        ``firing_seconds``: time during which at least one instance was firing, from
        ``firing_since`` to ``resolved_at`` (or ``end`` when still firing);
        ``first_fired_at``: seconds after ``start`` of the first firing, or None.
        """
        spans = sorted((iv.firing_since, end if iv.resolved_at is None else iv.resolved_at)
                       for iv in self.intervals if iv.firing_since is not None)
        total = 0.0
        cur_a: float | None = None
        cur_b = 0.0
        for a, b in spans:
            a, b = max(a, start), min(b, end)
            if b <= a:
                continue
            if cur_a is None or a > cur_b:
                if cur_a is not None:
                    total += cur_b - cur_a
                cur_a, cur_b = a, b
            else:
                cur_b = max(cur_b, b)
        if cur_a is not None:
            total += cur_b - cur_a
        return {"severity": self.severity, "fired": len(spans), "firing_seconds": total,
                "first_fired_at": (spans[0][0] - start) if spans else None}


@dataclass
class RuleResults:
    """What :func:`evaluate_rules` returns: the alerts in rule order, and the store with
    the recorded series added (the input store itself when there are no recording rules)."""

    alerts: list[AlertResult]
    store: SeriesStore
    start: float
    end: float

    def __getitem__(self, name: str) -> AlertResult:
        found = [a for a in self.alerts if a.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} alerting rules named {name!r}")
        return found[0]

    def summary(self) -> dict[str, dict[str, Any]]:
        """``{alert name: summary}`` (see :meth:`AlertResult.summary`). Raises ValueError
        when two rules share a name (the summary is keyed by name)."""
        out: dict[str, dict[str, Any]] = {}
        for a in self.alerts:
            if a.name in out:
                raise ValueError(f"two alerting rules named {a.name!r}")
            out[a.name] = a.summary(self.start, self.end)
        return out


def _groups_of(rules: Any) -> list[Mapping[str, Any]]:
    if isinstance(rules, Mapping):
        if "spec" in rules:
            return list(rules["spec"]["groups"])
        if "groups" in rules:
            return list(rules["groups"])
        if "rules" in rules:
            return [rules]
        raise ValueError("expected a PrometheusRule, a rule file or a rule group")
    return list(rules)


def evaluate_rules(rules: Any, store: SeriesStore, start: float, end: float, *,
                   phase: float | Mapping[str, float] = 0.0, default_interval: float = 60.0,
                   lookback_delta: float = LOOKBACK_DELTA) -> RuleResults:
    """Evaluate every rule group over [start, end] (seconds) on ``store``.

    ``rules``: a PrometheusRule object (``spec.groups``), a rule file (``groups``), one
    group (``name``, ``interval``, ``rules``), or a list of groups. ``phase`` (seconds, in
    [0, interval)) shifts a group's evaluations; a mapping gives it per group name (0 for
    the others). ``default_interval`` is the global ``evaluation_interval`` for groups
    without one. Raises ValueError for malformed rules, UnsupportedPromQL / PromQLError
    from the expressions.
    """
    if end < start:
        raise ValueError("end is before start")
    alerts: list[AlertResult] = []
    work = store
    for g in _groups_of(rules):
        unknown = set(g) - _GROUP_KEYS
        if unknown:
            raise ValueError(f"rule group {g.get('name')!r}: unknown keys {sorted(unknown)}")
        gname = str(g.get("name", ""))
        if g.get("limit"):
            raise ValueError(f"rule group {gname!r}: 'limit' is not modelled")
        if g.get("query_offset"):
            raise ValueError(f"rule group {gname!r}: 'query_offset' is not modelled (Prometheus "
                             "2.42 has none)")
        interval = parse_duration(g.get("interval"), default_interval)
        if interval <= 0:
            raise ValueError(f"rule group {gname!r}: interval must be positive")
        ph = float(phase.get(gname, 0.0)) if isinstance(phase, Mapping) else float(phase)
        if not 0 <= ph < interval:
            raise ValueError(f"rule group {gname!r}: phase {ph} s outside [0, {interval})")
        ts_ms = np.arange(round((start + ph) * 1000), round(end * 1000) + 1,
                          round(interval * 1000), dtype=np.int64)
        times = ts_ms / 1000.0
        for rule in g.get("rules", []):
            if "alert" in rule:
                alerts.append(_alert(rule, gname, work, times, ts_ms, lookback_delta))
            elif "record" in rule:
                if work is store:
                    work = store.overlay()
                _record(rule, gname, work, times, lookback_delta)
            else:
                raise ValueError(f"rule group {gname!r}: a rule with neither alert nor record")
    return RuleResults(alerts, work, float(start), float(end))


def _query(rule: Mapping[str, Any], what: str) -> Query:
    q = Query(str(rule["expr"]))
    if re.search(r"\bALERTS(_FOR_STATE)?\b", q.expr):
        raise UnsupportedPromQL(q.expr, f"{what} reads the ALERTS series, which are not produced")
    return q


def _static_labels(rule: Mapping[str, Any], what: str) -> dict[str, str]:
    labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
    for k, v in labels.items():
        if "{{" in v:
            raise ValueError(f"{what}: templated label {k}={v!r} is not supported")
    return labels


def _alert(rule: Mapping[str, Any], group: str, store: SeriesStore, times: np.ndarray,
           ts_ms: np.ndarray, lookback: float) -> AlertResult:
    name = str(rule["alert"])
    what = f"alert {name}"
    unknown = set(rule) - _ALERT_KEYS
    if unknown:
        raise ValueError(f"{what}: unknown keys {sorted(unknown)}")
    hold = parse_duration(rule.get("for"))
    keep = parse_duration(rule.get("keep_firing_for"))
    extra = _static_labels(rule, what)
    q = _query(rule, what)
    res = q.range(store, times, lookback_delta=lookback)
    n = len(times)
    present: dict[tuple[tuple[str, str], ...], np.ndarray] = {}
    if res.kind == "scalar":
        # EngineQueryFunc turns a scalar into one sample without labels.
        present[()] = np.ones(n, dtype=bool)
    for s in res.series:
        lab = {k: v for k, v in s.labels.items() if k != "__name__"}
        lab.update(extra)
        lab["alertname"] = name
        key = tuple(sorted((k, v) for k, v in lab.items() if v != ""))
        idx = np.searchsorted(times, s.t)
        m = present.setdefault(key, np.zeros(n, dtype=bool))
        if m[idx].any():
            step = float(times[idx[m[idx]][0]])
            raise PromQLError(f"{what} at {step}s: vector contains metrics with the same "
                              "labelset after applying alert labels")
        m[idx] = True
    if res.kind == "scalar":
        m = present.pop(())
        lab = dict(extra, alertname=name)
        present[tuple(sorted((k, v) for k, v in lab.items() if v != ""))] = m
    hold_ms, keep_ms = round(hold * 1000), round(keep * 1000)
    intervals = []
    for key, m in sorted(present.items()):
        for a, f, r in _episodes(ts_ms, m, hold_ms, keep_ms):
            intervals.append(AlertInterval(dict(key), float(times[a]),
                                           None if f is None else float(times[f]),
                                           None if r is None else float(times[r])))
    intervals.sort(key=lambda iv: (iv.pending_since, sorted(iv.labels.items())))
    sev = extra.get("severity")
    return AlertResult(name, sev, hold, keep, group, times, intervals)


def _runs(m: np.ndarray) -> list[tuple[int, int]]:
    """Maximal [a, b) index ranges where ``m`` is True."""
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(),
                    strict=True))


def _episodes(ts: np.ndarray, m: np.ndarray, hold: int, keep: int
              ) -> list[tuple[int, int | None, int | None]]:
    """(active, fired, resolved) evaluation indices of one alert instance, from the steps
    where the expression returned it: the state machine of ``AlertingRule.Eval``."""
    n = len(ts)
    runs = _runs(m)
    out: list[tuple[int, int | None, int | None]] = []
    i = 0
    while i < len(runs):
        a, b = runs[i]
        fired = a + int(np.searchsorted(ts[a:b] - ts[a], hold, side="left"))
        if fired >= b:  # still pending when it went away: deleted at b
            out.append((a, None, b if b < n else None))
            i += 1
            continue
        end = b
        resolved: int | None
        while True:
            if end >= n:
                resolved = None
                break
            if keep <= 0:
                resolved = end
                break
            # Missing from `end` on: keeps firing while less than keep_firing_for has passed.
            nxt = runs[i + 1][0] if i + 1 < len(runs) else n
            s = end + int(np.searchsorted(ts[end:nxt] - ts[end], keep, side="left"))
            if s < nxt:
                resolved = s
                break
            if nxt >= n:
                resolved = None
                break
            i += 1  # back before keep_firing_for ran out: the same alert, still firing
            end = runs[i][1]
        out.append((a, fired, resolved))
        i += 1
    return out


def _record(rule: Mapping[str, Any], group: str, store: SeriesStore, times: np.ndarray,
            lookback: float) -> None:
    name = str(rule["record"])
    what = f"recording rule {name}"
    unknown = set(rule) - _RECORD_KEYS
    if unknown:
        raise ValueError(f"{what}: unknown keys {sorted(unknown)}")
    extra = _static_labels(rule, what)
    q = _query(rule, what)
    res = q.range(store, times, lookback_delta=lookback)
    outs: dict[tuple[tuple[str, str], ...], tuple[np.ndarray, np.ndarray]] = {}
    if res.kind == "scalar":
        assert res.scalar is not None
        outs[()] = (np.arange(len(times)), res.scalar)
    else:
        for s in res.series:
            lab = dict(s.labels)
            lab["__name__"] = name
            lab.update(extra)
            key = tuple(sorted((k, v) for k, v in lab.items() if v != ""))
            if key in outs:
                raise PromQLError(f"{what}: two output series with the labels {dict(key)}")
            outs[key] = (np.searchsorted(times, s.t), s.v)
    if res.kind == "scalar":
        idx, v = outs.pop(())
        lab = dict(extra, __name__=name)
        outs[tuple(sorted(lab.items()))] = (idx, v)
    n = len(times)
    for key, (idx, v) in outs.items():
        if store.get(dict(key)) is not None:
            raise ValueError(f"{what}: its output {dict(key)} already exists in the store")
        m = np.zeros(n, dtype=bool)
        m[idx] = True
        vals = np.full(n, STALE_NAN)
        vals[idx] = v
        # A series no longer returned gets a staleness marker at the next evaluation.
        stale = np.zeros(n, dtype=bool)
        stale[1:] = m[:-1] & ~m[1:]
        keep = m | stale
        store.add(dict(key), times[keep], vals[keep])
