"""The payments table's stream -> one event per status change on the PaymentEvents bus.

A record that fails is reported alone (ReportBatchItemFailures); the rest of the batch is published."""

import os
from functools import cache

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate.events import EventPublisher, status_change
from paygate.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def publisher() -> EventPublisher:
    return EventPublisher(boto3.client("events"), os.environ["EVENT_BUS_NAME"])


def publish_record(record: DynamoDBRecord) -> None:
    images = record.raw_event["dynamodb"]
    event = status_change(images.get("OldImage"), images.get("NewImage"))
    if event is not None:
        publisher().publish(event)
        metrics.add_metric(name="EventsPublished", unit="Count", value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=publish_record, processor=processor, context=context)
