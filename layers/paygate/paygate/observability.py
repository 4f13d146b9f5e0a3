"""Logger and metrics, made once and shared by every function.

The X-Ray SDK's tracer is the API functions' only (paygate.api): importing it costs about 200 ms of a
cold start, which the workers need not pay; Lambda's own active tracing (Tracing: Active in
template.yaml) still records each of their invocations."""

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

# Per stage, as template.yaml sets them (Paygate-<stage>, paygate-<stage>): two stages never share a metric.
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Paygate"
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "paygate"
logger = Logger(service="paygate")  # the modules' child loggers hang under this name, whatever the stage
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def count_for_provider(name: str, provider: str) -> None:
    """Count one `name` for a provider: once with a `provider` dimension (the dashboard's lines), and
    once in the total the alarms watch."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    with single_metric(
        name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE, default_dimensions={"service": SERVICE}
    ) as metric:
        metric.add_dimension(name="provider", value=provider)


def count_internal_error(context: Any) -> None:
    """One API answer of 500 (an exception caught at the edge), by the function and the version that
    served it: a canary's rollback alarm watches its new version's (`ApiInternalErrors`)."""
    with single_metric(
        name="ApiInternalErrors",
        unit=MetricUnit.Count,
        value=1,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE},
    ) as metric:
        metric.add_dimension(name="FunctionName", value=context.function_name)
        metric.add_dimension(name="ExecutedVersion", value=context.function_version)
