"""The report: content, Markdown as plain text, HTML self-contained, same seed → same report."""

from __future__ import annotations

import copy
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
from capacity.report.document import to_html, to_markdown
from capacity.report.seed_claims import arithmetic_slips, seed_arithmetic, square_wave_scenario

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OPTS = {"runs": 2, "duration": "1d", "workers": 1, "search_runs": 2}


@pytest.fixture(scope="module")
def peak_runs():
    return run_scenarios([PEAK], **OPTS)


@pytest.fixture(scope="module")
def peak_doc(peak_runs):
    return build_document(peak_runs)


def test_sections_present(peak_doc):
    md = to_markdown(peak_doc, lambda n: n)
    for heading in ("## Configuration", "## Availability", "## A representative day",
                    "## Utilization", "## Cost", "### Against fixed replicas",
                    "### Worked example"):
        assert heading in md
    # Prices are named wherever costs appear.
    assert "OpenCost public defaults (configs/default.json)" in md
    assert set(peak_doc.images) == {"replicas.png", "utilization.png", "cost.png"}
    # peak.yaml has a ResourceQuota: the headroom section is there.
    assert "Quota headroom" in md


def test_worked_example_has_the_right_figures(peak_doc):
    md = to_markdown(peak_doc, lambda n: n)
    assert "Baseline cost: 750m CPU × 3 = 2.25 CPUs | 3 × 250m = 750m = 0.75 CPU requested" in md
    assert "Memory baseline: 1.5Gi × 3 = 4.5Gi | 3 × 512Mi = 1.5Gi requested" in md
    # X = 3 × (0.25 × 0.031611 + 0.5 × 0.004237) × 730 = 3 × 0.01002125 × 730 = 21.9465375
    assert "3 × 0.01002125 × 730 = 21.95 USD" in md
    # 0.2 × 10 + 0.8 × 3 = 4.4 replicas; 1 − 4.4/10 = 56%
    assert "1 − 4.4/10 = 56%" in md


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
    # 70% of 250m = 175m; minus the 20m base = 155m; / 25m per request = 6.2 rps per pod
    # at the target. Peak 1.25 × 10 × 6.2 = 77.5 rps; base 0.5 × 3 × 6.2 = 9.3 rps.
    assert rates == pytest.approx({"peak_rps": 77.5, "base_rps": 9.3})
    # 20% of 24 h = 4.8 h centred on 12:00: 09:36 to 14:24 each day.
    assert [s.at for s in sq.load.steps][:3] == [0.0, 9.6 * 3600, 14.4 * 3600]


def test_markdown_is_plain_text(peak_doc, tmp_path):
    out = tmp_path / "r.md"
    written = write_report(peak_doc, out)
    text = out.read_text()
    assert written == [out, plot_dir(out)]
    # Pipe tables, no HTML fragments, no base64 blobs.
    assert re.search(r"^\|---:?|^\|:---", text, re.M)
    assert not re.search(r"<(table|img|p|div|br|figure)\b", text)
    assert "base64" not in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 3
    for link in links:
        png = out.parent / link
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_is_self_contained(peak_doc, tmp_path):
    out = tmp_path / "r.html"
    write_report(peak_doc, out)
    html = out.read_text()
    assert html.count('src="data:image/png;base64,') == 3
    # Nothing to fetch: no external sources, scripts or stylesheets.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html and "<link" not in html
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_same_seed_same_report(peak_doc):
    again = build_document(run_scenarios([PEAK], **OPTS))
    assert to_html(again) == to_html(peak_doc)


def test_quota_and_findings_render_when_present(peak_runs):
    run = copy.copy(peak_runs[0])
    run.summary = copy.deepcopy(run.summary)
    run.summary["quota"] = {"hard": {"requests.cpu": "20", "requests.memory": "40Gi"},
                            "peak_used": {"requests.cpu": "2500m", "requests.memory": "5Gi"}}
    run.summary["findings"] = [{"severity": "warning", "path": "workload.deployment",
                                "message": "pre-flight has no resources", "fix": "set them"}]
    md = to_markdown(build_document([run]), None)
    assert "### Quota headroom" in md
    # 20 − 2500m = 17500m; 40Gi − 5Gi = 35Gi
    assert "| requests.cpu | 2500m | 20 | 17500m |" in md
    assert "| requests.memory | 5Gi | 40Gi | 35Gi |" in md
    assert "### Check findings" in md and "pre-flight has no resources" in md


def test_several_scenarios_side_by_side(tmp_path):
    runs = run_scenarios([PEAK, BASELINE], runs=1, duration="1d", workers=1, search_runs=1)
    doc = build_document(runs)
    md = to_markdown(doc, lambda n: n)
    assert "## Side by side" in md
    assert "| `sandbox-executor-peak` |" in md and "| `sandbox-executor-baseline` |" in md
    assert "cost-vs-availability.png" in doc.images
    assert md.count("### Worked example") == 1  # once per report
    assert {"1-replicas.png", "2-replicas.png", "1-cost.png", "2-cost.png"} <= set(doc.images)


def test_report_format():
    assert report_format("a.HTML") == "html" and report_format("a.md") == "md"
    with pytest.raises(ValueError):
        report_format("a.pdf")


def test_cli_writes_markdown_and_refuses_other_suffixes(tmp_path, capsys):
    out = tmp_path / "sub" / "peak.md"
    rc = main(["report", str(PEAK), "-o", str(out), "--duration", "6h", "--runs", "1",
               "--no-compare", "--worked-example", "off"])
    assert rc == 0
    text = out.read_text()
    assert "No comparison with fixed replicas: not requested" in text
    assert (tmp_path / "sub" / "peak-plots" / "replicas.png").exists()
    assert main(["report", str(PEAK), "-o", str(tmp_path / "x.pdf")]) == 2
    assert "must end in .html or .md" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()
    assert main(["report", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "y.md")]) == 2
    assert not (tmp_path / "y.md").exists()


def test_cli_stdout_is_text_only(capsys):
    rc = main(["report", str(PEAK), "--duration", "6h", "--runs", "1", "--no-compare",
               "--worked-example", "off"])
    assert rc == 0
    out = capsys.readouterr().out
    assert out.startswith("# Cost and availability: sandbox-executor-peak")
    assert "write the report to a file to get plots" in out
