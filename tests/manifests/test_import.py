"""``capacity import``: real manifests, HPA versions, bad input, and the round trip.

Real manifests are in tests/data/manifests/ (see SOURCES.md there). Expected values are
read off those files by hand (and match data/SOURCES.md, section B).
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.cli import main
from capacity.errors import ScenarioError
from capacity.manifests.emit import write_manifests
from capacity.manifests.importer import import_manifests, scenario_yaml
from capacity.scenario.loader import load_scenario, scenario_from_dict

from .conftest import DATA, PEAK, ROOT, tool

KNATIVE = DATA / "knative__serving"
KUBE_PROM = DATA / "prometheus-operator__kube-prometheus"
BOUTIQUE = DATA / "GoogleCloudPlatform__microservices-demo" / "kubernetes-manifests.yaml"
ZALANDO = DATA / "zalando-incubator__kubernetes-on-aws" / "hpa.yaml"


def _scenario(paths, **kw):
    r = import_manifests([str(p) for p in paths], **kw)
    return r, scenario_from_dict(r.scenario)


def _cli(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    # A wide table: rows are not wrapped, so a regex sees a row on one line.
    return subprocess.run([sys.executable, "-m", "capacity", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "400", **env})


# --- real manifests -----------------------------------------------------------------------


def test_knative_activator_hpa_and_pdb():
    r, sc = _scenario([KNATIVE])
    assert sc.workload.name == "activator" and sc.namespace.name == "knative-serving"
    h = sc.autoscaling.horizontal
    assert (h.minReplicas, h.maxReplicas) == (1, 20)
    (m,) = h.metrics
    assert (m.resource.name, m.resource.target.averageUtilization) == ("cpu", 100)
    assert h.behavior is None  # no behavior block: the upstream defaults apply
    assert sc.disruption.podDisruptionBudget.minAvailable == "80%"
    c = sc.workload.deployment.template.spec.containers[0]
    assert c.resources.requests == {"cpu": "300m", "memory": "60Mi"}
    assert c.resources.limits == {"cpu": "1000m", "memory": "600Mi"}
    assert sc.workload.deployment.template.spec.terminationGracePeriodSeconds == 600
    # the Service is a known kind: one summary row, no "custom resource" row
    assert [n.subject for n in r.notes if n.subject.startswith("Service/")] == ["Service/activator-service"]
    assert not [n for n in r.notes if "custom resource" in n.why]
    # load assumption: 1 replica x 300m at half of 100% / 10 ms per request = 15 rps
    assert sc.load.constant == 15.0


def test_kube_prometheus_adapter_and_its_pdb():
    _, sc = _scenario([KUBE_PROM])
    d = sc.workload.deployment
    assert sc.workload.name == "prometheus-adapter" and sc.namespace.name == "monitoring"
    assert d.replicas == 2
    assert (d.strategy.rollingUpdate.maxSurge, d.strategy.rollingUpdate.maxUnavailable) == (1, 1)
    c = d.template.spec.containers[0]
    assert c.resources.requests == {"cpu": "102m", "memory": "180Mi"}
    assert c.resources.limits == {"cpu": "250m", "memory": "180Mi"}
    assert c.livenessProbe.httpGet.port == "https" and c.startupProbe.failureThreshold == 18
    assert sc.disruption.podDisruptionBudget.minAvailable == 1
    assert sc.autoscaling.horizontal is None


def test_online_boutique_needs_a_choice_then_picks_by_name():
    with pytest.raises(ScenarioError, match="several Deployments") as e:
        import_manifests([BOUTIQUE])
    for name in ("frontend", "cartservice", "loadgenerator"):
        assert name in str(e.value)
    r, sc = _scenario([BOUTIQUE], deployment="cartservice")
    c = sc.workload.deployment.template.spec.containers[0]
    assert c.resources.requests == {"cpu": "200m", "memory": "64Mi"}
    assert c.resources.limits == {"cpu": "300m", "memory": "128Mi"}
    assert sc.workload.deployment.replicas is None
    _, lg = _scenario([BOUTIQUE], deployment="loadgenerator")
    assert lg.workload.deployment.replicas == 1
    assert lg.workload.deployment.template.spec.containers[0].resources.requests == \
        {"cpu": "300m", "memory": "256Mi"}
    assert any(n.subject == "Deployment/frontend" and "--deployment frontend" in n.instead
               for n in r.notes)  # the others are named as not imported
    with pytest.raises(ScenarioError, match="no Deployment named 'nope'"):
        import_manifests([BOUTIQUE], deployment="nope")


# Production values of cluster/config-defaults.yaml (tests/data/manifests/SOURCES.md).
ZALANDO_VALUES = {
    "skipper_ingress_max_replicas": "300",
    "skipper_ingress_target_average_utilization_cpu": "60",
    "skipper_ingress_target_average_utilization_memory": "80",
    "skipper_ingress_hpa_scale_down_wait": "600",
    "skipper_ingress_hpa_scale_up_max_perc": "100",
}


def render_zalando(text: str) -> str:
    """Render the few Go-template constructs the file uses, with the production values.

    - the prelude computing ``$min_replicas``: 3 in production, minus 1 (canary enabled);
    - ``{{ if .Cluster.ConfigItems.skipper_cluster_scaling_schedules }}`` is "" → dropped;
    - ``{{ .Cluster.ConfigItems.X }}`` → the value of X.
    """
    body = text[text.index("apiVersion:"):]
    body = re.sub(r"\{\{ if \.Cluster\.ConfigItems\.skipper_cluster_scaling_schedules \}\}.*?"
                  r"\{\{ end \}\}\s*\{\{ end \}\}\n", "", body, flags=re.S)
    body = body.replace("{{ $min_replicas }}", "2")
    body = re.sub(r"\{\{ \.Cluster\.ConfigItems\.(\w+) \}\}", lambda m: ZALANDO_VALUES[m.group(1)], body)
    assert "{{" not in body
    return body


SKIPPER_DEPLOYMENT = """\
# Stand-in for skipper/deployment.yaml (not copied: heavily templated); values from
# data/SOURCES.md B3: cpu 1000m, memory 1500Mi, maxSurge 1, maxUnavailable 0.
apiVersion: apps/v1
kind: Deployment
metadata: {name: skipper-ingress, namespace: kube-system}
spec:
  selector: {matchLabels: {application: skipper-ingress}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {application: skipper-ingress}}
    spec:
      containers:
      - name: skipper-ingress
        resources:
          requests: {cpu: 1000m, memory: 1500Mi}
          limits: {cpu: 1000m, memory: 1500Mi}
"""


def test_zalando_hpa_behavior(tmp_path):
    (tmp_path / "hpa.yaml").write_text(render_zalando(ZALANDO.read_text()))
    (tmp_path / "deployment.yaml").write_text(SKIPPER_DEPLOYMENT)
    _, sc = _scenario([tmp_path])
    h = sc.autoscaling.horizontal
    assert (h.minReplicas, h.maxReplicas) == (2, 300)
    assert [(m.resource.name, m.resource.target.averageUtilization) for m in h.metrics] == \
        [("cpu", 60), ("memory", 80)]
    down, up = h.behavior.scaleDown, h.behavior.scaleUp
    assert down.stabilizationWindowSeconds == 600 and down.selectPolicy == "Min"
    assert [(p.type, p.value, p.periodSeconds) for p in down.policies] == \
        [("Pods", 10, 60), ("Percent", 100, 60)]
    assert up.stabilizationWindowSeconds == 0 and up.selectPolicy == "Max"
    assert [(p.type, p.value, p.periodSeconds) for p in up.policies] == \
        [("Pods", 4, 15), ("Percent", 100, 15)]


def test_zalando_template_as_is_is_a_clear_yaml_error():
    with pytest.raises(ScenarioError, match=r"hpa\.yaml:\d+: YAML syntax error"):
        import_manifests([ZALANDO])


# --- HPA versions --------------------------------------------------------------------------

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        resources: {requests: {cpu: 200m, memory: 256Mi}}
"""


def test_hpa_v1_is_converted(tmp_path):
    (tmp_path / "all.yaml").write_text(WEB + """---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 7
  targetCPUUtilizationPercentage: 65
""")
    _, sc = _scenario([tmp_path / "all.yaml"])
    h = sc.autoscaling.horizontal
    assert (h.minReplicas, h.maxReplicas) == (2, 7)
    (m,) = h.metrics
    assert (m.type, m.resource.name, m.resource.target.type, m.resource.target.averageUtilization) \
        == ("Resource", "cpu", "Utilization", 65)


def test_hpa_v2beta1_is_converted_where_it_is_still_served(tmp_path):
    (tmp_path / "all.yaml").write_text(WEB + """---
apiVersion: autoscaling/v2beta1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: memory, targetAverageUtilization: 75}
  - type: Pods
    pods: {metricName: http_requests_per_second, targetAverageValue: "20"}
  - type: External
    external: {metricName: queue_depth, metricSelector: {matchLabels: {q: jobs}}, targetValue: "100"}
""")
    # autoscaling/v2beta1 is served up to 1.24 (removed in 1.25)
    r, sc = _scenario([tmp_path / "all.yaml"], kubernetes_version="1.24")
    mem, pods, ext = sc.autoscaling.horizontal.metrics
    assert (mem.resource.name, mem.resource.target.averageUtilization) == ("memory", 75)
    assert pods.pods == {"metric": {"name": "http_requests_per_second"},
                         "target": {"type": "AverageValue", "averageValue": "20"}}
    assert ext.external == {"metric": {"name": "queue_depth", "selector": {"matchLabels": {"q": "jobs"}}},
                            "target": {"type": "Value", "value": "100"}}
    # the produced Pods metric has no note; the External one needs a series
    assert [n.why for n in r.notes if "spec.metrics" in n.subject] == \
        ["External metric queue_depth: needs a series: add it under load.externalMetrics"]


def test_kyaml_quota_and_limitrange_with_a_deployment(tmp_path):
    (tmp_path / "web.yaml").write_text(WEB.replace("namespace: shop", "namespace: default"))
    website = ROOT / "tests" / "data" / "kubernetes__website"
    _, sc = _scenario([tmp_path / "web.yaml", website / "quota-mem-cpu.yaml",
                       website / "limit-mem-cpu-container.yaml"])
    assert sc.namespace.resourceQuota.hard == {"requests.cpu": "1", "requests.memory": "1Gi",
                                               "limits.cpu": "2", "limits.memory": "2Gi"}
    item = sc.namespace.limitRange.limits[0]
    assert item.max == {"cpu": "800m", "memory": "1Gi"}
    assert item.defaultRequest == {"cpu": "110m", "memory": "111Mi"}


# --- bad manifests -------------------------------------------------------------------------


def test_malformed_yaml_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n")
    r = _cli("import", str(bad), cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    # the unclosed flow sequence is reported where the parser gives up, line 5 (end of file)
    assert re.fullmatch(r"error: bad\.yaml:5: YAML syntax error: .*\n", r.stderr), r.stderr


def test_unknown_kinds_are_listed_and_skipped(tmp_path):
    (tmp_path / "web.yaml").write_text(WEB + """---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
""")
    r = _cli("import", str(tmp_path), "-o", str(tmp_path / "out" / "s.yaml"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    # one table on stderr, a row per object
    assert r.stderr.count("THE SCENARIO ASSUMES INSTEAD") == 1
    assert re.search(r"^Widget/w1 +a custom resource \(example\.com/v1\) +ignored$", r.stderr, re.M)
    assert re.search(r"^CronJob/nightly +a CronJob \(only Deployments are simulated\)", r.stderr, re.M)
    text = (tmp_path / "out" / "s.yaml").read_text()
    assert "# note: Widget/w1 (web.yaml:13): a custom resource (example.com/v1) -> ignored" in text
    assert "# note: CronJob/nightly (web.yaml:17): a CronJob" in text
    assert load_scenario(tmp_path / "out" / "s.yaml").workload.name == "web"


def test_deployment_without_resources_is_a_clear_message(tmp_path):
    (tmp_path / "d.yaml").write_text(WEB.replace(
        "        resources: {requests: {cpu: 200m, memory: 256Mi}}\n", ""))
    r = _cli("import", "d.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("error: d.yaml:1: Deployment web: container app has no resources.requests "
                        "(nor limits); the simulation needs CPU and memory requests: add them, or "
                        "import the namespace's LimitRange with defaultRequest\n")
    # ...and with the namespace's LimitRange it imports, with a note.
    (tmp_path / "lr.yaml").write_text("""\
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: shop}
spec: {limits: [{type: Container, defaultRequest: {cpu: 100m, memory: 128Mi}}]}
""")
    res = import_manifests([tmp_path / "d.yaml", tmp_path / "lr.yaml"])
    assert any("LimitRange's defaults apply (LimitRange/lr)" in n.instead for n in res.notes)
    # the assumed load counts the defaulted request (100m), as the HPA would
    assert "1 replica(s) x 100m CPU per pod" in res.assumptions["load"]


def test_hpa_pointing_at_nothing_is_noted_not_fatal(tmp_path):
    """Issue 13: one HPA on a missing Deployment no longer stops the import of a fine one."""
    (tmp_path / "all.yaml").write_text(WEB + """---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  maxReplicas: 5
""")
    r = _cli("import", "all.yaml", "-o", "s.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^HorizontalPodAutoscaler/api +targets Deployment/api, which is not among "
                     r"the manifests +ignored$", r.stderr, re.M), r.stderr
    assert load_scenario(tmp_path / "s.yaml").autoscaling.horizontal is None


@pytest.mark.parametrize("text", [
    "- just\n- a list\n",
    "42\n",
    "apiVersion: apps/v1\nkind: Deployment\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: nope\nspec: null\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: [1, 2]}}}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: [{name: a, resources: {requests: {cpu: lots}}}]}}}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: [{name: a, resources: {requests: {cpu: 1}}, bogus: 1}]}}}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: [{name: a, resources: {requests: {cpu: 1}}}]}}}\n"
    "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: d}\n"
    "spec: {scaleTargetRef: {kind: Deployment, name: d}, minReplicas: 5, maxReplicas: 2}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: [{name: a, resources: {requests: {cpu: 1}}}]}}}\n"
    "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {selector: 7}\n",
    "\x00\x01binary",
    # found by fuzzing mutated real manifests: non-string apiVersion, non-list lists
    "apiVersion: 1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {selector: {matchLabels: {a: b}}, "
    "template: {metadata: {labels: {a: b}}, spec: {containers: 3, initContainers: 2.5}}}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {selector: {matchLabels: {a: b}}, "
    "template: {metadata: {labels: {a: b}}, spec: {containers: [{name: a, resources: {requests: {cpu: 1}}}]}}}\n"
    "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: d}\n"
    "spec: {scaleTargetRef: {kind: Deployment, name: d}, maxReplicas: 2, metrics: 7, "
    "behavior: {scaleUp: {policies: true}}}\n",
])
def test_nothing_crashes(tmp_path, text, capsys):
    """In-process (an exception escaping main() fails the test as a traceback would)."""
    (tmp_path / "x.yaml").write_text(text)
    rc = main(["import", str(tmp_path / "x.yaml")])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    assert rc in (0, 2)
    if rc == 2:
        # one line per problem, each an error line
        lines = err.splitlines()
        assert lines and all(ln.startswith("error: ") for ln in lines), err


def test_validation_errors_name_file_object_and_manifest_field(tmp_path):
    (tmp_path / "d.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
        "spec: {template: {spec: {containers: [{name: a, resources: {requests: {cpu: 1}}, bogus: 1}]}}}\n")
    r = _cli("import", "d.yaml", cwd=tmp_path)
    assert r.returncode == 2
    # the strict schema and the API server's selector rule, both reported, manifest spelling
    assert r.stderr.splitlines() == [
        "error: d.yaml:1: Deployment/d: spec.template.spec.containers[0].bogus: unknown field",
        "error: d.yaml:1: Deployment/d: spec.selector: Required value (apps/v1 Deployments must "
        "name their pods' labels; use the template's labels)"], r.stderr


# --- round trip -----------------------------------------------------------------------------

CARRIED = ("deployment", "hpa", "vpa", "pdb", "quota", "limitRange")


def carried(sc) -> dict:
    """The scenario fields that manifests carry."""
    return {
        "workload": sc.workload.name,
        "namespace": sc.namespace.name,
        "deployment": sc.workload.deployment.to_k8s(),
        "hpa": sc.autoscaling.horizontal and sc.autoscaling.horizontal.to_k8s(),
        "vpa": sc.autoscaling.vertical and sc.autoscaling.vertical.to_k8s(),
        "pdb": sc.disruption.podDisruptionBudget and sc.disruption.podDisruptionBudget.to_k8s(),
        "quota": sc.namespace.resourceQuota and sc.namespace.resourceQuota.to_k8s(),
        "limitRange": sc.namespace.limitRange and sc.namespace.limitRange.to_k8s(),
    }


def test_round_trip_peak_through_the_cli_and_kubectl_kustomize(tmp_path):
    """The emitted folder has a kustomization.yaml: import renders it with kubectl."""
    tool("kubectl")
    assert _cli("manifests", str(PEAK), "-o", str(tmp_path / "m")).returncode == 0
    r = _cli("import", str(tmp_path / "m"), "-o", str(tmp_path / "s.yaml"))
    assert r.returncode == 0, r.stderr
    back = load_scenario(tmp_path / "s.yaml")
    assert carried(back) == carried(load_scenario(PEAK))
    text = (tmp_path / "s.yaml").read_text()
    for section in ("load", "workload.demand", "cluster", "pricing", "failures"):
        assert f"# [assumption] {section}:" in text


BASE = yaml.safe_load((ROOT / "tests" / "data" / "scenarios" / "hpa-step.yaml").read_text())

names = st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?", fullmatch=True)
cpu = st.integers(1, 4000).map(lambda m: f"{m}m")
mem = st.integers(16, 8192).map(lambda m: f"{m}Mi")
pct_or_int = st.one_of(st.integers(0, 5), st.integers(1, 100).map(lambda p: f"{p}%"))
policy = st.fixed_dictionaries({"type": st.sampled_from(["Pods", "Percent"]),
                                "value": st.integers(1, 100), "periodSeconds": st.integers(1, 1800)})
rules = st.fixed_dictionaries({}, optional={
    "stabilizationWindowSeconds": st.integers(0, 3600),
    "selectPolicy": st.sampled_from(["Max", "Min", "Disabled"]),
    "policies": st.lists(policy, min_size=1, max_size=3)})


@st.composite
def scenarios(draw):
    d = copy.deepcopy(BASE)
    name = draw(names)
    d["name"] = draw(names)
    d["workload"]["name"] = name
    d["namespace"] = {"name": draw(names)}
    dep = d["workload"]["deployment"]
    dep["replicas"] = draw(st.one_of(st.none(), st.integers(0, 20)))
    if dep["replicas"] is None:
        del dep["replicas"]
    labels = {"app": name, **draw(st.dictionaries(st.sampled_from(["tier", "team"]), names, max_size=2))}
    dep["template"]["metadata"] = {"labels": labels}
    if draw(st.booleans()):
        dep["selector"] = {"matchLabels": {"app": name}}
    req_cpu, req_mem = draw(cpu), draw(mem)
    c = dep["template"]["spec"]["containers"][0]
    c["resources"] = {"requests": {"cpu": req_cpu, "memory": req_mem}}
    if draw(st.booleans()):
        # The API server requires requests <= limits: a limit is the request or more.
        c["resources"]["limits"] = {"cpu": f"{int(req_cpu[:-1]) + draw(st.integers(0, 2000))}m",
                                    "memory": f"{int(req_mem[:-2]) + draw(st.integers(0, 4096))}Mi"}
    c["ports"] = draw(st.lists(st.integers(1, 65535), max_size=2, unique=True).map(
        lambda ps: [{"name": f"p{i}", "containerPort": p} for i, p in enumerate(ps)]))
    if not c["ports"]:
        del c["ports"]
    surge, unavailable = draw(pct_or_int), draw(pct_or_int)
    if str(surge).rstrip("%") == "0" and str(unavailable).rstrip("%") == "0":
        # the API server rejects a rollout that may neither surge nor take a pod down
        unavailable = 1
    dep["strategy"] = {"type": "RollingUpdate",
                       "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    if draw(st.booleans()):
        lo = draw(st.integers(1, 10))
        hpa = {"minReplicas": lo, "maxReplicas": draw(st.integers(lo, 50)),
               "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                   "type": "Utilization", "averageUtilization": draw(st.integers(1, 150))}}}]}
        behavior = draw(st.fixed_dictionaries({}, optional={"scaleUp": rules, "scaleDown": rules}))
        if behavior:
            hpa["behavior"] = behavior
        d["autoscaling"] = {"horizontal": hpa}
    else:
        d.pop("autoscaling", None)
    if draw(st.booleans()):
        key = draw(st.sampled_from(["minAvailable", "maxUnavailable"]))
        d["disruption"] = {"podDisruptionBudget": {key: draw(pct_or_int)}}
    if draw(st.booleans()):
        d["namespace"]["resourceQuota"] = {"hard": {"requests.cpu": str(draw(st.integers(1, 100))),
                                                    "pods": str(draw(st.integers(1, 500)))}}
    if draw(st.booleans()):
        d["namespace"]["limitRange"] = {"limits": [{"type": "Container",
                                                    "defaultRequest": {"cpu": draw(cpu)},
                                                    "max": {"memory": draw(mem)}}]}
    return scenario_from_dict(d)


def _emitted_files(folder: Path) -> list[Path]:
    """The emitted manifests without their kustomization.yaml (read raw, no kubectl)."""
    return sorted(f for f in folder.rglob("*.yaml") if f.name != "kustomization.yaml")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_round_trip_property(sc):
    """import(emit(s)) gives back every field of s that manifests carry."""
    with tempfile.TemporaryDirectory() as tmp:
        write_manifests(sc, Path(tmp) / "m")
        result = import_manifests(_emitted_files(Path(tmp) / "m"))
    _assert_round_trip(sc, result)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_round_trip_property_through_kubectl_kustomize(sc):
    """The same, importing the emitted folder as a kustomization (rendered by kubectl)."""
    tool("kubectl")
    with tempfile.TemporaryDirectory() as tmp:
        write_manifests(sc, Path(tmp) / "m")
        result = import_manifests([Path(tmp) / "m"])
    _assert_round_trip(sc, result)


def _assert_round_trip(sc, result):
    back = scenario_from_dict(result.scenario)
    got, want = carried(back), carried(sc)
    # The emitter derives a selector when the scenario has none (a Deployment needs one):
    # the imported scenario then states it explicitly; everything else is identical.
    if "selector" not in want["deployment"]:
        assert got["deployment"].pop("selector") == {"matchLabels": want["deployment"]["template"]["metadata"]["labels"]}
    if want["pdb"] is not None and "selector" not in want["pdb"]:
        got["pdb"].pop("selector")
    if want["hpa"] is not None and "scaleTargetRef" not in want["hpa"]:
        assert got["hpa"].pop("scaleTargetRef")["name"] == sc.workload.name
    assert got == want
    assert scenario_yaml(result).startswith("# Scenario imported")
