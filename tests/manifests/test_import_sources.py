"""``capacity import`` on manifests as teams keep them (issue 13).

Real manifests from public projects are in tests/data/import/ (SOURCES.md there gives
repository, commit and licence): a kustomize base with overlays (eks-workshop-v2,
podinfo), HPAs with Pods, Object and External metrics (kube-metrics-adapter), a PDB given
as a percentage (knative eventing), ``kubectl get -o yaml`` List output (popeye's
fixtures) and a VPA in Auto mode (kubernetes/autoscaler). Each bug of the issue has a test
named after it. Expected values are read off the files by hand.

Tests that need kubectl skip when it is missing, unless CAPACITY_REQUIRE_TOOLS=1.
"""

from __future__ import annotations

import copy
import json
import os
import re

import pytest
import yaml

from capacity.cli import main
from capacity.errors import ScenarioError
from capacity.k8s.hpa_replica_calculator import calculate_pod_requests_from_containers
from capacity.k8s.types import pod_from_manifest
from capacity.manifests import apivalidation
from capacity.manifests.importer import (
    DEFAULT_CPU_PER_REQUEST,
    ManifestErrors,
    import_all,
    import_manifests,
    notes_table,
    read_documents,
)
from capacity.scenario.loader import load_scenario, scenario_from_dict

from .conftest import ROOT, tool

DATA = ROOT / "tests" / "data" / "import"
EKS = DATA / "aws-samples__eks-workshop-v2" / "manifests"
EKS_HPA = EKS / "modules" / "autoscaling" / "workloads" / "hpa"
EKS_HA = EKS / "modules" / "observability" / "resiliency" / "high-availability" / "config"
UI_HA_PDB = DATA / "capacity__overlays" / "ui-ha-pdb"
PODINFO = DATA / "stefanprodan__podinfo" / "deploy"
KMA = DATA / "zalando-incubator__kube-metrics-adapter" / "example" / "deploy"
EVENTING = DATA / "knative__eventing" / "config" / "core" / "deployments"
POPEYE = DATA / "derailed__popeye" / "internal" / "lint" / "testdata"
POPEYE_LISTS = [POPEYE / "apps" / "dp" / "1.yaml", POPEYE / "autoscaling" / "hpa" / "1.yaml",
                POPEYE / "pol" / "pdb" / "1.yaml"]
HAMSTER = DATA / "kubernetes__autoscaler" / "vertical-pod-autoscaler" / "examples" / "hamster.yaml"


def _scenario(paths, **kw):
    r = import_manifests([str(p) for p in paths], **kw)
    return r, scenario_from_dict(r.scenario)


def _notes(r, subject_prefix: str):
    return [n for n in r.notes if n.subject.startswith(subject_prefix)]


def _run(capsys, *args: str) -> tuple[int, str, str]:
    """The CLI in-process: exit status, stdout, stderr."""
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture
def wide(monkeypatch):
    """A wide terminal: table rows are not wrapped, so a regex sees a row on one line."""
    monkeypatch.setenv("COLUMNS", "400")


# --- 1. namespaces defaulted as the API server does --------------------------------------


def test_bug_namespaces_raw_files_say_why_and_how(tmp_path, capsys, wide):
    """The eks-workshop ui Deployment names no namespace (its kustomization sets it); the
    HPA names ``ui``. Read raw, they no longer give a contradictory error: the HPA is noted
    with the fix, and ``--namespace ui`` (as ``kubectl apply -n ui``) matches them."""
    files = [EKS / "base-application" / "ui" / "deployment.yaml", EKS_HPA / "hpa.yaml"]
    r, sc = _scenario(files)
    assert sc.namespace.name == "default" and sc.autoscaling.horizontal is None
    (n,) = _notes(r, "HorizontalPodAutoscaler/ui")
    assert n.why == ("is in namespace ui, the Deployment in default (give --namespace ui if "
                     "the files are applied with -n ui)")
    r, sc = _scenario(files, namespace="ui")
    assert sc.namespace.name == "ui"
    h = sc.autoscaling.horizontal
    assert (h.minReplicas, h.maxReplicas, h.metrics[0].resource.target.averageUtilization) == (1, 4, 80)
    rc, _, _ = _run(capsys, "import", *map(str, files), "-n", "ui", "-o", str(tmp_path / "s.yaml"))
    assert rc == 0 and load_scenario(tmp_path / "s.yaml").autoscaling.horizontal.maxReplicas == 4


def test_namespace_default_matches_an_object_naming_default():
    """kube-metrics-adapter: the Deployment names no namespace, its HPA names ``default``."""
    _, sc = _scenario([KMA])
    assert sc.namespace.name == "default"
    assert sc.autoscaling.horizontal.scaleTargetRef.name == "custom-metrics-consumer"


def test_namespaces_on_both_sides_of_pdb_quota_and_limitrange(tmp_path):
    (tmp_path / "all.yaml").write_text("""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, resources: {requests: {cpu: 200m, memory: 64Mi}}}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: other-ns, namespace: prod}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: same-ns}
spec: {maxUnavailable: 25%, selector: {matchLabels: {app: web}}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q-prod, namespace: prod}
spec: {hard: {pods: "10"}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q}
spec: {hard: {pods: "20"}}
""")
    r, sc = _scenario([tmp_path / "all.yaml"])
    assert sc.disruption.podDisruptionBudget.maxUnavailable == "25%"
    assert sc.namespace.resourceQuota.hard == {"pods": "20"}
    assert {n.subject: n.why for n in _notes(r, "PodDisruptionBudget/")} == {
        "PodDisruptionBudget/other-ns": "is in namespace prod, the Deployment in default"}
    # applied with -n prod, the objects without a namespace are in prod too
    r, sc = _scenario([tmp_path / "all.yaml"], namespace="prod")
    assert sc.namespace.name == "prod" and sc.namespace.resourceQuota.hard == {"pods": "10"}
    assert sc.disruption.podDisruptionBudget.minAvailable == 1
    assert any(n.subject == "PodDisruptionBudget/same-ns" and "also selects" in n.why
               for n in r.notes)


# --- 2. kustomize and kubectl output -------------------------------------------------------


def test_bug_kustomize_overlay_patch_adds_limits_cpu():
    """eks-workshop hpa module: the base's namespace, the patch's limits.cpu, the v1 HPA."""
    tool("kubectl")
    r, sc = _scenario([EKS_HPA], deployment="ui")
    c = sc.workload.deployment.template.spec.containers[0]
    assert c.resources.requests == {"cpu": "250m", "memory": "1.5Gi"}
    assert c.resources.limits == {"cpu": "250m", "memory": "1.5Gi"}  # cpu from the patch
    assert sc.namespace.name == "ui"
    h = sc.autoscaling.horizontal
    assert (h.minReplicas, h.maxReplicas, h.metrics[0].resource.target.averageUtilization) == (1, 4, 80)
    # the origin of each object is the file kustomize read it from
    assert r.sources["workload.deployment"].startswith(
        "tests/data/import/aws-samples__eks-workshop-v2/manifests/base-application/ui/deployment.yaml:1 (kustomize ")
    assert r.sources["autoscaling.horizontal"].startswith(
        "tests/data/import/aws-samples__eks-workshop-v2/manifests/modules/autoscaling/workloads/hpa/hpa.yaml:1")
    # the rest of the application is listed, not lost
    subjects = {n.subject for n in r.notes}
    assert {"StatefulSet/catalog-mysql", "Deployment/carts", "Deployment/orders"} <= subjects
    assert any(s.startswith("Service/") for s in subjects)


def test_bug_kustomize_ha_patch_replicas_and_selector():
    tool("kubectl")
    _, sc = _scenario([EKS_HA])
    d = sc.workload.deployment
    assert d.replicas == 5
    assert d.selector.matchLabels["app"] == "ui"
    assert d.template.metadata.labels["app"] == "ui"
    assert [t.topologyKey for t in d.template.spec.topologySpreadConstraints] == \
        ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]


def test_bug_kustomize_common_labels_keep_the_pdb_selecting_the_pods(tmp_path):
    """Our overlay on the real HA overlay: commonLabels, a resources patch, a 60% PDB. Read
    raw, the PDB selects nothing and the patch is lost; rendered, both are there."""
    tool("kubectl")
    r, sc = _scenario([UI_HA_PDB])
    assert sc.disruption.podDisruptionBudget.minAvailable == "60%"
    assert sc.disruption.podDisruptionBudget.selector.matchLabels == {"app": "ui", "team": "storefront"}
    assert sc.workload.deployment.template.metadata.labels["team"] == "storefront"
    c = sc.workload.deployment.template.spec.containers[0]
    assert c.resources.requests == {"cpu": "500m", "memory": "1Gi"}
    assert c.resources.limits == {"cpu": "1", "memory": "1.5Gi"}
    assert sc.workload.deployment.replicas == 5
    assert r.sources["disruption.podDisruptionBudget"].startswith(
        "tests/data/import/capacity__overlays/ui-ha-pdb/pdb.yaml:1")
    # the same files read raw (what the old importer did) lose all of it
    raw = [EKS / "base-application" / "ui" / "deployment.yaml", UI_HA_PDB / "pdb.yaml"]
    _, sc_raw = _scenario(raw, namespace="ui")
    assert sc_raw.disruption.podDisruptionBudget is None
    assert sc_raw.workload.deployment.template.spec.containers[0].resources.requests["cpu"] == "250m"


def test_kustomization_file_given_with_its_folder_files(tmp_path):
    """`import dir/*.yaml` names the kustomization too: its render is used, the raw files
    inside it are noted, not read twice."""
    tool("kubectl")
    files = sorted(UI_HA_PDB.glob("*.yaml"))
    r, sc = _scenario(files)
    assert sc.disruption.podDisruptionBudget.minAvailable == "60%"
    inside = [n for n in r.notes if n.why.startswith("inside the kustomization")]
    assert sorted(n.subject.rsplit("/", 1)[-1] for n in inside) == ["pdb.yaml", "resources.yaml"]


def test_podinfo_production_overlay_all(tmp_path, capsys, wide):
    """podinfo: four bases, namespace and LabelTransformer; --all writes one per Deployment."""
    tool("kubectl")
    rc, _, err = _run(capsys, "import", str(PODINFO / "overlays" / "production"), "--all",
                      "-o", str(tmp_path / "out"))
    assert rc == 0, err
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["backend.yaml", "cache.yaml", "database-replica.yaml", "frontend.yaml"]
    fe = load_scenario(tmp_path / "out" / "frontend.yaml")
    assert fe.namespace.name == "production"
    assert (fe.autoscaling.horizontal.minReplicas, fe.autoscaling.horizontal.maxReplicas) == (2, 4)
    assert load_scenario(tmp_path / "out" / "cache.yaml").autoscaling.horizontal is None
    # one table on stderr; kinds not simulated are rows in it
    assert err.count("THE SCENARIO ASSUMES INSTEAD") == 1
    assert re.search(r"^StatefulSet/database-primary +a StatefulSet \(only Deployments are "
                     r"simulated\)", err, re.M)
    assert re.search(r"^CronJob/backup-daily ", err, re.M)
    assert re.search(r"^PersistentVolumeClaim/database-primary +not held by a scenario", err, re.M)
    # and the same notes stay as comments
    assert "# note: StatefulSet/database-primary" in (tmp_path / "out" / "frontend.yaml").read_text()


def test_folder_with_nested_kustomizations_is_refused():
    with pytest.raises(ScenarioError, match=r"folder holds kustomizations below its top .*import "
                       r"the one you apply \(kubectl apply -k FOLDER\)"):
        import_manifests([PODINFO])


def test_kubectl_missing_is_one_line_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CAPACITY_KUBECTL", str(tmp_path / "no-kubectl"))
    rc, out, err = _run(capsys, "import", str(UI_HA_PDB), "-o", str(tmp_path / "s.yaml"))
    assert rc == 2 and out == ""
    assert err == ("error: tests/data/import/capacity__overlays/ui-ha-pdb/kustomization.yaml: a "
                   "kustomization is rendered with `kubectl kustomize`, and kubectl is not "
                   "installed (scripts/ci-tools.sh installs it; or set CAPACITY_KUBECTL): "
                   "nothing was imported\n")
    assert not (tmp_path / "s.yaml").exists()


def test_kubectl_kustomize_failure_is_one_line(tmp_path, capsys):
    tool("kubectl")
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    rc, _, err = _run(capsys, "import", str(tmp_path))
    assert rc == 2 and err.count("\n") == 1, err
    assert err.startswith("error: ") and "kustomization.yaml: kubectl kustomize failed: " in err
    assert "missing.yaml" in err


def test_kubectl_get_list_output_read_whole():
    """popeye's fixtures, as `kubectl get -o yaml` prints them: Lists with status."""
    r, sc = _scenario(POPEYE_LISTS, deployment="dp1")
    assert sc.namespace.name == "default"
    assert sc.workload.deployment.template.spec.initContainers[0].name == "ic1"
    h = sc.autoscaling.horizontal
    assert (h.maxReplicas, h.metrics[0].resource.target.averageUtilization) == (10, 50)
    assert r.sources["autoscaling.horizontal"] == "tests/data/import/derailed__popeye/internal/lint/testdata/autoscaling/hpa/1.yaml:4"
    assert sc.disruption.podDisruptionBudget.minAvailable == 2
    assert r.sources["disruption.podDisruptionBudget"].endswith("pol/pdb/1.yaml:5")
    assert any(n.subject.startswith("status of ") for n in r.notes)


def test_kubectl_get_one_list_of_every_kind_and_its_json_form(tmp_path):
    """`kubectl get deploy,hpa,pdb -o yaml` prints ONE List: built from the real items."""
    items = [d.obj for f in POPEYE_LISTS for d in read_documents(f)]
    one = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}
    (tmp_path / "all.yaml").write_text(yaml.safe_dump(one, sort_keys=False))
    (tmp_path / "all.json").write_text(json.dumps(one, indent=2))
    want = _scenario(POPEYE_LISTS, deployment="dp1")[1]
    for f in ("all.yaml", "all.json"):
        _, sc = _scenario([tmp_path / f], deployment="dp1")
        assert sc.workload.deployment.to_k8s() == want.workload.deployment.to_k8s()
        assert sc.autoscaling.horizontal.to_k8s() == want.autoscaling.horizontal.to_k8s()
        assert sc.disruption.podDisruptionBudget.to_k8s() == want.disruption.podDisruptionBudget.to_k8s()
    # the API's own typed list (DeploymentList) has items without kind: they get it
    typed = {"apiVersion": "apps/v1", "kind": "DeploymentList",
             "items": [{k: v for k, v in items[0].items() if k not in ("apiVersion", "kind")}]}
    (tmp_path / "typed.json").write_text(json.dumps(typed))
    _, sc = _scenario([tmp_path / "typed.json"])
    assert sc.workload.name == "dp1"


# --- 3. validation as the API server would --------------------------------------------------

TWO_CONTAINERS = """\
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
        resources: {requests: {cpu: 200m, memory: 256Mi}, limits: {memory: 512Mi}}
      - name: cache
        resources: {requests: {cpu: 50m, memory: 2Gi}, limits: {memory: 1Gi}}
"""


def test_bug_memory_request_above_limit_is_rejected(tmp_path, capsys):
    (tmp_path / "d.yaml").write_text(TWO_CONTAINERS)
    rc, out, err = _run(capsys, "import", str(tmp_path / "d.yaml"), "-o", str(tmp_path / "s.yaml"))
    assert rc == 2 and out == "" and not (tmp_path / "s.yaml").exists()
    assert err.endswith("d.yaml:1: Deployment/web: spec.template.spec.containers[1].resources."
                        "requests.memory: must be less than or equal to memory limit of 1Gi, "
                        "got '2Gi'\n"), err
    assert err.count("\n") == 1


def test_bug_real_base_patched_request_above_limit_names_the_origin(tmp_path):
    """A patch on the real eks-workshop base raising the request above the base's limit."""
    tool("kubectl")
    rel = os.path.relpath(EKS / "base-application" / "ui", tmp_path)  # kustomize wants it relative
    (tmp_path / "kustomization.yaml").write_text(
        f"resources: [{rel}]\npatches:\n- path: bigger.yaml\n")
    (tmp_path / "bigger.yaml").write_text("""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: ui}
spec:
  template:
    spec:
      containers: [{name: ui, resources: {requests: {memory: 2Gi}}}]
""")
    with pytest.raises(ManifestErrors) as e:
        import_manifests([tmp_path])
    (err,) = e.value.errors
    assert err.path == "Deployment/ui: spec.template.spec.containers[0].resources.requests.memory"
    assert err.rule == "must be less than or equal to memory limit of 1.5Gi" and err.value == "2Gi"
    assert err.file.startswith("tests/data/import/aws-samples__eks-workshop-v2/manifests/base-application/ui/deployment.yaml:1 (kustomize ")


def test_bug_apps_v1_deployment_without_selector(tmp_path):
    (tmp_path / "d.yaml").write_text(TWO_CONTAINERS.replace(
        "  selector: {matchLabels: {app: web}}\n", "").replace("2Gi", "1Gi"))
    with pytest.raises(ManifestErrors) as e:
        import_manifests([tmp_path / "d.yaml"])
    assert [(x.path, x.rule) for x in e.value.errors] == [
        ("Deployment/web: spec.selector", "Required value (apps/v1 Deployments must name their "
         "pods' labels; use the template's labels)")]
    # and a selector that does not match the template's labels
    (tmp_path / "d.yaml").write_text(TWO_CONTAINERS.replace("{app: web}}\n  template",
                                                            "{app: api}}\n  template").replace("2Gi", "1Gi"))
    with pytest.raises(ManifestErrors, match=r"Deployment/web: spec\.template\.metadata\.labels: "
                       r"`selector` does not match template `labels`, got \{'app': 'web'\}"):
        import_manifests([tmp_path / "d.yaml"])


HPA = """\
---
apiVersion: {api}
kind: HorizontalPodAutoscaler
metadata: {{name: web, namespace: shop}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 60}}}}
"""
PDB = """\
---
apiVersion: {api}
kind: PodDisruptionBudget
metadata: {{name: web, namespace: shop}}
spec: {{minAvailable: 50%, selector: {{matchLabels: {{app: web}}}}}}
"""
GOOD = TWO_CONTAINERS.replace("2Gi", "1Gi")


@pytest.mark.parametrize(("text", "version", "error"), [
    (GOOD + HPA.format(api="autoscaling/v2beta2"), "1.26",
     "HorizontalPodAutoscaler/web: apiVersion: autoscaling/v2beta2 HorizontalPodAutoscaler is not "
     "served since Kubernetes 1.26 (the scenario is 1.26): use autoscaling/v2, got 'autoscaling/v2beta2'"),
    (GOOD + HPA.format(api="autoscaling/v2beta2"), "1.25", None),
    (GOOD + PDB.format(api="policy/v1beta1"), "1.25",
     "PodDisruptionBudget/web: apiVersion: policy/v1beta1 PodDisruptionBudget is not served since "
     "Kubernetes 1.25 (the scenario is 1.25): use policy/v1, got 'policy/v1beta1'"),
    (GOOD + PDB.format(api="policy/v1beta1"), "1.24", None),
    (GOOD.replace("apps/v1", "apps/v1beta1"), "1.23",
     "Deployment/web: apiVersion: apps/v1beta1 Deployment is not served since Kubernetes 1.16 "
     "(the scenario is 1.23): use apps/v1, got 'apps/v1beta1'"),
    (GOOD.replace("apps/v1", "extensions/v1beta1"), "1.33",
     "Deployment/web: apiVersion: extensions/v1beta1 Deployment is not served since Kubernetes "
     "1.16 (the scenario is 1.33): use apps/v1, got 'extensions/v1beta1'"),
])
def test_bug_removed_api_versions(tmp_path, text, version, error):
    (tmp_path / "all.yaml").write_text(text)
    if error is None:
        _, sc = _scenario([tmp_path / "all.yaml"], kubernetes_version=version)
        assert sc.autoscaling.horizontal is not None or sc.disruption.podDisruptionBudget is not None
        return
    with pytest.raises(ManifestErrors) as e:
        import_manifests([tmp_path / "all.yaml"], kubernetes_version=version)
    assert [str(x).split(": ", 1)[1] for x in e.value.errors] == [error]


def test_removal_versions_match_the_deprecation_guide():
    """kubernetes.io/docs/reference/using-api/deprecation-guide/ (checked 2026 snapshot)."""
    assert apivalidation.REMOVED_APIS == {
        ("extensions/v1beta1", "Deployment"): (16, "apps/v1"),
        ("apps/v1beta1", "Deployment"): (16, "apps/v1"),
        ("apps/v1beta2", "Deployment"): (16, "apps/v1"),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): (25, "autoscaling/v2"),
        ("policy/v1beta1", "PodDisruptionBudget"): (25, "policy/v1"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): (26, "autoscaling/v2"),
    }


def test_every_problem_of_every_imported_object_at_once(tmp_path, capsys):
    (tmp_path / "all.yaml").write_text(TWO_CONTAINERS.replace("cpu: 50m", "cpu: lots") + """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 5
  maxReplicas: 2
  behavior: {scaleDown: {policies: [{type: Pods, value: 1, periodSeconds: 3600}]}}
""")
    rc, _, err = _run(capsys, "import", str(tmp_path / "all.yaml"))
    assert rc == 2
    lines = [ln.split(": ", 2)[2] for ln in err.splitlines()]
    assert lines == [
        "Deployment/web: spec.template.spec.containers[1].resources.requests.cpu: quantities must "
        "match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', got 'lots'",
        "HorizontalPodAutoscaler/web: spec.maxReplicas: must be greater than or equal to "
        "`minReplicas` (5), got 2",
        "HorizontalPodAutoscaler/web: spec.behavior.scaleDown.policies[0].periodSeconds: must be "
        "greater than zero and less than or equal to 1800, got 3600",
    ], err


def test_strict_schema_unknown_field_in_an_hpa(tmp_path):
    (tmp_path / "all.yaml").write_text(GOOD + HPA.format(api="autoscaling/v2").replace(
        "  minReplicas: 2\n", "  minReplicas: 2\n  minReplica: 3\n"))
    with pytest.raises(ManifestErrors, match=r"all\.yaml:15: HorizontalPodAutoscaler/web: "
                       r"spec\.minReplica: unknown field$"):
        import_manifests([tmp_path / "all.yaml"])


# --- 4. robust selection --------------------------------------------------------------------


def test_bug_one_broken_object_does_not_block_an_unrelated_deployment(capsys, wide):
    """popeye: dp3 is broken (no selector, no containers), hpa2 targets a missing
    Deployment, hpa3/hpa4 a ReplicaSet and a StatefulSet: dp1 imports, all are listed."""
    rc, out, err = _run(capsys, "import", *map(str, POPEYE_LISTS), "--deployment", "dp1")
    assert rc == 0, err
    assert scenario_from_dict(yaml.safe_load(out)).workload.name == "dp1"
    assert re.search(r"^Deployment/dp3 +another Deployment", err, re.M)
    assert re.search(r"^HorizontalPodAutoscaler/hpa2 +targets Deployment/dp-toast, which is not "
                     r"among the manifests +ignored$", err, re.M)
    assert re.search(r"^HorizontalPodAutoscaler/hpa3 +targets ReplicaSet/rs-toast \(only "
                     r"Deployments are simulated\)", err, re.M)
    assert re.search(r"^HorizontalPodAutoscaler/hpa4 +targets StatefulSet/sts-toast", err, re.M)
    assert re.search(r"^PodDisruptionBudget/pdb2 +its selector does not select dp1's pods", err, re.M)


def test_all_reports_every_invalid_deployment_and_writes_nothing(tmp_path, capsys):
    rc, _, err = _run(capsys, "import", *map(str, POPEYE_LISTS), "--all", "-o", str(tmp_path / "o"))
    assert rc == 2 and not (tmp_path / "o").exists()
    assert [ln.split(": ", 2)[2] for ln in err.splitlines()] == [
        "Deployment/dp2: spec.template.metadata.labels: `selector` does not match template "
        "`labels`, got {}",
        "Deployment/dp3: spec.template.spec.containers: None is not of type 'array'",
        "Deployment/dp3: spec.selector: Required value (apps/v1 Deployments must name their "
        "pods' labels; use the template's labels)",
    ]


def test_hpa_on_a_custom_resource_is_noted(tmp_path):
    (tmp_path / "all.yaml").write_text(GOOD + """\
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web-canary, namespace: shop}
spec: {replicas: 2}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: canary, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: web-canary}
  maxReplicas: 5
""")
    r, sc = _scenario([tmp_path / "all.yaml"])
    assert sc.workload.name == "web" and sc.autoscaling.horizontal is None
    assert {n.subject: n.why for n in r.notes if "canary" in n.subject} == {
        "Rollout/web-canary": "a Rollout (only Deployments are simulated)",
        "HorizontalPodAutoscaler/canary": "targets Rollout/web-canary, a custom resource or a "
                                          "kind not simulated"}


def test_all_names_files_by_deployment_and_namespace(tmp_path):
    two = GOOD + "---\n" + GOOD.replace("namespace: shop", "namespace: staging") + \
        "---\n" + GOOD.replace("name: web,", "name: api,")
    (tmp_path / "all.yaml").write_text(two)
    results, skipped = import_all([tmp_path / "all.yaml"])
    assert [r.scenario["name"] for r in results] == \
        ["shop-web-imported", "staging-web-imported", "api-imported"]
    assert skipped == []
    from capacity.manifests.importer import scenario_file_names

    assert scenario_file_names(results) == ["shop-web.yaml", "staging-web.yaml", "api.yaml"]
    with pytest.raises(ScenarioError, match="is in several namespaces"):
        import_manifests([tmp_path / "all.yaml"], deployment="web")
    _, sc = _scenario([tmp_path / "all.yaml"], deployment="staging/web")
    assert sc.namespace.name == "staging"


def test_all_skips_a_deployment_without_requests_with_a_note(tmp_path, capsys, wide):
    no_req = GOOD.replace("name: web,", "name: batch,").replace(
        "        resources: {requests: {cpu: 200m, memory: 256Mi}, limits: {memory: 512Mi}}\n", "").replace(
        "        resources: {requests: {cpu: 50m, memory: 1Gi}, limits: {memory: 1Gi}}\n", "")
    (tmp_path / "all.yaml").write_text(GOOD + "---\n" + no_req)
    rc, _, err = _run(capsys, "import", str(tmp_path / "all.yaml"), "--all", "-o", str(tmp_path / "o"))
    assert rc == 0, err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["web.yaml"]
    assert re.search(r"^Deployment/batch +no CPU request .* +no scenario written for it$", err, re.M)


def test_all_needs_an_output_folder(capsys):
    rc, _, err = _run(capsys, "import", str(KMA), "--all")
    assert rc == 2 and err == "error: --all writes one scenario per Deployment: give the folder with -o DIR\n"


def test_hpa_metrics_the_model_does_not_produce_are_noted(capsys, wide, tmp_path):
    """kube-metrics-adapter's HPA: a Pods, an Object (Ingress) and an External metric."""
    rc, _, err = _run(capsys, "import", str(KMA), "-o", str(tmp_path / "s.yaml"))
    assert rc == 0, err
    rows = [ln for ln in err.splitlines() if ln.startswith("HorizontalPodAutoscaler/")]
    assert len(rows) == 3
    assert re.match(r"HorizontalPodAutoscaler/custom-metrics-consumer spec\.metrics\[0\] +Pods "
                    r"metric queue-length: not a per-pod metric the serving model produces", rows[0])
    assert re.match(r".*spec\.metrics\[1\] +Object metric requests-per-second on "
                    r"Ingress/custom-metrics-consumer", rows[1])
    assert re.match(r".*spec\.metrics\[2\] +External metric app-queue-length: needs a series: "
                    r"add it under load\.externalMetrics +kept; until it has a source the "
                    r"simulated HPA finds it unavailable: with no metric it can read, it does "
                    r"not scale$", rows[2])
    # the metrics are kept in the scenario (never lost), the notes are its comments too
    sc = load_scenario(tmp_path / "s.yaml")
    assert [m.type for m in sc.autoscaling.horizontal.metrics] == ["Pods", "Object", "External"]
    text = (tmp_path / "s.yaml").read_text()
    assert "External metric app-queue-length: needs a series: add it under load.externalMetrics" in text


def test_metrics_the_model_produces_are_not_noted(tmp_path):
    (tmp_path / "all.yaml").write_text(GOOD + """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 6
  metrics:
  - type: Pods
    pods: {metric: {name: http_requests_per_second}, target: {type: AverageValue, averageValue: "50"}}
  - type: Object
    object:
      describedObject: {apiVersion: v1, kind: Service, name: web}
      metric: {name: http_request_duration_seconds_p99}
      target: {type: Value, value: 300m}
  - type: Resource
    resource: {name: nvidia.com/gpu, target: {type: Utilization, averageUtilization: 70}}
""")
    r, _ = _scenario([tmp_path / "all.yaml"])
    assert [(n.subject, n.instead) for n in r.notes if "spec.metrics" in n.subject] == [
        ("HorizontalPodAutoscaler/web spec.metrics[2]",
         "kept; until it has a source the simulated HPA finds it unavailable: it scales on the "
         "other metrics and does not scale down, as upstream does with a failing metric")]


def test_bug_vpa_in_auto_mode_is_noted():
    r, sc = _scenario([HAMSTER])
    assert sc.autoscaling.vertical.resourcePolicy.containerPolicies[0].containerName == "*"
    (n,) = _notes(r, "VerticalPodAutoscaler/")
    assert n.why == "updateMode Auto: the VPA would change the pods' requests"
    assert n.instead == ("imported, but its recommendation is computed (summary.vpa), not "
                         "applied: pods keep the template's requests")


def test_pdb_given_as_a_percentage_knative_eventing():
    r, sc = _scenario([EVENTING])
    assert sc.workload.name == "eventing-webhook" and sc.namespace.name == "knative-eventing"
    assert sc.disruption.podDisruptionBudget.minAvailable == "80%"
    assert sc.autoscaling.horizontal.maxReplicas == 5
    assert sc.workload.deployment.template.spec.terminationGracePeriodSeconds == 300
    # the dropped labels of the three objects are said in one row, not lost silently
    (n,) = [n for n in r.notes if "own metadata" in n.why]
    assert n.subject == ("Deployment/eventing-webhook metadata.labels; HorizontalPodAutoscaler/"
                         "eventing-webhook metadata.labels; PodDisruptionBudget/eventing-webhook "
                         "metadata.labels")


def test_notes_are_one_table_and_the_scenario_comments(tmp_path, capsys, wide):
    rc, _, err = _run(capsys, "import", str(HAMSTER), "-o", str(tmp_path / "s.yaml"))
    assert rc == 0
    head = err.splitlines()[1]
    assert re.fullmatch(r"OBJECT +WHY +THE SCENARIO ASSUMES INSTEAD", head)
    text = (tmp_path / "s.yaml").read_text()
    assert "# note: VerticalPodAutoscaler/hamster-vpa (tests/data/import/kubernetes__autoscaler/" \
           "vertical-pod-autoscaler/examples/hamster.yaml:8): updateMode Auto" in text


def test_notes_table_wraps_to_the_width():
    r, _ = _scenario([KMA])
    table = notes_table(r.notes, width=100)
    assert all(len(ln) <= 100 for ln in table.splitlines())
    assert table.splitlines()[0].startswith("OBJECT")


# --- 5. multi-container pods ----------------------------------------------------------------

SIDECAR = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      initContainers:
      - name: migrate
        resources: {requests: {cpu: "2", memory: 64Mi}}
      - name: proxy
        restartPolicy: Always
        resources: {requests: {cpu: 100m, memory: 64Mi}}
      containers:
      - name: app
        resources: {requests: {cpu: 250m, memory: 256Mi}}
      - name: log-shipper
        resources: {limits: {cpu: 50m, memory: 32Mi}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 9
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
"""


def test_bug_multi_container_load_uses_the_whole_pod_request(tmp_path):
    """app 250m + log-shipper 50m (request defaulted from its limit) + sidecar proxy 100m
    = 400m, as the HPA counts it; the plain init container (2 CPUs) is not counted."""
    (tmp_path / "api.yaml").write_text(SIDECAR)
    r, sc = _scenario([tmp_path / "api.yaml"])
    doc = yaml.safe_load_all(SIDECAR).__next__()
    pod = {"metadata": {"name": "p"}, "spec": copy.deepcopy(doc["spec"]["template"]["spec"])}
    pod["spec"]["containers"][1]["resources"]["requests"] = {"cpu": "50m"}  # API defaulting
    assert calculate_pod_requests_from_containers(pod_from_manifest(pod), "", "cpu") == 400
    # 3 replicas x 0.4 cores x 60% / 2 / 10 ms per request
    want = round(3 * 0.4 * 60 / 200 / DEFAULT_CPU_PER_REQUEST, 3)
    assert sc.load.constant == pytest.approx(want) == pytest.approx(36.0)
    assert r.assumptions["load"].startswith(
        "constant 36 requests per second: 3 replica(s) x 400m CPU per pod (2 containers + 1 "
        "sidecar, as the HPA counts it) at half the 60% target")


def test_container_resource_metric_counts_its_container_only(tmp_path):
    text = SIDECAR.replace("""  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}""", """  - type: ContainerResource
    containerResource: {name: cpu, container: app, target: {type: Utilization, averageUtilization: 80}}""")
    (tmp_path / "api.yaml").write_text(text)
    r, sc = _scenario([tmp_path / "api.yaml"])
    assert sc.load.constant == pytest.approx(round(3 * 0.25 * 80 / 200 / DEFAULT_CPU_PER_REQUEST, 3))
    assert "250m CPU per pod (container app, as the HPA counts it)" in r.assumptions["load"]


# --- never a traceback, never a lost field -------------------------------------------------


@pytest.mark.parametrize("path", [EKS_HPA, EKS_HA, UI_HA_PDB, PODINFO / "overlays" / "production",
                                  KMA, EVENTING, HAMSTER, *POPEYE_LISTS], ids=lambda p: p.name)
def test_real_manifests_never_give_a_traceback(path, capsys, tmp_path):
    if "kustomization.yaml" in {p.name for p in (path.iterdir() if path.is_dir() else [])}:
        tool("kubectl")
    for args in ([str(path)], [str(path), "--all", "-o", str(tmp_path / path.name)]):
        rc = main(["import", *args])
        err = capsys.readouterr().err
        assert rc in (0, 2) and "Traceback" not in err
        if rc == 2:
            assert all(ln.startswith("error: ") for ln in err.splitlines()), err


def test_every_spec_field_of_the_imported_objects_is_kept():
    """Nothing of the Deployment, HPA or PDB specs is dropped on the way to the scenario."""
    docs = {d.kind: d.obj for d in read_documents(EVENTING / "webhook.yaml") +
            read_documents(EVENTING / "webhook-hpa.yaml")}
    _, sc = _scenario([EVENTING])
    dep = sc.workload.deployment.to_k8s()
    want = copy.deepcopy(docs["Deployment"]["spec"])
    want["template"]["metadata"] = {"labels": want["template"]["metadata"]["labels"]}
    assert dep == want
    assert sc.autoscaling.horizontal.to_k8s() == docs["HorizontalPodAutoscaler"]["spec"]
    assert sc.disruption.podDisruptionBudget.to_k8s() == docs["PodDisruptionBudget"]["spec"]
