"""``python -m capacity calibrate`` and Prometheus JSON as ``load.trace``.

The series are real request traces (tests/data/calibration/SOURCES.md) with pods, CPU and
memory generated from a known demand (tests/analysis/test_calibrate.py). They are given
as Prometheus ``query_range`` responses, written as Prometheus writes them, and, when
``prometheus``, ``promtool`` and ``curl`` are installed, fetched from a real Prometheus
with the curl lines of docs/import.md. Tests needing those tools skip when one is
missing, unless CAPACITY_REQUIRE_TOOLS=1.
"""

from __future__ import annotations

import difflib
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from capacity.cli import main
from capacity.cli.calibrate import edit_scenario_text, memory_quantity
from capacity.k8s.quantity import Quantity
from capacity.scenario.loader import load_scenario
from capacity.scenario.model import Load
from capacity.sim.loadgen import build_load, read_trace
from tests.analysis.test_calibrate import LATENCY, MIB, TRUTH, known_demand, real_rate
from tests.manifests.conftest import tool

ROOT = Path(__file__).resolve().parents[2]
HPA_STEP = ROOT / "tests" / "data" / "scenarios" / "hpa-step.yaml"
CAL = ROOT / "tests" / "data" / "calibration"


def matrix(series: list[tuple[dict[str, str], np.ndarray, np.ndarray]]) -> dict:
    """A query_range response as Prometheus writes it (values as strings)."""
    return {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": labels, "values": [[float(a), repr(float(b))] for a, b in zip(t, v, strict=True)]}
        for labels, t, v in series]}}


def write_inputs(folder: Path, trace: str = "worldcup98", seed: int = 3) -> dict[str, Path]:
    """requests.json (two series, by status code), cpu.json and memory.json (one series per
    pod and container; pods come and go with the count), from a known demand."""
    t, rps = real_rate(trace)
    pods, cpu, mem = known_demand(rps, seed=seed)
    ok, err = rps * 0.97, rps * 0.03
    cpu_series, mem_series = [], []
    for k in range(int(pods.max())):
        here = pods > k
        name = f"web-7d9f-{k}"
        # two containers per pod: the app and a proxy with a fixed 5m / 20 MiB
        cpu_series.append(({"pod": name, "container": "app"}, t[here], cpu[here] - 0.005))
        cpu_series.append(({"pod": name, "container": "proxy"}, t[here], np.full(here.sum(), 0.005)))
        mem_series.append(({"pod": name, "container": "app"}, t[here], mem[here] - 20 * MIB))
        mem_series.append(({"pod": name, "container": "proxy"}, t[here], np.full(here.sum(), 20.0 * MIB)))
    out = {}
    for name, series in (("requests", [({"code": "200"}, t, ok), ({"code": "500"}, t, err)]),
                         ("cpu", cpu_series), ("memory", mem_series)):
        out[name] = folder / f"{name}.json"
        out[name].write_text(json.dumps(matrix(series)))
    return out


def scenario(folder: Path, latency: float = LATENCY) -> Path:
    """hpa-step.yaml with demand.latency set (Little's law uses it), comments kept."""
    text = HPA_STEP.read_text().replace("    baseMemory: 100Mi\n",
                                        f"    baseMemory: 100Mi  # a guess\n    latency: {latency}\n")
    p = folder / "s.yaml"
    p.write_text(text)
    return p


def check_fit(demand, rel: float = 0.05) -> None:
    """The fitted fields against TRUTH: 5% on the slopes, 6m and 2 MiB on the bases (the
    bounds of tests/analysis/test_calibrate.py, for the same noise)."""
    assert demand.cpuPerRequest == pytest.approx(TRUTH["cpuPerRequest"], rel=rel)
    assert float(Quantity.parse(demand.baseCpu)) == pytest.approx(TRUTH["baseCpu"], abs=0.006)
    assert float(Quantity.parse(demand.baseMemory)) == pytest.approx(TRUTH["baseMemory"], abs=2 * MIB)
    assert float(Quantity.parse(demand.memoryPerInflightRequest)) == \
        pytest.approx(TRUTH["memoryPerInflightRequest"], rel=rel)


def test_calibrate_from_prometheus_json_keeps_the_file_and_writes_a_plot(tmp_path, capsys):
    files = write_inputs(tmp_path)
    s = scenario(tmp_path)
    before = s.read_text()
    rc = main(["calibrate", str(s), "--requests", str(files["requests"]), "--cpu",
               str(files["cpu"]), "--memory", str(files["memory"])])
    out = capsys.readouterr()
    assert rc == 0, out.err
    check_fit(load_scenario(s).workload.demand)
    # only the demand lines changed: comments, order and the rest of the file stay
    diff = [ln for ln in difflib.unified_diff(before.splitlines(), s.read_text().splitlines(), n=0,
                                              lineterm="") if ln[:1] in "+-" and ln[:3] not in ("---", "+++")]
    assert [ln[:1] + ln[1:].split(":")[0].strip() for ln in diff] == [
        "-cpuPerRequest", "-baseCpu", "-baseMemory", "+cpuPerRequest", "+baseCpu", "+baseMemory",
        "+memoryPerInflightRequest"], diff
    assert "baseMemory: " in s.read_text() and "# a guess" in s.read_text()
    # the fit is printed with its residuals
    assert "calibrated workload.demand of 'hpa-step' from 1440 samples" in out.out
    assert "2 to 18 pods: pods counted from the --cpu series' pod labels" in out.out
    assert "R²" in out.out and "residual std" in out.out
    assert "Little's law" in out.out
    png = tmp_path / "s.calibration.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_json_output_and_another_output_file(tmp_path, capsys):
    files = write_inputs(tmp_path, trace="nab_elb")
    s = scenario(tmp_path)
    before = s.read_text()
    rc = main(["calibrate", str(s), "--requests", str(files["requests"]), "--cpu",
               str(files["cpu"]), "-o", str(tmp_path / "out.yaml"), "--json",
               "--plot", str(tmp_path / "fit.png")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert s.read_text() == before  # -o: the scenario itself is untouched
    fit = json.loads(out.out)
    assert set(fit["fields"]) == {"cpuPerRequest", "baseCpu"}  # no --memory: CPU fields only
    assert fit["cpu"]["n"] == 861 and 0.9 < fit["cpu"]["r2"] <= 1
    assert fit["cpu"]["slope_ci95"][0] <= TRUTH["cpuPerRequest"] <= fit["cpu"]["slope_ci95"][1]
    d = load_scenario(tmp_path / "out.yaml").workload.demand
    assert d.cpuPerRequest == pytest.approx(TRUTH["cpuPerRequest"], rel=0.05)
    assert d.baseMemory == "100Mi"  # not fitted, kept
    assert (tmp_path / "fit.png").exists()


def test_csv_inputs_with_a_pod_count(tmp_path, capsys):
    """CSV (time,value) of the summed CPU, and the pod count as a file or a number."""
    t, rps = real_rate("nasa95")
    pods, cpu, _ = known_demand(rps, seed=5)
    iso = [np.datetime_as_string(np.datetime64(int(x), "s")) + "Z" for x in t]
    (tmp_path / "rps.csv").write_text("time,value\n" + "".join(f"{a},{b}\n" for a, b in zip(iso, rps, strict=True)))
    (tmp_path / "cpu.csv").write_text("time,value\n" + "".join(f"{a},{b}\n" for a, b in zip(t, cpu * pods, strict=True)))
    (tmp_path / "pods.csv").write_text("time,value\n" + "".join(f"{a},{b}\n" for a, b in zip(t, pods, strict=True)))
    s = scenario(tmp_path)
    rc = main(["calibrate", str(s), "--requests", str(tmp_path / "rps.csv"),
               "--cpu", str(tmp_path / "cpu.csv"), "--pods", str(tmp_path / "pods.csv")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "pods from " in out.out
    d = load_scenario(s).workload.demand
    assert d.cpuPerRequest == pytest.approx(TRUTH["cpuPerRequest"], rel=0.05)
    # a fixed count for a fixed-size workload
    const = np.full(t.shape, 4.0)
    cpu4 = TRUTH["baseCpu"] + TRUTH["cpuPerRequest"] * rps / 4
    (tmp_path / "cpu4.csv").write_text("time,value\n" + "".join(f"{a},{b}\n" for a, b in zip(t, cpu4 * const, strict=True)))
    rc = main(["calibrate", str(s), "--requests", str(tmp_path / "rps.csv"),
               "--cpu", str(tmp_path / "cpu4.csv"), "--pods", "4"])
    assert rc == 0
    d = load_scenario(s).workload.demand
    assert d.cpuPerRequest == pytest.approx(TRUTH["cpuPerRequest"], rel=1e-3)
    assert d.baseCpu == "40m"


def test_real_per_interval_counts_with_requests_unit(tmp_path, capsys):
    """The NAB ELB slice as it is: counts per 5-minute row (timestamp,value)."""
    t, rps = real_rate("nab_elb", peak=1.0)
    raw = (CAL / "nab_elb_request_count_8c0756_3days.csv").read_text().splitlines()
    counts = np.array([float(r.split(",")[1]) for r in raw[1:]])
    rps = counts / 300.0
    cpu = TRUTH["baseCpu"] + TRUTH["cpuPerRequest"] * rps
    (tmp_path / "cpu.json").write_text(json.dumps(matrix([({"pod": "a"}, t, cpu)])))
    s = scenario(tmp_path)
    rc = main(["calibrate", str(s), "--requests", str(CAL / "nab_elb_request_count_8c0756_3days.csv"),
               "--requests-unit", "perInterval", "--cpu", str(tmp_path / "cpu.json")])
    assert rc == 0, capsys.readouterr().err
    assert load_scenario(s).workload.demand.cpuPerRequest == pytest.approx(TRUTH["cpuPerRequest"], rel=1e-3)


def test_relative_paths_follow_the_output_file(tmp_path, capsys):
    """-o into another folder: extends and load.trace.path are rewritten to still point at
    the same files; a scenario without its own workload section gets one."""
    a, b = tmp_path / "a", tmp_path / "b" / "c"
    a.mkdir()
    b.mkdir(parents=True)
    shutil.copy(HPA_STEP, a / "base.yaml")
    shutil.copy(ROOT / "tests" / "data" / "traces" / "nasa_requests_per_minute_2days.csv", a / "t.csv")
    (a / "s.yaml").write_text("# my scenario\nextends: base.yaml\nname: traced  # renamed\n"
                              "load:\n  trace: {path: t.csv, timeColumn: time, valueColumn: "
                              "number_of_requests, unit: perMinute}\n  steps: null\n")
    files = write_inputs(tmp_path)
    rc = main(["calibrate", str(a / "s.yaml"), "--requests", str(files["requests"]), "--cpu",
               str(files["cpu"]), "-o", str(b / "out.yaml")])
    assert rc == 0, capsys.readouterr().err
    text = (b / "out.yaml").read_text()
    assert "extends: ../../a/base.yaml" in text and "path: ../../a/t.csv" in text
    assert text.startswith("# my scenario\n") and "# renamed" in text
    sc = load_scenario(b / "out.yaml")
    assert sc.name == "traced" and sc.load.trace is not None
    assert sc.workload.demand.cpuPerRequest == pytest.approx(TRUTH["cpuPerRequest"], rel=0.05)
    assert sc.workload.deployment.replicas == 3  # from the base


@pytest.mark.parametrize(("text", "expect"), [
    ("workload:\n  name: w\n  demand: {cpuPerRequest: 0.01}\n",
     "workload:\n  name: w\n  demand: {cpuPerRequest: 0.02, baseCpu: 5m}\n"),
    ("workload:\n  name: w\n  demand:\n    cpuPerRequest: 0.01   # old\n",
     "workload:\n  name: w\n  demand:\n    cpuPerRequest: 0.02   # old\n    baseCpu: 5m\n"),
    ("workload:\n  name: w\n  demand:\n    cpuPerRequest: 0.01\nload: {constant: 1}\n",
     "workload:\n  name: w\n  demand:\n    cpuPerRequest: 0.02\n    baseCpu: 5m\nload: {constant: 1}\n"),
    ("workload:\n  name: w  # the app\nload: {constant: 1}\n",
     "workload:\n  name: w  # the app\n  demand:\n    cpuPerRequest: 0.02\n    baseCpu: 5m\nload: {constant: 1}\n"),
    ("name: x\n", "name: x\nworkload:\n  demand:\n    cpuPerRequest: 0.02\n    baseCpu: 5m\n"),
    ("workload:\n  demand:\n    cpuPerRequest: 0.01\n\n  # startup next\n  startup: {}\n",
     "workload:\n  demand:\n    cpuPerRequest: 0.02\n    baseCpu: 5m\n\n  # startup next\n  startup: {}\n"),
    ("workload:\n  demand:\n    cpuPerRequest: 0.01\n    container: app",
     "workload:\n  demand:\n    cpuPerRequest: 0.02\n    container: app\n    baseCpu: 5m\n"),
])
def test_edit_keeps_the_text(text, expect):
    got = edit_scenario_text(text, {"cpuPerRequest": 0.02, "baseCpu": "5m"})
    assert got == expect
    assert yaml.safe_load(got) == yaml.safe_load(expect)


def test_quantities_are_written_precisely():
    assert memory_quantity(3 * MIB) == "3Mi"
    assert memory_quantity(2.5 * MIB) == "2.5Mi"
    assert memory_quantity(300.3 * MIB) == "300.3Mi"
    assert float(Quantity.parse(memory_quantity(1234567.0))) == pytest.approx(1234567.0, rel=5e-4)


@pytest.mark.parametrize(("body", "error"), [
    ({"status": "success", "data": {"resultType": "vector", "result": []}},
     r"cpu\.json: data\.resultType: needs a range query result \(resultType matrix, from "
     r"/api/v1/query_range\), got 'vector'"),
    ({"status": "error", "errorType": "bad_data", "error": "parse error at char 5"},
     r"cpu\.json: Prometheus answered with an error \(bad_data: parse error at char 5\)"),
    ({"status": "success", "data": {"resultType": "matrix", "result": []}},
     r"cpu\.json: data\.result: the query returned no series"),
    ({"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"pod": "a"}, "values": [[1, "NaN"]]}]}},
     r"cpu\.json: data\.result\[0\]\.values\[0\]: series \{pod=\"a\"\} is NaN at "
     r"1970-01-01T00:00:01Z: the query divides by zero there"),
    ("{not json", r"cpu\.json:1: not JSON \("),
])
def test_bad_prometheus_files_are_one_line(tmp_path, capsys, body, error):
    files = write_inputs(tmp_path)
    files["cpu"].write_text(body if isinstance(body, str) else json.dumps(body))
    s = scenario(tmp_path)
    before = s.read_text()
    rc = main(["calibrate", str(s), "--requests", str(files["requests"]), "--cpu", str(files["cpu"])])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("error: "), err
    import re

    assert re.search(error, err), err
    assert s.read_text() == before and not (tmp_path / "s.calibration.png").exists()


def test_series_without_common_time_and_without_a_demand(tmp_path, capsys):
    files = write_inputs(tmp_path)
    s = scenario(tmp_path)
    # the real NAB CPU slice (June 2014) and World Cup requests (June 1998) never overlap
    rc = main(["calibrate", str(s), "--requests", str(files["requests"]),
               "--cpu", str(CAL / "nab_cpu_utilization_asg_1day.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: the series share no time (") and "query the same range" in err
    # CPU that falls as requests rise is no demand
    t, rps = real_rate("worldcup98")
    (tmp_path / "down.json").write_text(json.dumps(matrix([({"pod": "a"}, t, 1.0 - rps / 1000)])))
    rc = main(["calibrate", str(s), "--requests", str(files["requests"]), "--cpu", str(tmp_path / "down.json")])
    err = capsys.readouterr().err
    assert rc == 2 and "CPU: it does not grow with the request rate" in err


# --- Prometheus JSON as load.trace ------------------------------------------------------


def test_load_trace_reads_prometheus_json_summing_series(tmp_path):
    t = 1_700_000_000 + 60.0 * np.arange(5)
    body = matrix([({"code": "200"}, t, np.array([1.0, 2, 3, 4, 5])),
                   ({"code": "500"}, t[1:], np.array([0.5, 0.5, 0.5, 0.5]))])
    (tmp_path / "q.json").write_text(json.dumps(body))
    (tmp_path / "noext").write_text(json.dumps(body))  # detected by its content
    for name in ("q.json", "noext"):
        secs, rps = read_trace(Load.model_validate({"trace": {"path": str(tmp_path / name), "scale": 2}}).trace)
        assert list(secs) == [0, 60, 120, 180, 240]
        assert list(rps) == [2.0, 5.0, 7.0, 9.0, 11.0]
    times, rates = build_load(Load.model_validate({"trace": {"path": str(tmp_path / "q.json")}}),
                              300.0, np.random.default_rng(0))
    assert list(times) == [0, 60, 120, 180, 240] and list(rates) == [1.0, 2.5, 3.5, 4.5, 5.5]


def test_load_trace_json_and_csv_of_the_same_real_trace_agree(tmp_path):
    t, rps = real_rate("worldcup98", peak=100.0)
    (tmp_path / "wc.json").write_text(json.dumps(matrix([({}, t, rps)])))
    csv = tmp_path / "wc.csv"
    csv.write_text("time,value\n" + "".join(f"{a},{float(b)!r}\n" for a, b in zip(t, rps, strict=True)))
    a = build_load(Load.model_validate({"trace": {"path": str(tmp_path / "wc.json"), "resample": "5m"}}),
                   86400.0, np.random.default_rng(0))
    b = build_load(Load.model_validate({"trace": {"path": str(csv), "resample": "5m"}}),
                   86400.0, np.random.default_rng(0))
    assert np.array_equal(a[0], b[0]) and np.allclose(a[1], b[1])


# --- a real Prometheus, queried with the curl lines of docs/import.md ------------------

NS, APP = "shop", "web"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _openmetrics(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Counters as cAdvisor and an app export them, from a known demand on the real World
    Cup trace (15 s scrapes over 12 h): the total CPU-seconds and requests of each pod.
    Returns the scrape times and the request rate."""
    t_min, rps_min = real_rate("worldcup98", peak=120.0)
    step = 15.0
    t = np.arange(t_min[0], t_min[0] + 12 * 3600, step)
    rps = np.interp(t, t_min, rps_min)
    pods = 4
    rng = np.random.default_rng(2)
    lines = ["# TYPE http_requests counter"]
    req_total = np.cumsum(rps / pods * step)
    for k in range(pods):
        lines += [f'http_requests_total{{namespace="{NS}",pod="{APP}-{k}"}} {v:.6f} {ts:.3f}'
                  for ts, v in zip(t, req_total, strict=True)]
    lines.append("# TYPE container_cpu_usage_seconds counter")
    for k in range(pods):
        use = TRUTH["baseCpu"] + TRUTH["cpuPerRequest"] * rps / pods + rng.normal(0, 0.004, t.size)
        cpu_total = np.cumsum(np.clip(use, 0, None) * step)
        lines += [f'container_cpu_usage_seconds_total{{namespace="{NS}",pod="{APP}-{k}",'
                  f'container="app"}} {v:.6f} {ts:.3f}' for ts, v in zip(t, cpu_total, strict=True)]
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n")
    return t, rps


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    promtool, prom = tool("promtool"), tool("prometheus")
    tool("curl")
    root = tmp_path_factory.mktemp("prometheus")
    t, rps = _openmetrics(root / "metrics.om")
    r = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(root / "metrics.om"),
                        str(root / "data")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (root / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = _free_port()
    log = (root / "prometheus.log").open("w")
    proc = subprocess.Popen([prom, f"--config.file={root / 'prometheus.yml'}",
                             f"--storage.tsdb.path={root / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}",
                             "--storage.tsdb.retention.time=100y"], stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError("prometheus exited: " + (root / "prometheus.log").read_text())
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("prometheus not ready: " + (root / "prometheus.log").read_text())
            time.sleep(0.2)
        yield url, t, rps
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _curl(url: str, query: str, start: float, end: float, out: Path) -> None:
    """The docs/import.md line: curl -sG .../api/v1/query_range --data-urlencode ..."""
    r = subprocess.run(["curl", "-sfG", f"{url}/api/v1/query_range",
                        "--data-urlencode", f"query={query}",
                        "--data-urlencode", f"start={start:.0f}", "--data-urlencode", f"end={end:.0f}",
                        "--data-urlencode", "step=60", "-o", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_calibrate_on_what_a_real_prometheus_answers(prometheus, tmp_path, capsys):
    url, t, true_rps = prometheus
    start, end = float(t[0]), float(t[-1])
    sel = f'namespace="{NS}",pod=~"{APP}-.*"'
    _curl(url, f"sum(rate(http_requests_total{{{sel}}}[5m]))", start + 600, end, tmp_path / "requests.json")
    _curl(url, f'sum by (pod) (rate(container_cpu_usage_seconds_total{{{sel},container!=""}}[5m]))',
          start + 600, end, tmp_path / "cpu.json")
    body = json.loads((tmp_path / "cpu.json").read_text())
    assert body["status"] == "success" and len(body["data"]["result"]) == 4
    s = scenario(tmp_path)
    rc = main(["calibrate", str(s), "--requests", str(tmp_path / "requests.json"),
               "--cpu", str(tmp_path / "cpu.json")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "4 to 4 pods" in out.out
    d = load_scenario(s).workload.demand
    # rate() over 5 m smooths both series alike, so the line is kept: 3% and 3m
    assert d.cpuPerRequest == pytest.approx(TRUTH["cpuPerRequest"], rel=0.03)
    assert float(Quantity.parse(d.baseCpu)) == pytest.approx(TRUTH["baseCpu"], abs=0.003)
    # and the same request-rate file replays as load.trace
    secs, rps = read_trace(Load.model_validate({"trace": {"path": str(tmp_path / "requests.json")}}).trace)
    assert secs[0] == 0 and np.all(np.diff(secs) == 60)
    # rate()[5m] at time T is the mean rate over (T - 5m, T]: within 1% of the generator's
    at = start + 600 + secs
    window = np.array([true_rps[(t > a - 300) & (t <= a)].mean() for a in at])
    assert np.max(np.abs(rps - window) / window) < 0.01
