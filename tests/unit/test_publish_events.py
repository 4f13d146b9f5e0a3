"""publish_events: one event per status change; a failing record is reported alone."""

from __future__ import annotations

import copy
import json

import boto3
import pytest

from local import template
from local.emulator import lambda_context
from local.template import ROOT
from paygate import service
from tests.factories import EVENT_BUS as BUS


@pytest.fixture
def bus(dynamodb):
    """An EventBridge bus (moto) whose events land in a queue the test reads."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name=BUS)
    queue = sqs.create_queue(QueueName="published")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": ["paygate"]}))
    events.put_targets(Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
    handler = template.handler("PublishEventsFunction")
    # The publisher is built once per container: forget it before and after, as a new container would.
    service.reset()

    def published() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    yield handler, published
    service.reset()


def record(sequence: str, name: str, new: dict | None, old: dict | None = None) -> dict:
    base = json.loads((ROOT / "events" / "publish_events.json").read_text())["Records"][0]
    result = copy.deepcopy(base)
    result["eventName"] = name
    result["dynamodb"]["SequenceNumber"] = sequence
    result["dynamodb"].pop("OldImage", None)
    result["dynamodb"]["NewImage"] = new
    if old is not None:
        result["dynamodb"]["OldImage"] = old
    return result


def image(status: str, version: int) -> dict:
    base = json.loads((ROOT / "events" / "publish_events.json").read_text())["Records"][0]["dynamodb"]["NewImage"]
    return {**base, "status": {"S": status}, "version": {"N": str(version)}}


def test_status_changes_are_published_and_a_bad_record_is_reported_alone(bus):
    handler, published = bus
    corrupt = {key: value for key, value in image("processing", 3).items() if key != "amount"}
    batch = {
        "Records": [
            record("100", "INSERT", image("pending", 1)),
            record("200", "MODIFY", image("pending", 2), old=image("pending", 1)),  # no status change
            record("300", "MODIFY", corrupt, old=image("pending", 2)),
            record("400", "MODIFY", image("succeeded", 4), old=image("processing", 3)),
        ]
    }
    answer = handler(batch, lambda_context("PublishEventsFunction"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "300"}]}
    events = published()
    assert sorted(event["detail"]["sequence"] for event in events) == [1, 4]
    by_sequence = {event["detail"]["sequence"]: event for event in events}
    assert by_sequence[1]["detail-type"] == "payment.pending"
    assert by_sequence[1]["detail"]["previous_status"] is None
    assert by_sequence[4]["detail-type"] == "payment.succeeded"
    assert by_sequence[4]["detail"]["previous_status"] == "processing"
    assert by_sequence[4]["detail"]["event_id"].endswith(":4")
