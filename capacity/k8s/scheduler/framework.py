"""What every plugin shares: status codes, ``MaxNodeScore`` and score normalisation, the
plugin names and default weights, and the scheduler configuration per Kubernetes version.

Mirrors ``pkg/scheduler/framework/interface.go`` (``Code``, ``Status``, ``MaxNodeScore``),
``pkg/scheduler/framework/types.go`` (``FitError``),
``pkg/scheduler/framework/plugins/helper/normalize_score.go``,
``pkg/scheduler/framework/plugins/names/names.go`` and
``pkg/scheduler/apis/config/v1/default_plugins.go`` (``getDefaultPlugins``).
The scheduling cycle that runs the plugins is :mod:`capacity.k8s.scheduler.schedule_one`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

MAX_NODE_SCORE = 100
"""``framework.MaxNodeScore``."""

# Status codes (framework.Code)
UNSCHEDULABLE = "Unschedulable"
UNSCHEDULABLE_AND_UNRESOLVABLE = "UnschedulableAndUnresolvable"

# Plugin names (pkg/scheduler/framework/plugins/names)
TAINT_TOLERATION = "TaintToleration"
NODE_AFFINITY = "NodeAffinity"
NODE_RESOURCES_FIT = "NodeResourcesFit"
POD_TOPOLOGY_SPREAD = "PodTopologySpread"
INTER_POD_AFFINITY = "InterPodAffinity"
NODE_RESOURCES_BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation"
IMAGE_LOCALITY = "ImageLocality"

DEFAULT_PLUGIN_WEIGHTS: Mapping[str, int] = MappingProxyType(
    {
        TAINT_TOLERATION: 3,
        NODE_AFFINITY: 2,
        NODE_RESOURCES_FIT: 1,
        POD_TOPOLOGY_SPREAD: 2,
        INTER_POD_AFFINITY: 2,
        NODE_RESOURCES_BALANCED_ALLOCATION: 1,
        IMAGE_LOCALITY: 1,
    }
)
"""Score weights of ``getDefaultPlugins`` (default_plugins.go)."""


@dataclass(frozen=True, slots=True)
class Status:
    """``framework.Status`` of a failed plugin: code and reasons."""

    code: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    """The parts of the scheduler profile we model.

    ``dynamic_resources``: the DynamicResources plugin is enabled (DRA GA and on by default
    from Kubernetes 1.34), so its PostFilter adds ``"no new claims to deallocate"`` before
    the preemption message. ``preemption``: DefaultPreemption enabled.
    ``fit_unresolvable``: NodeResourcesFit marks requests above a node's allocatable
    UnschedulableAndUnresolvable (k/k#131345, merged after the 1.33 freeze, so 1.34).
    """

    weights: Mapping[str, int] = field(default_factory=lambda: DEFAULT_PLUGIN_WEIGHTS)
    dynamic_resources: bool = True
    preemption: bool = True
    fit_unresolvable: bool = True
    hard_pod_affinity_weight: int = 1
    system_default_spreading: bool = True


DEFAULT_CONFIG = SchedulerConfig()


def scheduler_config_for_version(version: str) -> SchedulerConfig:
    """Defaults for a Kubernetes minor version such as ``"1.33"``.

    What differs here: the DRA PostFilter note and the NodeResourcesFit
    UnschedulableAndUnresolvable status, both from 1.34.
    """
    major, minor = (int(x) for x in version.lstrip("v").split(".")[:2])
    recent = (major, minor) >= (1, 34)
    return SchedulerConfig(dynamic_resources=recent, fit_unresolvable=recent)


def fit_error_message(
    num_all_nodes: int,
    node_reasons: Mapping[str, Sequence[str]],
    *,
    pre_filter_msg: str = "",
    absent_reasons: Sequence[str] = (),
    post_filter_msg: str = "",
) -> str:
    """``(*FitError).Error()``: ``0/N nodes are available: <histogram>. <PostFilterMsg>``.

    Each reason is counted once per node that reported it; nodes absent from
    ``node_reasons`` count ``absent_reasons``. The ``"<count> <reason>"`` strings are sorted
    as strings (so ``"10 x"`` sorts before ``"3 y"``), as Go's ``sort.Strings`` does. A
    PreFilter message replaces the histogram.
    """
    msg = f"0/{num_all_nodes} nodes are available:"
    if pre_filter_msg:
        msg += f" {pre_filter_msg}."
    else:
        counts: Counter[str] = Counter()
        for reasons in node_reasons.values():
            for r in reasons:
                counts[r] += 1
        missing = num_all_nodes - len(node_reasons)
        if missing > 0:
            for r in absent_reasons:
                counts[r] += missing
        items = sorted(f"{v} {k}" for k, v in counts.items())
        if items:
            msg += f" {', '.join(items)}."
    if post_filter_msg:
        msg += f" {post_filter_msg}"
    return msg


# ------------------------------------------------------------------- normalisation


def default_normalize_score(scores: dict[str, int], reverse: bool) -> None:
    """``helper.DefaultNormalizeScore(MaxNodeScore, reverse, scores)``, in place."""
    max_count = max(scores.values(), default=0)
    if max_count <= 0:
        if reverse:
            for k in scores:
                scores[k] = MAX_NODE_SCORE
        return
    for k, s in scores.items():
        v = MAX_NODE_SCORE * s // max_count
        scores[k] = MAX_NODE_SCORE - v if reverse else v
