"""``python -m capacity simulate --metrics-out DIR``: the files, whole or not at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from capacity.analysis.openmetrics import read_openmetrics

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "capacity", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_metrics_out_writes_the_file_and_blocks(tmp_path: Path):
    out = tmp_path / "metrics"
    res = cli("simulate", "scenarios/zone-outage.yaml", "--duration", "3h", "--runs", "2",
              "--workers", "2", "--episodes", "0", "--metrics-out", str(out))
    assert res.returncode == 0, res.stderr
    assert f"wrote {out / 'metrics.om'}" in res.stdout
    names = sorted(p.name for p in out.iterdir())
    data = read_openmetrics(out / "metrics.om")  # strict: one file of both runs
    deps = data.store.select([("__name__", "=", "kube_deployment_spec_replicas")])
    assert len(deps) == 1 and len(deps[0].t) == 2 * (3 * 3600 // 30 + 1)
    if "blocks" in names:  # promtool installed
        assert "TSDB blocks" in res.stdout
        assert all((b / "meta.json").exists() for b in (out / "blocks").iterdir())
    else:
        assert names == ["metrics.om"] and "no promtool" in res.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_json_summary_carries_the_export(tmp_path: Path):
    out = tmp_path / "m"
    res = cli("simulate", "scenarios/peak.yaml", "--duration", "2h", "--runs", "1", "--json",
              "--episodes", "0", "--metrics-out", str(out))
    assert res.returncode == 0, res.stderr
    s = json.loads(res.stdout)
    exp = s["monitoring"]["export"]
    assert exp["path"] == str(out / "metrics.om") and exp["runs"] == 1
    assert exp["bytes"] == (out / "metrics.om").stat().st_size
    assert set(s["alerts"]) and "vpa" in s


def test_an_unwritable_folder_fails_before_simulating(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = cli("simulate", "scenarios/peak.yaml", "--duration", "1h", "--runs", "1",
              "--metrics-out", str(blocker / "sub"))
    assert res.returncode != 0
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
