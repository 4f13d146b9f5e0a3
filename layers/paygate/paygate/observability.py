"""Logger and metrics, made once and shared by every function.

The X-Ray SDK's tracer is the API functions' only (paygate.api): importing it costs about 200 ms of a
cold start, which the workers need not pay; Lambda's own active tracing (Tracing: Active in
template.yaml) still records each of their invocations."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

NAMESPACE = "Paygate"
logger = Logger(service="paygate")
metrics = Metrics(namespace=NAMESPACE, service="paygate")


def count_for_provider(name: str, provider: str) -> None:
    """Count one `name` for a provider: once with a `provider` dimension (the dashboard's lines), and
    once in the total the alarms watch."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    with single_metric(
        name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE, default_dimensions={"service": "paygate"}
    ) as metric:
        metric.add_dimension(name="provider", value=provider)
