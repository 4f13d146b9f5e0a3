"""The payments table's stream -> one event per status change of a payment or a refund on the PaymentEvents
bus.

A record that fails is reported alone (ReportBatchItemFailures); the rest of the batch is published."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import correlation, service
from paygate.observability import logger, metrics
from paygate.publisher import events_of

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def publish_record(record: DynamoDBRecord) -> None:
    for event in events_of(record.raw_event["dynamodb"]):
        correlation.use(event.correlation_id)
        service.publisher().publish(event)
        metrics.add_metric(name="EventsPublished", unit="Count", value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=publish_record, processor=processor, context=context)
