"""Every ``controllers`` setting is honoured or refused (issue 11, item 11).

The test walks the ``controllers`` schema (capacity/scenario/model.py ``Controllers``),
records which fields a simulation reads (construction and a run with a cluster, an
autoscaled pool, failures and a PDB), and requires every field it never reads to be refused
by ``capacity.sim.settings.check_controller_settings`` with a message naming its path.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import BaseModel

from capacity.errors import ScenarioError
from capacity.scenario import model as sm
from capacity.scenario.loader import load_scenario
from capacity.sim import engine
from capacity.sim.engine import Model
from capacity.sim.settings import check_controller_settings
from tests.sim.conftest import DATA


def schema_fields(cls: type[BaseModel], prefix: str) -> dict[str, tuple[type[BaseModel], str]]:
    """Every leaf field under ``cls``: path -> (owning model class, field name)."""
    out: dict[str, tuple[type[BaseModel], str]] = {}
    for name, info in cls.model_fields.items():
        ann = info.annotation
        path = f"{prefix}.{name}"
        if isinstance(ann, type) and issubclass(ann, BaseModel) and ann.__module__ == sm.__name__ \
                and ann.__name__ != "Distribution":
            out.update(schema_fields(ann, path))
        else:
            out[path] = (cls, name)
    return out


FIELDS = schema_fields(sm.Controllers, "controllers")


def _scenario():
    sc = load_scenario(DATA / "scenarios/node-failure.yaml")
    sc.workload.startup.schedulingDelay = None  # so controllers.scheduler's is the one read
    pool = sc.cluster.nodePools[0]
    pool.autoscaling = sm.NodePoolAutoscaling(minNodes=3, maxNodes=9)
    sc.disruption.podDisruptionBudget = sm.PodDisruptionBudgetSpec(minAvailable=5)
    return sc


def test_every_controllers_field_is_read_or_refused(monkeypatch):
    reads: set[tuple[str, str]] = set()
    classes = {cls for cls, _ in FIELDS.values()}

    def recorder(cls):
        def getattribute(self, name):
            if name in cls.model_fields:
                reads.add((cls.__name__, name))
            return object.__getattribute__(self, name)
        return getattribute

    sc = _scenario()
    for cls in classes:
        monkeypatch.setattr(cls, "__getattribute__", recorder(cls))
    # reads by the simulation only: the validator reads the refused fields by design
    monkeypatch.setattr(engine, "check_controller_settings", lambda sc: None)
    Model(sc, 0, np.random.SeedSequence(1), duration=3600.0, phases=(0.0, 1.0)).run()
    monkeypatch.undo()

    unread = sorted(p for p, (cls, name) in FIELDS.items() if (cls.__name__, name) not in reads)
    # The model reads all of these (an unread one would be accepted and ignored) ...
    assert "controllers.kubelet.nodeLeaseDurationSeconds" not in unread
    assert "controllers.clusterAutoscaler.scaleDownDelayAfterDelete" not in unread
    assert "controllers.clusterAutoscaler.maxNodeProvisionTime" not in unread
    assert "controllers.clusterAutoscaler.maxGracefulTerminationSec" not in unread
    # ... and refuses the others whenever they differ from the upstream default.
    assert unread == sorted(REFUSED)
    for path in unread:
        section, field = path.split(".")[1:]
        bad = _scenario()
        setattr(getattr(bad.controllers, section), field, REFUSED[path])
        with pytest.raises(ScenarioError) as e:
            check_controller_settings(bad)
        assert e.value.path == path
        assert "not" in e.value.rule  # "not honoured" / "not modelled", with the reason
        with pytest.raises(ScenarioError):  # the engine calls the check when it is built
            Model(bad, 0, np.random.SeedSequence(1))


# A non-default value of each refused field.
REFUSED = {
    "controllers.kubeControllerManager.nodeStartupGracePeriod": 30.0,
    "controllers.kubeControllerManager.podEvictionTimeout": 60.0,
    "controllers.clusterAutoscaler.scaleDownDelayAfterFailure": 60.0,
}


def test_refused_fields_at_their_default_pass():
    check_controller_settings(_scenario())


@pytest.mark.parametrize(("version", "gates", "message"), [
    ("1.33", {"SomeGate": True}, "is not a feature gate the simulation models"),
    ("1.35", {"DeploymentPodReplacementPolicy": True}, "does not exist in Kubernetes 1.35"),
    ("1.31", {"PodLevelResources": True}, "does not exist in Kubernetes 1.31"),
])
def test_feature_gates_are_the_modelled_ones_of_the_version(version, gates, message):
    sc = _scenario()
    sc.kubernetesVersion = version
    sc.controllers.featureGates = gates
    with pytest.raises(ScenarioError) as e:
        check_controller_settings(sc)
    assert e.value.path == f"controllers.featureGates.{next(iter(gates))}"
    assert message in e.value.rule


def test_modelled_gates_pass():
    sc = _scenario()
    sc.kubernetesVersion = "1.36"
    sc.controllers.featureGates = {"PodLevelResources": False, "HPAConfigurableTolerance": True,
                                   "DeploymentPodReplacementPolicy": True,
                                   "DeploymentReplicaSetTerminatingReplicas": True}
    check_controller_settings(sc)
