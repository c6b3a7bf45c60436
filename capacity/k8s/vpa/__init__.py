"""The VerticalPodAutoscaler recommender, as pure functions and small state objects.

Ports ``kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/`` (``util/``
histograms, ``model/`` container and aggregate states, ``logic/`` estimators and the pod
recommender) and the capping of ``pkg/utils/vpa/capping.go``. Amounts are ints, CPU in
millicores and memory in bytes; times are float seconds.

Typical use from a simulation::

    state = VpaRecommenderState(policy=vpa_spec.get("resourcePolicy"))
    state.add_cpu_sample("pod-a", "app", t, usage_cores=0.2)
    state.add_memory_sample("pod-a", "app", t, working_set_bytes=300 * 2**20)
    state.recommend(now)  # {"app": {"target": {"cpu": 247, "memory": ...},
                          #          "lowerBound": ..., "upperBound": ..., "uncappedTarget": ...}}

(247 millicores is the target after 8 days of a steady 200m: see tests/k8s/test_vpa_recommend.py.)

Modules: :mod:`.histogram`, :mod:`.model`, :mod:`.estimator`, :mod:`.recommender`,
:mod:`.capping`, :mod:`.cluster`.
"""

from capacity.k8s.vpa.capping import (
    apply_capping,
    apply_vpa_policy,
    get_container_controlled_values,
    get_container_resource_policy,
    get_limit_range_item,
)
from capacity.k8s.vpa.cluster import (
    Recommendation,
    VpaRecommenderState,
    get_container_name_to_aggregate_state_map,
    recommend,
)
from capacity.k8s.vpa.histogram import (
    DecayingHistogram,
    Histogram,
    HistogramCheckpoint,
    new_exponential_histogram_options,
    new_linear_histogram_options,
)
from capacity.k8s.vpa.model import (
    AggregateContainerState,
    AggregationsConfig,
    ContainerState,
    ContainerUsageSample,
    resources_as_quantity_strings,
)
from capacity.k8s.vpa.recommender import (
    ContainerRecommendation,
    RecommendationConfig,
    create_pod_resource_recommender,
)

__all__ = [
    "AggregateContainerState",
    "AggregationsConfig",
    "ContainerRecommendation",
    "ContainerState",
    "ContainerUsageSample",
    "DecayingHistogram",
    "Histogram",
    "HistogramCheckpoint",
    "Recommendation",
    "RecommendationConfig",
    "VpaRecommenderState",
    "apply_capping",
    "apply_vpa_policy",
    "create_pod_resource_recommender",
    "get_container_controlled_values",
    "get_container_name_to_aggregate_state_map",
    "get_container_resource_policy",
    "get_limit_range_item",
    "new_exponential_histogram_options",
    "new_linear_histogram_options",
    "recommend",
    "resources_as_quantity_strings",
]
