"""Runs on a Dask cluster give the same numbers as local runs (DESIGN §4, §5).

A ``LocalCluster`` on loopback (two worker processes) stands in for a real cluster.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import capacity
from capacity.errors import SimulationError

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                  "(pip install -e '.[dask]')")

ROOT = Path(__file__).resolve().parents[2]
PEAK = ROOT / "scenarios" / "peak.yaml"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cl:
        yield cl


def _dump(res) -> str:
    return json.dumps(res.summary, sort_keys=True, default=str)


def test_same_seed_same_bytes_on_one_worker_two_workers_and_dask(cluster):
    kw = {"runs": 3, "seed": 11, "duration": "6h", "record": False, "progress": False}
    one = capacity.simulate(PEAK, workers=1, **kw)
    two = capacity.simulate(PEAK, workers=2, **kw)
    with distributed.Client(cluster) as client:
        by_client = capacity.simulate(PEAK, scheduler=client, **kw)
    by_address = capacity.simulate(PEAK, scheduler=cluster.scheduler_address, **kw)
    assert _dump(one) == _dump(two) == _dump(by_client) == _dump(by_address)


class Boom:
    """An observer factory whose observer fails in run 1: a task that always fails."""

    def __call__(self):
        return _BoomObserver()


class _BoomObserver:
    name = "boom"

    def start(self, model) -> None:
        if model.run_index == 1:
            raise RuntimeError("disk full")

    def finish(self, model) -> None:
        return None


def test_a_failing_task_is_retried_once_then_reported_with_its_run_and_seed(cluster):
    with pytest.raises(SimulationError) as e:
        capacity.simulate(PEAK, runs=3, seed=5, duration="1h", record=False, progress=False,
                          scheduler=cluster.scheduler_address, observers=(Boom(),))
    msg = str(e.value)
    assert "run 1 " in msg and "seed entropy 5" in msg and "failed twice" in msg
    assert "disk full" in msg


def test_cli_runs_on_the_cluster(cluster):
    args = [sys.executable, "-m", "capacity", "simulate", str(PEAK), "--runs", "2",
            "--duration", "2h", "--episodes", "0", "--json"]
    local = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    remote = subprocess.run([*args, "--scheduler", cluster.scheduler_address], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr
    assert json.loads(local.stdout) == json.loads(remote.stdout)


def test_an_unreachable_scheduler_is_one_clear_line():
    res = subprocess.run([sys.executable, "-m", "capacity", "simulate", str(PEAK), "--runs",
                          "2", "--duration", "1h", "--scheduler", "tcp://127.0.0.1:9"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip().startswith("error: cannot reach the Dask scheduler")
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("cmd", ["simulate", "sweep", "report"])
@pytest.mark.parametrize("address", ["garbage", "tcp://", "http://x:1"])
def test_a_malformed_scheduler_address_is_one_clear_line(tmp_path, cmd, address):
    extra = {"simulate": ["--runs", "1", "--duration", "1h"],
             "sweep": ["--grid", str(tmp_path / "g.yaml")],
             "report": ["--runs", "1", "--duration", "1h", "--no-compare"]}[cmd]
    (tmp_path / "g.yaml").write_text("runs: 1\nduration: 1h\nparameters:\n"
                                     "  autoscaling.horizontal.minReplicas: [3]\n")
    res = subprocess.run([sys.executable, "-m", "capacity", cmd, str(PEAK), *extra,
                          "--no-progress", "--scheduler", address],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    # before any simulation: the one line names the flag, the form, Dask's reason, the value
    assert lines[0].startswith("error: --scheduler: not a Dask scheduler address such as "
                               "tcp://127.0.0.1:8786 (")
    assert lines[0].endswith(f"), got {address!r}")


def test_until_ci_stops_when_the_interval_is_narrow_enough():
    res = capacity.simulate(PEAK, runs=40, seed=3, duration="6h", record=False,
                            progress=False, until_ci=0.002, workers=1)
    u = res.summary["until_ci"]
    assert u["reached"] and 2 <= u["runs"] < 40 and res.summary["runs"] == u["runs"]
    # the same seed gives the same stopping point
    again = capacity.simulate(PEAK, runs=40, seed=3, duration="6h", record=False,
                              progress=False, until_ci=0.002, workers=2)
    assert again.summary["until_ci"]["runs"] == u["runs"]
