"""The verdict on one scenario: what a reader needs before any evidence.

From the summary alone (and the HPA's zone-down check when it was run):

* each SLO met or missed, with the share of its error budget a month would spend;
* the monthly cost with its interval, and the node bill under it;
* the recommendation: keep the HPA or run the cheapest safe fixed replica count that the
  fixed-replica search found (``cost.comparisons``), with the search's reasons;
* for a scenario with an HPA: whether its own configuration is safe: the PDB still allows
  a drain at ``minReplicas``, the SLOs hold with the largest zone down, and ``check``
  finds no error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from capacity.report.fmt import count, interval, money, near_one, pct, with_interval
from capacity.scenario.model import Scenario

Status = Literal["ok", "warn", "fail"]


@dataclass
class HpaSafety:
    """Is the HPA configuration itself safe to run? ``None`` fields were not checked."""

    pdb: str | None  # why the PDB blocks drains at minReplicas, None when it does not
    zone: str | None  # the largest zone's name
    zone_down_missed: list[str] | None  # objectives missed with that zone down (None: unchecked)
    errors: list[str] = field(default_factory=list)  # check findings of severity error
    warnings: list[dict[str, str]] = field(default_factory=list)  # with their fixes

    @property
    def safe(self) -> bool | None:
        if self.pdb or self.errors or self.zone_down_missed:
            return False
        return None if self.zone_down_missed is None and self.zone is not None else True

    def reasons(self) -> list[str]:
        out = []
        if self.pdb:
            out.append(self.pdb)
        if self.zone_down_missed:
            out.append(f"with zone {self.zone} down the SLOs fail: "
                       + "; ".join(self.zone_down_missed))
        out += self.errors
        return out


@dataclass
class Verdict:
    scenario: str
    status: Status
    headline: str
    slos: list[tuple[str, str]]  # (sli, sentence)
    cost: str
    recommendation: str
    reasons: list[str]
    hpa: str | None
    notices: list[str]

    def lines(self) -> list[tuple[str, str]]:
        """(label, text) rows of the verdict box, in order."""
        rows = [(f"{sli.capitalize()} SLO", s) for sli, s in self.slos] \
            or [("SLOs", "the scenario sets no objectives")]
        rows.append(("Cost", self.cost))
        rows.append(("Recommendation", self.recommendation))
        if self.hpa is not None:
            rows.append(("HPA configuration", self.hpa))
        return rows


def slo_sentence(s: Mapping[str, Any]) -> str:
    """``availability 99.9%: 99.99994% good, met; 0.06% of the error budget (8 of 14,501
    failed requests a month)``."""
    g = s["good_fraction"]
    lo = g["ci95"][0] if g.get("ci95") else None
    if s["met"]:
        state = "**met**" if lo is None or lo >= s["target"] - 1e-12 else \
            "**met** by the mean, but its 95% interval reaches below the target"
    else:
        state = "**missed**"
    used = s.get("error_budget_used")
    bad, budget = s.get("bad_requests_per_month"), s.get("budget_requests_per_month")
    what = "failed" if s["sli"] == "availability" else "slow"
    return (f"{s['name']}: {near_one(g['mean'])} good, {state}; "
            f"{pct(used, 1)} of the error budget "
            f"({count(bad)} of {count(budget)} {what} requests a month allowed)")


def _comparison(summary: Mapping[str, Any]) -> Mapping[str, Any]:
    c = (summary.get("cost") or {}).get("comparisons") or {}
    return c if c.get("computed") else {}


def search_reasons(cmp_: Mapping[str, Any], limit: int | None = None) -> list[str]:
    """Why fewer fixed replicas were not chosen: candidates that missed an objective, then
    those excluded as unsafe, with the search's own words."""
    s = cmp_.get("search") or {}
    out = []
    for n, t in sorted((s.get("tried") or {}).items(), key=lambda kv: int(kv[0])):
        if not t.get("meets"):
            out.append(f"{n} fixed replica{'s' if n != '1' else ''}: misses "
                       + ("; ".join(t.get("missed") or []) or "the objectives"))
    for n, why in sorted((s.get("excluded") or {}).items(), key=lambda kv: int(kv[0])):
        out.append(f"{n} fixed replica{'s' if n != '1' else ''}: not safe, {why}")
    return out if limit is None else out[:limit]


def hpa_safety(sc: Scenario, summary: Mapping[str, Any],
               zone_down: Mapping[str, Any] | None) -> HpaSafety | None:
    """The HPA's own safety (None without an HPA). ``zone_down``: ``{"zone", "missed"}``
    from the simulation with the largest zone down, None when not simulated."""
    from capacity.analysis.safety import largest_zone, pdb_blocks_drains

    h = sc.autoscaling.horizontal
    if h is None:
        return None
    lo = h.minReplicas if h.minReplicas is not None else 1
    findings = summary.get("findings") or []
    errors = [f"check {f.get('code')}: {f.get('message')}" for f in findings
              if f.get("severity") == "error"]
    warnings = [f for f in findings if f.get("severity") == "warning"]
    zone = (zone_down or {}).get("zone") or (largest_zone(sc) if sc.cluster is not None
                                            and len(sc.cluster.zones) > 1 else None)
    return HpaSafety(pdb=pdb_blocks_drains(sc, lo), zone=zone,
                     zone_down_missed=None if zone_down is None else list(zone_down["missed"]),
                     errors=errors, warnings=warnings)


def verdict(sc: Scenario, summary: Mapping[str, Any], safety: HpaSafety | None) -> Verdict:
    """The verdict box's content for one scenario."""
    slos = list(summary.get("slo") or [])
    missed = [s for s in slos if not s["met"]]
    c = summary["cost"]
    cur = c["currency"]
    cost = (f"{with_interval(c['per_month'], c.get('per_month_ci95'))} {cur} a month for the "
            "pods' requests")
    nodes = c.get("nodes")
    if nodes:
        share = c["per_month"] / nodes["per_month"] if nodes.get("per_month") else None
        cost += (f"; the nodes under them cost {money(nodes['per_month'])} {cur} a month"
                 + (f" (this workload's requests are {pct(share, 1)} of it)" if share else ""))
    spot = (c.get("breakdown") or {}).get("spot") or {}
    if spot.get("cost_share"):
        cost += f"; {pct(spot['pod_hours_share'], 0)} of pod-hours on spot"

    headline = ("no objectives set" if not slos else
                f"meets {'its SLO' if len(slos) == 1 else f'all {len(slos)} SLOs'}"
                if not missed else
                f"misses {len(missed)} of {len(slos)} SLO{'s' if len(slos) != 1 else ''}")
    h = sc.autoscaling.horizontal
    hpa_text = None
    if safety is not None:
        if safety.safe is False:
            hpa_text = "**not safe**: " + "; ".join(safety.reasons())
        elif safety.safe is None:
            hpa_text = (f"the PDB allows drains at minReplicas {h.minReplicas if h else ''}; "
                        "not checked with a zone down (comparisons not run)")
        else:
            parts = [f"**safe**: the PDB allows a drain at minReplicas "
                     f"{h.minReplicas if h else ''}"]
            if safety.zone:
                parts.append(f"the SLOs hold with {safety.zone} (the largest zone) down")
            hpa_text = ", ".join(parts)
        if safety.warnings:
            hpa_text += "; check warns: " + "; ".join(
                f"{w.get('code')} (fix: {w.get('fix')})" for w in safety.warnings[:2])

    rec, reasons = _recommendation(sc, summary, safety, missed)
    notices = list(summary.get("notices") or [])
    status: Status = "fail" if missed else "ok"
    if status == "ok" and ((safety is not None and safety.safe is False) or notices):
        status = "warn"
    return Verdict(summary.get("scenario", sc.name), status, headline,
                   [(s["sli"], slo_sentence(s)) for s in slos], cost, rec, reasons, hpa_text,
                   notices)


def _recommendation(sc: Scenario, summary: Mapping[str, Any], safety: HpaSafety | None,
                    missed: list[Mapping[str, Any]]) -> tuple[str, list[str]]:
    c = summary["cost"]
    cur = c["currency"]
    h = sc.autoscaling.horizontal
    if h is None:
        return ("fixed replicas as written"
                + (": they miss an SLO, so add replicas or an HPA" if missed else
                   ": compare other counts with `python -m capacity sweep`"), [])
    cmp_ = _comparison(summary)
    if not cmp_:
        why = ((c.get("comparisons") or {}).get("reason") or "not computed")
        if why.startswith("not requested"):
            why = "not requested: `python -m capacity report` without --no-compare runs it"
        return f"no comparison with fixed replicas ({why})", []
    fn = cmp_.get("fixed_min_meeting_objective")
    reasons = search_reasons(cmp_)
    hpa_ok = not missed and (safety is None or safety.safe is not False)
    if not fn:
        why = cmp_.get("fixed_min_reason") or "no fixed replica count was found"
        if hpa_ok:
            return (f"keep the HPA: no safe fixed replica count meets the objectives ({why})",
                    reasons)
        return (f"change the HPA configuration: it is not safe or misses an SLO, and no safe "
                f"fixed replica count meets the objectives ({why})", reasons)
    n, saving = fn["replicas"], fn["hpa_saving"]
    fixed = (f"fixed {n} replica{'s' if n != 1 else ''} at "
             f"{with_interval(fn['per_month'], fn.get('per_month_ci95'))} {cur} a month")
    ci = fn.get("hpa_saving_ci95")
    if hpa_ok and saving >= 0:
        return (f"keep the HPA: it meets every SLO safely and costs {pct(saving, 1)} less "
                f"{interval(ci, lambda v: pct(v, 1)) if ci else ''} than the cheapest safe "
                f"fixed alternative, {fixed}".replace("  ", " "), reasons)
    more = pct(-saving, 1)
    if hpa_ok:
        return (f"cheapest safe configuration: {fixed}, every SLO met with the largest zone "
                f"down and drains allowed; the HPA costs {more} more, the price of following "
                "load this scenario does not have", reasons)
    return (f"run {fixed} (every SLO met, safe) until the HPA is fixed"
            + (f"; the HPA costs {more} more" if saving < 0 else
               f"; the HPA costs {pct(saving, 1)} less"), reasons)
