"""``capacity import`` on bad input (issue 16): one line per problem, exit 2, nothing written.

Each defect found by fuzzing has a test: label selectors of the wrong shape (a string for
``values``, a list for a ``key``), labels that are not strings, control characters in
``apiVersion``, ``kind`` and names, several problems at once, and an ``-o`` that cannot
be written. What is valid follows apimachinery's ``ValidateLabelSelector`` and
``ValidateLabels`` (``k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go``).
"""

from __future__ import annotations

import pytest
import yaml

from capacity import load_scenario
from capacity.cli import main
from capacity.manifests import apivalidation

DEPLOYMENT = """\
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
"""
PDB = """\
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 1
  selector:
    matchExpressions:
    - {key: app, operator: In, values: [web]}
"""
HPA = """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: External
    external:
      metric:
        name: queue_depth
        selector: {matchExpressions: [{key: queue, operator: In, values: [orders]}]}
      target: {type: AverageValue, averageValue: "30"}
"""


def _import(tmp_path, capsys, text: str, *extra: str) -> tuple[int, str, str]:
    (tmp_path / "m.yaml").write_text(text)
    rc = main(["import", str(tmp_path / "m.yaml"), "-o", str(tmp_path / "s.yaml"), *extra])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _refused(tmp_path, capsys, text: str, *extra: str) -> list[str]:
    """The error lines; asserts exit 2, nothing written and nothing else on stderr."""
    rc, out, err = _import(tmp_path, capsys, text, *extra)
    assert rc == 2, err
    assert out == "" and not (tmp_path / "s.yaml").exists()
    lines = err.splitlines()
    assert lines and all(ln.startswith("error: ") for ln in lines), err
    assert "Traceback" not in err and "Not imported" not in err
    return [ln.split(": ", 2)[2] for ln in lines]


def test_the_valid_inputs_import(tmp_path, capsys):
    rc, _, err = _import(tmp_path, capsys, DEPLOYMENT + PDB + HPA)
    assert rc == 0, err
    sc = load_scenario(tmp_path / "s.yaml")
    assert sc.disruption.podDisruptionBudget.selector.matchExpressions[0].values == ["web"]


# --- 1. values given as a string --------------------------------------------------------


def test_pdb_selector_values_as_a_string(tmp_path, capsys):
    """``values: web`` is not a list: the API server refuses the PDB (it does not select
    the pods by the characters w, e, b, nor is it quietly ignored)."""
    assert _refused(tmp_path, capsys, DEPLOYMENT + PDB.replace("[web]", "web")) == [
        "PodDisruptionBudget/web: spec.selector.matchExpressions[0].values: must be a list of "
        "strings, got 'web'"]


def test_deployment_selector_values_as_a_string(tmp_path, capsys):
    text = DEPLOYMENT.replace("{matchLabels: {app: web}}",
                              "{matchExpressions: [{key: app, operator: In, values: web}]}")
    assert _refused(tmp_path, capsys, text) == [
        "Deployment/web: spec.selector.matchExpressions[0].values: must be a list of strings, "
        "got 'web'"]


def test_hpa_metric_selector_values_as_a_string(tmp_path, capsys):
    text = DEPLOYMENT + HPA.replace("values: [orders]", "values: orders")
    assert _refused(tmp_path, capsys, text) == [
        "HorizontalPodAutoscaler/web: spec.metrics[0].external.metric.selector."
        "matchExpressions[0].values: must be a list of strings, got 'orders'"]


# --- 2. lists and mappings where a string is expected ----------------------------------


@pytest.mark.parametrize(("text", "error"), [
    (DEPLOYMENT + PDB.replace("key: app", "key: [app]"),
     "PodDisruptionBudget/web: spec.selector.matchExpressions[0].key: must be a string (a "
     "label key), got ['app']"),
    (DEPLOYMENT + PDB.replace("key: app", "key: {a: 1}"),
     "PodDisruptionBudget/web: spec.selector.matchExpressions[0].key: must be a string (a "
     "label key), got {'a': 1}"),
    (DEPLOYMENT.replace("matchLabels: {app: web}}", "matchLabels: {app: [web]}}"),
     "Deployment/web: spec.selector.matchLabels.app: must be a string (a label value), got "
     "['web']"),
    (DEPLOYMENT.replace("labels: {app: web}}", "labels: {app: {a: 1}}}"),
     "Deployment/web: spec.template.metadata.labels.app: must be a string (a label value), "
     "got {'a': 1}"),
    (DEPLOYMENT.replace("{name: web, namespace: shop}", "{name: web, namespace: shop, "
                                                         "labels: {team: [a]}}"),
     "Deployment/web: metadata.labels.team: must be a string (a label value), got ['a']"),
], ids=["key-list", "key-mapping", "matchLabels-value-list", "template-label-mapping",
        "object-label-list"])
def test_unhashable_keys_and_values_are_one_line(tmp_path, capsys, text, error):
    assert _refused(tmp_path, capsys, text) == [error]


@pytest.mark.parametrize(("expr", "error"), [
    ("{key: app, operator: In}", "values: Required value: must be specified when `operator` "
                                 "is 'In' or 'NotIn'"),
    ("{key: app, operator: Exists, values: [web]}", "values: Forbidden: may not be specified "
                                                    "when `operator` is 'Exists' or "
                                                    "'DoesNotExist'"),
    ("{key: app, operator: Has, values: [web]}", 'operator: Unsupported value: must be one of '
                                                 '"In", "NotIn", "Exists", "DoesNotExist", '
                                                 "got 'Has'"),
    ("{key: -app, operator: Exists}", "key: name part must consist of alphanumeric "
                                      "characters, '-', '_' or '.', and must start and end "
                                      "with an alphanumeric character, got '-app'"),
    ("{key: Example.com/app, operator: Exists}", "key: prefix part a lowercase RFC 1123 "
                                                 "subdomain must consist of lower case "
                                                 "alphanumeric characters, '-' or '.', and "
                                                 "must start and end with an alphanumeric "
                                                 "character, got 'Example.com/app'"),
    ("{key: app, operator: In, values: [web!]}", "values[0]: a valid label must be an empty "
                                                 "string or consist of alphanumeric "
                                                 "characters, '-', '_' or '.', and must start "
                                                 "and end with an alphanumeric character, "
                                                 "got 'web!'"),
])
def test_label_selector_requirement_rules(tmp_path, capsys, expr, error):
    text = DEPLOYMENT + PDB.replace("{key: app, operator: In, values: [web]}", expr)
    assert _refused(tmp_path, capsys, text) == [
        f"PodDisruptionBudget/web: spec.selector.matchExpressions[0].{error}"]


def test_valid_selector_operators_and_keys():
    ok = {"matchLabels": {"app.kubernetes.io/name": "web", "tier": ""},
          "matchExpressions": [{"key": "example.com/track", "operator": "NotIn",
                                "values": ["canary"]},
                               {"key": "app", "operator": "Exists"},
                               {"key": "gone", "operator": "DoesNotExist", "values": []}]}
    assert apivalidation.label_selector_problems(ok, "spec.selector") == []
    assert apivalidation.qualified_name_error("a" * 63) is None
    assert apivalidation.qualified_name_error("a" * 64) == \
        "name part must be no more than 63 characters"
    assert apivalidation.label_value_error("a" * 64) == "must be no more than 63 characters"


def test_a_broken_pdb_of_another_namespace_is_noted_not_fatal(tmp_path, capsys):
    text = DEPLOYMENT + PDB.replace("[web]", "web").replace("namespace: shop}",
                                                            "namespace: other}", 1)
    text = text.replace("kind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop}",
                        "kind: PodDisruptionBudget\nmetadata: {name: web, namespace: other}")
    rc, _, err = _import(tmp_path, capsys, text)
    assert rc == 0, err
    assert "PodDisruptionBudget/web" in err and "is in namespace other" in err


# --- 3. control characters --------------------------------------------------------------


@pytest.mark.parametrize(("api", "shown"), [("apps/v1\\0", "'apps/v1\\x00'"),
                                            ("apps/v1\\e[31m", "'apps/v1\\x1b[31m'"),
                                            ("apps/v2", "'apps/v2'")])
def test_apiversion_with_control_characters(tmp_path, capsys, api, shown):
    text = DEPLOYMENT.replace("apiVersion: apps/v1", f'apiVersion: "{api}"')
    assert _refused(tmp_path, capsys, text) == [
        "Deployment/web: apiVersion: no matches for kind Deployment in this version (the API "
        f"server serves apps/v1, apps/v1beta2, apps/v1beta1, extensions/v1beta1), got {shown}"]


def test_hpa_apiversion_with_a_nul(tmp_path, capsys):
    text = DEPLOYMENT + HPA.replace("apiVersion: autoscaling/v2", 'apiVersion: "autoscaling/v2\\0"')
    (line,) = _refused(tmp_path, capsys, text)
    assert line.startswith("HorizontalPodAutoscaler/web: apiVersion: no matches for kind "
                           "HorizontalPodAutoscaler in this version")


def test_kind_with_control_characters_is_noted_on_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    text = DEPLOYMENT + '---\napiVersion: v1\nkind: "Con\\0fig\\nMap"\nmetadata: {name: "a\\e[2Jb"}\n'
    rc, _, err = _import(tmp_path, capsys, text)
    assert rc == 0, err
    assert "\x00" not in err and "\x1b" not in err
    assert "Con\\x00fig\\nMap/a\\x1b[2Jb" in err
    scenario = (tmp_path / "s.yaml").read_text()
    assert "\x00" not in scenario and "\x1b" not in scenario
    head = scenario.split("\n\n", 1)[0].splitlines()
    assert len(head) == 5 and all(ln.startswith("#") for ln in head), head
    load_scenario(tmp_path / "s.yaml")


@pytest.mark.parametrize(("meta", "error"), [
    ('{name: "we\\0b", namespace: shop}', "metadata.name: a lowercase RFC 1123 subdomain must "
     "consist of lower case alphanumeric characters, '-' or '.', and must start and end with "
     "an alphanumeric character (at most 253 characters), got 'we\\x00b'"),
    ("{name: ../../x, namespace: shop}", "metadata.name: a lowercase RFC 1123 subdomain must "
     "consist of lower case alphanumeric characters, '-' or '.', and must start and end with "
     "an alphanumeric character (at most 253 characters), got '../../x'"),
    ("{name: web, namespace: Shop_1}", "metadata.namespace: a lowercase RFC 1123 label must "
     "consist of lower case alphanumeric characters or '-', and must start and end with an "
     "alphanumeric character (at most 63 characters), got 'Shop_1'"),
])
def test_names_the_api_server_refuses(tmp_path, capsys, meta, error):
    (line,) = _refused(tmp_path, capsys, DEPLOYMENT.replace("{name: web, namespace: shop}", meta))
    assert line.split(": ", 1)[1] == error


def test_all_with_a_bad_name_writes_no_file_outside(tmp_path, capsys):
    (tmp_path / "m.yaml").write_text(DEPLOYMENT.replace("name: web,", "name: ../evil,"))
    rc = main(["import", str(tmp_path / "m.yaml"), "--all", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "metadata.name" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.yaml"]


# --- 4. every problem at once: one line each, exit 2 ---------------------------------------


def test_every_problem_is_one_line_and_exit_2(tmp_path, capsys):
    """Two schema errors of one object (kubernetes-validate alone stops at the first), a
    rule of the same object and a broken PDB: four problems, four lines, nothing else."""
    text = (DEPLOYMENT.replace("  selector:", "  replica: 3\n  selector:")
            .replace("      - name: app\n", "      - name: app\n        imagee: x\n")
            .replace("memory: 256Mi}", "memory: lots}")
            + PDB.replace("[web]", "web"))
    assert _refused(tmp_path, capsys, text) == [
        "Deployment/web: spec.template.spec.containers[0].imagee: unknown field",
        "Deployment/web: spec.replica: unknown field",
        "Deployment/web: spec.template.spec.containers[0].resources.requests.memory: "
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', got 'lots'",
        "PodDisruptionBudget/web: spec.selector.matchExpressions[0].values: must be a list of "
        "strings, got 'web'",
    ]


def test_all_reports_a_shared_problem_once(tmp_path, capsys):
    two = DEPLOYMENT + "---\n" + DEPLOYMENT.replace("name: web", "name: api").replace(
        "app: web", "app: api")
    (tmp_path / "m.yaml").write_text(two + PDB.replace("[web]", "web"))
    rc = main(["import", str(tmp_path / "m.yaml"), "--all", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "out").exists()
    assert [ln.split(": ", 2)[2] for ln in err.splitlines()] == [
        "PodDisruptionBudget/web: spec.selector.matchExpressions[0].values: must be a list of "
        "strings, got 'web'"]


# --- 5. the output target is checked first -------------------------------------------------


def test_out_naming_a_directory_is_one_line_before_any_table(tmp_path, capsys):
    (tmp_path / "s.yaml").mkdir()
    rc, out, err = _import(tmp_path, capsys, DEPLOYMENT + PDB)
    assert rc == 2 and out == ""
    assert err == f"error: {tmp_path / 's.yaml'}: is a directory; give the name of a file to write\n"


def test_all_out_naming_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "m.yaml").write_text(DEPLOYMENT)
    (tmp_path / "out").write_text("keep")
    rc = main(["import", str(tmp_path / "m.yaml"), "--all", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and err == f"error: {tmp_path / 'out'}: exists and is not a directory\n"
    assert (tmp_path / "out").read_text() == "keep"


def test_out_checked_before_the_manifests_are_read(tmp_path, capsys):
    (tmp_path / "s.yaml").mkdir()
    rc = main(["import", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "s.yaml")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "is a directory" in err


def test_the_written_scenario_round_trips(tmp_path, capsys):
    rc, _, err = _import(tmp_path, capsys, DEPLOYMENT + PDB + HPA)
    assert rc == 0, err
    data = yaml.safe_load((tmp_path / "s.yaml").read_text())
    assert data["autoscaling"]["horizontal"]["metrics"][0]["external"]["metric"]["selector"] == {
        "matchExpressions": [{"key": "queue", "operator": "In", "values": ["orders"]}]}


# --- files and YAML that are no manifests --------------------------------------------------


@pytest.mark.parametrize(("content", "error"), [
    (DEPLOYMENT + "  x: " + "[" * 3000 + "]" * 3000 + "\n", "m.yaml:12: YAML nested more than "
                                                            "128 levels deep"),
    (DEPLOYMENT.replace("spec:\n", "spec:\n  replicas: 2\n  replicas: 3\n", 1),
     "m.yaml:6: spec.replicas: duplicate key 'replicas' (lines 5 and 6): YAML would keep the "
     "second silently"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)),
     "m.yaml: YAML has more than 1000000 values once its aliases are expanded"),
    (DEPLOYMENT.replace("name: web,", "name: web, x: " + "9" * 5000 + ","),
     "m.yaml:3: YAML syntax error: integer with too many digits"),
    ("\ufeff" + DEPLOYMENT, None),
], ids=["deep", "duplicate-key", "billion-laughs", "huge-integer", "bom"])
def test_yaml_limits(tmp_path, capsys, content, error):
    rc, _, err = _import(tmp_path, capsys, content)
    if error is None:
        assert rc == 0, err
        return
    assert rc == 2 and err.count("\n") == 1 and err.rstrip("\n").endswith(error), err
    assert not (tmp_path / "s.yaml").exists()


@pytest.mark.parametrize(("raw", "error"), [
    (DEPLOYMENT.encode("utf-16"), "is UTF-16 text; save the manifest file as UTF-8"),
    (b"\x7fELF\x02\x01\x01\x00\x00", "is a binary file, not a manifest file"),
    (b"kind: \xe9t\xe9\n", "is not UTF-8 text (byte 0xe9 at offset 6); save the manifest file "
                           "as UTF-8"),
])
def test_files_that_are_not_utf8_text(tmp_path, capsys, raw, error):
    (tmp_path / "m.yaml").write_bytes(raw)
    rc = main(["import", str(tmp_path / "m.yaml")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and error in err, err


@pytest.mark.parametrize(("old", "new", "error"), [
    ("minAvailable: 1", 'minAvailable: "\\t"', "PodDisruptionBudget/web: spec.minAvailable: a "
     "valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  "
     "or '93%'), got '\\t'"),
    ("minAvailable: 1", "minAvailable: 120%", "PodDisruptionBudget/web: spec.minAvailable: "
     "must not be greater than 100%, got '120%'"),
    ("minAvailable: 1", "maxUnavailable: -1", "PodDisruptionBudget/web: spec.maxUnavailable: "
     "must be greater than or equal to 0, got -1"),
])
def test_int_or_percent_as_the_api_server_checks_it(tmp_path, capsys, old, new, error):
    assert _refused(tmp_path, capsys, DEPLOYMENT + PDB.replace(old, new)) == [error]


def test_max_surge_may_exceed_100_percent(tmp_path, capsys):
    text = DEPLOYMENT.replace("  selector:", "  strategy: {rollingUpdate: {maxSurge: 200%}}\n"
                                            "  selector:")
    rc, _, err = _import(tmp_path, capsys, text)
    assert rc == 0, err
