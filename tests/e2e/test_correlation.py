"""One correlation id from the request that causes a change, through the table's stream and the bus, to
the webhook queue and the merchant's webhook headers, over HTTP against the local stack."""

from __future__ import annotations

import json
import uuid

import pytest

from paygate import correlation
from tests.e2e.test_webhooks import quiet, receiver, register  # noqa: F401  # fixtures of the webhook tests


def header(receipt: dict, name: str) -> str | None:
    return next((value for key, value in receipt["headers"].items() if key.lower() == name.lower()), None)


def test_the_callers_id_follows_a_payment_to_the_event_and_the_webhook(api, stack, receiver):  # noqa: F811
    register(api, receiver)
    given = f"order-{uuid.uuid4().hex[:12]}"
    created = api.post(
        "/payments", {"amount": "10.50", "currency": "USD", "provider": "sandbox"}, headers={correlation.HEADER: given}
    )
    assert created.status_code == 201, created.text
    assert created.headers[correlation.HEADER] == given
    payment = created.json()

    api.control("sandbox", payment["provider_payment_id"], "succeeded")
    stack.deliver_webhooks()

    received = stack.merchant.received(receiver)
    assert [r["status"] for r in received] == [200, 200]
    pending, succeeded = (r["body"] for r in received)
    pending, succeeded = json.loads(pending), json.loads(succeeded)
    assert pending["type"] == "payment.pending" and pending["data"]["correlation_id"] == given
    assert header(received[0], correlation.WEBHOOK_HEADER) == given
    # The success was caused by the provider's callback: a request of its own, with an id of its own.
    assert succeeded["type"] == "payment.succeeded"
    assert succeeded["data"]["correlation_id"] not in (None, given)
    assert header(received[1], correlation.WEBHOOK_HEADER) == succeeded["data"]["correlation_id"]


def test_without_a_usable_id_the_gateways_request_id_is_the_correlation_id(api):
    unusable = "two words; and more"
    answer = api.get("/payments", headers={correlation.HEADER: unusable})
    assert answer.status_code == 200
    assert answer.headers[correlation.HEADER] not in ("", unusable)
    uuid.UUID(answer.headers[correlation.HEADER])  # the local emulator's request ids are UUIDs


@pytest.mark.parametrize("path", ["/payments/pay_nothere", "/payments/pay_nothere/refunds"])
def test_errors_carry_the_correlation_id_too(api, path):
    answer = api.get(path, headers={correlation.HEADER: "trace-404"})
    assert answer.status_code == 404
    assert answer.headers[correlation.HEADER] == "trace-404"
