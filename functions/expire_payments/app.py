"""Every minute (EventBridge Scheduler): due checks, expiry and reconciliation of unfinished payments."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import deadline, service
from paygate.observability import logger, metrics


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    service.checked_providers()  # once per container: an unconfigured provider is logged at its start
    with deadline.invocation(context):
        counts = service.sweeper().sweep(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    for name, value in counts.items():
        metrics.add_metric(name=f"Sweep_{name}", unit="Count", value=value)
    metrics.add_metric(name="SweepCompleted", unit="Count", value=1)  # the heartbeat an alarm watches
    logger.info("sweep done", extra=counts)
    return counts
