"""The scenario models' rules, one by one: API-server validation of the Kubernetes
fragments (with upstream's messages), cross-field references, finite numbers and caps,
and the bound on steps per run. Each case names the field path and the rule."""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import pytest
import yaml

from capacity.errors import ScenarioError
from capacity.scenario.kubernetes import parse_quantity_value
from capacity.scenario.limits import MAX_STEPS_PER_RUN, run_bound_problem, sources
from capacity.scenario.loader import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[2]
C0 = ("workload", "deployment", "template", "spec", "containers", 0)
SPEC = ("workload", "deployment", "template", "spec")
HPA = ("autoscaling", "horizontal")
LR = ("namespace", "limitRange", "limits", 0)


def _merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return over


BASE = _merge(yaml.safe_load((ROOT / "scenarios/baseline.yaml").read_text()),
              {"simulation": {"duration": "1h"}})


def variant(*changes):
    d = copy.deepcopy(BASE)
    for path, value in changes:
        node = d
        for p in path[:-1]:
            node = node.setdefault(p, {}) if isinstance(p, str) else node[p]
        node[path[-1]] = value
    return d


def error(*changes) -> str:
    with pytest.raises(ScenarioError) as e:
        scenario_from_dict(variant(*changes))
    return str(e.value)


def test_the_base_is_valid():
    scenario_from_dict(variant())


RULES = {
    # quantities: grammar, sign, range (apimachinery)
    "negative int quantity": ([((*C0, "resources", "requests", "memory"), -5)],
                              "resources.requests.memory: must be a non-negative quantity"),
    "quantity beyond int64": ([(("namespace", "resourceQuota", "hard", "pods"), "10E")],
                              "hard.pods: must be at most 2^63-1"),
    "NaN quantity": ([(("workload", "demand", "baseCpu"), math.nan)],
                     "workload.demand.baseCpu: must be a finite quantity"),
    "quantity of 200 digits": ([(("workload", "demand", "baseCpu"), "1" * 200)],
                               "at most 100 characters"),
    # resource requirements
    "memory request above limit": ([((*C0, "resources", "requests", "memory"), "4Gi")],
                                   "resources.requests.memory: must be less than or equal to "
                                   "memory limit of 2Gi, got '4Gi'"),
    # probes
    "liveness successThreshold 2": ([((*C0, "livenessProbe", "successThreshold"), 2)],
                                    "livenessProbe.successThreshold: must be 1, got 2"),
    "probe period beyond int32": ([((*C0, "readinessProbe", "periodSeconds"), 2**31)],
                                  "readinessProbe.periodSeconds"),
    # tolerations
    "toleration Exists with a value": ([((*SPEC, "tolerations"),
                                         [{"key": "a", "operator": "Exists", "value": "b"}])],
                                       "tolerations[0].value: must be empty when `operator` is "
                                       "'Exists'"),
    "tolerationSeconds without NoExecute": ([((*SPEC, "tolerations"),
                                              [{"key": "a", "effect": "NoSchedule",
                                                "tolerationSeconds": 5}])],
                                            "tolerations[0].effect: must be 'NoExecute'"),
    "empty key needs Exists": ([((*SPEC, "tolerations"), [{"value": "b"}])],
                               "tolerations[0].operator: must be Exists when `key` is empty"),
    # selectors and affinity
    "In without values": ([(("disruption", "podDisruptionBudget", "selector"),
                            {"matchExpressions": [{"key": "app", "operator": "In"}]})],
                          "matchExpressions[0].values: must be specified when `operator` is "
                          "'In' or 'NotIn'"),
    "values given as a string": ([(("disruption", "podDisruptionBudget", "selector"),
                                   {"matchExpressions": [{"key": "app", "operator": "In",
                                                          "values": "web"}]})],
                                 "matchExpressions[0].values: Input should be a valid list"),
    "Gt with a word": ([((*SPEC, "affinity"), {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["many"]}]}]}}})],
                       "matchExpressions[0].values[0]: must be an integer for 'Gt' or 'Lt'"),
    "preferred weight 0": ([((*SPEC, "affinity", "podAntiAffinity",
                              "preferredDuringSchedulingIgnoredDuringExecution", 0, "weight"), 0)],
                           "preferredDuringSchedulingIgnoredDuringExecution[0].weight: Input "
                           "should be greater than or equal to 1"),
    "term without topologyKey": ([((*SPEC, "affinity", "podAntiAffinity",
                                    "preferredDuringSchedulingIgnoredDuringExecution", 0,
                                    "podAffinityTerm", "topologyKey"), "")],
                                 "podAffinityTerm.topologyKey"),
    "selector does not match the labels": ([(("workload", "deployment", "selector"),
                                             {"matchLabels": {"app": "other"}})],
                                           "workload.deployment.template.metadata.labels: "
                                           "`selector` does not match template `labels`"),
    # Deployment
    "Recreate with rollingUpdate": ([(("workload", "deployment", "strategy", "type"), "Recreate")],
                                    "strategy.rollingUpdate: may not be specified when strategy "
                                    "`type` is 'Recreate'"),
    "progressDeadline not above minReadySeconds": (
        [(("workload", "deployment", "minReadySeconds"), 30),
         (("workload", "deployment", "progressDeadlineSeconds"), 30)],
        "progressDeadlineSeconds: must be greater than minReadySeconds"),
    "digit string as percent": ([(("workload", "deployment", "strategy", "rollingUpdate",
                                   "maxSurge"), "3")], "must be a percentage"),
    # HPA
    "empty policies": ([((*HPA, "behavior", "scaleUp", "policies"), [])],
                       "behavior.scaleUp.policies: must specify at least one Policy"),
    "utilization and value": ([((*HPA, "metrics", 0, "resource", "target", "averageValue"), "1")],
                              "metrics[0].resource.target.averageValue: may not set both"),
    "two metric sources": ([((*HPA, "metrics", 0, "pods"),
                             {"metric": {"name": "http_requests_per_second"},
                              "target": {"type": "AverageValue", "averageValue": "10"}})],
                           "metrics[0].pods: must populate the given metric source only"),
    "zero average value": ([((*HPA, "metrics"), [{"type": "Pods", "pods": {
        "metric": {"name": "http_requests_per_second"},
        "target": {"type": "AverageValue", "averageValue": "0"}}}])],
                           "pods.target.averageValue: must be positive"),
    "scaleTargetRef of another Deployment": ([((*HPA, "scaleTargetRef", "name"), "api")],
                                             "scaleTargetRef.name: must be the workload's name"),
    "scaleTargetRef name with a slash": ([((*HPA, "scaleTargetRef", "name"), "a/b")],
                                         "scaleTargetRef.name: may not be"),
    "maxReplicas beyond the pod limit": ([((*HPA, "maxReplicas"), 10**6)],
                                         "autoscaling.horizontal.maxReplicas"),
    # PDB
    "both minAvailable and maxUnavailable": ([(("disruption", "podDisruptionBudget",
                                                "maxUnavailable"), 1)],
                                             "cannot both be set"),
    # LimitRange (ValidateLimitRange's messages)
    "min above max": ([((*LR, "min"), {"cpu": "5"})], "limits[0].min.cpu: min value 5 is "
                                                       "greater than max value 4"),
    "defaultRequest above default": ([((*LR, "defaultRequest", "cpu"), "600m")],
                                     "limits[0].defaultRequest.cpu: default request value 600m "
                                     "is greater than default limit value 500m"),
    "ratio above max/min": ([((*LR, "min"), {"cpu": "2"}), ((*LR, "defaultRequest", "cpu"), "2"),
                             ((*LR, "default", "cpu"), "2")],
                            "limits[0].maxLimitRequestRatio.cpu: ratio 4 is greater than max/min "
                            "= 2.000000"),
    "Pod item with a default": ([(("namespace", "limitRange", "limits", 1, "default"),
                                  {"cpu": "1"})],
                                "limits[1].default: may not be specified when `type` is 'Pod'"),
    "duplicate item types": ([(("namespace", "limitRange", "limits", 1, "type"), "Container")],
                             "limits[1].type: Duplicate value"),
    # VPA
    "VPA minAllowed above maxAllowed": ([(("autoscaling", "vertical", "resourcePolicy",
                                           "containerPolicies", 0, "minAllowed", "cpu"), "3")],
                                        "minAllowed.cpu: must be <= maxAllowed.cpu (2)"),
    # references
    "spot interruptions of an on-demand pool": ([(("failures", "spot"), [{"pool": "general"}])],
                                                "failures.spot[0].pool: is not a spot pool"),
    "duplicate zone": ([(("cluster", "zones"), ["zone-a", "zone-a"])],
                       "cluster.zones[1]: zone names must be unique"),
    "pool zone not in the cluster": ([(("cluster", "nodePools", 0, "zones"), ["zone-q"])],
                                     "cluster.nodePools[0].zones[0]"),
    "too many nodes": ([(("cluster", "nodePools", 0, "nodesPerZone"), 2000)],
                       "cluster.nodePools: at most 5000 nodes"),
    "autoscaling min above max": ([(("cluster", "nodePools", 0, "autoscaling"),
                                    {"minNodes": 3, "maxNodes": 2})],
                                  "autoscaling.maxNodes: must be >= minNodes (3), got 2"),
    "failures without a cluster": ([(("cluster",), None)], "failures.nodes: needs a cluster"),
    # our own sections
    "lognormal median 0": ([(("workload", "startup", "imagePull"),
                             {"type": "lognormal", "median": 0, "p95": "1s"})],
                           "imagePull.median: must be > 0 for a lognormal distribution"),
    "warmup as long as the run": ([(("simulation", "warmup"), "1h")],
                                  "simulation.warmup: must be shorter than duration"),
    "seed beyond 64 bits": ([(("simulation", "seed"), 2**64)], "simulation.seed"),
    "timestamp object is read": ([(("simulation", "startTime"), 5)], "simulation.startTime"),
    "noise interval 0": ([(("load", "noise", "interval"), 0)], "load.noise.interval: must be > 0"),
    "noise cv 1e6": ([(("load", "noise", "cv"), 1e6)], "load.noise.cv"),
    "scrape interval 0": ([(("monitoring", "scrapeInterval"), "0s")],
                          "monitoring.scrapeInterval: must be > 0"),
    "cpuPerRequest a day": ([(("workload", "demand", "cpuPerRequest"), 86400)],
                            "workload.demand.cpuPerRequest"),
    "baseCpu at the CPU limit": ([(("workload", "demand", "baseCpu"), 1)],
                                 "workload.demand.baseCpu: must be below the CPU the serving "
                                 "container can use (containers[0].resources.limits.cpu: 1000m)"),
    "duplicate external series": ([(("load", "externalMetrics"),
                                    [{"name": "q", "constant": 1}, {"name": "q", "constant": 2}])],
                                  "load.externalMetrics[1].name"),
}


@pytest.mark.parametrize("case", list(RULES))
def test_rule(case):
    changes, expected = RULES[case]
    assert expected in error(*changes)


def test_kubernetes_version_as_a_number():
    assert "quoted string" in error((("kubernetesVersion",), 1.3))


def test_rules_give_the_line_of_the_field(tmp_path):
    d = variant(((*LR, "default", "cpu"), "8"))
    p = tmp_path / "x.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    line = p.read_text().splitlines()[e.value.line - 1]
    assert line.strip() == "cpu: '8'", line
    assert e.value.path == "namespace.limitRange.limits[0].default.cpu"


def test_huge_exponents_are_refused_at_once():
    t0 = time.perf_counter()
    for text in ("1e9999999999", "1e-9999999999", "5E+99999", "2.5e100000Ki", "0e99999999"):
        with pytest.raises(ValueError):
            parse_quantity_value(text)
    assert time.perf_counter() - t0 < 0.5
    assert parse_quantity_value("1e-30").nanos == 1  # rounds up to 1n, as upstream
    assert parse_quantity_value("0e9999").nanos == 0


def test_steps_per_run_name_the_duration_at_default_periods():
    d = variant((("simulation", "duration"), "3650d"))
    msg = error((("simulation", "duration"), "3650d"))
    assert "simulation.duration: 3650d at" in msg and "above the limit" in msg
    sc = scenario_from_dict(variant())
    per_hour = sum(s.per_hour for s in sources(sc))
    assert per_hour * 24 * 365 > MAX_STEPS_PER_RUN > per_hour * 24 * 90  # a quarter is fine
    assert run_bound_problem(sc, 3600.0 * 24 * 90) is None
    assert d  # the variant itself is only refused for its duration


def test_sources_count_the_periods():
    sc = scenario_from_dict(variant())
    by = {".".join(str(p) for p in s.loc): s.per_hour for s in sources(sc)}
    kcm = "controllers.kubeControllerManager."
    assert by[kcm + "horizontalPodAutoscalerSyncPeriod"] == 240  # 15 s
    assert by["controllers.metricsServer.metricResolution"] == 240
    assert by["load.resolution"] == 60 and by["load.noise.interval"] == 60
    assert by[kcm + "nodeMonitorPeriod"] == 720
    assert by["controllers.kubelet.nodeLeaseDurationSeconds"] == 360  # renewed every 10 s
    # 6 nodes failing every 650 days: down and up again
    assert by["failures.nodes.mtbf"] == pytest.approx(2 * 6 * 3600 / (650 * 86400))


def test_probe_ticks_are_bounded():
    msg = error(((*C0, "readinessProbe", "initialDelaySeconds"), 10**6),
                ((*C0, "readinessProbe", "periodSeconds"), 1))
    assert "readinessProbe.initialDelaySeconds: 1000000 with periodSeconds 1 gives 1M probe " \
           "ticks per pod start" in msg
