"""``python -m capacity sweep``: every grid point simulated, ranked by cost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEP = ROOT / "tests/data/scenarios/hpa-step.yaml"


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "capacity", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_sweep_ranks_points_by_cost(tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text("parameters:\n"
                    "  autoscaling.horizontal.minReplicas: [3, 5]\n"
                    "  autoscaling.horizontal.metrics[0].resource.target.averageUtilization: [50, 90]\n")
    res = cli("sweep", str(STEP), "--grid", str(grid), "--json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert len(rows) == 4
    costs = [r["cost_per_month"] for r in rows]
    assert costs == sorted(costs)
    # More replicas held at a lower CPU target cost more: the cheapest point is
    # minReplicas 3 at 90%, the dearest minReplicas 5 at 50%.
    assert rows[0]["parameters"] == {"autoscaling.horizontal.minReplicas": 3,
                                     "autoscaling.horizontal.metrics[0].resource.target.averageUtilization": 90}
    assert rows[-1]["parameters"]["autoscaling.horizontal.minReplicas"] == 5
    assert rows[-1]["parameters"]["autoscaling.horizontal.metrics[0].resource.target.averageUtilization"] == 50


def test_sweep_names_a_bad_path_and_a_bad_value(tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text("parameters:\n  autoscaling.horizontal.nope.deeper: [1]\n")
    res = cli("sweep", str(STEP), "--grid", str(grid))
    assert res.returncode == 2 and "parameters.autoscaling.horizontal.nope" in res.stderr
    grid.write_text("parameters:\n  autoscaling.horizontal.maxReplicas: [2]\n")
    res = cli("sweep", str(STEP), "--grid", str(grid))
    assert res.returncode == 2
    assert "maxReplicas: must be >= minReplicas (3), got 2" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_sweep_judges_every_slo_and_never_names_an_unsafe_point(tmp_path):
    # peak.yaml's PDB keeps minAvailable 2: with minReplicas 1 or 2 the HPA can sit at a
    # count where the PDB allows no disruption, so those points are unsafe whatever they
    # cost; the cheapest safe point is a minReplicas 3 one (if it meets the objectives).
    grid = tmp_path / "grid.yaml"
    grid.write_text("runs: 1\nduration: 6h\nparameters:\n"
                    "  autoscaling.horizontal.minReplicas: [1, 2, 3]\n")
    res = cli("sweep", str(ROOT / "scenarios/peak.yaml"), "--grid", str(grid), "--json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    by_min = {r["parameters"]["autoscaling.horizontal.minReplicas"]: r for r in rows}
    for n in (1, 2):
        assert "allows 0 disruptions" in by_min[n]["excluded"]
        assert by_min[n]["safe"] is False
    assert [s["name"] for s in by_min[3]["slo"]] == ["availability 99.9%",
                                                   "latency 99% within 2 s"]
    table = cli("sweep", str(ROOT / "scenarios/peak.yaml"), "--grid", str(grid))
    assert table.returncode == 0, table.stderr
    assert "unsafe: at 1 replica the PDB" in table.stdout
    last = table.stdout.strip().splitlines()[-1]
    assert "minReplicas = 3" in last or last == "no point is safe and meets every objective"


def test_a_grid_path_through_an_unset_section_or_list(tmp_path):
    import capacity
    from capacity.errors import ScenarioError

    # hpa-step sets no VPA: the section is created for the point (updateMode Off is a
    # valid VPA), and the sweep runs
    df = capacity.sweep(STEP, {"runs": 1, "duration": "1h", "parameters": {
        "autoscaling.vertical.updatePolicy.updateMode": ["Off"]}}, workers=1, progress=False)
    assert list(df["autoscaling.vertical.updatePolicy.updateMode"]) == ["Off"]
    # a list item must exist: the message says how many there are, or that there is none
    with pytest.raises(ScenarioError, match=r"metrics\[5\]\.resource\.target\.averageUtilization: "
                       r"the scenario's list has 2 item\(s\), got 'autoscaling\.horizontal\.metrics\[5\]'"):
        capacity.sweep(STEP, {"parameters": {
            "autoscaling.horizontal.metrics[5].resource.target.averageUtilization": [50]}})
    with pytest.raises(ScenarioError, match="the scenario does not set this list"):
        capacity.sweep(STEP, {"parameters": {"cluster.nodePools[0].taints[0].key": ["x"]}})
