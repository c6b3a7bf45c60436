"""DefaultPreemption (PostFilter), reduced to its message: every pod has the same priority,
so no node ever has a victim and preemption is never performed.

Mirrors ``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go``
(``PostFilter``, ``SelectVictimsOnNode``, ``PodEligibleToPreemptOthers``) and
``pkg/scheduler/framework/preemption/preemption.go`` (``Preempt``,
``nodesWherePreemptionMightHelp``).
"""

from __future__ import annotations

from collections.abc import Mapping

from capacity.k8s.scheduler.framework import UNSCHEDULABLE, Status, fit_error_message
from capacity.k8s.scheduler.spec import PREEMPT_NEVER, SchedulingSpec

PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
PREEMPTION_NO_VICTIMS = "No preemption victims found for incoming pod"
PREEMPTION_POLICY_NEVER = "not eligible due to preemptionPolicy=Never."


def preemption_post_filter_message(
    spec: SchedulingSpec, num_nodes: int, statuses: Mapping[str, Status]
) -> str:
    """The ``"preemption: ..."`` reason DefaultPreemption's PostFilter gives when it finds
    no victim, for a pod whose filters failed with ``statuses`` on ``num_nodes`` nodes."""
    if spec.preemption_policy == PREEMPT_NEVER:
        return "preemption: " + PREEMPTION_POLICY_NEVER
    # nodesWherePreemptionMightHelp: only Unschedulable nodes are dry-run (and find no
    # lower-priority pod); UnschedulableAndUnresolvable and absent nodes are not.
    per_node = {
        n: (PREEMPTION_NO_VICTIMS,) for n, st in statuses.items() if st.code == UNSCHEDULABLE
    }
    inner = fit_error_message(num_nodes, per_node, absent_reasons=(PREEMPTION_NOT_HELPFUL,))
    return "preemption: " + inner
