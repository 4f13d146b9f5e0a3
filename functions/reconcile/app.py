"""Daily, per provider (EventBridge Scheduler, one schedule each): reconcile the provider's payments
created the UTC day before the scheduled time (paygate.lifecycle.reconcile): a lost callback is repaired
through a sync, what cannot be repaired is kept as a difference and counted (`ReconciliationDifferences`)."""

from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import correlation, deadline, service
from paygate.lifecycle.reconcile import Reconcile
from paygate.models import utcnow
from paygate.observability import logger, metrics
from paygate.store.differences import DifferenceStore


def reconcile() -> Reconcile:
    differences = DifferenceStore(service.settings().differences_table, service.dynamodb_client())
    return Reconcile(service.payments(), service.providers(), service.reports(), differences, utcnow)


def window(event: dict) -> tuple[datetime, datetime]:
    """The UTC day before the scheduled time (now, when the event does not say it)."""
    scheduled = event.get("scheduled_time")
    at = datetime.fromisoformat(scheduled) if isinstance(scheduled, str) else utcnow()
    end = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return end - timedelta(days=1), end


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    correlation.use(context.aws_request_id)  # the repairs this run makes are its own work

    def time_left() -> float:
        return context.get_remaining_time_in_millis() / 1000

    with deadline.invocation(context):
        result = reconcile()(str(event["provider"]), *window(event), time_left=time_left)
    metrics.add_metric(name="ReconciliationCompleted", unit="Count", value=int(result.complete))
    return result.model_dump(mode="json")
