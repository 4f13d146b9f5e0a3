"""A service of another team, fed by Paygate's events: a rule on Paygate's bus sends `payment.succeeded`
and `refund.succeeded` to this function's queue, and it keeps, for each payment and refund, the latest
state it has heard of, in its own table.

Delivery is at least once and in no particular order, so each event is written with one conditional
write that takes it only if it is newer than what the item holds: `position` orders the events of one
payment or refund (the `sequence` Paygate gives every change; a refund's creation comes before any other
change of the same sequence). An event seen again has the position already recorded and is skipped: that
is the dedupe on `event_id` (`<id>:<sequence>`, or `<refund id>:created`), without a table of seen ids
to expire. `writes` counts what was taken: an event taken once, however often it was delivered.

A record that fails (a schema version it does not know, a throttled write) is handed back alone
(Powertools' batch processor, ReportBatchItemFailures) and retried, then goes to the dead-letter queue."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

# The versions of Paygate's event schema this code reads (`detail.version`; docs/events/ in Paygate).
KNOWN_VERSIONS = {"1"}

logger = Logger(service="paygate-consumer")
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def position(detail: dict) -> int:
    """Where the event stands among its payment's or refund's: later changes have higher positions."""
    created = detail["event_id"].endswith(":created")
    return int(detail["sequence"]) * 2 + (0 if created else 1)


def subject(event: dict) -> tuple[str, str, str]:
    """The id the event is about, its payment's id, and the status it reports."""
    detail = event["detail"]
    if event["detail-type"].startswith("refund."):
        refund = detail["refund"]
        return refund["id"], detail["payment_id"], refund["status"]
    payment = detail["payment"]
    return payment["id"], payment["id"], payment["status"]


def record_event(record: SQSRecord) -> None:
    event = json.loads(record.body)
    detail = event["detail"]
    if detail.get("version") not in KNOWN_VERSIONS:
        raise ValueError(f"event schema version {detail.get('version')!r} is not one this consumer reads")
    key, payment_id, status = subject(event)
    try:
        table().update_item(
            Key={"id": key},
            UpdateExpression=(
                "SET #status = :status, #position = :position, payment_id = :payment_id, "
                "event_type = :event_type, last_event_id = :event_id ADD writes :one"
            ),
            ConditionExpression="attribute_not_exists(#position) OR #position < :position",
            ExpressionAttributeNames={"#status": "status", "#position": "position"},
            ExpressionAttributeValues={
                ":status": status,
                ":position": position(detail),
                ":payment_id": payment_id,
                ":event_type": event["detail-type"],
                ":event_id": detail["event_id"],
                ":one": 1,
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        logger.info("an event already taken, or older than what is kept: skipped", event_id=detail["event_id"])
        return
    logger.info("taken", event_id=detail["event_id"], status=status)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_event, processor=processor, context=context)
