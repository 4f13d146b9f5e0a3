"""Reading the stack's payments table directly, to check what a request wrote (or did not)."""

from __future__ import annotations

import boto3

from local.stack import TABLES


def payment_ids() -> set[str]:
    items = boto3.client("dynamodb").scan(TableName=TABLES["PaymentsTable"], ProjectionExpression="id")["Items"]
    return {item["id"]["S"] for item in items}


def new_record(before: set[str]) -> dict:
    """The one payment item written since `before` was read."""
    items = boto3.client("dynamodb").scan(TableName=TABLES["PaymentsTable"])["Items"]
    new = [item for item in items if item["id"]["S"] not in before]
    assert len(new) == 1
    return new[0]
