"""Paygentic through the local stack over HTTP: create, Svix-signed webhooks, dedupe, and the
idempotent retry of a create that timed out."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import paygentic_webhook


def create(api, **fields) -> dict:
    return api.create(provider="paygentic", **fields)


def webhook(created: dict, status: str, **signing) -> tuple[bytes, dict]:
    data = {"paymentId": created["provider_payment_id"], "reference": created["id"], "status": status}
    delivery = paygentic_webhook(data, event_type=f"payment.{status}.v0", **signing)
    return delivery.body, delivery.headers


def test_create_gives_the_payment_url_and_a_completed_webhook_succeeds_it(api, stack):
    # Given a Paygentic payment created through the API
    created = create(api, amount="12.00", currency="EUR")
    simulated = stack.simulators["paygentic"].payments[created["provider_payment_id"]]
    assert created["status"] == "pending"
    assert created["payment_url"] == simulated["paymentUrl"]
    assert created["payment_url"].endswith(f"/_sim/paygentic/pay/{created['provider_payment_id']}")
    assert (simulated["amount"], simulated["reference"], simulated["idempotencyKey"]) == (
        "12.00",
        created["id"],
        created["id"],
    )
    # When Paygentic reports it completed, with a Svix-signed webhook
    delivery = api.control("paygentic", created["provider_payment_id"], "completed")
    # Then the gateway accepted it and the payment succeeded
    assert delivery == {"delivered": True, "response_status": 200}
    payment = api.payment(created["id"])
    assert payment["status"] == "succeeded"
    assert payment["history"][-1]["provider_status"] == "completed"


@pytest.mark.parametrize(
    "native, ours", [("expired", "expired"), ("cancelled", "cancelled"), ("processing", "processing")]
)
def test_other_statuses_map_to_ours(api, native, ours):
    created = create(api)
    assert api.control("paygentic", created["provider_payment_id"], native)["response_status"] == 200
    assert api.payment(created["id"])["status"] == ours


def test_unsupported_currency_is_refused_before_anything_is_written(api, table):
    before = table.count()
    answer = api.post("/payments", {"amount": "1000", "currency": "JPY", "provider": "paygentic"})
    assert answer.status_code == 422
    assert (answer.json()["error"]["code"], answer.json()["error"]["param"]) == ("unsupported_currency", "currency")
    assert table.count() == before


def test_a_forged_webhook_is_refused_and_changes_nothing(api):
    created = create(api)
    body, headers = webhook(created, "completed", secret="whsec_" + "Zm9yZ2VkLWtleS1mb3JnZWQta2V5LWZvcmdlZCE=")
    answer = api.post("/ipn/paygentic", data=body, headers=headers, key=False)
    assert answer.status_code == 401
    payment = api.payment(created["id"])
    assert payment["status"] == "pending" and payment["version"] == created["version"]


def test_the_same_svix_id_twice_changes_nothing_the_second_time(api):
    created = create(api)
    msg_id = f"msg_{uuid.uuid4().hex}"
    # Given a delivery that moved the payment to processing
    body, headers = webhook(created, "processing", msg_id=msg_id)
    assert api.post("/ipn/paygentic", data=body, headers=headers, key=False).status_code == 200
    after_first = api.payment(created["id"])
    assert after_first["status"] == "processing"
    # When a message with the same svix-id arrives again (even with another, validly signed body)
    body, headers = webhook(created, "completed", msg_id=msg_id)
    answer = api.post("/ipn/paygentic", data=body, headers=headers, key=False)
    # Then it is acknowledged and nothing changes
    assert answer.status_code == 200
    assert api.payment(created["id"]) == after_first


def test_a_create_that_timed_out_is_retried_into_the_same_paygentic_payment(api, stack, faults):
    simulator = stack.simulators["paygentic"]
    creates_before = simulator.calls["create"]
    # Given Paygentic creates the payment but answers after the gateway has stopped waiting
    faults("paygentic", create=["timeout"])
    answer = api.post("/payments", {"amount": "20.00", "currency": "USD", "provider": "paygentic"})
    # Then the adapter's retry, with the same idempotencyKey, got that payment back: one at Paygentic
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert simulator.calls["create"] == creates_before + 2
    made = [p for p in simulator.payments.values() if p["reference"] == created["id"]]
    assert len(made) == 1
    assert made[0]["id"] == created["provider_payment_id"]
    assert created["status"] == "pending" and created["payment_url"] == made[0]["paymentUrl"]


def test_an_authentic_event_about_no_payment_is_acknowledged(api, table):
    event = paygentic_webhook({"customerId": "cus_1"}, event_type="customer.created.v0")
    before = table.count()
    answer = api.post("/ipn/paygentic", data=event.body, headers=event.headers, key=False)
    assert answer.status_code == 200 and answer.json() == {"received": True}
    assert table.count() == before
