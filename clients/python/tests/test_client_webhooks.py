"""verify_webhook with no network: messages signed here as the gateway signs them (Standard Webhooks)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from paygate_client import Payment, WebhookVerificationError, verify_webhook

SECRET = "whsec_" + base64.b64encode(b"s" * 24).decode()
Breaker = Callable[[str, dict[str, str]], tuple[str, dict[str, str]]]
PAYMENT = {
    "id": "pay_1",
    "status": "succeeded",
    "amount": "10.50",
    "currency": "USD",
    "created_at": "2026-12-06T10:00:00Z",
    "updated_at": "2026-12-06T10:01:00Z",
}


def signed(body: str, *, at: datetime | None = None, secret: str = SECRET) -> dict[str, str]:
    at = at or datetime.now(UTC)
    return {
        "webhook-id": "pay_1:2",
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign("pay_1:2", at, body),
    }


def event_body(**data: object) -> str:
    return json.dumps({"type": "payment.succeeded", "timestamp": "2026-12-06T10:01:00Z", "data": data})


def test_a_signed_event_is_read_with_its_payment() -> None:
    body = event_body(event_id="pay_1:2", sequence=2, previous_status="pending", payment=PAYMENT)
    event = verify_webhook(body.encode(), signed(body), SECRET)
    assert event.type == "payment.succeeded" and event.data["sequence"] == 2
    assert event.payment == Payment.model_validate(PAYMENT) and event.refund is None


def test_every_signature_of_a_rotation_is_tried() -> None:
    body = event_body(payment=PAYMENT)
    old, new = signed(body), signed(body, secret="whsec_" + base64.b64encode(b"n" * 24).decode())
    both = {**new, "webhook-signature": f"{new['webhook-signature']} {old['webhook-signature']}"}
    assert verify_webhook(body, both, SECRET).type == "payment.succeeded"


@pytest.mark.parametrize(
    "break_it",
    [
        lambda body, headers: (body.replace("10.50", "99.50"), headers),
        lambda body, headers: (body, {**headers, "webhook-id": "pay_1:3"}),
        lambda body, headers: (body, {k: v for k, v in headers.items() if k != "webhook-signature"}),
        lambda body, headers: (body, {**headers, "webhook-signature": "v1,bm90IGEgc2lnbmF0dXJl"}),
        lambda body, headers: (body, {**headers, "webhook-timestamp": "not a time"}),
    ],
    ids=["body", "id", "no-signature", "signature", "timestamp-unreadable"],
)
def test_anything_altered_is_refused(break_it: Breaker) -> None:
    body = event_body(payment=PAYMENT)
    altered_body, altered_headers = break_it(body, signed(body))
    with pytest.raises(WebhookVerificationError):
        verify_webhook(altered_body, altered_headers, SECRET)


def test_stale_and_future_timestamps_are_refused() -> None:
    body = event_body(payment=PAYMENT)
    for at in (datetime.now(UTC) - timedelta(minutes=6), datetime.now(UTC) + timedelta(minutes=6)):
        with pytest.raises(WebhookVerificationError, match="timestamp"):
            verify_webhook(body, signed(body, at=at), SECRET)


def test_a_malformed_secret_or_a_signed_body_that_is_no_event_is_refused() -> None:
    body = event_body(payment=PAYMENT)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, signed(body), "whsec_not base64!")
    not_an_event = json.dumps({"hello": "world"})
    with pytest.raises(WebhookVerificationError, match="not a Paygate event"):
        verify_webhook(not_an_event, signed(not_an_event), SECRET)
