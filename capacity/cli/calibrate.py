"""``python -m capacity calibrate SCENARIO --requests FILE --cpu FILE [--memory FILE] [-o OUT]``.

Fits ``workload.demand`` (``cpuPerRequest``, ``baseCpu``; with ``--memory``, ``baseMemory``
and ``memoryPerInflightRequest``) to a team's own Prometheus series by regression
(:mod:`capacity.analysis.calibrate`), prints the fit with its residuals, writes a plot,
and writes the scenario with the fitted fields: into OUT (default: SCENARIO itself),
changing only those values, so the file's comments and layout stay.

Each FILE is a saved Prometheus ``/api/v1/query_range`` response (JSON; several series are
summed for ``--requests``; for ``--cpu`` and ``--memory`` each ``pod`` is one pod) or a
CSV with ``time,value`` columns (or exactly two columns). Units: requests per second,
CPU in cores (``rate(container_cpu_usage_seconds_total[...])``), memory in bytes
(``container_memory_working_set_bytes``). docs/import.md has the queries and curl lines.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from capacity.cli import jsonout
from capacity.cli.output import write_file_atomically
from capacity.errors import ScenarioError
from capacity.k8s.quantity import Quantity

if TYPE_CHECKING:
    from capacity.analysis.calibrate import DemandFit

# The fit (scipy, pandas) and the scenario models are imported where they are used, so
# that --help stays fast.


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario YAML file whose workload.demand is fitted")
    p.add_argument("--requests", required=True, metavar="FILE",
                   help="request rate to the workload, requests/s (query_range JSON or CSV)")
    p.add_argument("--cpu", required=True, metavar="FILE",
                   help="CPU of the workload's pods, cores (one series per pod, or their sum)")
    p.add_argument("--memory", metavar="FILE",
                   help="memory of the workload's pods, bytes (one series per pod, or their sum)")
    p.add_argument("--requests-unit", choices=("perSecond", "perMinute", "perInterval"),
                   default="perSecond",
                   help="what --requests holds, as load.trace.unit: a rate (default), counts "
                        "per minute, or counts per sample interval")
    p.add_argument("--pods", metavar="FILE|N",
                   help="pod count over time (e.g. kube_deployment_status_replicas_available) "
                        "or a number; needed when --cpu is one summed series")
    p.add_argument("-o", "--out", metavar="OUT",
                   help="write the calibrated scenario here (default: update SCENARIO)")
    p.add_argument("--plot", metavar="PNG",
                   help="where to write the plot (default: OUT with .calibration.png)")
    p.add_argument("--json", action="store_true", help="print the fit as JSON")


# --- reading -----------------------------------------------------------------------------


@dataclass
class Series:
    """The series of one input file: (labels, unix times, values) each."""

    path: str
    parts: list[tuple[dict[str, str], np.ndarray, np.ndarray]]

    @property
    def per_pod_series(self) -> bool:
        """Several series, or one naming its pod: the values are per pod."""
        return len(self.parts) > 1 or "pod" in self.parts[0][0]


def read_series(path: str) -> Series:
    """The series of a query_range JSON or a ``time,value`` CSV; raises ScenarioError."""
    from capacity.sim.loadgen import is_prometheus_json, read_csv_series, read_prometheus_matrix

    p = Path(path)
    if not p.is_file():
        raise ScenarioError("file not found", file=path)
    if is_prometheus_json(p):
        return Series(path, [(s.labels, s.times, s.values) for s in read_prometheus_matrix(p)])
    header = p.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
    cols = [c.strip() for c in header[0].split(",")] if header else []
    if "time" in cols and "value" in cols:
        tcol, vcol = "time", "value"
    elif len(cols) == 2:
        tcol, vcol = cols
    else:
        raise ScenarioError("a CSV needs the columns time and value (or exactly two columns)",
                            file=path, value=",".join(cols), has_value=True)
    t, v = read_csv_series(p, tcol, vcol, where=vcol)
    return Series(path, [({}, t, v)])


def _total(s: Series) -> tuple[np.ndarray, np.ndarray]:
    times = np.unique(np.concatenate([t for _, t, _ in s.parts]))
    total = np.zeros(times.shape)
    for _, t, v in s.parts:
        np.add.at(total, np.searchsorted(times, t), v)
    return times, total


def _step(times: np.ndarray) -> float:
    d = np.diff(np.unique(times))
    return float(np.median(d)) if d.size else 60.0


def _utc(t: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def _per_pod(s: Series, pods_arg: str | None, grid: np.ndarray, tol: float,
             what: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(per-pod values, pod count) on ``grid``, and how the pods were counted."""
    from capacity.analysis.calibrate import align, per_pod

    if s.per_pod_series and pods_arg is None:
        t, mean, count = per_pod(s.parts)
        return align(grid, t, mean, tol), align(grid, t, count, tol), \
            f"pods counted from the {what} series' pod labels"
    t, total = _total(s)
    total = align(grid, t, total, tol)
    if pods_arg is None:
        return total, np.ones(grid.shape), (f"{what} is one series with no pod label: taken as "
                                            "one pod (give --pods for several)")
    try:
        n = float(pods_arg)
    except ValueError:
        ps = read_series(pods_arg)
        pt, pv = _total(ps)
        count = align(grid, pt, pv, tol)
        how = f"pods from {pods_arg}"
    else:
        if not n >= 1:
            raise ScenarioError("--pods must be >= 1", value=pods_arg, has_value=True)
        count = np.full(grid.shape, n)
        how = f"{n:g} pods (--pods)"
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= 1, total / count, np.nan), count, how


# --- formatting --------------------------------------------------------------------------


def _sig(x: float, digits: int = 4) -> str:
    """A plain decimal with ``digits`` significant digits (no exponent: YAML reads it)."""
    return np.format_float_positional(x, precision=digits, unique=False, fractional=False,
                                      trim="-")


def cpu_quantity(cores: float) -> str:
    """Cores as a Kubernetes quantity in millicores, 3 significant digits below 100m."""
    milli = cores * 1000
    return f"{round(milli)}m" if abs(milli) >= 100 else f"{_sig(milli, 3)}m"


def memory_quantity(b: float) -> str:
    """Bytes as a Kubernetes quantity with 4 significant digits (``183.4Mi``, ``2.5Gi``)."""
    for unit, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if abs(b) >= size:
            return f"{_sig(b / size)}{unit}"
    return str(round(b))


def _values(fit: DemandFit) -> dict[str, Any]:
    out: dict[str, Any] = {"cpuPerRequest": float(_sig(fit.cpu.slope)),
                           "baseCpu": cpu_quantity(fit.cpu.intercept)}
    if fit.memory is not None:
        out["baseMemory"] = memory_quantity(fit.memory.intercept)
        out["memoryPerInflightRequest"] = memory_quantity(fit.memory.slope)
    return out


# --- writing the scenario, keeping its text ------------------------------------------------


def _mapping_get(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
    return None


def _scalar(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).strip().removesuffix("...").strip()


def edit_scenario_text(text: str, demand: dict[str, Any],
                       paths: dict[tuple[str, ...], str] | None = None) -> str:
    """``text`` with ``workload.demand`` fields set to ``demand`` (and scalar values at
    ``paths`` replaced), changing nothing else: comments and layout stay.

    Block and flow mappings are edited in place; a missing ``demand`` or ``workload``
    section is added. Raises ScenarioError when the text is not a YAML mapping.
    """
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as e:
        raise ScenarioError(f"YAML syntax error: {e}") from None
    if not isinstance(root, yaml.MappingNode):
        raise ScenarioError("a scenario must be a YAML mapping")
    edits: list[tuple[int, int, str]] = []
    for path, new in (paths or {}).items():
        node: yaml.Node | None = root
        for key in path:
            kv = _mapping_get(node, key) if node is not None else None
            node = kv[1] if kv else None
        if isinstance(node, yaml.ScalarNode):
            edits.append((node.start_mark.index, node.end_mark.index, _scalar(new)))
    wl = _mapping_get(root, "workload")
    dm = _mapping_get(wl[1], "demand") if wl else None
    if dm is None:
        body = {"demand": demand}
        if wl is None:
            block = yaml.safe_dump({"workload": body}, sort_keys=False)
            edits.append((len(text), len(text), ("" if text.endswith("\n") else "\n") + block))
        else:
            edits.append(_insert_into(text, wl[1], body))
    else:
        node = dm[1]
        missing = {}
        for k, v in demand.items():
            kv = _mapping_get(node, k)
            if kv is not None and isinstance(kv[1], yaml.ScalarNode):
                edits.append((kv[1].start_mark.index, kv[1].end_mark.index, _scalar(v)))
            else:
                missing[k] = v
        if missing:
            edits.append(_insert_into(text, node, missing))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _insert_into(text: str, node: yaml.Node, items: dict[str, Any]) -> tuple[int, int, str]:
    """An edit adding ``items`` to the mapping ``node``, in its own style."""
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioError("workload.demand must be a mapping")
    if node.flow_style or not node.value:
        # {a: 1} -> {a: 1, b: 2}: insert before the closing brace.
        close = text.rindex("}", 0, node.end_mark.index)
        sep = ", " if node.value else ""
        flow = ", ".join(f"{k}: {_scalar(v)}" for k, v in items.items())
        return close, close, sep + flow
    indent = node.value[0][0].start_mark.column
    # After the line of the mapping's last value (its own end mark can be on a later
    # line, past blank lines and comments): the new keys go there, at its indentation.
    at = _after_last_line(text, node)
    dumped = yaml.safe_dump(items, default_flow_style=False, sort_keys=False)
    block = "".join(" " * indent + ln + "\n" for ln in dumped.splitlines())
    if at > 0 and text[at - 1] != "\n":
        block = "\n" + block
    return at, at, block


def _after_last_line(text: str, node: yaml.Node) -> int:
    """Index just after the line holding the last scalar of ``node``."""
    while True:
        if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
            node = node.value[-1][1]
        elif isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
            node = node.value[-1]
        else:
            break
    nl = text.find("\n", node.end_mark.index)
    return len(text) if nl < 0 else nl + 1


def _relative_paths(text: str, src: Path, out: Path) -> dict[tuple[str, ...], str]:
    """File paths of the scenario rewritten for OUT's folder (extends, trace, prices)."""
    data = yaml.safe_load(text) or {}
    found: dict[tuple[str, ...], str] = {}
    for path in (("extends",), ("load", "trace", "path"), ("pricing", "file")):
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and not os.path.isabs(node):
            found[path] = os.path.relpath(src.parent.resolve() / node, out.parent.resolve())
    return found


# --- the command -------------------------------------------------------------------------


def _fit_table(fit: DemandFit, values: dict[str, Any]) -> str:
    c, m = fit.cpu, fit.memory
    rows = [("cpuPerRequest", f"{values['cpuPerRequest']:g}",
             f"{_sig(c.slope_ci[0], 3)} .. {_sig(c.slope_ci[1], 3)}", "CPU-seconds per request"),
            ("baseCpu", values["baseCpu"],
             "held at 0 (the free fit was " + cpu_quantity(c.free_intercept) + ")" if c.through_origin
             else f"{cpu_quantity(c.intercept_ci[0])} .. {cpu_quantity(c.intercept_ci[1])}",
             "cores per pod at no load")]
    if m is not None:
        rows += [("baseMemory", values["baseMemory"],
                  "held at 0 (the free fit was " + memory_quantity(abs(m.free_intercept)) + " below)"
                  if m.through_origin else
                  f"{memory_quantity(m.intercept_ci[0])} .. {memory_quantity(m.intercept_ci[1])}",
                  "bytes per pod at no load"),
                 ("memoryPerInflightRequest", values["memoryPerInflightRequest"],
                  f"{memory_quantity(m.slope_ci[0])} .. {memory_quantity(m.slope_ci[1])}",
                  "bytes per request in flight")]
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"  {'field':<{w[0]}}  {'value':<{w[1]}}  {'95% interval':<{w[2]}}  unit"]
    lines += [f"  {a:<{w[0]}}  {b:<{w[1]}}  {ci:<{w[2]}}  {u}" for a, b, ci, u in rows]
    lines.append(f"  {'fit':<7} {'R²':>6}  {'residual std':>13}  {'n':>6}")
    lines.append(f"  {'CPU':<7} {c.r2:6.3f}  {cpu_quantity(c.residual_std):>13}  {c.n:>6}")
    if m is not None:
        lines.append(f"  {'memory':<7} {m.r2:6.3f}  {memory_quantity(m.residual_std):>13}  {m.n:>6}")
    return "\n".join(lines)


def _plot(fit: DemandFit, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 3 if fit.memory is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4), constrained_layout=True)
    c = fit.cpu
    ax = axes[0]
    ax.scatter(c.x, c.y, s=4, alpha=0.4, label="samples")
    xs = np.linspace(0, float(c.x.max()), 50)
    ax.plot(xs, c.intercept + c.slope * xs, color="C3",
            label=f"baseCpu {cpu_quantity(c.intercept)} + {_sig(c.slope, 3)} CPU-s x rps")
    ax.set(xlabel="requests per second per pod", ylabel="CPU per pod (cores)",
           title=f"CPU: R² {c.r2:.3f}, n {c.n}")
    ax.legend(fontsize=8)
    if fit.memory is not None:
        m = fit.memory
        ax = axes[1]
        ax.scatter(m.x, m.y / 2**20, s=4, alpha=0.4, label="samples")
        xs = np.linspace(0, float(m.x.max()), 50)
        ax.plot(xs, (m.intercept + m.slope * xs) / 2**20, color="C3",
                label=f"baseMemory {memory_quantity(m.intercept)} + "
                      f"{memory_quantity(m.slope)} x in flight")
        ax.set(xlabel=f"requests in flight per pod (rps x {_sig(fit.residence, 3)} s)",
               ylabel="memory per pod (MiB)", title=f"memory: R² {m.r2:.3f}, n {m.n}")
        ax.legend(fontsize=8)
    ax = axes[-1]
    hours = (fit.times - fit.times[0]) / 3600.0
    ax.plot(hours, c.residuals * 1000, lw=0.6, label="CPU residual (m)")
    ax.axhline(0, color="k", lw=0.5)
    ax.set(xlabel="hours from the first sample", ylabel="CPU residual (millicores)",
           title="residuals over time")
    fig.suptitle(title)
    write_file_atomically(path, lambda p: fig.savefig(p, format="png", dpi=110))
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    from capacity.analysis.calibrate import CalibrationError, calibrate_demand
    from capacity.scenario.loader import load_scenario

    src = Path(args.scenario)
    sc = load_scenario(src)
    out = Path(args.out) if args.out else src
    plot = Path(args.plot) if args.plot else out.with_name(out.stem + ".calibration.png")
    req = read_series(args.requests)
    cpu = read_series(args.cpu)
    mem = read_series(args.memory) if args.memory else None

    rt, rps = _total(req)
    tol = _step(rt) / 2
    if args.requests_unit == "perMinute":
        rps = rps / 60.0
    elif args.requests_unit == "perInterval":
        rps = rps / _step(rt)
    lo = max(rt.min(), *(min(t.min() for _, t, _ in s.parts) for s in (cpu, mem) if s))
    hi = min(rt.max(), *(max(t.max() for _, t, _ in s.parts) for s in (cpu, mem) if s))
    if lo > hi:
        ranges = "; ".join(f"{s.path} {_utc(min(t.min() for _, t, _ in s.parts))} to "
                           f"{_utc(max(t.max() for _, t, _ in s.parts))}"
                           for s in (req, cpu, mem) if s)
        raise ScenarioError(f"the series share no time ({ranges}): query the same range")
    keep = (rt >= lo - tol) & (rt <= hi + tol)
    grid, rps = rt[keep], rps[keep]
    cpu_pod, pods, how = _per_pod(cpu, args.pods, grid, tol, "--cpu")
    mem_pod = None
    if mem is not None:
        # Memory per pod uses the memory series' own pod count; the request rate per pod
        # uses the CPU series' count (the two agree when both are by pod).
        mem_pod, _, _ = _per_pod(mem, args.pods, grid, tol, "--memory")
    latency = float(sc.workload.demand.latency)
    try:
        fit = calibrate_demand(grid, rps, pods, cpu_pod, latency=latency, memory_per_pod=mem_pod)
    except CalibrationError as e:
        raise ScenarioError(str(e), file=args.cpu if str(e).startswith("CPU") else args.memory) from None
    values = _values(fit)

    text = src.read_text(encoding="utf-8")
    paths = _relative_paths(text, src, out) if out.resolve().parent != src.resolve().parent else {}
    new_text = edit_scenario_text(text, values, paths)

    def write(p: Path) -> None:
        # p is a temporary file in OUT's folder, so relative paths resolve as they will.
        p.write_text(new_text, encoding="utf-8")
        # The written scenario must load and hold the fitted values (or nothing is written).
        d = load_scenario(p).workload.demand
        got = {"cpuPerRequest": d.cpuPerRequest, "baseCpu": d.baseCpu,
               "baseMemory": d.baseMemory, "memoryPerInflightRequest": d.memoryPerInflightRequest}
        for k, v in values.items():
            same = math.isclose(got[k], v) if k == "cpuPerRequest" else \
                Quantity.parse(got[k]) == Quantity.parse(v)
            if not same:
                raise ScenarioError(f"the written scenario holds workload.demand.{k} = "
                                    f"{got[k]!r}, not the fitted {v!r} (an extends base "
                                    "overrides it?)", file=str(out))

    write_file_atomically(out, write)
    title = f"{sc.name}: workload.demand from {Path(args.requests).name}, {Path(args.cpu).name}" \
        + (f", {Path(args.memory).name}" if args.memory else "")
    _plot(fit, plot, title)
    warnings = []
    if fit.cpu.r2 < 0.5:
        warnings.append(f"the request rate explains little of the CPU (R² {fit.cpu.r2:.2f}): "
                        "check that the series are of the same pods and time range")
    if fit.memory is not None and fit.memory.r2 < 0.5:
        warnings.append(f"requests in flight explain little of the memory (R² "
                        f"{fit.memory.r2:.2f}): baseMemory is the mean more than a base")
    if args.json:
        print(jsonout.dumps(_as_json(fit, values, how, warnings)))
    else:
        step = _step(fit.times)
        print(f"calibrated workload.demand of {sc.name!r} from {fit.cpu.n} samples "
              f"({_utc(fit.times[0])} to {_utc(fit.times[-1])}, step {step:g} s; "
              f"{int(np.nanmin(fit.pods))} to {int(np.nanmax(fit.pods))} pods: {how}):")
        print(_fit_table(fit, values))
        if fit.memory is not None:
            print(f"  in flight per pod = requests per second per pod x "
                  f"{_sig(fit.residence, 3)} s in the pod (Little's law: demand.latency "
                  f"{latency:g} s + cpuPerRequest)")
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
    print(f"wrote {out} (workload.demand: {', '.join(values)}) and {plot}", file=sys.stderr)
    return 0


def _as_json(fit: DemandFit, values: dict[str, Any], how: str, warnings: list[str]) -> dict[str, Any]:
    def line(f: Any, unit_x: str, unit_y: str) -> dict[str, Any]:
        return {"intercept": f.intercept, "slope": f.slope, "intercept_ci95": list(f.intercept_ci),
                "slope_ci95": list(f.slope_ci), "r2": f.r2, "residual_std": f.residual_std,
                "n": f.n, "through_origin": f.through_origin, "x": unit_x, "y": unit_y}

    out = {"fields": values, "pods": how, "latency_seconds": fit.latency,
           "residence_seconds": fit.residence,
           "cpu": line(fit.cpu, "requests/s per pod", "cores per pod"), "warnings": warnings}
    if fit.memory is not None:
        out["memory"] = line(fit.memory, "requests in flight per pod", "bytes per pod")
    return out
