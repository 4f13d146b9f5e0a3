"""The local stand-ins for what AWS runs on its own: the stream that feeds `publish_events`, the SQS
triggers of `check_payments` and `deliver_webhooks`, and a record of the events put on the bus."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
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
        self.last_sequence: dict[str, str] = {}
        self.streams = boto3.client("dynamodbstreams")
        self.stream_arn = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]

    def pump(self) -> int:
        """Deliver every record written so far; returns how many."""
        with self.lock:
            delivered = 0
            for shard in self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]:
                shard_id = shard["ShardId"]
                if shard_id not in self.iterators:
                    self.iterators[shard_id] = self._iterator(shard_id)
                while self.iterators[shard_id]:
                    try:
                        answer = self.streams.get_records(ShardIterator=self.iterators[shard_id], Limit=100)
                    except (
                        self.streams.exceptions.TrimmedDataAccessException,
                        self.streams.exceptions.ExpiredIteratorException,
                    ):
                        # An iterator taken on an empty shard, or left too long: start again after the last
                        # record delivered, as Lambda's poller does.
                        self.iterators[shard_id] = self._iterator(shard_id)
                        continue
                    self.iterators[shard_id] = answer.get("NextShardIterator")
                    if not answer["Records"]:
                        break
                    self._deliver(answer["Records"])
                    self.last_sequence[shard_id] = answer["Records"][-1]["dynamodb"]["SequenceNumber"]
                    delivered += len(answer["Records"])
            return delivered

    def _iterator(self, shard_id: str) -> str:
        position: dict = {"ShardIteratorType": "TRIM_HORIZON"}
        if shard_id in self.last_sequence:
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.last_sequence[shard_id]}
        return self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **position)["ShardIterator"]

    def _deliver(self, records: list[dict]) -> None:
        """As Lambda's poller does: a batch that reports failures (a bad record, or records it had no time
        for) is given again from its first failed record, at most MaximumRetryAttempts (5) times."""
        for _ in range(1 + 5):
            event = {"Records": [self._lambda_record(record) for record in records]}
            answer = template.handler("PublishEventsFunction")(event, lambda_context("PublishEventsFunction"))
            failed = {failure["itemIdentifier"] for failure in answer.get("batchItemFailures", [])}
            if not failed:
                return
            first = next(n for n, record in enumerate(records) if record["dynamodb"]["SequenceNumber"] in failed)
            records = records[first:]
        print(f"publish_events reported failures: {sorted(failed)}", flush=True)

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

    def since(self, cursor: int) -> tuple[list[dict], int]:
        """The events after the first `cursor` of them, and the cursor to read on from: how many there are
        (an event's place in the log never changes)."""
        events = self.drain()
        if cursor > len(events):
            raise ValueError(f"after: no event {cursor} yet")
        return events[cursor:], len(events)

    def drain(self) -> list[dict]:
        with self.lock:
            while True:
                answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
                messages = answer.get("Messages", [])
                if not messages:
                    return list(self.events)
                self.events += [json.loads(message["Body"]) for message in messages]
                self.sqs.delete_message_batch(  # one call for the ten: a long backlog drains in seconds
                    QueueUrl=self.queue_url,
                    Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
                )


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


class QueuePump:
    """Lambda's SQS trigger: hands the messages of a queue (embedded SQS) to a function, ten a batch,
    several batches at once; a message the function reports failed stays for another try."""

    def __init__(self, queue_name: str, function: str, *, timeout: int = 120):
        self.function = function
        self.timeout = timeout
        self.sqs = boto3.client("sqs")
        # Short: a message the worker failed on comes back soon (Lambda's own is six function timeouts).
        self.queue_url = self.sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.lock = threading.Lock()

    def pump(self, concurrency: int = 4) -> int:
        """Hand every message that is visible now to the function, ten a batch, several batches at once
        (as Lambda's SQS trigger runs several instances); returns how many were processed."""
        with self.lock, ThreadPoolExecutor(max_workers=concurrency) as pool:
            processed = 0
            while True:
                batches = []
                for _ in range(concurrency):
                    answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
                    if not answer.get("Messages"):
                        break
                    batches.append(answer["Messages"])
                if not batches:
                    return processed
                results = list(pool.map(self._invoke, batches))
                processed += sum(done for done, _ in results)
                if any(failed for _, failed in results):
                    return processed  # those come back after the visibility timeout

    def _invoke(self, messages: list[dict]) -> tuple[int, int]:
        """One instance of the function on one batch: (messages processed, messages left for a retry)."""
        event = {"Records": [self._record(message) for message in messages]}
        answer = template.handler(self.function)(event, lambda_context(self.function, self.timeout))
        failed = {failure["itemIdentifier"] for failure in answer.get("batchItemFailures", [])}
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]} for n, message in enumerate(done)]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        return len(done), len(failed)

    def _record(self, message: dict) -> dict:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": "us-east-1",
        }


class WebhookPump(QueuePump):
    """What AWS runs for merchant webhooks: the bus rule that feeds the webhook queue, Lambda's SQS
    trigger that hands its messages to `deliver_webhooks`, and the schedule that attempts the deliveries
    that are due."""

    def __init__(self, bus_name: str, queue_name: str):
        super().__init__(queue_name, "DeliverWebhooksFunction")
        bus = boto3.client("events")
        bus.put_rule(Name="webhooks", EventBusName=bus_name, EventPattern=json.dumps({"source": ["paygate"]}))
        bus.put_targets(Rule="webhooks", EventBusName=bus_name, Targets=[{"Id": "webhooks", "Arn": self.queue_arn}])

    def due(self) -> dict:
        """The minute schedule: attempt the deliveries whose next attempt is due."""
        with self.lock:
            return template.handler(self.function)({"source": "paygate.schedule"}, lambda_context(self.function, 120))
