"""Bad input: one line naming file, field path, rule and value; exit 2; no traceback.

Each case writes a small variant of a valid scenario and runs the real CLI in a subprocess.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from capacity.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((ROOT / "tests/data/scenarios/hpa-step.yaml").read_text())


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "capacity", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def write(tmp: Path, name: str, data) -> Path:
    p = tmp / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return p


def variant(**changes):
    import copy

    d = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        last = keys[-1]
        node[int(last) if last.isdigit() else last] = value
    return d


def check_one_line(res, *fragments: str) -> str:
    assert res.returncode == 2, res.stderr
    err = res.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    for f in fragments:
        assert f in err, err
    return err


CASES = {
    "unknown field": (variant(workload__replicaz=3), ["x.yaml", "workload.replicaz", "unknown field"]),
    "wrong type": (variant(autoscaling__horizontal__maxReplicas="ten"),
                   ["x.yaml", "autoscaling.horizontal.maxReplicas", "integer", "'ten'"]),
    "malformed duration": (variant(simulation__duration="7 days"),
                           ["simulation.duration", "must be a duration", "'7 days'"]),
    "negative duration": (variant(simulation__duration="-5m"),
                          ["simulation.duration", "non-negative", "'-5m'"]),
    "malformed quantity": (
        variant(workload__deployment__template__spec__containers__0__resources__requests__cpu="250mm"),
        ["workload.deployment.template.spec.containers[0].resources.requests.cpu", "quantity", "'250mm'"]),
    "max below min": (variant(autoscaling__horizontal__maxReplicas=2),
                      ["autoscaling.horizontal.maxReplicas: must be >= minReplicas (3), got 2"]),
    "policy value 0": (
        variant(autoscaling__horizontal__behavior__scaleUp__policies__0__value=0),
        ["autoscaling.horizontal.behavior.scaleUp.policies[0].value", "greater than 0", "0"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_invalid_field(tmp_path, case):
    data, fragments = CASES[case]
    write(tmp_path, "x.yaml", data)
    res = cli("simulate", "x.yaml", cwd=tmp_path)
    err = check_one_line(res, *fragments)
    # The line number points into the file.
    assert err.startswith("error: x.yaml:")


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    write(tmp_path, "x.yaml", "name: a\nworkload:\n  name: [unclosed\nload: {}\n")
    err = check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "x.yaml:", "YAML syntax error")
    line = int(err.split("x.yaml:")[1].split(":")[0])
    assert line in (3, 4)


def test_empty_file(tmp_path):
    write(tmp_path, "x.yaml", "")
    check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "x.yaml", "empty")


def test_missing_file(tmp_path):
    check_one_line(cli("simulate", "nope.yaml", cwd=tmp_path), "nope.yaml", "not found")


def test_missing_trace_file(tmp_path):
    d = variant()
    d["load"] = {"trace": {"path": "missing.csv"}}
    write(tmp_path, "x.yaml", d)
    check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "load.trace.path", "trace file not found",
                   "missing.csv")


def test_trace_with_bad_row(tmp_path):
    (tmp_path / "t.csv").write_text("time,value\n0,5\n60,7\n120,abc\n180,4\n")
    d = variant()
    d["load"] = {"trace": {"path": "t.csv"}}
    write(tmp_path, "x.yaml", d)
    # Row 4 of the file (header is line 1) holds 'abc'.
    check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "t.csv:4", "value", "'abc'")


def test_extends_itself(tmp_path):
    d = variant()
    d["extends"] = "x.yaml"
    write(tmp_path, "x.yaml", d)
    check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), "extends", "cycle")


def test_extends_cycle_through_two_files(tmp_path):
    write(tmp_path, "a.yaml", {"extends": "b.yaml", "name": "a"})
    write(tmp_path, "b.yaml", {"extends": "a.yaml", "name": "b"})
    check_one_line(cli("simulate", "a.yaml", cwd=tmp_path), "cycle", "a.yaml -> b.yaml -> a.yaml")


def test_debug_shows_traceback(tmp_path):
    res = cli("--debug", "simulate", "nope.yaml", cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" in res.stderr


# --- issue 16: every listed input gives one line and exit 2 (or runs, when it is valid) ---
#
# These run `capacity.cli.main` in-process (fast); a few below run the real CLI in a
# subprocess to see what a user sees. The base is scenarios/peak.yaml with its chain
# merged and a one-hour, one-run simulation, so a case that wrongly validates finishes
# quickly instead of simulating a week eight times.

SCENARIOS = ROOT / "scenarios"
C0 = "workload.deployment.template.spec.containers[0]"


def _merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return over


def peak() -> dict:
    """scenarios/peak.yaml with its extends chain merged, for one hour and one run."""
    d = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())
    d = _merge(d, {k: v for k, v in yaml.safe_load((SCENARIOS / "peak.yaml").read_text()).items()
                   if k != "extends"})
    d["simulation"].update(duration="1h", runs=1)
    return d


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def set_path(d: dict, path: str, value) -> dict:
    """``d[path] = value`` for a dotted path with ``[i]`` indices (None deletes)."""
    parts = [int(i) if i else n for n, i in _PART.findall(path)]
    node = d
    for p in parts[:-1]:
        node = node.setdefault(p, {}) if isinstance(p, str) else node[p]
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value
    return d


def mutated(*changes) -> dict:
    d = peak()
    for path, value in changes:
        set_path(d, path, value)
    return d


def run(tmp_path, monkeypatch, capsys, *args):
    monkeypatch.chdir(tmp_path)
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def one_line(rc, err, *fragments):
    assert rc == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


SIM = ("--episodes", "0", "--no-progress")

# (changes to peak.yaml, fragments of the one line) -- the issue's examples, in its order.
FILE_CASES = {
    # crashes
    "startTime not a date": ([("simulation.startTime", "not-a-date")],
                             ["x.yaml:", "simulation.startTime", "ISO 8601", "'not-a-date'"]),
    "startTime month 13": ([("simulation.startTime", "2026-13-45T99:00:00")],
                           ["simulation.startTime", "ISO 8601", "2026-13-45T99:00:00"]),
    "duration 0s": ([("simulation.duration", "0s")], ["simulation.duration", "must be > 0", "'0s'"]),
    "runs 10**30": ([("simulation.runs", 10**30)], ["simulation.runs", "10000"]),
    "duration 1e308": ([("simulation.duration", 1e308)],
                       ["simulation.duration", "at most 1000 years"]),
    "nodesPerZone 0": ([("cluster.nodePools[0].nodesPerZone", 0)],
                       ["cluster.nodePools", "no nodes"]),
    "nodeMonitorPeriod 0s": ([("controllers.kubeControllerManager.nodeMonitorPeriod", "0s")],
                             ["controllers.kubeControllerManager.nodeMonitorPeriod", "> 0"]),
    "requests.cpu 1e400": ([(f"{C0}.resources.requests.cpu", "1e400")],
                           [f"{C0}.resources.requests.cpu", "2^63-1", "'1e400'"]),
    "memoryPerInflightRequest 1e308": ([("workload.demand.memoryPerInflightRequest", "1e308")],
                                       ["workload.demand.memoryPerInflightRequest", "2^63-1"]),
    "podAntiAffinity terms a string": (
        [("workload.deployment.template.spec.affinity.podAntiAffinity."
          "preferredDuringSchedulingIgnoredDuringExecution", "spread")],
        ["affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution",
         "valid list"]),
    "preferred term weight a string": (
        [("workload.deployment.template.spec.affinity.podAntiAffinity."
          "preferredDuringSchedulingIgnoredDuringExecution[0].weight", "heavy")],
        ["preferredDuringSchedulingIgnoredDuringExecution[0].weight", "integer", "'heavy'"]),
    # hangs
    "sync period 0s": ([("controllers.kubeControllerManager.horizontalPodAutoscalerSyncPeriod",
                         "0s")],
                       ["horizontalPodAutoscalerSyncPeriod", "must be > 0"]),
    "sync period 1ms for a day": (
        [("controllers.kubeControllerManager.horizontalPodAutoscalerSyncPeriod", "1ms"),
         ("simulation.duration", "1d")],
        ["horizontalPodAutoscalerSyncPeriod", "1ms gives 3.6M steps per simulated hour, 86.4M "
         "over 1d, above the limit of 10M steps per run"]),
    "node mtbf 1ms": ([("failures.nodes.mtbf", "1ms")],
                      ["failures.nodes.mtbf", "steps per simulated hour", "limit"]),
    "load resolution 0.1ms": ([("load.resolution", "0.0001s")],
                              ["load.resolution", "0.1ms gives 36M steps per simulated hour", "limit"]),
    "imagePull p95 1e308": ([("workload.startup.imagePull.p95", 1e308)],
                            ["workload.startup.imagePull.p95", "1000 years"]),
    "imagePull a year": ([("workload.startup.imagePull", "365d")],
                         ["workload.startup.imagePull", "a start-up of 365d", "ticks of",
                          "per pod start, above the limit of 100k"]),
    "lognormal p95 a million medians": ([("workload.startup.imagePull.p95", "1000d")],
                                        ["workload.startup.imagePull.p95", "1e6 times the median"]),
    "quota 1e9999999999": ([("namespace.resourceQuota.hard.pods", "1e9999999999")],
                           ["namespace.resourceQuota.hard.pods", "2^63-1"]),
    "LimitRange 1e9999999999": ([("namespace.limitRange.limits[0].max.cpu", "1e9999999999")],
                                ["namespace.limitRange.limits[0].max.cpu", "2^63-1"]),
    "quota 1e-9999999999": ([("namespace.resourceQuota.hard.pods", "1e-9999999999")],
                            ["namespace.resourceQuota.hard.pods", "at least 1n"]),
    # nonsense
    "requests.cpu -1": ([(f"{C0}.resources.requests.cpu", -1)],
                        [f"{C0}.resources.requests.cpu", "non-negative", "-1"]),
    "requests.cpu '-1'": ([(f"{C0}.resources.requests.cpu", "-1")],
                          [f"{C0}.resources.requests.cpu", "non-negative"]),
    "limits below requests": ([(f"{C0}.resources.limits.cpu", "100m")],
                              [f"{C0}.resources.requests.cpu",
                               "must be less than or equal to cpu limit of 100m", "'250m'"]),
    "minAvailable 120%": ([("disruption.podDisruptionBudget.minAvailable", "120%")],
                          ["disruption.podDisruptionBudget.minAvailable",
                           "must not be greater than 100%"]),
    "maxUnavailable 120%": ([("disruption.podDisruptionBudget",
                              {"maxUnavailable": "120%"})],
                            ["disruption.podDisruptionBudget.maxUnavailable", "100%"]),
    "rolling maxUnavailable 120%": ([("workload.deployment.strategy.rollingUpdate.maxUnavailable",
                                      "120%")],
                                    ["strategy.rollingUpdate.maxUnavailable", "100%"]),
    "maxSurge 0 and maxUnavailable 0": (
        [("workload.deployment.strategy.rollingUpdate", {"maxSurge": 0, "maxUnavailable": 0})],
        ["workload.deployment.strategy.rollingUpdate.maxUnavailable",
         "may not be 0 when `maxSurge` is 0"]),
    "maxSurge 0% and maxUnavailable 0%": (
        [("workload.deployment.strategy.rollingUpdate", {"maxSurge": "0%", "maxUnavailable": "0%"})],
        ["may not be 0 when `maxSurge` is 0"]),
    "minReplicas 0 without the gate": ([("autoscaling.horizontal.minReplicas", 0)],
                                       ["autoscaling.horizontal.minReplicas",
                                        "greater than or equal to 1", "HPAScaleToZero"]),
    "minReplicas 0 with the gate, Resource metrics only": (
        [("autoscaling.horizontal.minReplicas", 0),
         ("controllers.featureGates", {"HPAScaleToZero": True})],
        ["autoscaling.horizontal.metrics", "Object or External metric"]),
    "scaleTargetRef.kind empty": ([("autoscaling.horizontal.scaleTargetRef.kind", "")],
                                  ["autoscaling.horizontal.scaleTargetRef.kind", "empty"]),
    "scaleTargetRef.kind StatefulSet": (
        [("autoscaling.horizontal.scaleTargetRef.kind", "StatefulSet")],
        ["autoscaling.horizontal.scaleTargetRef.kind", "must be Deployment"]),
    "NaN price": ([("pricing.cpuPerHour", math.nan)], ["pricing.cpuPerHour", "finite"]),
    "inf price": ([("pricing.memoryGiBPerHour", math.inf)], ["pricing.memoryGiBPerHour", "finite"]),
    "NaN alert threshold": ([("monitoring.alerts.HighCPU.threshold", math.nan)],
                            ["monitoring.alerts.HighCPU.threshold", "finite"]),
    "inf load factor": ([("load.spikes[0].factor", math.inf)], ["load.spikes[0].factor", "finite"]),
    "NaN weekend factor": ([("load.diurnal.weekendFactor", math.nan)],
                           ["load.diurnal.weekendFactor", "finite"]),
    "diurnal max 1e308": ([("load.diurnal.max", 1e308)], ["load.diurnal.max", "1000000000"]),
    "node failures of a missing pool": ([("failures.nodes.pools", ["gpu"])],
                                        ["failures.nodes.pools[0]", "not a node pool", "'gpu'"]),
    "scheduled node failure of a missing node": (
        [("failures.nodes.scheduled", [{"node": "general-zone-z-0", "at": "10m", "duration": "5m"}])],
        ["failures.nodes.scheduled[0].node", "not a node of the cluster"]),
    "zone outage of a missing zone": (
        [("failures.zones.scheduled", [{"zone": "zone-z", "at": "10m", "duration": "1h"}])],
        ["failures.zones.scheduled[0].zone", "not a zone", "'zone-z'"]),
    "spot interruptions of a missing pool": ([("failures.spot", [{"pool": "spotty"}])],
                                             ["failures.spot[0].pool", "not a node pool"]),
    "maintenance of a missing pool": ([("disruption.maintenance", [{"start": "10m",
                                                                    "pools": ["gpu"]}])],
                                      ["disruption.maintenance[0].pools[0]", "not a node pool"]),
    "negative maxLimitRequestRatio": (
        [("namespace.limitRange.limits[0].maxLimitRequestRatio.cpu", -4)],
        ["namespace.limitRange.limits[0].maxLimitRequestRatio.cpu", "non-negative"]),
    "maxLimitRequestRatio below 1": (
        [("namespace.limitRange.limits[0].maxLimitRequestRatio.cpu", "500m")],
        ["maxLimitRequestRatio.cpu", "ratio 500m is less than 1"]),
    "negative LimitRange default": ([("namespace.limitRange.limits[0].default.cpu", "-1")],
                                    ["namespace.limitRange.limits[0].default.cpu", "non-negative"]),
    "LimitRange default above max": ([("namespace.limitRange.limits[0].default.cpu", "8")],
                                     ["namespace.limitRange.limits[0].default.cpu",
                                      "default value 8 is greater than max value 4"]),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_issue_example_in_the_file(tmp_path, monkeypatch, capsys, case):
    changes, fragments = FILE_CASES[case]
    write(tmp_path, "x.yaml", mutated(*changes))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    line = one_line(rc, err, *fragments)
    assert line.startswith("error: x.yaml:"), line  # file and line


def test_unquoted_bad_timestamp_is_a_field_error(tmp_path, monkeypatch, capsys):
    # Unquoted, YAML reads it as a timestamp and PyYAML's datetime() raises ValueError.
    text = yaml.safe_dump(peak(), sort_keys=False).replace(
        "simulation:\n", "simulation:\n  startTime: 2026-13-45T99:00:00\n", 1)
    write(tmp_path, "x.yaml", text)
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "x.yaml:", "simulation.startTime", "ISO 8601")


def test_unquoted_good_timestamp_is_read(tmp_path, monkeypatch, capsys):
    text = yaml.safe_dump(peak(), sort_keys=False).replace(
        "simulation:\n", "simulation:\n  startTime: 2026-01-07T12:00:00\n", 1)
    write(tmp_path, "x.yaml", text)
    from capacity import load_scenario

    assert load_scenario(tmp_path / "x.yaml").simulation.startTime == "2026-01-07T12:00:00"


def test_repair_longer_than_the_run_is_fine(tmp_path, monkeypatch, capsys):
    # A repair median of a year with a one-hour run: valid, and it must not hang.
    d = mutated(("failures.nodes.repair", {"type": "lognormal", "median": "365d", "p95": "400d"}),
                ("failures.nodes.scheduled", [{"node": "general-zone-a-0", "at": "10m",
                                               "duration": "365d"}]))
    write(tmp_path, "x.yaml", d)
    rc, out, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", "--duration", "1h",
                       *SIM)
    assert rc == 0, err
    assert "requests served" in out


def test_duplicate_keys_name_both_lines(tmp_path, monkeypatch, capsys):
    text = yaml.safe_dump(peak(), sort_keys=False)
    text = text.replace("  runs: 1\n", "  runs: 1\n  seed: 4\n  runs: 3\n", 1)
    write(tmp_path, "x.yaml", text)
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    lines = text.splitlines()
    first = lines.index("  runs: 1") + 1
    second = lines.index("  runs: 3") + 1
    one_line(rc, err, f"x.yaml:{second}:", "simulation.runs", "duplicate key 'runs'",
             f"lines {first} and {second}")


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_non_utf8_file_is_one_line(tmp_path, monkeypatch, capsys, encoding):
    d = peak()
    d["description"] = "Zürich façade"
    (tmp_path / "x.yaml").write_bytes(yaml.safe_dump(d, allow_unicode=True).encode(encoding))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "x.yaml", "UTF-" if encoding == "utf-16" else "not UTF-8", "save")


def test_binary_file_is_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "x.yaml").write_bytes(bytes(range(256)) * 4)
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "x.yaml", "binary")


def test_yaml_nested_3000_lists_deep(tmp_path, monkeypatch, capsys):
    write(tmp_path, "x.yaml", "name: " + "[" * 3000 + "]" * 3000 + "\n")
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "x.yaml:1", "nested more than 64 levels")


def test_yaml_alias_bomb(tmp_path, monkeypatch, capsys):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    write(tmp_path, "x.yaml", "\n".join(lines) + "\n")
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "x.yaml", "aliases are expanded")


def test_oversized_file(tmp_path, monkeypatch, capsys):
    write(tmp_path, "x.yaml", "# " + "x" * (6 * 1024 * 1024) + "\n")
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "x.yaml", "too large")


def test_extends_a_binary_yaml_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "base.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(tmp_path, "x.yaml", {"extends": "base.yaml", "name": "x"})
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "base.yaml", "binary")


def test_extends_only_yaml_files(tmp_path, monkeypatch, capsys):
    (tmp_path / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    write(tmp_path, "x.yaml", {"name": "x", "extends": "plot.png"})
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "x.yaml:", "extends", ".yaml or .yml", "'plot.png'")


def test_trace_path_is_a_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / "traces").mkdir()
    write(tmp_path, "x.yaml", mutated(("load", {"trace": {"path": "traces"}})))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "x.yaml", "load.trace.path", "is a directory")


@pytest.mark.parametrize("bad", ["NaN", "inf", "-inf"])
def test_non_finite_trace_value(tmp_path, monkeypatch, capsys, bad):
    (tmp_path / "t.csv").write_text(f"time,value\n0,5\n60,7\n120,{bad}\n180,4\n")
    write(tmp_path, "x.yaml", mutated(("load", {"trace": {"path": "t.csv"}})))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "t.csv:4", "column 'value'", "finite", repr(bad))


@pytest.mark.parametrize("bad", ["1e308", "inf"])
def test_trace_time_out_of_range(tmp_path, monkeypatch, capsys, bad):
    (tmp_path / "t.csv").write_text(f"time,value\n0,5\n{bad},7\n")
    write(tmp_path, "x.yaml", mutated(("load", {"trace": {"path": "t.csv"}})))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "t.csv:3", "column 'time'", repr(bad))


def test_trace_resample_0s(tmp_path, monkeypatch, capsys):
    (tmp_path / "t.csv").write_text("time,value\n0,5\n60,7\n")
    write(tmp_path, "x.yaml", mutated(("load", {"trace": {"path": "t.csv", "resample": "0s"}})))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "x.yaml:", "load.trace.resample", "must be > 0")


def test_binary_price_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "prices.yaml").write_bytes(b"\x00\x01\x02\xff\xfe")
    write(tmp_path, "x.yaml", mutated(("pricing.file", "prices.yaml")))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "prices.yaml", "binary")


@pytest.mark.parametrize(("text", "fragments"), [
    ("cpuPerHour: 1.0e+10\n", ["prices.yaml", "cpuPerHour", "from 0 to 1e+09"]),
    ('{"CPU": "1e400", "RAM": "0.004"}', ["prices.json", "CPU", "finite price"]),
    ("currency: ''\n", ["prices.yaml", "currency", "currency code"]),
    ("nodes: {general: -3}\n", ["prices.yaml", "nodes.general", "from 0"]),
])
def test_price_file_values_within_the_pricing_rules(tmp_path, monkeypatch, capsys, text,
                                                    fragments):
    name = "prices.json" if text.startswith("{") else "prices.yaml"
    (tmp_path / name).write_text(text)
    write(tmp_path, "x.yaml", mutated(("pricing.file", name)))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, *fragments)


def test_non_finite_price_in_a_price_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "prices.yaml").write_text("cpuPerHour: .nan\n")
    write(tmp_path, "x.yaml", mutated(("pricing.file", "prices.yaml")))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "prices.yaml", "cpuPerHour", "finite")


# (command line after the scenario, fragments) -- the issue's CLI examples
ARG_CASES = {
    "simulate --seed -1": (["simulate", "x.yaml", "--seed", "-1"], ["--seed", "-1"]),
    "report --seed -1": (["report", "x.yaml", "--seed", "-1"], ["--seed", "-1"]),
    "simulate --runs 10**12": (["simulate", "x.yaml", "--runs", "10**12"], ["--runs", "10**12"]),
    "simulate --runs 1e12 spelled out": (["simulate", "x.yaml", "--runs", "1000000000000"],
                                         ["--runs must be at most 10000"]),
    "report --runs 0": (["report", "x.yaml", "--runs", "0"], ["--runs must be >= 1"]),
    "simulate --duration 1e308": (["simulate", "x.yaml", "--duration", "1e308"],
                                  ["--duration", "1000 years"]),
    "report --duration 1e308": (["report", "x.yaml", "--duration", "1e308"],
                                ["--duration", "1000 years"]),
    "simulate --duration 0s": (["simulate", "x.yaml", "--duration", "0s"], ["--duration must be > 0"]),
    "simulate --duration forever": (["simulate", "x.yaml", "--duration", "forever"],
                                    ["--duration", "must be a duration"]),
    "simulate --episodes 10**9": (["simulate", "x.yaml", "--episodes", "1000000000"],
                                  ["--episodes must be between 0 and 10000"]),
    "simulate --workers 0": (["simulate", "x.yaml", "--workers", "0"], ["--workers"]),
    "simulate --duration 100y": (["simulate", "x.yaml", "--duration", "36500d"],
                                 ["x.yaml", "--duration", "above the limit of 10M steps per run"]),
    "sweep --seed -1": (["sweep", "x.yaml", "--grid", "grid.yaml", "--seed", "-1"], ["--seed"]),
}


@pytest.mark.parametrize("case", list(ARG_CASES))
def test_issue_example_on_the_command_line(tmp_path, monkeypatch, capsys, case):
    argv, fragments = ARG_CASES[case]
    write(tmp_path, "x.yaml", peak())
    write(tmp_path, "grid.yaml", "parameters:\n  autoscaling.horizontal.minReplicas: [3]\n")
    try:
        rc, _, err = run(tmp_path, monkeypatch, capsys, *argv)
    except SystemExit as e:  # argparse's own refusals
        rc, err = e.code, capsys.readouterr().err
    one_line(rc, err, *fragments)


def test_a_short_duration_shrinks_the_steps(tmp_path, monkeypatch, capsys):
    # 1 ms resolution is 3.6M steps per hour: fine for an hour, not for a week.
    d = mutated(("load.resolution", "1ms"), ("simulation.duration", "7d"))
    write(tmp_path, "x.yaml", d)
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    one_line(rc, err, "load.resolution", "over 7d", "above the limit")


def test_duration_no_longer_than_the_warmup(tmp_path, monkeypatch, capsys):
    write(tmp_path, "x.yaml", mutated(("simulation.warmup", "30m")))
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", "--duration", "20m")
    one_line(rc, err, "--duration must be longer than simulation.warmup")


def test_bad_argument_type_is_one_line_in_a_real_shell(tmp_path):
    res = cli("simulate", "x.yaml", "--runs", "ten", cwd=tmp_path)
    check_one_line(res, "--runs", "invalid int value: 'ten'")


GRID_CASES = {
    "unknown key": ("parameters:\n  autoscaling.horizontal.minReplicas: [3]\nrepeats: 3\n",
                    ["grid.yaml:3", "repeats", "unknown key"]),
    "unknown path": ("parameters:\n  autoscaling.horizontal.minReplica: [3]\n",
                     ["grid.yaml:2", "parameters.autoscaling.horizontal.minReplica",
                      "no such field"]),
    "a value has no fields": ("parameters:\n  autoscaling.horizontal.minReplicas.x: [3]\n",
                              ["parameters.autoscaling.horizontal.minReplicas.x", "no fields"]),
    "index into a mapping": ("parameters:\n  simulation[0]: [3]\n",
                             ["parameters.simulation[0]", "no such field"]),
    "runs 0": ("runs: 0\nparameters:\n  autoscaling.horizontal.minReplicas: [3]\n",
               ["grid.yaml:1", "runs", "from 1 to 10000"]),
    "episodes -1": ("episodes: -1\nparameters:\n  autoscaling.horizontal.minReplicas: [3]\n",
                    ["episodes", "from 0 to 10000"]),
    "duration 0s": ("duration: 0s\nparameters:\n  autoscaling.horizontal.minReplicas: [3]\n",
                    ["duration", "must be > 0"]),
    "duplicate key": ("parameters:\n  autoscaling.horizontal.minReplicas: [3]\n"
                      "  autoscaling.horizontal.minReplicas: [4]\n", ["duplicate key"]),
    "a point that explodes": ("duration: 7d\nparameters:\n  load.resolution: [1ms]\n",
                              ["load.resolution", "above the limit"]),
    "binary grid": (b"\x00\x01", ["grid.yaml", "binary"]),
    "not a list": ("parameters:\n  autoscaling.horizontal.minReplicas: 3\n",
                   ["parameters.autoscaling.horizontal.minReplicas", "non-empty list"]),
}


@pytest.mark.parametrize("case", list(GRID_CASES))
def test_grid_errors_name_the_path(tmp_path, monkeypatch, capsys, case):
    text, fragments = GRID_CASES[case]
    write(tmp_path, "x.yaml", peak())
    if isinstance(text, bytes):
        (tmp_path / "grid.yaml").write_bytes(text)
    else:
        write(tmp_path, "grid.yaml", text)
    rc, _, err = run(tmp_path, monkeypatch, capsys, "sweep", "x.yaml", "--grid", "grid.yaml")
    one_line(rc, err, *fragments)


def test_grid_paths_through_free_mappings_are_allowed():
    from capacity.scenario.grid import model_path_problem

    assert model_path_problem(f"{C0}.resources.requests.cpu") is None
    assert model_path_problem("namespace.resourceQuota.hard.pods") is None
    assert model_path_problem("autoscaling.horizontal.metrics[0].resource.target."
                              "averageUtilization") is None
    assert model_path_problem("monitoring.alerts.HighCPU.for") is None  # an alias
    assert "no such field" in model_path_problem("autoscaling.horizontal.maxReplica")


@pytest.mark.parametrize("case", ["sync period 0s", "node mtbf 1ms", "load resolution 0.1ms",
                                  "quota 1e9999999999", "imagePull p95 1e308"])
def test_former_hangs_end_at_once_in_a_real_shell(tmp_path, case):
    changes, fragments = FILE_CASES[case]
    write(tmp_path, "x.yaml", mutated(*changes))
    check_one_line(cli("simulate", "x.yaml", cwd=tmp_path), *fragments)


def test_valid_peak_still_runs(tmp_path, monkeypatch, capsys):
    write(tmp_path, "x.yaml", peak())
    rc, out, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    assert rc == 0, err
    assert "requests served" in out and err == ""


def test_internal_errors_are_one_line_too(tmp_path, monkeypatch, capsys):
    import capacity.api

    def boom(*a, **k):
        raise ZeroDivisionError("float division by zero")

    # the command imports capacity.api.simulate when it runs
    monkeypatch.setattr(capacity.api, "simulate", boom)
    write(tmp_path, "x.yaml", peak())
    rc, _, err = run(tmp_path, monkeypatch, capsys, "simulate", "x.yaml", *SIM)
    assert rc == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "internal error, ZeroDivisionError" in err and "--debug" in err
