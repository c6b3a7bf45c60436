"""The report: the verdict first, then the evidence; Markdown and HTML saying the same; the
items of issue 15 (load as prose, weekday plots with the Wednesday spike, quota in one unit,
the side-by-side differences, the newcomer-readable worked example, alerts and VPA)."""

from __future__ import annotations

import copy
import html as html_lib
import re
from pathlib import Path

import pytest

from capacity.cli import main
from capacity.report.build import (
    build_document,
    plot_dir,
    report_format,
    run_scenarios,
    write_report,
)
from capacity.report.document import Box, Bullets, Heading, Image, Para, Table, to_html, to_markdown
from capacity.report.fmt import money
from capacity.report.seed_claims import arithmetic_slips, seed_arithmetic, square_wave_scenario

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OPTS = {"runs": 2, "duration": "1d", "workers": 1, "search_runs": 1}


@pytest.fixture(scope="module")
def peak_runs():
    return run_scenarios([PEAK], **OPTS)


@pytest.fixture(scope="module")
def peak_doc(peak_runs):
    return build_document(peak_runs)


@pytest.fixture(scope="module")
def three_days():
    """Monday to Wednesday: the week's spike is on Wednesday at 10:00."""
    return run_scenarios([PEAK], runs=1, duration="3d", workers=1, compare=False,
                         worked_example="off")


def md(doc) -> str:
    return to_markdown(doc, lambda n: n)


def headings(doc) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, Heading)]


# --- the verdict first --------------------------------------------------------------------


def test_the_verdict_comes_first(peak_doc):
    box = peak_doc.blocks[0]
    assert isinstance(box, Box) and box.title == "Verdict: sandbox-executor-peak"
    rows = dict(box.rows)
    assert set(rows) >= {"Availability SLO", "Latency SLO", "Cost", "Recommendation",
                         "HPA configuration"}
    # SLOs met or missed with their error budget, in requests a month.
    assert re.search(r"availability 99\.9%: .* good, \*\*(met|missed)\*\*; [\d.]+% of the error "
                     r"budget \([\d,.<> ]+ of [\d,]+ failed requests a month allowed\)",
                     rows["Availability SLO"])
    assert "slow requests a month allowed" in rows["Latency SLO"]
    # The monthly cost with its interval (two runs), and the node bill.
    assert re.search(r"^[\d.,]+ \[[\d.,]+, [\d.,]+\] USD a month for the pods' requests; the "
                     r"nodes under them cost [\d.,]+ USD a month", rows["Cost"])
    # The recommendation comes from the fixed-replica search, with its reasons.
    assert re.search(r"fixed \d+ replicas? at", rows["Recommendation"])
    assert box.bullets_title == "Why not fewer fixed replicas:" and box.bullets
    assert all(re.match(r"\d+ fixed replicas?: (misses|not safe, )", b) for b in box.bullets)
    # The HPA's own configuration: judged safe or not, with the reason.
    assert re.match(r"\*\*(not safe|safe)\*\*", rows["HPA configuration"])
    assert box.status in ("ok", "warn", "fail")
    # Then the evidence, in this order.
    order = ["What was simulated", "A week of load against capacity",
             "Latency, errors and the SLOs", "Availability", "Utilization", "Cost",
             "Against fixed replicas", "Quota headroom", "Check findings"]
    hs = headings(peak_doc)
    assert [h for h in hs if h in order] == order
    assert any(h.startswith("The HPA in the hardest hour: the ") for h in hs)


def test_verdict_is_in_markdown_as_a_quote(peak_doc):
    text = md(peak_doc)
    first = text.split("\n\n", 2)[1]
    assert first.startswith("> ## Verdict: sandbox-executor-peak")
    assert re.search(r"^> \*\*(✔ PASS|⚠ PASS WITH CAVEATS|✘ FAIL)\*\* ", text, re.M)
    assert "> - **Recommendation:** " in text


# --- the evidence ----------------------------------------------------------------------------


def test_load_setting_is_prose_with_peak_hour_and_noise(peak_doc):
    rows = {r[0]: r[1] for b in peak_doc.blocks if isinstance(b, Table) for r in b.rows}
    load = rows["load"]
    assert "{" not in load and '"' not in load  # no JSON
    assert "to 14 at 14:00 (peakHour 14)" in load
    assert "Saturday and Sunday at 40% of the weekday level" in load
    assert "A spike: ×2 for 10 min from Wed 10:00." in load
    assert "Noise: each 1 min the rate is multiplied by a random factor of mean 1 and " \
           "coefficient of variation 0.1" in load
    assert "sharpness 1.5" in load
    # The scenario's files are named inside the repository.
    assert "`scenarios/peak.yaml`, which extends `scenarios/baseline.yaml`" in rows["scenario"]


def test_wednesday_spike_is_the_hardest_hour_and_its_day_is_named(three_days):
    doc = build_document(three_days)
    hs = headings(doc)
    assert "The HPA in the hardest hour: the spike on Wednesday 10:00" in hs
    imgs = {b.name: b for b in doc.blocks if isinstance(b, Image)}
    assert {"week.png", "latency.png", "hardest-hour.png", "day.png"} <= set(imgs)
    assert imgs["day.png"].alt == "Wednesday, the day of the hardest hour"
    text = md(doc)
    assert "| spike | Wed 10:00 | 10 min | load ×2 for 10 min, set in load.spikes |" in text
    # The HPA's reaction in words and its events with weekday times.
    assert re.search(r"At Wed 10:00:00, the start of the spike .* spec\.replicas was \d+\.", text)
    assert re.search(r"\| Wed 10:\d\d:\d\d \| New size: \d+; reason: ", text)
    # No artefact at the end of the run (a level change is not a burst).
    assert "a burst of load" not in text


def test_latency_errors_and_budget_in_minutes_and_requests(peak_doc):
    t = next(b for b in peak_doc.blocks if isinstance(b, Table) and b.headers[0] == "objective")
    assert "minutes a month: spent of budget" in t.headers
    assert "requests a month: bad of budget" in t.headers
    av = next(r for r in t.rows if r[0] == "availability 99.9%")
    assert av[t.headers.index("minutes a month: spent of budget")].endswith(" of 43.2")
    lat = next(b for b in peak_doc.blocks if isinstance(b, Table)
               and b.headers[0] == "response time and errors")
    names = [r[0] for r in lat.rows]
    assert names[:5] == ["mean", "p50", "p90", "p95", "p99"]
    assert "  rejected" in names and "failed requests" in names


def test_quota_in_one_unit_per_resource(peak_runs):
    run = copy.copy(peak_runs[0])
    run.summary = copy.deepcopy(run.summary)
    run.summary["quota"] = {"hard": {"requests.cpu": "20", "requests.memory": "40Gi",
                                     "pods": "50"},
                            "peak_used": {"requests.cpu": "2500m", "requests.memory": "5Gi",
                                          "pods": "10"}}
    text = to_markdown(build_document([run]), None)
    assert "| requests.cpu | cores | 2.5 | 20 | 17.5 | 12.5% |" in text
    assert "| requests.memory | GiB | 5 | 40 | 35 | 12.5% |" in text
    assert "| pods | count | 10 | 50 | 40 | 20.0% |" in text
    assert "2500m" not in text and "17500m" not in text


def test_findings_with_their_fixes(peak_doc):
    t = next(b for b in peak_doc.blocks if isinstance(b, Table) and b.headers[:2] == ["severity", "finding"])
    assert t.headers[-1] == "fix"
    row = next(r for r in t.rows if r[1] == "pdb-zone-down")
    assert row[-1].startswith("raise minReplicas to")


def test_cost_breakdown_requests_nodes_spot_idle(peak_doc):
    text = md(peak_doc)
    assert "| per month (730 h), the nodes under the pods |" in text
    assert re.search(r"Requests against nodes: the pods' requests are [\d.]+% of the node bill", text)
    assert re.search(r"Spot: 0\.0% of pod-hours ran on spot nodes", text)
    assert re.search(r"Idle: [\d.]+% of the requests' cost pays for", text)
    assert "### Node-based cost" in text


def test_alerts_and_vpa_sections_render_when_present(peak_runs):
    """DESIGN §11 shapes: summary.alerts (per alert: severity, fired, firing_seconds,
    first_fired_at) and summary.vpa (per container: target, lowerBound, upperBound,
    uncappedTarget), as a mapping or as lists."""
    run = copy.copy(peak_runs[0])
    run.summary = copy.deepcopy(run.summary)
    for key in ("alerts", "vpa", "monitoring"):
        run.summary.pop(key, None)
    text = md(build_document([run]))
    assert "Alerts the PrometheusRule" not in text and "VerticalPodAutoscaler" not in text
    run.summary["alerts"] = {
        "HighCPU": {"severity": "warning", "fired": 2.5, "firing_seconds": 1230.0,
                    "first_fired_at": 2 * 86400 + 10 * 3600 + 75},
        "PodNotReady": {"severity": "critical", "fired": 0, "firing_seconds": 0.0,
                        "first_fired_at": None}}
    run.summary["vpa"] = {"sandbox-executor": {
        "target": {"cpu": "180m", "memory": "420Mi"}, "lowerBound": {"cpu": 120, "memory": 300 * 2**20},
        "upperBound": {"cpu": "2", "memory": "4Gi"}, "uncappedTarget": {"cpu": "180m", "memory": "420Mi"}}}
    text = md(build_document([run]))
    assert "## Alerts the PrometheusRule would have fired" in text
    assert "| `HighCPU` | warning | 2.5 | 20 min 30 s | Wed 10:01:15 |" in text
    assert "| `PodNotReady` | critical | 0 | 0 s | never |" in text
    assert "1 of 2 alerts fired: `HighCPU`." in text
    assert "## What the VerticalPodAutoscaler would recommend" in text
    assert "| `sandbox-executor` | cpu | 0.25 cores | 0.12 cores | 0.18 cores | 2 cores | 0.18 cores | – |" in text
    assert "| `sandbox-executor` | memory | 512 MiB | 300 MiB | 420 MiB | 4 GiB | 420 MiB | – |" in text
    # The other shapes: a list of alerts naming themselves; the VPA status list.
    run.summary["alerts"] = [{"alert": "HighErrorRate", "severity": "warning", "fired": 1,
                              "firing_seconds": 300.0, "first_fired_at": 3600.0}]
    run.summary["vpa"] = {"containerRecommendations": [
        {"containerName": "sandbox-executor", "target": {"cpu": "300m"}}]}
    text = md(build_document([run]))
    assert "| `HighErrorRate` | warning | 1 | 5 min | Mon 01:00:00 |" in text
    assert "| `sandbox-executor` | cpu | 0.25 cores | – | 0.3 cores | – | – | – |" in text


def test_alerts_and_vpa_of_a_real_summary(three_days):
    """What simulate now puts in the summary (alerts with detection times, the VPA with the
    requests and the resourcePolicy) reads as tables."""
    s = three_days[0].summary
    if "alerts" not in s or "vpa" not in s:
        pytest.skip("this summary has no alerts or vpa")
    text = md(build_document(three_days))
    assert "## Alerts the PrometheusRule would have fired" in text
    assert "| `SandboxExecutorHighCPU` | warning |" in text
    assert re.search(r"\| `sandbox-executor` \| cpu \| 0\.25 cores \| [\d.]+ cores \| [\d.]+ cores "
                     r"\| [\d.]+ cores \| [\d.]+ cores \| 0\.1 cores to 2 cores \|", text)
    assert re.search(r"\| `sandbox-executor` \| memory \| 512 MiB \| [\d.]+ MiB \|", text)


def test_worked_example_reads_for_a_newcomer(peak_doc):
    text = md(peak_doc)
    assert "## Example: checking a cost estimate made by hand" in text
    assert "Worked example" not in text and "the seed" not in text.lower()
    assert "`scenarios/baseline.yaml`" in text and "`docs/seed-findings.md`" in text
    # Nothing points outside the repository.
    assert "shared/" not in text and "../" not in text
    assert "Baseline cost: 750m CPU × 3 = 2.25 CPUs | 3 × 250m = 750m = 0.75 CPU requested" in text
    assert "3 × 0.01002125 × 730 = 21.95 USD" in text
    assert "1 − 4.4/10 = 56%" in text


def test_seed_arithmetic_by_hand():
    import capacity

    sc = capacity.load_scenario(PEAK)
    a = seed_arithmetic(sc)
    assert a["pod_per_hour"] == pytest.approx(0.01002125)
    assert a["X_per_month"] == pytest.approx(21.9465375)
    assert a["peak_per_month"] == pytest.approx(73.155125)  # 10 × 0.01002125 × 730
    assert a["average_replicas"] == pytest.approx(4.4)
    assert a["saving"] == pytest.approx(0.56)
    rows = {r["claim"]: r["correct"] for r in arithmetic_slips(sc)}
    assert rows["Memory peak: 10 × 2Gi = 20Gi"].startswith("10 × 512Mi = 5Gi requested")
    sq, rates = square_wave_scenario(sc, duration=2 * 86400)
    # 70% of 250m = 175m; minus the 20m base = 155m; / 100m per request = 1.55 rps per pod
    # at the target. Peak 1.25 × 10 × 1.55 = 19.375 rps; base 0.5 × 3 × 1.55 = 2.325 rps.
    assert rates == pytest.approx({"peak_rps": 19.375, "base_rps": 2.325})
    # 20% of 24 h = 4.8 h centred on 12:00: 09:36 to 14:24 each day.
    assert [s.at for s in sq.load.steps][:3] == [0.0, 9.6 * 3600, 14.4 * 3600]


# --- formats ---------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Inline markup removed, whitespace collapsed: the words a reader sees."""
    return " ".join(text.replace("**", "").replace("`", "").split())


def test_markdown_and_html_say_the_same(peak_doc):
    """Every heading, paragraph, list item, table cell, verdict row and caption of the
    document is in both outputs."""
    m = _plain(md(peak_doc).replace("\\|", "|"))
    page = re.sub(r"</?(strong|code)>", "", to_html(peak_doc))  # inline markup: no gap
    h = _plain(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))
    pieces: list[str] = []
    for b in peak_doc.blocks:
        if isinstance(b, Heading | Para):
            pieces.append(b.text)
        elif isinstance(b, Bullets):
            pieces += list(b.items)
        elif isinstance(b, Table):
            pieces += [*b.headers, *[c for r in b.rows for c in r]]
            pieces += [b.caption] if b.caption else []
        elif isinstance(b, Image):
            pieces += [b.caption] if b.caption else []
        elif isinstance(b, Box):
            pieces += [b.title, b.headline, *[x for r in b.rows for x in r], *b.bullets]
    assert len(pieces) > 150
    for p in pieces:
        p = _plain(p)
        if p:
            assert p in m, p
            assert p in h, p


def test_markdown_is_plain_text(peak_doc, tmp_path):
    out = tmp_path / "r.md"
    written = write_report(peak_doc, out)
    text = out.read_text()
    assert written == [out, plot_dir(out)]
    assert re.search(r"^\|---:?|^\|:---", text, re.M)
    assert not re.search(r"<(table|img|p|div|br|figure|section)\b", text)
    assert "base64" not in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == len(peak_doc.images) >= 5
    for link in links:
        assert (out.parent / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_is_self_contained(peak_doc, tmp_path):
    out = tmp_path / "r.html"
    write_report(peak_doc, out)
    page = out.read_text()
    assert page.count('src="data:image/png;base64,') == len(peak_doc.images)
    # Nothing to fetch: no external sources, no scripts; the one link is an empty icon.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page
    assert re.findall(r"<link [^>]*>", page) == ['<link rel="icon" href="data:,">']
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_same_seed_same_report(peak_doc):
    again = build_document(run_scenarios([PEAK], **OPTS))
    assert to_html(again) == to_html(peak_doc)


# --- several scenarios -------------------------------------------------------------------------


def test_side_by_side_has_node_cost_budgets_and_differences():
    runs = run_scenarios([PEAK, BASELINE], runs=1, duration="1d", workers=1, compare=False,
                         worked_example="off")
    doc = build_document(runs)
    assert [b.title for b in doc.blocks[:2]] == ["Verdict 1: sandbox-executor-peak",
                                                 "Verdict 2: sandbox-executor-baseline"]
    t = next(b for b in doc.blocks if isinstance(b, Table) and b.headers[0] == "figure")
    assert t.headers == ["figure", "`sandbox-executor-peak`", "`sandbox-executor-baseline`",
                         "difference"]
    rows = {r[0]: r[1:] for r in t.rows}
    for name in ("cost a month, the nodes", "availability 99.9%: budget minutes spent a month",
                 "availability 99.9%: bad requests a month", "latency 99% within 2 s: error budget used",
                 "cost a month, the pods' requests", "latency p99", "HPA configuration safe"):
        assert name in rows, name
    # The difference of each figure against the first scenario, computed by hand.
    a = runs[0].summary["cost"]["per_month"]
    b = runs[1].summary["cost"]["per_month"]
    d = rows["cost a month, the pods' requests"][2]
    assert d.startswith(("+" if b > a else "−") + money(abs(b - a)))
    assert d.endswith(f"({'+' if b > a else '−'}{abs(b - a) / a:.1%})")
    ga = runs[0].summary["slo"][1]["good_fraction"]["mean"]
    gb = runs[1].summary["slo"][1]["good_fraction"]["mean"]
    pp = rows["latency 99% within 2 s: good"][2]
    assert pp == ("±0 pp" if abs(gb - ga) * 100 < 5e-4 else
                  f"{'+' if gb > ga else '−'}{abs(gb - ga) * 100:.3f} pp")
    assert "cost-vs-slo.png" in doc.images
    assert {"1-week.png", "2-week.png"} <= set(doc.images)


# --- CLI -----------------------------------------------------------------------------------------


def test_report_format():
    assert report_format("a.HTML") == "html" and report_format("a.md") == "md"
    assert report_format("a.pdf") == "pdf"
    with pytest.raises(ValueError, match=r"\.html, \.md or \.pdf"):
        report_format("a.txt")


def test_cli_writes_markdown_and_refuses_other_suffixes(tmp_path, capsys):
    out = tmp_path / "sub" / "peak.md"
    rc = main(["report", str(PEAK), "-o", str(out), "--duration", "6h", "--runs", "1",
               "--no-compare", "--worked-example", "off"])
    assert rc == 0
    text = out.read_text()
    assert "no comparison with fixed replicas (not requested" in text
    assert (tmp_path / "sub" / "peak-plots" / "week.png").exists()
    assert main(["report", str(PEAK), "-o", str(tmp_path / "x.txt")]) == 2
    assert "must end in .html, .md or .pdf" in capsys.readouterr().err
    assert not (tmp_path / "x.txt").exists()
    assert main(["report", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "y.md")]) == 2
    assert not (tmp_path / "y.md").exists()


def test_cli_stdout_is_text_only(capsys):
    rc = main(["report", str(PEAK), "--duration", "6h", "--runs", "1", "--no-compare",
               "--worked-example", "off"])
    assert rc == 0
    out = capsys.readouterr().out
    assert out.startswith("# Capacity review: sandbox-executor-peak")
    assert "write the report to a file to get plots" in out


def test_help_prints_percent_signs_once(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = capsys.readouterr().out
    assert "95%%" not in text
    assert "with its 95% interval," in " ".join(text.split())
