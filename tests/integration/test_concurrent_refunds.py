"""Concurrent refunds never give back more than a payment holds: on DynamoDB Local (Amazon's engine), over
HTTP against the local stack, twenty refunds of 10.00 at once against a payment of 100.00."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

pytestmark = pytest.mark.integration

CONCURRENT = 20


def test_twenty_concurrent_refunds_of_a_tenth_reserve_exactly_the_money(stack):
    base, key = f"http://{stack.host}:{stack.port}", stack.api_key
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    # Given a sandbox payment of 100.00, paid
    created = requests.post(
        f"{base}/payments",
        json={"amount": "100.00", "currency": "USD", "provider": "sandbox"},
        headers=headers,
        timeout=30,
    ).json()
    control = f"{base}/_sim/sandbox/payments/{created['provider_payment_id']}/status"
    assert requests.post(control, json={"status": "succeeded"}, timeout=30).json()["response_status"] == 200

    # When twenty merchants' servers (or one, retrying) ask for 10.00 each at the same moment
    def ask(_: int) -> requests.Response:
        url = f"{base}/payments/{created['id']}/refunds"
        return requests.post(url, json={"amount": "10.00"}, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(ask, range(CONCURRENT)))

    # Then exactly ten were taken and the others refused, each in the one error shape
    taken = [answer.json() for answer in answers if answer.status_code == 201]
    refused = [answer.json()["error"]["code"] for answer in answers if answer.status_code != 201]
    assert len(taken) == 10, [answer.text for answer in answers]
    assert refused == ["amount_exceeds_refundable"] * 10
    assert {refund["status"] for refund in taken} <= {"pending", "succeeded"}
    # and what the payment holds of them is the whole 100.00, never more
    listed = requests.get(f"{base}/payments/{created['id']}/refunds", headers=headers, timeout=30).json()["data"]
    assert sorted(refund["id"] for refund in listed) == sorted(refund["id"] for refund in taken)
    assert sum(Decimal(refund["amount"]) for refund in listed) == Decimal("100.00")
    # and the provider was asked for exactly those ten
    sandbox = stack.simulators["sandbox"]
    assert sandbox.payment(created["provider_payment_id"])["refunded"] == Decimal("100.00")
