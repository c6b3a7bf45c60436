"""Issue 9: numbers a user can trust (spot cost is in test_cost.py).

Each test names the item of the issue it checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import capacity
from capacity.scenario.durations import human_duration
from capacity.study.defaults import DEFAULT_EPISODES
from capacity.study.episodes import episode_estimates

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "capacity", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


# --- 2. the episode estimator pairs a failure with its own baseline -------------------------


def test_episodes_of_a_workload_with_no_pods_lose_nothing_more():
    # seed-as-written: the LimitRange rejects every pod, so every request is lost with or
    # without a failure. Paired on common random numbers, each impact is exactly 0, and
    # the estimate equals the baseline: 0% served (it printed 0.0007% and -922 before).
    sc = capacity.load_scenario(ROOT / "scenarios" / "seed-as-written.yaml")
    est = episode_estimates(sc, episodes=4, seed=3)
    assert est["requests_served"]["mean"] == pytest.approx(0.0, abs=1e-12)
    for kind in est["by_kind"].values():
        lost = kind["lost_requests_per_episode"]
        # zero up to the float sums' rounding (offered ~1e5 requests per window)
        assert lost["min"] == pytest.approx(0.0, abs=1e-6)
        assert lost["max"] == pytest.approx(0.0, abs=1e-6)


def test_episode_impacts_are_never_below_the_noise_bound():
    # peak.yaml: the failure run and its baseline share the load, its noise and the phases;
    # only draws made after the failure (start-up delays of replacement pods) differ. The
    # stated noise bound: no episode may show more than 0.01% of its window's offered
    # requests served beyond its baseline, and no interval may start below that.
    sc = capacity.load_scenario(ROOT / "scenarios" / "peak.yaml")
    est = episode_estimates(sc, episodes=8, seed=5)
    for name, kind in est["by_kind"].items():
        bound = -1e-4 * kind["offered_requests_per_episode"]
        lost = kind["lost_requests_per_episode"]
        assert lost["min"] >= bound, name
        assert lost["ci95"][0] >= bound, name


def test_simulate_and_report_give_the_same_episode_figures():
    from capacity.report.build import run_scenarios

    sc = capacity.load_scenario(ROOT / "scenarios" / "peak.yaml")
    sim = capacity.simulate(sc, runs=2, seed=9, duration="6h", record=False,
                            episodes=DEFAULT_EPISODES).summary["availability"]["episodes"]
    rep = run_scenarios([sc], runs=2, seed=9, duration="6h", compare=False,
                        worked_example="off")[0].summary["availability"]["episodes"]
    assert rep["episodes_per_kind"] == sim["episodes_per_kind"] == DEFAULT_EPISODES
    assert json.dumps(rep, sort_keys=True) == json.dumps(sim, sort_keys=True)


# --- 3. one estimator per comparison ----------------------------------------------------------


def test_fixed_replica_comparison_uses_one_estimator_for_every_row():
    from capacity.study.comparisons import cost_with_comparisons

    sc = capacity.load_scenario(ROOT / "scenarios" / "peak.yaml")
    res = capacity.simulate(sc, runs=2, seed=4, duration="6h", record=False, episodes=4)
    c = cost_with_comparisons(sc, res.outcomes, seed=4, duration=6 * 3600.0, search_runs=1,
                              availability=res.summary["availability"])
    cmp_ = c["comparisons"]
    est = cmp_["availability_estimator"]
    assert est.startswith("episodes")  # peak.yaml has random node and zone failures
    assert cmp_["hpa"]["availability"]["estimator"] == est
    for key in ("fixed_max_replicas", "fixed_min_meeting_objective"):
        if cmp_.get(key):
            assert cmp_[key]["availability"]["estimator"] == est, key


# --- 4. ready pods, and a notice when no pod was admitted ---------------------------------------


def test_no_pod_admitted_is_said_before_the_numbers():
    res = cli("simulate", "scenarios/seed-as-written.yaml", "--runs", "1", "--duration", "2h",
              "--episodes", "0")
    assert res.returncode == 0
    lines = res.stdout.splitlines()
    note = next(i for i, line in enumerate(lines) if line.startswith("NOTE"))
    first_number = next(i for i, line in enumerate(lines) if "requests served" in line)
    assert note < first_number
    assert "no pod was ever admitted" in lines[note]
    assert "max limit to request ratio" in lines[note]  # and why
    assert "ready pods    min 0   mean 0.00   max 0" in res.stdout


def test_summary_has_ready_replicas():
    res = capacity.simulate(ROOT / "scenarios" / "seed-as-written.yaml", runs=1,
                            duration="1h", record=False)
    s = res.summary
    assert s["replicas"]["min"] == 3  # spec.replicas, as before
    assert s["replicas"]["ready"] == {"min": 0, "mean": 0.0, "max": 0}
    assert s["notices"] and s["notices"][0].startswith("no pod was ever admitted")


# --- 5. time at full capacity vs all desired pods ready --------------------------------------------


def test_zone_outage_shows_pods_pending_in_time_all_desired_ready():
    # zone-outage.yaml: zone-c is down 3 h on Tuesday; its pods' replacements stay Pending
    # (DoNotSchedule spread), so for ~3 h of 48 the ready pods are below spec.replicas,
    # while the remaining pods still carry the load ("full capacity" stays near 100%).
    res = capacity.simulate(ROOT / "scenarios" / "zone-outage.yaml", runs=1, record=False)
    a = res.summary["availability"]
    short = 1 - a["time_all_desired_ready"]["mean"]
    assert 2.5 / 48 < short < 4 / 48
    assert a["time_at_full_capacity"]["mean"] > 1 - short


def test_help_defines_the_measures():
    res = cli("simulate", "--help")
    assert "time at full capacity" in res.stdout and "spec.replicas" in res.stdout


# --- 8. units ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds,text", [
    (0, "0 s"), (0.25, "250 ms"), (47.5, "47.5 s"), (90, "1 min 30 s"), (5400, "1 h 30 min"),
    (183600, "2 d 3 h"), (3599.9, "1 h"), (604800, "7 d"),
])
def test_human_durations(seconds, text):
    assert human_duration(seconds) == text


def test_objective_prints_as_written():
    res = cli("simulate", "scenarios/peak.yaml", "--runs", "2", "--duration", "2h",
              "--episodes", "0")
    assert "objective                  99.9%" in res.stdout
    assert "0.9990000000000001" not in res.stdout
    assert "2 x 2 h" in res.stdout  # durations in human units


def test_report_shows_ready_pods_and_the_notice():
    from capacity.report.build import build_document, run_scenarios
    from capacity.report.document import to_markdown

    runs = run_scenarios([ROOT / "scenarios" / "seed-as-written.yaml"], runs=2, duration="2h",
                         compare=False, worked_example="off")
    md = to_markdown(build_document(runs), None)
    assert "ready pods min / mean / max | 0 / 0.00 / 0" in md
    assert "**Note:** no pod was ever admitted" in md
    assert "time all desired pods ready" in md


def test_no_interval_heading_over_dashes_for_one_run():
    from capacity.report.build import build_document, run_scenarios
    from capacity.report.document import Table

    runs = run_scenarios([ROOT / "scenarios" / "peak.yaml"], runs=1, duration="2h",
                         compare=False, worked_example="off")
    tables = [b for b in build_document(runs).blocks if isinstance(b, Table)]
    assert tables
    for t in tables:
        for i, h in enumerate(t.headers):
            if "interval" in h.lower():
                assert any(r[i] not in ("– (one run)", "") for r in t.rows), (t.headers, h)
