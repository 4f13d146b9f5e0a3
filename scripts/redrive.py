"""Redrive what a deployed stack could not do on its own (see README, "Operations").

    python scripts/redrive.py publish-failures --stack paygate   # republish events of failed stream batches
    python scripts/redrive.py sweep --stack paygate              # run the sweep again, then empty its DLQ

publish-failures: each message in the publish-failure queue is Lambda's on-failure record of a stream
batch (shard and sequence numbers, not the records). The records are read again from the table's stream
(kept 24 h) and each status change is put on the bus as publish_events would have; the message is
deleted once its batch is republished. Consumers dedupe on event_id, so a change published twice is harmless.

sweep: the messages in the sweep's dead-letter queue are runs that failed. The sweep reads what is due
each time, so one successful run redoes all of them; the queue is then purged."""

from __future__ import annotations

import argparse
import json
from typing import Any

import boto3
from botocore.config import Config

from paygate.publisher import EventPublisher, events_of


def outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    [description] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in description.get("Outputs", [])}


def stream_records(streams: Any, batch: dict) -> list[dict]:
    """The records of one failed batch, read again from the stream."""
    iterator = streams.get_shard_iterator(
        StreamArn=batch["streamArn"],
        ShardId=batch["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=batch["startSequenceNumber"],
    )["ShardIterator"]
    found: list[dict] = []
    end = int(batch["endSequenceNumber"])
    while iterator:
        answer = streams.get_records(ShardIterator=iterator, Limit=100)
        for record in answer["Records"]:
            if int(record["dynamodb"]["SequenceNumber"]) > end:
                return found
            found.append(record)
        if not answer["Records"]:
            return found
        iterator = answer.get("NextShardIterator")
    return found


def republish(sqs: Any, streams: Any, publisher: EventPublisher, queue_url: str) -> int:
    """Republish every failed batch in the queue; returns how many events were put on the bus."""
    published = 0
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        if not messages:
            return published
        for message in messages:
            batch = json.loads(message["Body"])["DDBStreamBatchInfo"]
            for record in stream_records(streams, batch):
                for event in events_of(record["dynamodb"]):
                    publisher.publish(event)
                    published += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["publish-failures", "sweep"])
    parser.add_argument("--stack", required=True)
    args = parser.parse_args()
    stack = outputs(boto3.client("cloudformation"), args.stack)
    if args.what == "publish-failures":
        publisher = EventPublisher(boto3.client("events"), stack["EventBusName"])
        count = republish(
            boto3.client("sqs"), boto3.client("dynamodbstreams"), publisher, stack["PublishFailureQueueUrl"]
        )
        print(f"republished {count} events")
    else:
        # The sweep runs one at a time: a throttle means the scheduled run is going, so wait and try again;
        # and a run may take its whole 60 s timeout.
        patient = Config(read_timeout=90, retries={"mode": "standard", "max_attempts": 10})
        answer = boto3.client("lambda", config=patient).invoke(
            FunctionName=stack["SweepFunctionName"], Payload=b'{"source": "redrive"}'
        )
        if answer.get("FunctionError"):
            raise SystemExit(f"the sweep failed again: {answer['Payload'].read().decode()}")
        boto3.client("sqs").purge_queue(QueueUrl=stack["SweepDeadLetterQueueUrl"])
        print("swept; the sweep's dead-letter queue is empty")


if __name__ == "__main__":
    main()
