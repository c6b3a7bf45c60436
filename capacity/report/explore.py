"""An ipywidgets panel over a scenario's HPA: change a setting, see the week again.

:class:`Explorer` shows sliders for ``minReplicas``, the CPU target, the scale-down
stabilization window and the scale-up and scale-down policies (Percent and Pods values,
their period, ``selectPolicy``). Each change re-simulates one run of the scenario's
duration (``runs=1``, ``record="first"``: a week takes a second or two) and redraws
spec.replicas and ready pods, the p99 latency against the SLO, and the cost per hour, with
the SLOs and the monthly cost above the plot and every configuration tried in a table.

Needs ``ipywidgets`` (``pip install -e '.[notebooks]'``).
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from typing import Any

from capacity.report import fmt, plots, style, timeline
from capacity.scenario.kubernetes import HPAScalingPolicy, HPAScalingRules
from capacity.scenario.model import Scenario


def _cpu_metric(sc: Scenario) -> Any:
    h = sc.autoscaling.horizontal
    for m in (h.metrics or []) if h is not None else []:
        if m.type == "Resource" and m.resource is not None and m.resource.name == "cpu" \
                and m.resource.target.averageUtilization is not None:
            return m.resource.target
    return None


def _policy(rules: HPAScalingRules | None, kind: str) -> HPAScalingPolicy | None:
    return next((p for p in (rules.policies or []) if p.type == kind), None) if rules else None


class Explorer:
    """The panel: ``widget`` is what a notebook displays; ``update()`` re-simulates.

    Every control is an attribute (``min_replicas``, ``cpu_target``, ``scale_down_window``,
    ``up_percent``, ``up_pods``, ``up_period``, ``up_select``, ``down_percent``,
    ``down_pods``, ``down_period``, ``down_select``); setting its ``value`` (by hand or in
    code) calls :meth:`update` through the widget's observer. ``history`` holds one row per
    configuration simulated; ``result`` the last simulation; ``seconds`` its wall time.
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None,
                 duration: float | str | None = None) -> None:
        import ipywidgets as w

        h = scenario.autoscaling.horizontal
        if h is None:
            raise ValueError("the scenario has no HPA to explore")
        self.base = scenario
        self.seed = seed if seed is not None else scenario.simulation.seed
        self.duration = duration
        self.clock = timeline.clock(scenario)
        b = h.behavior
        up = b.scaleUp if b is not None else None
        down = b.scaleDown if b is not None else None
        tgt = _cpu_metric(scenario)
        lay = {"description_width": "14em"}
        wide = w.Layout(width="30em")

        def slider(value: int, lo: int, hi: int, step: int, text: str) -> Any:
            return w.IntSlider(value=value, min=lo, max=hi, step=step, description=text,
                               continuous_update=False, style=lay, layout=wide)

        def pol(rules: HPAScalingRules | None, kind: str, default: int) -> int:
            p = _policy(rules, kind)
            return int(p.value) if p is not None else default

        def period(rules: HPAScalingRules | None, default: int) -> int:
            ps = (rules.policies or []) if rules else []
            return int(ps[0].periodSeconds) if ps else default

        self.min_replicas = slider(h.minReplicas or 1, 1, h.maxReplicas, 1, "minReplicas")
        self.cpu_target = slider(int(tgt.averageUtilization) if tgt else 80, 10, 100, 5,
                                 "CPU target (%)")
        self.scale_down_window = slider(
            int(down.stabilizationWindowSeconds) if down and down.stabilizationWindowSeconds
            is not None else 300, 0, 3600, 30, "scale-down window (s)")
        self.up_percent = slider(pol(up, "Percent", 100), 0, 1000, 10, "scale-up Percent (%)")
        self.up_pods = slider(pol(up, "Pods", 4), 0, 20, 1, "scale-up Pods")
        self.up_period = slider(period(up, 15), 15, 600, 15, "scale-up period (s)")
        self.up_select = w.Dropdown(options=["Max", "Min", "Disabled"],
                                    value=(up.selectPolicy if up and up.selectPolicy else "Max"),
                                    description="scale-up selectPolicy", style=lay, layout=wide)
        self.down_percent = slider(pol(down, "Percent", 100), 0, 100, 5,
                                   "scale-down Percent (%)")
        self.down_pods = slider(pol(down, "Pods", 0), 0, 20, 1, "scale-down Pods")
        self.down_period = slider(period(down, 15), 15, 600, 15, "scale-down period (s)")
        self.down_select = w.Dropdown(
            options=["Max", "Min", "Disabled"],
            value=(down.selectPolicy if down and down.selectPolicy else "Max"),
            description="scale-down selectPolicy", style=lay, layout=wide)
        self.controls = [self.min_replicas, self.cpu_target, self.scale_down_window,
                         self.up_percent, self.up_pods, self.up_period, self.up_select,
                         self.down_percent, self.down_pods, self.down_period, self.down_select]
        self.status = w.HTML()
        self.out = w.Output()
        self.table = w.Output()
        self.history: list[dict[str, Any]] = []
        self.result: Any = None
        self.previous: Any = None
        self.seconds = 0.0
        self.error: str | None = None
        for c in self.controls:
            c.observe(self._changed, names="value")
        self.widget = w.VBox([
            w.HBox([w.VBox(self.controls[:3] + self.controls[3:7]),
                    w.VBox(self.controls[7:])]),
            self.status, self.out, self.table])
        self.update()

    # --- the scenario the controls describe -------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {"minReplicas": self.min_replicas.value, "CPU target %": self.cpu_target.value,
                "scale-down window s": self.scale_down_window.value,
                "up": f"{self.up_percent.value}% / {self.up_pods.value} pods per "
                      f"{self.up_period.value} s, {self.up_select.value}",
                "down": f"{self.down_percent.value}% / {self.down_pods.value} pods per "
                        f"{self.down_period.value} s, {self.down_select.value}"}

    def scenario(self) -> Scenario:
        """A validated copy of the base scenario with the controls' values."""
        data = self.base.model_dump(mode="python", by_alias=True, exclude_none=True)
        h = data["autoscaling"]["horizontal"]
        h["minReplicas"] = int(self.min_replicas.value)
        for m in h.get("metrics") or []:
            r = m.get("resource")
            if m.get("type") == "Resource" and r and r.get("name") == "cpu":
                r["target"]["averageUtilization"] = int(self.cpu_target.value)
        beh = h.setdefault("behavior", {})

        def rules(name: str, pct: int, pods: int, period: int, select: str,
                  window: int | None) -> None:
            r = beh.setdefault(name, {})
            pols = []
            if pct > 0:
                pols.append({"type": "Percent", "value": int(pct), "periodSeconds": int(period)})
            if pods > 0:
                pols.append({"type": "Pods", "value": int(pods), "periodSeconds": int(period)})
            if not pols:  # the API server refuses an empty list (validateScalingRules)
                raise ValueError(f"{name}: at least one policy needs a value above 0")
            r["policies"] = pols
            r["selectPolicy"] = select
            if window is not None:
                r["stabilizationWindowSeconds"] = int(window)

        rules("scaleUp", self.up_percent.value, self.up_pods.value, self.up_period.value,
              self.up_select.value, None)
        rules("scaleDown", self.down_percent.value, self.down_pods.value,
              self.down_period.value, self.down_select.value, self.scale_down_window.value)
        sc = Scenario.model_validate(data)
        sc._source = self.base.source
        return sc

    # --- simulate and draw ---------------------------------------------------------------
    def _changed(self, _change: Mapping[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Re-simulate one run with the controls' values and redraw."""
        import capacity

        try:
            sc = self.scenario()
        except ValueError as e:  # an HPA the API server would refuse: say why, keep the plot
            self.error = str(e).splitlines()[0]
            self.status.value = f"<b>Not a valid HPA:</b> {self.error}"
            return
        self.error = None
        t0 = time.perf_counter()
        res = capacity.simulate(sc, runs=1, seed=self.seed, duration=self.duration,
                                record="first", progress=False)
        self.seconds = time.perf_counter() - t0
        self.previous, self.result = self.result, res
        s = res.summary
        slos = s.get("slo") or []
        row = {**self.settings(),
               **{x["name"]: f"{fmt.near_one(x['good_fraction']['mean'])}"
                             f"{'' if x['met'] else ' MISSED'}" for x in slos},
               "p99": fmt.seconds(s["latency"]["p99"]["mean"]),
               "cost a month": f"{fmt.money(s['cost']['per_month'])} {s['cost']['currency']}",
               "simulated in": f"{self.seconds:.1f} s"}
        self.history.append(row)
        ok = all(x["met"] for x in slos)
        self.status.value = (
            f"<b>{'✔ every SLO met' if ok else '✘ an SLO missed'}</b> — "
            + "; ".join(f"{x['name']}: {fmt.near_one(x['good_fraction']['mean'])} "
                        f"({fmt.pct(x['error_budget_used'], 0)} of the budget)" for x in slos)
            + f"; p99 {fmt.seconds(s['latency']['p99']['mean'])}; "
            f"<b>{fmt.money(s['cost']['per_month'])} {s['cost']['currency']} a month</b>; "
            f"one run of {timeline.duration_text(s['duration_seconds'])} simulated in "
            f"{self.seconds:.1f} s")
        self.draw()

    def draw(self) -> None:
        """Replicas, p99 latency and cost per hour of the last run (the one before in grey)."""
        import matplotlib.pyplot as plt
        from IPython.display import Image, display

        from capacity.report.notebook import history

        res = self.result
        ts = res.timeseries
        dur = float(res.summary["duration_seconds"])
        fig, (a, b, c) = style.figure(3, 1, height=7.0, sharex=True)
        prev = self.previous.timeseries if self.previous is not None else None
        if prev is not None:
            style.line(a, prev["time"], prev["spec_replicas"], "before",
                       "spec.replicas before the change", step=True)
        style.line(a, ts["time"], ts["spec_replicas"], "spec_replicas", "spec.replicas",
                   step=True)
        style.line(a, ts["time"], ts["ready_replicas"], "ready_replicas", "ready pods",
                   step=True)
        hpa = self.base.autoscaling.horizontal
        a.set_ylim(0, max(float(ts["spec_replicas"].max()), hpa.maxReplicas if hpa else 0) + 1)
        style.integer_axis(a)
        style.labels(a, y="pods (count)")
        style.legend(a)
        if prev is not None:
            style.line(b, prev["time"], prev["latency_p99"], "before", "p99 before the change")
        style.line(b, ts["time"], ts["latency_p99"], "p99", "p99 of each 15 s")
        for i, lo in enumerate(self.base.objectives.latency or []):
            b.axhline(float(lo.threshold), color=style.GREY, linestyle=[":", "-."][i % 2],
                      linewidth=1.4, label=f"SLO threshold {float(lo.threshold):g} s")
        b.set_ylim(bottom=0)
        style.labels(b, y="response time (s)")
        style.legend(b)
        cur = res.summary["cost"]["currency"]
        if "cost_per_hour" in ts:
            if prev is not None and "cost_per_hour" in prev:
                style.line(c, prev["time"], prev["cost_per_hour"], "before", "before the change",
                           step=True)
            style.line(c, ts["time"], ts["cost_per_hour"], "cost",
                       f"{fmt.money(res.summary['cost']['per_month'])} {cur} a month", step=True)
        c.set_ylim(bottom=0)
        style.labels(c, y=f"cost per hour ({cur})")
        style.legend(c)
        plots.time_axis(c, 0.0, dur, self.clock)
        style.labels(c, x=plots.TIME_LABEL)
        a.set_title(f"{self.base.name}: " + ", ".join(f"{k} {v}" for k, v in
                                                     list(self.settings().items())[:3]),
                    loc="left")
        problems = style.problems(fig)
        if problems:
            plt.close(fig)
            raise ValueError("plot style: " + "; ".join(problems))
        # A PNG of our own, not display(fig): with a non-inline backend (MPLBACKEND=Agg)
        # IPython would show only "<Figure size ...>".
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight")
        plt.close(fig)
        self.out.clear_output(wait=True)
        with self.out:
            display(Image(data=buf.getvalue(), format="png"))
        self.table.clear_output(wait=True)
        with self.table:
            display(history(self.history))
