"""scripts/redrive.py publish-failures: the failed stream batches, read again and put on the bus (moto)."""

from __future__ import annotations

import json

import boto3

from local.template import ROOT
from paygate.publisher import EventPublisher
from tests.factories import EVENT_BUS
from tests.operators import script


class Stream:
    """A shard of the table's stream, as DynamoDB Streams answers for it."""

    def __init__(self, records: list[dict]):
        self.records = records

    def get_shard_iterator(self, **position):
        assert position["ShardIteratorType"] == "AT_SEQUENCE_NUMBER"
        return {"ShardIterator": position["SequenceNumber"]}

    def get_records(self, ShardIterator: str, Limit: int):
        later = [r for r in self.records if int(r["dynamodb"]["SequenceNumber"]) >= int(ShardIterator)]
        page = later[:Limit]
        following = str(int(page[-1]["dynamodb"]["SequenceNumber"]) + 1) if page else None
        return {"Records": page, "NextShardIterator": following}


def test_failed_batches_are_republished_and_their_messages_deleted(dynamodb):
    sample = json.loads((ROOT / "events" / "publish_events.json").read_text())["Records"][0]
    image = sample["dynamodb"]["NewImage"]
    statuses = ["pending", "processing", "processing", "succeeded", "refunded"]  # versions 1..5, a record per write

    def record(version: int) -> dict:
        def at(v: int) -> dict:
            return {**image, "version": {"N": str(v)}, "status": {"S": statuses[v - 1]}}

        return {
            "dynamodb": {"SequenceNumber": str(100 + version), "OldImage": at(version - 1), "NewImage": at(version)}
        }

    records = [record(version) for version in (2, 3, 4, 5)]  # the failed batch is 2..4; 5 came later
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name=EVENT_BUS)
    seen = sqs.create_queue(QueueName="seen")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=seen, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=EVENT_BUS, EventPattern=json.dumps({"source": ["paygate"]}))
    events.put_targets(Rule="all", EventBusName=EVENT_BUS, Targets=[{"Id": "seen", "Arn": arn}])
    failures = sqs.create_queue(QueueName="publish-failures")["QueueUrl"]
    batch = {"shardId": "shard-1", "startSequenceNumber": "102", "endSequenceNumber": "104", "streamArn": "arn:stream"}
    sqs.send_message(QueueUrl=failures, MessageBody=json.dumps({"DDBStreamBatchInfo": batch}))
    # When the failures are redriven
    published = script("redrive").republish(sqs, Stream(records), EventPublisher(events, EVENT_BUS), failures)
    # Then the two status changes of the batch (not the repeat of processing, not what came after) are on the bus
    assert published == 2
    put = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=seen, MaxNumberOfMessages=10)["Messages"]]
    assert sorted(event["detail"]["sequence"] for event in put) == [2, 4]
    assert sqs.receive_message(QueueUrl=failures).get("Messages") is None
