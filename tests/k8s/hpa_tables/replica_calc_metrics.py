"""Pods, Object and External metric cases of upstream ``replica_calculator_test.go``.

Source: kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator_test.go,
the ``replicaCalcTestCase`` tests with a ``metric`` (``runTest`` with ``metricType``
podMetric, objectMetric, objectPerPodMetric, externalMetric, externalPerPodMetric).
Inputs and expectations are upstream's; upstream passes ``currentReplicas`` as the
``statusReplicas`` of the per-pod kinds, and so do the tests here.
"""

from __future__ import annotations

from dataclasses import dataclass

from capacity.k8s.hpa_types import MAX_INT32, MAX_INT64
from tests.k8s.hpa_tables.fixtures import COOL, HOT, RUNNING, TESTING_TOLERANCE, F, T

PODS = "pods"
OBJECT = "object"
OBJECT_PER_POD = "object_per_pod"
EXTERNAL = "external"
EXTERNAL_PER_POD = "external_per_pod"


@dataclass(frozen=True)
class MetricCase:
    """``replicaCalcTestCase`` with ``metricInfo``, the fields these tests set."""

    name: str  # the upstream test function
    kind: str
    current: int
    levels: tuple[int, ...]
    target: int  # targetUsage, or perPodTargetUsage for the per-pod kinds
    expected_replicas: int
    expected_usage: int
    readiness: tuple[str, ...] | None = None
    start_times: tuple[float, ...] | None = None
    phases: tuple[str, ...] | None = None
    tolerances: tuple[float, float] | None = None  # (scale down, scale up)


UP_1 = (TESTING_TOLERANCE, 0.01)  # Tolerances{defaultTestingTolerance, .01}

CASES = [
    MetricCase("TestReplicaCalcScaleUpCM", PODS, 3, (20000, 10000, 30000), 15000, 4, 20000),
    # Readiness rules are for CPU only: the unready hot pod still counts.
    MetricCase("TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale", PODS, 3,
               (50000, 10000, 30000), 15000, 6, 30000,
               readiness=(T, T, F), start_times=(COOL, COOL, HOT)),
    MetricCase("TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown", PODS, 3,
               (50000, 15000, 30000), 15000, 7, 31666,
               readiness=(F, T, F), start_times=(HOT, COOL, HOT)),
    MetricCase("TestReplicaCalcScaleUpCMObject", OBJECT, 3, (20000,), 15000, 4, 20000),
    MetricCase("TestReplicaCalcScaleUpCMPerPodObject", OBJECT_PER_POD, 3, (20000,), 5000, 4,
               6667),
    # Only Running+Ready pods count: 50000/10000 × 1 ready pod = 5 (15 with all three).
    MetricCase("TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods", OBJECT, 3, (50000,), 10000,
               5, 50000, readiness=(F, T, F)),
    # 8600/4400 × 1 ready pod = 1.95 → 2 (6 with all three).
    MetricCase("TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods", EXTERNAL, 3, (8600,),
               4400, 2, 8600, readiness=(F, T, F)),
    MetricCase("TestReplicaCalcScaleUpPerPodCMExternal", EXTERNAL_PER_POD, 3, (8600,), 2150, 4,
               2867),
    MetricCase("TestReplicaCalcScaleDownCM", PODS, 5, (12000,) * 5, 20000, 3, 12000),
    MetricCase("TestReplicaCalcScaleDownPerPodCMObject", OBJECT_PER_POD, 5, (6000,), 2000, 3,
               1200),
    MetricCase("TestReplicaCalcScaleDownCMObject", OBJECT, 5, (12000,), 20000, 3, 12000),
    MetricCase("TestReplicaCalcScaleDownCMExternal", EXTERNAL, 5, (8600,), 14334, 3, 8600),
    MetricCase("TestReplicaCalcScaleDownPerPodCMExternal", EXTERNAL_PER_POD, 5, (8600,), 2867,
               3, 1720),
    MetricCase("TestReplicaCalcToleranceCM", PODS, 3, (20000, 21000, 21000), 20000, 3, 20666),
    MetricCase("TestReplicaCalcToleranceCMObject", OBJECT, 3, (20666,), 20000, 3, 20666),
    MetricCase("TestReplicaCalcTolerancePerPodCMObject", OBJECT_PER_POD, 4, (20166,), 5000, 4,
               5042),
    MetricCase("TestReplicaCalcToleranceCMExternal", EXTERNAL, 3, (8600,), 8888, 3, 8600),
    MetricCase("TestReplicaCalcTolerancePerPodCMExternal", EXTERNAL_PER_POD, 3, (8600,), 2900,
               3, 2867),
    MetricCase("TestReplicaCalcConfigurableToleranceCM", PODS, 3, (20000, 21000, 21000), 20000,
               4, 20666, tolerances=UP_1),
    MetricCase("TestReplicaCalcConfigurableToleranceCMObject", OBJECT, 3, (20666,), 20000, 4,
               20666, tolerances=UP_1),
    MetricCase("TestReplicaCalcConfigurableTolerancePerPodCMObject", OBJECT_PER_POD, 4,
               (20208,), 5000, 5, 5052, tolerances=UP_1),
    MetricCase("TestReplicaCalcConfigurableToleranceCMExternal", EXTERNAL, 3, (8900,), 8800, 4,
               8900, tolerances=UP_1),
    MetricCase("TestReplicaCalcConfigurableTolerancePerPodCMExternal", EXTERNAL_PER_POD, 3,
               (8600,), 2800, 4, 2867, tolerances=UP_1),
    # Two pods report 20000 and 19000 of 20000 and a third 21000, two have no metric: the
    # missing pods count as the target on scale-down and the result stays 5.
    MetricCase("TestPlainMetricReplicaCalcMissingMetricsNoChangeEq", PODS, 5,
               (20000, 19000, 21000), 20000, 5, 20000),
    MetricCase("TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM", PODS, 2, (10000, 10000),
               17000, 2, 10000, phases=(RUNNING, RUNNING, RUNNING)),
    MetricCase("TestReplicaCalcScaleUpOverflow", OBJECT, 3, (MAX_INT64,), 1, MAX_INT32,
               MAX_INT64),
    MetricCase("TestExternalPerPodMetricReplicaOverflow", EXTERNAL_PER_POD, 1, (MAX_INT64,), 1,
               MAX_INT32, MAX_INT64),
    MetricCase("TestExternalPerPodMetricUsageOverflow", EXTERNAL_PER_POD, 1, (MAX_INT64,),
               MAX_INT64, 1, MAX_INT64),
    MetricCase("TestReplicaCalcExternalMetricUsageOverflow", EXTERNAL, 3,
               (MAX_INT64 // 2 + 1, MAX_INT64 // 2 + 1), MAX_INT64, 3, MAX_INT64),
]
