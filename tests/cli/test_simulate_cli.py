"""``python -m capacity simulate`` end to end, and the summary contract (DESIGN §5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import capacity

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "capacity", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_readme_command_prints_a_table():
    res = cli("simulate", "scenarios/peak.yaml", "--duration", "1d")
    assert res.returncode == 0, res.stderr
    assert "requests served" in res.stdout
    assert "replicas" in res.stdout and "per month" in res.stdout


def test_json_summary_has_the_contract_keys():
    res = cli("simulate", "scenarios/peak.yaml", "--duration", "12h", "--json", "--seed", "7")
    assert res.returncode == 0, res.stderr
    s = json.loads(res.stdout)
    for k in ("scenario", "seed", "runs", "duration_seconds"):
        assert k in s
    # peak.yaml runs 8 replications by default, so every estimate has an interval
    assert s["seed"] == 7 and s["runs"] == 8 and s["duration_seconds"] == 43200
    for k in ("requests_served", "time_with_ready_pod", "time_at_full_capacity",
              "time_all_desired_ready"):
        v = s["availability"][k]
        assert 0 <= v["mean"] <= 1
        lo, hi = v["ci95"]
        assert 0 <= lo <= v["mean"] <= hi <= 1
    for k in ("min", "max", "mean"):
        assert k in s["replicas"]
        assert k in s["replicas"]["ready"]
    assert s["replicas"]["ready"]["min"] <= s["replicas"]["ready"]["mean"] <= s["replicas"]["ready"]["max"]
    assert s["replicas"]["min"] >= 3 and s["replicas"]["max"] <= 10
    for k in ("currency", "total", "per_month"):
        assert k in s["cost"]
    assert s["cost"]["currency"] == "USD" and s["cost"]["total"] > 0
    assert "peak_used" in s["quota"] and "hard" in s["quota"]
    assert s["events"]["SuccessfulRescale"] >= 1
    # events: mean per run, with the total over the runs beside it
    assert s["events_total"]["SuccessfulRescale"] == pytest.approx(8 * s["events"]["SuccessfulRescale"])
    # the objective is printed as it was written, not as a binary fraction's expansion
    assert '"objective": 0.999,' in res.stdout


def test_out_writes_three_files(tmp_path):
    out = tmp_path / "run"
    res = cli("simulate", "scenarios/peak.yaml", "--duration", "6h", "--runs", "1",
              "--out", str(out) + "/")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["events.csv", "summary.json", "timeseries.csv"]
    assert "//" not in res.stdout  # `--out run/` prints run/summary.json, not run//summary.json
    ts = pd.read_csv(out / "timeseries.csv")
    for c in ("run", "time", "offered_rps", "served_rps", "desired_replicas", "spec_replicas",
              "ready_replicas", "pending_pods", "cpu_utilization", "nodes_ready", "cost_per_hour"):
        assert c in ts.columns
    # one row per HPA sync: 6 h / 15 s
    assert len(ts) == 6 * 3600 // 15
    ev = pd.read_csv(out / "events.csv")
    # DESIGN §5's columns first, in its order; the wall clock is added last
    assert list(ev.columns[:6]) == ["run", "time", "reason", "kind", "name", "message"]
    assert ev.columns[-1] == "clock" and ts.columns[-1] == "clock"
    # time in seconds to the millisecond; peak.yaml has no startTime, so the clock is the
    # day of the run, weekday and time from a Monday 00:00; the first sync is in the first 15 s
    t0 = ts["time"].iloc[0]
    assert 0 < t0 <= 15 and ts["clock"].iloc[0] == f"day 1 Mon 00:00:{int(t0):02d}"
    assert (ts["time"] == ts["time"].round(3)).all()
    last = ts.iloc[-1]  # 6 h in: still day 1
    assert last["clock"] == f"day 1 Mon {int(last['time']) // 3600:02d}:" \
        f"{int(last['time']) % 3600 // 60:02d}:{int(last['time']) % 60:02d}"
    # every other float is written with at most 12 significant digits
    floats = ts.drop(columns=["clock"]).select_dtypes("float").to_numpy().ravel()
    assert all(float(f"{x:.12g}") == x for x in floats)


def test_csv_clock_follows_the_start_time(tmp_path):
    sc = tmp_path / "s.yaml"
    # a Wednesday 09:30 in UTC+1; the first 10 minutes
    sc.write_text(f"extends: {PEAK}\nsimulation: {{startTime: '2026-01-07T09:30:00+01:00'}}\n")
    res = cli("simulate", str(sc), "--duration", "10m", "--runs", "1", "--episodes", "0",
              "--no-progress", "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    ts = pd.read_csv(tmp_path / "o" / "timeseries.csv")
    first = ts.iloc[0]
    ms = round(first["time"] * 1000)
    assert first["clock"] == f"2026-01-07T09:30:{ms // 1000:02d}.{ms % 1000:03d}+01:00"
    stamps = pd.to_datetime(ts["clock"])
    elapsed = (stamps - pd.Timestamp("2026-01-07T09:30:00+01:00")).dt.total_seconds()
    assert (abs(elapsed - ts["time"]) < 1e-6).all()


def test_quota_is_printed_in_one_unit_per_resource():
    # peak.yaml at its 3 minReplicas for one quiet hour: 3 x 250m CPU requested of 20 cores,
    # 3 x 512Mi = 1.5 GiB of 40 GiB; no millicores beside whole cores, no Mi beside Gi
    res = cli("simulate", "scenarios/peak.yaml", "--duration", "1h", "--runs", "1",
              "--episodes", "0", "--no-progress")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split("\nquota ", 1)[1].split("\n\n", 1)[0].splitlines()
    assert lines[0].split() == ["resource", "unit", "peak", "used", "hard", "headroom", "used"]
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines[1:]}
    assert rows["requests.cpu"] == ["cores", "0.75", "20", "19.25", "3.8%"]
    assert rows["requests.memory"] == ["GiB", "1.5", "40", "38.5", "3.8%"]
    assert rows["pods"] == ["count", "3", "50", "47", "6.0%"]


def test_out_is_not_half_written_on_error(tmp_path):
    out = tmp_path / "run"
    res = cli("simulate", "scenarios/nope.yaml", "--out", str(out))
    assert res.returncode == 2
    assert not out.exists()


def test_several_runs_have_intervals_and_worker_count_does_not_matter():
    a = capacity.simulate(PEAK, runs=3, seed=11, duration="1d", workers=1, progress=False)
    b = capacity.simulate(PEAK, runs=3, seed=11, duration="1d", workers=2, progress=False)
    ra = a.summary["availability"]["requests_served"]
    assert ra["ci95"] is not None and ra["ci95"][0] <= ra["mean"] <= ra["ci95"][1]
    assert json.dumps(a.summary, sort_keys=True) == json.dumps(b.summary, sort_keys=True)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert sorted(a.timeseries["run"].unique()) == [0, 1, 2]


def test_different_seeds_differ():
    a = capacity.simulate(PEAK, seed=1, duration="1d")
    b = capacity.simulate(PEAK, seed=2, duration="1d")
    assert not a.timeseries["offered_rps"].equals(b.timeseries["offered_rps"])


def test_schema_command_prints_json_schema():
    res = cli("schema")
    assert res.returncode == 0
    schema = json.loads(res.stdout)
    full = schema["$defs"]["Scenario"]
    assert "workload" in full["properties"] and "extends" in full["properties"]
    assert "workload" in full["required"]
    # a file with extends inherits its sections: nothing is required of it
    assert "required" not in schema["$defs"]["PartialScenario"]


@pytest.mark.parametrize("flag", ["--runs", "--duration"])
def test_bad_flags(flag):
    res = cli("simulate", "scenarios/peak.yaml", flag, "0")
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("start", "first"), [
    # every form datetime.fromisoformat reads (the model's check), also those pandas does not
    ("2026-W02-1", "2026-01-05T00:00:14.094"),  # ISO week date: Monday of week 2
    ("2026-01-05T00:00:00+05:45:30", "2026-01-05T00:00:14.094+05:45:30"),
    ("2026-01-05T00:00:00Z", "2026-01-05T00:00:14.094+00:00"),
    ("2026-01-05", "2026-01-05T00:00:14.094"),
    (None, "day 1 Mon 00:00:14"),
])
def test_csv_clock_of_every_start_time_form(start, first):
    from capacity.cli.simulate import csv_frame

    df = pd.DataFrame({"run": [0, 0], "time": [14.0936, 8 * 86400 + 1.5]})
    clock = list(csv_frame(df, start)["clock"])
    assert clock[0] == first
    if start is None:
        assert clock[1] == "day 9 Tue 00:00:01"  # day 9 of the run is a Tuesday


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31T23:00:00", "1899-12-31"])
def test_start_time_outside_what_the_files_can_write_is_refused(tmp_path, start):
    sc = tmp_path / "s.yaml"
    sc.write_text(f"extends: {PEAK}\nsimulation: {{startTime: '{start}'}}\n")
    res = cli("simulate", str(sc), "--duration", "1h")
    assert res.returncode == 2
    assert res.stderr.strip().endswith(f"simulation.startTime: must be a date from the year "
                                       f"1900 to 2200, got '{start}'"), res.stderr
