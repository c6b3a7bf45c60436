"""Build the report for one or several scenarios: the verdict first, then the evidence.

:func:`run_scenarios` simulates each scenario (same seed, runs and duration for all), fills
the summary's ``cost`` block with :func:`capacity.analysis.cost.cost_summary`, comparisons
against fixed replicas included, and, with the comparisons, checks the HPA configuration
by the rules its fixed alternatives had to pass (the PDB allows a drain at minReplicas,
the SLOs hold with the largest zone down). :func:`build_document` turns the results into a
:class:`~capacity.report.document.Document`: a verdict box per scenario, the comparison of
the scenarios, then per scenario the evidence (a week of load against capacity, latency
and errors, the HPA in the hardest hour, availability, utilization, cost, quota, check
findings, and alerts and the VPA's recommendation when the summary has them).
:func:`write_report` writes it as HTML, Markdown or PDF, whole or not at all. Nothing
depends on the wall clock, so the same seed gives the same report.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

import capacity
from capacity.analysis.cost import HOURS_PER_MONTH, effective_pricing
from capacity.report import compare, sections, seed_claims
from capacity.report.document import (
    NO_INTERVAL,
    Box,
    Document,
    Heading,
    Para,
    to_html,
    to_markdown,
)
from capacity.report.verdict import HpaSafety, Verdict, hpa_safety, verdict
from capacity.scenario.loader import load_scenario
from capacity.scenario.model import Scenario
from capacity.study.progress import Stage

WorkedExample = Literal["auto", "off"]
Format = Literal["html", "md", "pdf"]
NO_CI = NO_INTERVAL


@dataclass
class ScenarioRun:
    """One scenario's results as the report uses them (run 0's records)."""

    scenario: Scenario
    summary: dict[str, Any]
    timeseries: pd.DataFrame
    worked_example: dict[str, Any] | None = None
    events: pd.DataFrame | None = None
    zone_down: dict[str, Any] | None = None  # the HPA with its largest zone down


def hpa_zone_check(sc: Scenario, *, runs: int, seed: int | None, duration: float,
                   workers: int | None, scheduler: Any = None) -> dict[str, Any] | None:
    """The HPA as configured with its largest zone down for the whole run: ``{"zone",
    "missed"}`` (the objectives missed, judged as the fixed-replica search judges its
    candidates), or None for a scenario without an HPA or with one zone."""
    from capacity.analysis.safety import largest_zone
    from capacity.study.fixed import objectives_met, zone_down_scenario

    if sc.autoscaling.horizontal is None or sc.cluster is None or len(sc.cluster.zones) < 2:
        return None
    zone = largest_zone(sc)
    if zone is None:
        return None
    z = capacity.simulate(zone_down_scenario(sc, zone, duration), runs=runs, seed=seed,
                          duration=duration, workers=workers, scheduler=scheduler, record=False,
                          progress=False)
    _met, missed = objectives_met(z.summary, sc.objectives.availability, "lower")
    return {"zone": zone, "missed": missed, "runs": runs}


def run_scenarios(
    scenarios: Sequence[Scenario | str | os.PathLike[str]],
    *,
    runs: int | None = None,
    seed: int | None = None,
    duration: float | str | None = None,
    workers: int | None = None,
    compare: bool = True,
    search_runs: int = 3,
    worked_example: WorkedExample = "auto",
    scheduler: Any = None,
    progress: bool | None = None,
) -> list[ScenarioRun]:
    """Simulate every scenario, compute its cost block (with comparisons) and, with
    ``compare``, the HPA's zone-down check (``search_runs`` runs).

    ``runs``/``seed``/``duration`` default to each scenario's own; ``worked_example``
    ``auto`` adds the hand-made cost estimate of the sandbox-executor workload, recomputed.
    Raises :class:`capacity.ScenarioError` for invalid input.
    """
    from capacity.scenario.durations import parse_duration
    from capacity.study.defaults import DEFAULT_EPISODES
    from capacity.study.episodes import failure_kinds

    out = []
    worked = False
    for s in scenarios:
        sc = s if isinstance(s, Scenario) else load_scenario(Path(s))
        effective_pricing(sc)  # a bad price file fails before any simulation
        dur = float(parse_duration(duration)) if duration is not None else sc.simulation.duration
        sd = seed if seed is not None else sc.simulation.seed
        res = capacity.simulate(sc, runs=runs, seed=sd, duration=dur, workers=workers,
                                scheduler=scheduler, record="first", progress=progress,
                                episodes=DEFAULT_EPISODES if failure_kinds(sc) else 0)
        summary = dict(res.summary)
        if compare and sc.autoscaling.horizontal is not None:
            from capacity.study.comparisons import cost_with_comparisons

            with Stage(f"{sc.name}: compared with fixed replicas", progress):
                summary["cost"] = cost_with_comparisons(
                    sc, res.outcomes, seed=sd, duration=dur, search_runs=search_runs,
                    workers=workers, scheduler=scheduler, availability=summary["availability"])
        zone = None
        if compare:
            k = min(search_runs, len(res.outcomes)) if search_runs > 0 else len(res.outcomes)
            with Stage(f"{sc.name}: checked with its largest zone down", progress):
                zone = hpa_zone_check(sc, runs=k, seed=sd, duration=dur, workers=workers,
                                      scheduler=scheduler)
        we = None
        # The worked example is about the seed's workload; it appears once per report.
        if worked_example == "auto" and not worked and seed_claims.applies(sc):
            worked = True
            with Stage(f"{sc.name}: the seed's saving claim recomputed", progress):
                saving = seed_claims.saving_claim(sc, runs=len(res.outcomes), seed=sd,
                                                  duration=dur, workers=workers,
                                                  scheduler=scheduler)
            we = {
                "slips": seed_claims.arithmetic_slips(sc),
                "arithmetic": seed_claims.seed_arithmetic(sc),
                "saving": saving,
            }
        out.append(ScenarioRun(sc, summary, res.timeseries, we, res.events, zone))
    return out


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def safety_of(run: ScenarioRun) -> HpaSafety | None:
    return hpa_safety(run.scenario, run.summary, run.zone_down)


def verdict_box(v: Verdict, title: str, anchor: str, summary: dict[str, Any]) -> Box:
    rows = list(v.lines())
    bullets = []
    title_b = None
    if v.notices:
        rows.insert(0, ("Read first", "; ".join(v.notices)))
    reasons = sections.search_bullets(summary)
    if reasons:
        bullets = reasons
        title_b = "Why not fewer fixed replicas:"
    return Box(title, v.status, v.headline, rows, bullets, title_b, anchor)


def _scenario_section(doc: Document, run: ScenarioRun, index: int, multi: bool,
                      safety: HpaSafety | None) -> None:
    sc, summary = run.scenario, run.summary
    prefix = f"{index + 1}-" if multi else ""
    level = 2
    if multi:
        doc.add(Heading(2, f"Scenario {index + 1}: {sc.name}", anchor=_slug(sc.name)))
        level = 3
    ev = sections.evidence(sc, summary, run.timeseries, run.events)
    doc.add(Heading(level, "What was simulated"))
    sections.configuration(doc, sc, summary, ev.clock)
    doc.add(Heading(level, "A week of load against capacity"))
    sections.week(doc, sc, summary, ev, prefix)
    doc.add(Heading(level, "Latency, errors and the SLOs"))
    sections.latency(doc, sc, summary, ev, prefix)
    sections.hardest(doc, sc, summary, ev, prefix, level)
    doc.add(Heading(level, "Availability"))
    sections.availability(doc, summary)
    doc.add(Heading(level, "Utilization"))
    sections.utilization(doc, sc, summary, ev, prefix)
    doc.add(Heading(level, "Cost"))
    sections.cost(doc, sc, summary, level)
    doc.add(Heading(level + 1, "Against fixed replicas"))
    sections.comparisons(doc, sc, summary, prefix, safety)
    sections.quota(doc, summary, level)
    sections.findings(doc, summary, level)
    sections.alerts(doc, summary, ev.clock, level)
    sections.vpa(doc, sc, summary, level)
    if run.worked_example:
        sections.worked_example(doc, run.worked_example, level)


def build_document(runs: Sequence[ScenarioRun]) -> Document:
    """The report as a document (see :mod:`capacity.report.document`)."""
    if not runs:
        raise ValueError("no scenarios")
    multi = len(runs) > 1
    title = ("Capacity review: " + runs[0].scenario.name if not multi
             else f"Capacity review: {len(runs)} scenarios")
    doc = Document(title)
    safeties = [safety_of(r) for r in runs]
    verdicts = [verdict(r.scenario, r.summary, s) for r, s in zip(runs, safeties, strict=True)]
    for i, (r, v) in enumerate(zip(runs, verdicts, strict=True)):
        name = r.scenario.name
        doc.add(verdict_box(v, f"Verdict: {name}" if not multi else
                            f"Verdict {i + 1}: {name}", f"verdict-{_slug(name)}", r.summary))
    srcs = sorted({r.summary["cost"]["prices"]["source"] for r in runs})
    doc.add(Para(f"Generated by capacity {capacity.__version__} (`python -m capacity report`). "
                 f"Every figure comes from simulated runs: means with 95% intervals over runs "
                 f"(none for a single run). Prices: {'; '.join(srcs)}, per hour; a month is "
                 f"{HOURS_PER_MONTH:g} hours of cost and 30 days of error budget. The same "
                 "seed gives the same report.", note=True))
    if multi:
        compare.side_by_side(doc, [r.scenario.name for r in runs], [r.summary for r in runs],
                             verdicts, safeties,
                             [r.scenario.autoscaling.horizontal is not None for r in runs])
    for i, (r, s) in enumerate(zip(runs, safeties, strict=True)):
        _scenario_section(doc, r, i, multi, s)
    return doc


# --- output ------------------------------------------------------------------------------------


def report_format(path: str | os.PathLike[str]) -> Format:
    """``html`` for .html/.htm, ``md`` for .md/.markdown, ``pdf`` for .pdf; ValueError
    otherwise."""
    suf = Path(path).suffix.lower()
    if suf in (".html", ".htm"):
        return "html"
    if suf in (".md", ".markdown"):
        return "md"
    if suf == ".pdf":
        return "pdf"
    raise ValueError(f"the report file must end in .html, .md or .pdf, got {Path(path).name!r}")


def plot_dir(path: str | os.PathLike[str]) -> Path:
    """Where a Markdown report's PNGs go: ``<name>-plots/`` beside it."""
    p = Path(path)
    return p.with_name(f"{p.stem}-plots")


def write_report(doc: Document, out: str | os.PathLike[str]) -> list[Path]:
    """Write ``doc`` to ``out`` (.html: one self-contained file; .md: the file plus its
    PNGs in ``<name>-plots/``; .pdf: the HTML printed by headless Chromium). Files appear
    whole or not at all. Returns the paths."""
    from capacity.files import write_file_atomically, write_files_atomically

    out = Path(out)
    fmt = report_format(out)
    # capacity.files gives what lands the modes of a plain write under the user's umask
    def text_writer(text: str):
        def write(p: Path) -> None:
            p.write_text(text, encoding="utf-8")
        return write

    if fmt == "html":
        write_file_atomically(out, text_writer(to_html(doc)))
        return [out]
    if fmt == "pdf":
        from capacity.report.pdf import html_to_pdf

        def pdf_writer(p: Path) -> None:
            html_to_pdf(to_html(doc), p)

        write_file_atomically(out, pdf_writer)
        return [out]
    d = plot_dir(out)
    written = []
    if doc.images:
        def png_writer(data: bytes):
            def write(p: Path) -> None:
                p.write_bytes(data)
            return write

        write_files_atomically(d, {n: png_writer(b) for n, b in doc.images.items()})
        written.append(d)
    # The plots first: the .md never links to PNGs that are not there.
    write_file_atomically(out, text_writer(to_markdown(doc, lambda name: f"{d.name}/{name}")))
    return [out, *written]


def report(scenarios: Sequence[Scenario | str | os.PathLike[str]],
           out: str | os.PathLike[str] | None = None, **kwargs: Any) -> Document:
    """Simulate, build and (with ``out``) write the report; returns the document.

    ``kwargs`` go to :func:`run_scenarios` (runs, seed, duration, workers, compare,
    search_runs, worked_example).
    """
    doc = build_document(run_scenarios(scenarios, **kwargs))
    if out is not None:
        write_report(doc, out)
    return doc
