"""The custom metrics the serving model produces for an HPA (DESIGN §10).

A metrics adapter (prometheus-adapter, KEDA) would serve these from the application's own
series; the simulation serves them from its queueing model. ``Pods`` metrics are per pod
(the HPA averages them over the pods); ``Object`` metrics describe the workload's Service
(``describedObject: {kind: Service, name: <workload name>}``) or its Deployment; ``External``
metrics are the series a scenario declares under ``load.externalMetrics``.

Units: rates in requests per second, in-flight counts in requests, latencies in seconds
(so a target of ``averageValue: 300m`` on a latency percentile means 300 ms).
"""

from __future__ import annotations

#: Per-pod metric name → what it measures.
POD_METRICS: dict[str, str] = {
    "http_requests_per_second": "requests per second sent to the pod (its share of the load)",
    "http_requests_in_flight": "requests in the pod: in service plus waiting",
    "http_request_duration_seconds_p50": "median response time of the pod's answered requests "
                                         "over the last sync period, seconds",
    "http_request_duration_seconds_p90": "90th percentile response time, seconds",
    "http_request_duration_seconds_p95": "95th percentile response time, seconds",
    "http_request_duration_seconds_p99": "99th percentile response time, seconds",
}

#: Object metric name (on the workload's Service or Deployment) → what it measures.
OBJECT_METRICS: dict[str, str] = {
    "http_requests_per_second": "requests per second offered to the Service",
    "http_requests_in_flight": "requests in flight over all pods",
    "http_request_duration_seconds_p50": "median response time over the Service, seconds",
    "http_request_duration_seconds_p90": "90th percentile response time, seconds",
    "http_request_duration_seconds_p95": "95th percentile response time, seconds",
    "http_request_duration_seconds_p99": "99th percentile response time, seconds",
    "http_errors_per_second": "requests per second answered with an error or not at all",
}

#: Kinds an Object metric may describe.
OBJECT_KINDS = ("Service", "Deployment")

LATENCY_QUANTILES: dict[str, float] = {
    "http_request_duration_seconds_p50": 0.50,
    "http_request_duration_seconds_p90": 0.90,
    "http_request_duration_seconds_p95": 0.95,
    "http_request_duration_seconds_p99": 0.99,
}


def describe() -> dict[str, dict[str, str]]:
    """The catalogue as ``{"Pods": {...}, "Object": {...}}`` (for the schema and --help)."""
    return {"Pods": dict(POD_METRICS), "Object": dict(OBJECT_METRICS)}
