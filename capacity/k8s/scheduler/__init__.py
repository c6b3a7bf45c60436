"""The kube-scheduler's default filters and scores, as pure functions.

Mirrors the default profile of ``kubernetes/kubernetes`` ``pkg/scheduler`` (read at
≈v1.35/master): the plugins below, run in the order of
``pkg/scheduler/apis/config/v1/default_plugins.go`` (``getDefaultPlugins``), one module
per plugin:

====================================  ======  ======================  ===================================
plugin                                weight  module                  upstream (``framework/plugins/...``)
====================================  ======  ======================  ===================================
NodeUnschedulable (filter)                    ``nodeunschedulable``   ``nodeunschedulable/node_unschedulable.go``
TaintToleration                          3    ``tainttoleration``     ``tainttoleration/taint_toleration.go``
NodeAffinity                             2    ``nodeaffinity``        ``nodeaffinity/node_affinity.go``
NodeResourcesFit (LeastAllocated)        1    ``noderesources``       ``noderesources/fit.go``, ``least_allocated.go``
PodTopologySpread                        2    ``podtopologyspread``   ``podtopologyspread/{common,filtering,scoring,plugin}.go``
InterPodAffinity                         2    ``interpodaffinity``    ``interpodaffinity/{filtering,scoring}.go``
NodeResourcesBalancedAllocation          1    ``noderesources``       ``noderesources/balanced_allocation.go``
ImageLocality                            1    not modelled            (no images: 0 on every node)
DefaultPreemption (PostFilter)                ``defaultpreemption``   ``defaultpreemption/default_preemption.go``
====================================  ======  ======================  ===================================

Beside them: ``framework`` (status codes, ``MaxNodeScore``, score normalisation, plugin
names and weights, :class:`SchedulerConfig` per version, the FitError message),
``snapshot`` (:class:`NodeInfo`, :class:`Snapshot`), ``spec`` (the pod's scheduling fields,
:class:`SchedulingSpec`), ``selectors`` (label selectors, node selector terms) and
``schedule_one`` (the cycle: :func:`schedule_pod_in_snapshot`, :func:`score_nodes`, ...).

A scheduling cycle (``pkg/scheduler/schedule_one.go`` ``schedulePod``) runs PreFilter, then
Filter on every node (the first failing plugin gives the node's reasons), then, if more
than one node fits, Score + NormalizeScore per plugin, sums ``weight × score`` and picks the
highest. When nothing fits, the message is ``FitError.Error()``
(``pkg/scheduler/framework/types.go``) followed by the PostFilter message: the
DynamicResources note (Kubernetes ≥ 1.34, where DRA is GA and on) and DefaultPreemption's
(``framework/preemption/preemption.go`` ``Preempt``, ``default_preemption.go``
``SelectVictimsOnNode``), e.g.::

    0/6 nodes are available: 3 Insufficient cpu, 3 node(s) didn't match pod topology spread
    constraints. preemption: 0/6 nodes are available: 6 No preemption victims found for
    incoming pod.

Deliberate divergences (each also noted where it happens):

* Ties between the best nodes are broken by node name (first), or by a caller-supplied
  ``tie_breaker``; upstream picks uniformly at random (reservoir sampling in ``selectHost``).
* Every node is evaluated; upstream stops after ``numFeasibleNodesToFind`` feasible nodes,
  which only differs for clusters of more than ~100 nodes.
* Preemption is never performed: all pods are taken to have the same priority, so the
  PostFilter message is what upstream prints when no victim exists.
* Plugins that need objects we do not model are left out: NodeName, NodePorts, the volume
  plugins, ImageLocality, DynamicResources' filter, pod-level resources, extenders.
* Pod affinity ``namespaceSelector`` is evaluated against the namespace's automatic label
  ``kubernetes.io/metadata.name`` only (no Namespace objects are modelled).
* The system-default spreading selector (``helper.DefaultSelector``: the selectors of the
  Services, ReplicaSets... that select the pod) is ``SchedulingSpec.default_spread_selector``
  or, when unset, the pod's own labels (a ReplicaSet's selector is its template's labels).
* Existing pods' affinity terms come from the optional ``spec_of(pod)`` callable; without it
  existing pods have no (anti-)affinity.

Units: resource amounts in milli-units (``Quantity.MilliValue()``); memory therefore in
milli-bytes, which leaves every ratio and every integer division upstream does unchanged.

This package re-exports the names the rest of ``capacity`` uses; a plugin's own filters,
scores, reasons and states are imported from its module.
"""

from capacity.k8s.scheduler.framework import (
    DEFAULT_CONFIG,
    DEFAULT_PLUGIN_WEIGHTS,
    MAX_NODE_SCORE,
    UNSCHEDULABLE,
    UNSCHEDULABLE_AND_UNRESOLVABLE,
    SchedulerConfig,
    Status,
    fit_error_message,
    scheduler_config_for_version,
)
from capacity.k8s.scheduler.schedule_one import (
    ScheduleResult,
    filter_node,
    plugin_scores,
    schedule_pod,
    schedule_pod_in_snapshot,
    score_nodes,
)
from capacity.k8s.scheduler.selectors import (
    Selector,
    label_selector_as_selector,
    label_selector_matches,
)
from capacity.k8s.scheduler.snapshot import NodeInfo, Snapshot
from capacity.k8s.scheduler.spec import (
    EMPTY_SPEC,
    PodAffinityTerm,
    SchedulingSpec,
    SpecOf,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
    scheduling_spec_from_pod_spec,
)

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_PLUGIN_WEIGHTS",
    "EMPTY_SPEC",
    "MAX_NODE_SCORE",
    "UNSCHEDULABLE",
    "UNSCHEDULABLE_AND_UNRESOLVABLE",
    "NodeInfo",
    "PodAffinityTerm",
    "ScheduleResult",
    "SchedulerConfig",
    "SchedulingSpec",
    "Selector",
    "Snapshot",
    "SpecOf",
    "Status",
    "TopologySpreadConstraint",
    "WeightedPodAffinityTerm",
    "filter_node",
    "fit_error_message",
    "label_selector_as_selector",
    "label_selector_matches",
    "plugin_scores",
    "schedule_pod",
    "schedule_pod_in_snapshot",
    "scheduler_config_for_version",
    "scheduling_spec_from_pod_spec",
    "score_nodes",
]
