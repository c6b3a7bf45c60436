"""Progress on stderr (one plain line per stage on a pipe), JSON as the commands print it,
and the API's sweep and bounds."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import capacity
from capacity.cli.jsonout import dumps
from capacity.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
STEP = ROOT / "tests/data/scenarios/hpa-step.yaml"
#: "<name>: <n> <unit>s in <t> s" or "<name> in <t> s", nothing else
STATUS = re.compile(r"^\S.* in \d+\.\d s$")


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # stdout and stderr are pipes: no terminal, so no bar
    return subprocess.run([sys.executable, "-m", "capacity", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def status_lines(err: str) -> list[str]:
    assert "\r" not in err and "\x1b" not in err, repr(err)  # no bar, no cursor codes
    lines = err.strip().splitlines()
    assert all(STATUS.match(line) for line in lines), lines
    return lines


def test_simulate_on_a_pipe_prints_one_line_per_stage():
    res = cli("simulate", str(STEP), "--runs", "2", "--duration", "1h", "--workers", "1")
    assert res.returncode == 0, res.stderr
    lines = status_lines(res.stderr)
    assert lines[0].startswith("hpa-step: 2 runs in "), lines
    quiet = cli("simulate", str(STEP), "--runs", "2", "--duration", "1h", "--workers", "1",
                "--no-progress")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_sweep_and_report_on_a_pipe(tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text("runs: 1\nduration: 1h\nparameters:\n  autoscaling.horizontal.minReplicas: [3, 4]\n")
    res = cli("sweep", str(STEP), "--grid", str(grid), "--workers", "1")
    assert res.returncode == 0, res.stderr
    assert status_lines(res.stderr)[-1].startswith("sweep hpa-step: 2 points in ")
    rep = cli("report", str(STEP), "--runs", "1", "--duration", "1h", "--workers", "1",
              "--worked-example", "off", "-o", str(tmp_path / "r.md"))
    assert rep.returncode == 0, rep.stderr
    lines = status_lines(rep.stderr.replace(f"wrote {tmp_path}", ""))
    assert lines[0].startswith("hpa-step: 1 run in ")
    assert any(line.startswith("hpa-step: checked with its largest zone down in ") for line in lines)
    quiet = cli("report", str(STEP), "--runs", "1", "--duration", "1h", "--workers", "1",
                "--worked-example", "off", "--no-compare", "--no-progress")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_json_rounds_floats_and_writes_no_nan():
    assert dumps(0.1 * 3, None) == "0.3"  # 0.30000000000000004
    assert dumps(1 - 0.001 + 1e-17, None) == "0.999"
    assert json.loads(dumps({"a": math.nan, "b": [math.inf, -math.inf]})) == {"a": None, "b": [None, None]}
    assert json.loads(dumps({"n": np.int64(3), "x": np.float32(0.5), "v": np.arange(3)})) == \
        {"n": 3, "x": 0.5, "v": [0, 1, 2]}
    # 12 significant digits keep what matters: a cost to the cent of a million, tiny rates
    assert json.loads(dumps(1234567.891234)) == 1234567.89123
    assert json.loads(dumps(1.23456789e-9)) == 1.23456789e-9
    assert dumps(True, None) == "true" and dumps(None, None) == "null"
    # numpy keys, long doubles and numpy booleans
    assert dumps({np.int64(3): np.longdouble(0.1) * 3, "b": np.bool_(True)}, None) == \
        '{"3": 0.3, "b": true}'
    with pytest.raises(TypeError, match="set"):
        dumps({1, 2})


def test_simulate_json_is_rounded_and_standard():
    res = cli("simulate", str(STEP), "--runs", "1", "--duration", "1h", "--json",
              "--no-progress")
    assert res.returncode == 0, res.stderr
    assert "NaN" not in res.stdout and "Infinity" not in res.stdout
    floats = re.findall(r"-?\d+\.\d+(?:e-?\d+)?", res.stdout)
    assert floats and all(len(f.split("e")[0].lstrip("-").replace(".", "").lstrip("0")) <= 12
                          for f in floats), [f for f in floats if len(f) > 14][:5]
    json.loads(res.stdout)


def test_sweep_help_shows_the_grid_format_and_csv_is_written(tmp_path):
    h = cli("sweep", "--help")
    assert h.returncode == 0 and "grid file (YAML)" in h.stdout and "parameters:" in h.stdout
    grid = tmp_path / "grid.yaml"
    grid.write_text("runs: 2\nduration: 1h\nparameters:\n  autoscaling.horizontal.minReplicas: [3, 4]\n")
    res = cli("sweep", str(STEP), "--grid", str(grid), "--workers", "1", "--no-progress",
              "--csv", str(tmp_path / "s.csv"))
    assert res.returncode == 0, res.stderr
    import pandas as pd

    df = pd.read_csv(tmp_path / "s.csv")
    assert list(df["autoscaling.horizontal.minReplicas"]) == [3, 4]  # cheaper first
    assert {"cost_per_month", "cost_per_month_lo", "cost_per_month_hi", "safe"} <= set(df.columns)
    assert (df["cost_per_month_lo"] <= df["cost_per_month"]).all()
    # hpa-step relies on CPU bursting above requests, so no point is called safe
    assert "(first)" in res.stdout and "relies on bursting" in res.stdout
    assert res.stdout.rstrip().endswith("no point is safe and meets every objective")
    # a CSV naming a folder: one line before any simulation (no progress line either)
    bad = cli("sweep", str(STEP), "--grid", str(grid), "--csv", str(tmp_path))
    assert bad.returncode == 2, bad.stderr
    assert bad.stderr.strip().splitlines() == [f"error: {tmp_path}: is a directory; give the "
                                               "name of a file to write"]


def test_api_sweep_returns_a_frame_and_refuses_a_bad_grid():
    df = capacity.sweep(STEP, {"runs": 1, "duration": "1h",
                               "parameters": {"autoscaling.horizontal.maxReplicas": [6, 8]}},
                        workers=1, progress=False)
    assert len(df) == 2 and "autoscaling.horizontal.maxReplicas" in df.columns
    assert df["cost_per_month"].is_monotonic_increasing
    with pytest.raises(ScenarioError, match=re.escape("grid: parameters.autoscaling.nope")):
        capacity.sweep(STEP, {"parameters": {"autoscaling.nope": [1]}}, progress=False)


@pytest.mark.parametrize("runs", [0, -1, 10**12, 2.5, True, "3"])
def test_api_simulate_refuses_runs_out_of_range(runs):
    with pytest.raises(ScenarioError, match="runs must be an integer from 1 to 10000"):
        capacity.simulate(STEP, runs=runs, duration=60)


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, False])
def test_api_simulate_refuses_seeds_the_file_refuses(seed):
    with pytest.raises(ScenarioError, match=re.escape("seed must be an integer from 0 to "
                                                      "18446744073709551615 (2^64-1)")):
        capacity.simulate(STEP, runs=1, seed=seed, duration=60)


def test_sweep_csv_dash_prints_the_csv_and_empty_out_is_refused(tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text("runs: 1\nduration: 1h\nparameters:\n  autoscaling.horizontal.minReplicas: [3]\n")
    res = cli("sweep", str(STEP), "--grid", str(grid), "--csv", "-", "--no-progress", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0].startswith("autoscaling.horizontal.minReplicas,")
    assert not (tmp_path / "-").exists()
    both = cli("sweep", str(STEP), "--grid", str(grid), "--csv", "-", "--json")
    assert both.returncode == 2 and "choose one" in both.stderr
    for flag in ("--out", "--metrics-out"):
        res = cli("simulate", str(STEP), "--duration", "1h", flag, "")
        assert res.returncode == 2
        assert res.stderr.strip() == f"error: {flag}: must name a folder, got ''"


@pytest.mark.parametrize(("duration", "rule"), [
    (1e12, "must be at most 1000 years"),
    ("soon", "must be a duration such as"),
    (0, "duration must be longer than simulation.warmup"),  # hpa-step has no warm-up
    # hpa-step takes 660 steps per simulated hour: 700 days is 11.1M, above 10M
    ("700d", "gives 11.1M steps, above the limit of 10M steps per run"),
])
def test_api_simulate_refuses_a_bad_duration(duration, rule):
    with pytest.raises(ScenarioError, match=re.escape(rule)):
        capacity.simulate(STEP, runs=1, duration=duration)


def test_no_episode_stage_without_random_failures_and_first_marks_one_row(tmp_path):
    # hpa-step has no random failures: no "failure episodes" line although --episodes
    # defaults to 20
    res = cli("simulate", str(STEP), "--runs", "1", "--duration", "10m", "--workers", "1")
    assert res.returncode == 0 and "episodes" not in res.stderr, res.stderr
    # two points with the same cost (a timeout that never fires): only the grid's first
    # point is "(first)", the other shows its paired difference, 0
    grid = tmp_path / "grid.yaml"
    grid.write_text("runs: 1\nduration: 1h\nparameters:\n  workload.demand.timeout: [30s, 60s]\n")
    res = cli("sweep", str(STEP), "--grid", str(grid), "--workers", "1", "--no-progress")
    assert res.returncode == 0, res.stderr
    rows = [ln for ln in res.stdout.splitlines() if ln.lstrip().startswith(("30s", "60s"))]
    assert len(rows) == 2 and sum("(first)" in r for r in rows) == 1
    assert "(first)" in next(r for r in rows if r.lstrip().startswith("30s"))
