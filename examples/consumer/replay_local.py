"""Replays the events of a local Paygate stack (`make run` in Paygate) into this consumer, as the rule and
its queue would deliver them: read page by page from `GET /_local/events?after=<cursor>`, matched against
the rule's pattern in template.yaml, handed to the function ten SQS records at a time.

    TABLE_NAME=... python replay_local.py --paygate http://127.0.0.1:3000 [--after 0]

The table is the consumer's (on the DynamoDB endpoint the stack prints, or any other). It prints the
cursor to go on from, so a second run replays only what came since."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from itertools import batched
from pathlib import Path
from typing import Any

import requests
import yaml

HERE = Path(__file__).resolve().parent


class _Template(yaml.SafeLoader):
    """template.yaml with CloudFormation's short tags (`!Ref`, `!GetAtt`...) read as plain values."""


_Template.add_multi_constructor("!", lambda loader, suffix, node: None)


def rule_pattern() -> dict[str, Any]:
    template = yaml.load((HERE / "template.yaml").read_text(), Loader=_Template)  # noqa: S506 - a SafeLoader
    return template["Resources"]["PaidRule"]["Properties"]["EventPattern"]


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge's matching of exact values (the kind of pattern the rule has): every key of the pattern
    present in the event, with one of the listed values, nested patterns matched in turn."""
    for key, wanted in pattern.items():
        if key not in event:
            return False
        if isinstance(wanted, dict):
            if not isinstance(event[key], dict) or not matches(wanted, event[key]):
                return False
        elif event[key] not in wanted:
            return False
    return True


def events(paygate: str, after: str = "0") -> Iterator[tuple[list[dict], str]]:
    """The stack's events after `after`, page by page, each with the cursor that follows it."""
    while True:
        answer = requests.get(f"{paygate}/_local/events", params={"after": after}, timeout=60)
        answer.raise_for_status()
        page = answer.json()
        yield page["events"], page["next"]
        if not page["events"]:
            return
        after = page["next"]


def sqs_batch(batch: Iterable[dict]) -> dict:
    """Events as the consumer's SQS trigger hands them over (the event itself is each message's body)."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "local",
                "body": json.dumps(event),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:local-consumer",
                "awsRegion": "us-east-1",
            }
            for event in batch
        ]
    }


def feed(handler: Callable[[dict, Any], dict], delivered: Iterable[dict], context: Any) -> list[dict]:
    """`delivered` to `handler`, ten at a time; the records it handed back (to be retried), as events."""
    failed = []
    for batch in batched(delivered, 10, strict=False):
        sent = sqs_batch(batch)
        answer = handler(sent, context)
        by_id = {record["messageId"]: record for record in sent["Records"]}
        failed += [json.loads(by_id[item["itemIdentifier"]]["body"]) for item in answer["batchItemFailures"]]
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paygate", default="http://127.0.0.1:3000")
    parser.add_argument("--after", default="0", help="the cursor a previous run printed")
    args = parser.parse_args()
    from consumer.app import lambda_handler  # after the arguments: it reads TABLE_NAME when it writes

    pattern, cursor, taken = rule_pattern(), args.after, 0
    for page, following in events(args.paygate, args.after):
        cursor = following
        chosen = [event for event in page if matches(pattern, event)]
        failed = feed(lambda_handler, chosen, _LocalContext())
        taken += len(chosen) - len(failed)
        for event in failed:
            print(f"not taken: {event['detail']['event_id']}")
    print(f"{taken} events taken; go on from --after {cursor}")


class _LocalContext:
    function_name = "paygate-consumer-local"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:paygate-consumer-local"
    aws_request_id = "local"


if __name__ == "__main__":
    main()
