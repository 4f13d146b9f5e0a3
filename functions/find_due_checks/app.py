"""Every minute (EventBridge Scheduler): find the due checks (expiry, lost callbacks, reconciliation of
unfinished creates) and hand them to the checkers' queue, the most urgent first and each provider within
its rate limit; with no queue configured, check them here."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import correlation, deadline, service
from paygate.observability import logger, metrics


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    correlation.use(context.aws_request_id)  # the work this run starts is its own

    def time_left() -> float:
        return context.get_remaining_time_in_millis() / 1000

    checker, queue = service.checker(), service.due_checks_queue()
    if queue is None:
        service.checked_providers()  # once per container: an unconfigured provider is logged at its start
        with deadline.invocation(context):
            counts = checker.sweep(time_left=time_left)
    else:
        now = checker.clock()
        backlog = checker.finder(queue).run(time_left=time_left)
        counts = {"found": sum(backlog.found.values()), "handed": sum(backlog.handed.values())}
        counts["stopped_early"] = int(backlog.stopped_early)
        # The backlog: due checks past their due time, and how long the oldest has waited (an alarm
        # watches it against the polling interval).
        metrics.add_metric(name="DueBacklog", unit="Count", value=counts["found"])
        metrics.add_metric(name="DueBacklogAgeSeconds", unit="Seconds", value=backlog.oldest_seconds(now))
        metrics.add_metric(name="DueChecksHanded", unit="Count", value=counts["handed"])
    for name, value in counts.items():
        metrics.add_metric(name=f"Sweep_{name}", unit="Count", value=value)
    metrics.add_metric(name="SweepCompleted", unit="Count", value=1)  # the heartbeat an alarm watches
    logger.info("sweep done", extra=counts)
    return counts
