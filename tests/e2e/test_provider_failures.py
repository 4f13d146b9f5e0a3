"""A provider that times out, fails or answers garbage at create: a clean error, and a `failed` record."""

from __future__ import annotations

import boto3
import pytest

from local.stack import TABLES


def _only_new_payment(before: set[str]) -> dict:
    client = boto3.client("dynamodb")
    items = client.scan(TableName=TABLES["PaymentsTable"])["Items"]
    new = [item for item in items if item["id"]["S"] not in before]
    assert len(new) == 1
    return new[0]


def _ids() -> set[str]:
    items = boto3.client("dynamodb").scan(TableName=TABLES["PaymentsTable"], ProjectionExpression="id")["Items"]
    return {item["id"]["S"] for item in items}


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("timeout", 504, "provider_timeout"),
        ("error", 502, "provider_unavailable"),
        ("garbage", 502, "provider_invalid_response"),
    ],
)
def test_provider_failure_at_create_leaves_a_failed_record(api, stack, fault, status, code):
    before = _ids()
    stack.simulators["sandbox"].faults["create"] = [fault]
    answer = api.post("/payments", {"amount": "10.00", "currency": "USD", "provider": "sandbox"})
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["type"] == "provider_error"
    assert answer.json()["error"]["code"] == code
    record = _only_new_payment(before)
    assert record["status"]["S"] == "failed"
    assert record["failure_reason"]["S"].startswith(code)
    assert "due_at" not in record  # nothing left to check: the outcome is known
