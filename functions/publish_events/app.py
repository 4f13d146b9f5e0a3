"""The payments table's stream -> one event per status change of a payment or a refund on the PaymentEvents
bus.

A record that fails is reported alone (ReportBatchItemFailures); the rest of the batch is published. A
record is started only with time enough to publish it: the rest of the batch is handed back the same
way, and the stream gives it again."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import correlation, deadline, service
from paygate.observability import logger, metrics
from paygate.publisher import events_of

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
# A record is not started with less time left: publishing its events takes milliseconds, and this leaves
# room for the AWS client to retry a slow call.
SECONDS_FOR_A_RECORD = 5.0


def publish_record(record: DynamoDBRecord) -> None:
    for event in events_of(record.raw_event["dynamodb"]):
        correlation.use(event.correlation_id)
        service.publisher().publish(event)
        metrics.add_metric(name="EventsPublished", unit="Count", value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    handle = deadline.while_time_left(publish_record, context, needs=SECONDS_FOR_A_RECORD)
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
