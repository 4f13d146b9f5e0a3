"""A provider that times out, fails or answers garbage at create: a clean error, and a `failed` record."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("timeout", 504, "provider_timeout"),
        ("error", 502, "provider_unavailable"),
        ("garbage", 502, "provider_invalid_response"),
    ],
)
def test_provider_failure_at_create_leaves_a_failed_record(api, table, faults, fault, status, code):
    before = table.ids()
    faults("sandbox", create=[fault])
    answer = api.post("/payments", {"amount": "10.00", "currency": "USD", "provider": "sandbox"})
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["type"] == "provider_error"
    assert answer.json()["error"]["code"] == code
    record = table.new_record(before)
    assert record["status"]["S"] == "failed"
    assert record["failure_reason"]["S"].startswith(code)
    assert "due_at" not in record  # nothing left to check: the outcome is known
    # The answer names the payment it recorded as failed, which the merchant can read
    assert answer.json()["error"]["payment_id"] == record["id"]["S"]
    read = api.payment(record["id"]["S"])
    assert (read["status"], read["failure_reason"].split(":")[0]) == ("failed", code)
