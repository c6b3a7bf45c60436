"""The ready-made scenarios of issue 3 run and show what they are for."""

from __future__ import annotations

from pathlib import Path

import capacity
from capacity.study.episodes import episode_estimates

ROOT = Path(__file__).resolve().parents[2] / "scenarios"


def test_zone_outage_leaves_replacements_pending_until_the_zone_is_back():
    res = capacity.simulate(ROOT / "zone-outage.yaml", runs=1)
    fails = res.summary["failures"]["zone"]
    assert fails["episodes"] == 1
    ts = res.timeseries
    during = ts[(ts.time > 86400 + 13 * 3600 + 400) & (ts.time < 86400 + 16 * 3600)]
    # DoNotSchedule + nodeTaintsPolicy Ignore: zone-c's replacements cannot schedule.
    assert (during.pending_pods > 0).all()
    assert res.summary["events"]["FailedScheduling"] >= 1
    assert (during.nodes_ready == 4).all()


def test_node_upgrade_drains_every_node_once():
    res = capacity.simulate(ROOT / "node-upgrade.yaml", runs=1)
    dr = res.summary["drains"]
    assert dr["count"] == 6 and dr["unfinished"] == 0
    assert res.summary["failures"]["maintenance"]["episodes"] == 6


def test_spot_scenario_has_a_spot_kind_in_the_episode_estimate():
    sc = capacity.load_scenario(ROOT / "spot.yaml")
    est = episode_estimates(sc, episodes=4)
    assert "spot:spot" in est["by_kind"]
    assert est["by_kind"]["spot:spot"]["rate_per_year"] > 0
