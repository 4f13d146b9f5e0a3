"""Merchant webhook delivery: the webhook queue (payment events from the bus, and delayed retries) and,
every minute, the deliveries whose next attempt is due."""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import correlation, service
from paygate.events import BusEvent
from paygate.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)


def deliver_record(record: SQSRecord) -> None:
    """A payment event: its deliveries are made, then attempted. A retry: that delivery is attempted.
    An error leaves the message on the queue (retried, then its dead-letter queue); a failed POST does
    not: the delivery records it and is retried on its schedule."""
    message = json.loads(record.body)
    webhooks = service.webhooks()
    if "delivery_id" in message:
        webhooks.attempt(message["delivery_id"])
        return
    event = BusEvent.model_validate(message)
    correlation.use(event.detail.correlation_id)
    for delivery, endpoint in webhooks.fan_out(event):
        webhooks.deliver(delivery, endpoint)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict | PartialItemFailureResponse:
    correlation.use(context.aws_request_id)
    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=deliver_record, processor=processor, context=context
        )
    # The schedule: whatever is due (long retries, and any whose queued retry was lost).
    counts = service.webhooks().attempt_due(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    logger.info("due webhook deliveries attempted", extra=counts)
    return counts
