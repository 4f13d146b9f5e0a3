"""The local stand-ins for what AWS runs on its own: the schedule that invokes `expire_payments`,
and the stream that feeds `publish_events`; plus a record of the events put on the bus."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

import boto3

from local import template
from local.emulator import lambda_context


class StreamPump:
    """Reads the payments table's stream (moto or DynamoDB Local) and hands the records to
    `publish_events` in batches, as Lambda's event source mapping does."""

    def __init__(self, table_name: str):
        self.table_name = table_name
        self.lock = threading.Lock()
        self.iterators: dict[str, str | None] = {}
        self.streams = boto3.client("dynamodbstreams")
        self.stream_arn = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]

    def pump(self) -> int:
        """Deliver every record written so far; returns how many."""
        with self.lock:
            delivered = 0
            for shard in self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]:
                shard_id = shard["ShardId"]
                if shard_id not in self.iterators:
                    self.iterators[shard_id] = self.streams.get_shard_iterator(
                        StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
                while self.iterators[shard_id]:
                    answer = self.streams.get_records(ShardIterator=self.iterators[shard_id], Limit=100)
                    self.iterators[shard_id] = answer.get("NextShardIterator")
                    if not answer["Records"]:
                        break
                    self._deliver(answer["Records"])
                    delivered += len(answer["Records"])
            return delivered

    def _deliver(self, records: list[dict]) -> None:
        event = {"Records": [self._lambda_record(record) for record in records]}
        answer = template.handler("PublishEventsFunction")(event, lambda_context("PublishEventsFunction"))
        if answer.get("batchItemFailures"):
            print(f"publish_events reported failures: {answer['batchItemFailures']}", flush=True)

    def _lambda_record(self, record: dict) -> dict:
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
        return {**record, "dynamodb": dynamodb, "eventSourceARN": self.stream_arn}


class EventLog:
    """What `publish_events` put on the bus: a rule on the local bus sends every event to a queue,
    which is drained into memory for GET /_local/events."""

    def __init__(self, bus_name: str):
        self.events: list[dict] = []
        self.lock = threading.Lock()
        self.sqs = boto3.client("sqs")
        bus = boto3.client("events")
        bus.create_event_bus(Name=bus_name)
        self.queue_url = self.sqs.create_queue(QueueName=f"{bus_name}-log")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        bus.put_rule(Name="log-everything", EventBusName=bus_name, EventPattern=json.dumps({"source": ["paygate"]}))
        bus.put_targets(Rule="log-everything", EventBusName=bus_name, Targets=[{"Id": "log", "Arn": queue_arn}])

    def drain(self) -> list[dict]:
        with self.lock:
            while True:
                answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
                messages = answer.get("Messages", [])
                if not messages:
                    return list(self.events)
                for message in messages:
                    self.events.append(json.loads(message["Body"]))
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


class Repeat(threading.Thread):
    """Calls `action` every `seconds` until stopped; errors are printed, never fatal."""

    def __init__(self, seconds: float, action: Any, name: str):
        super().__init__(daemon=True, name=name)
        self.seconds = seconds
        self.action = action
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.seconds):
            try:
                self.action()
            except Exception as error:
                print(f"{self.name}: {error!r}", flush=True)

    def stop(self) -> None:
        self.stopped.set()
