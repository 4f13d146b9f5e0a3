"""IVPAY through the local stack over HTTP: create, webhooks confirmed by IVPAY's status API, the key
check, IVPAY's retries, and its error envelopes on create."""

from __future__ import annotations

import json

import pytest

from tests.factories import CREDENTIALS as ALL_CREDENTIALS

CREDENTIALS = ALL_CREDENTIALS["ivpay"]


@pytest.fixture
def simulator(stack):
    simulator = stack.simulators["ivpay"]
    saved, simulator.retry_delay = simulator.retry_delay, 0  # IVPAY waits 5 s between attempts; tests do not
    yield simulator
    simulator.retry_delay = saved


@pytest.fixture
def key_mismatch(simulator):
    """The simulator holds another key than the gateway: it refuses the gateway, and the gateway it."""
    saved = simulator.credentials
    simulator.credentials = {**saved, "api_key": "not-the-gateways-key"}
    yield
    simulator.credentials = saved


def create(api, **fields) -> dict:
    return api.create(provider="ivpay", **fields)


def webhook(created: dict, status: str) -> bytes:
    return json.dumps(
        {
            "payment_id": created["provider_payment_id"],
            "status": status,
            "processed_at": 1726248785,
            "foreign_id": created["id"],
            "network": "TRON",
            "tx_url": "https://tronscan.org/#/transaction/claimed",
        }
    ).encode()


def test_create_gives_a_payment_url(api, simulator):
    created = create(api, amount="12.00", success_url="https://shop.example/ok")
    assert created["status"] == "pending"
    assert created["payment_url"].endswith(f"/_sim/ivpay/pay/{created['provider_payment_id']}")
    # IVPAY got the amount string as sent, our id as foreign_id, and the redirect
    stored = simulator.payments[created["provider_payment_id"]]
    assert (stored["amount_fiat"], stored["foreign_id"], stored["status"]) == ("12.00", created["id"], "CREATED")
    assert api.http.get(created["payment_url"], timeout=10).status_code == 200


def test_pending_then_paid_succeeds_once_ivpay_confirms_it(api, simulator):
    # Given an IVPAY payment
    created = create(api)
    reads_before = simulator.calls["read"]
    # When IVPAY reports it PENDING, then PAID
    assert api.control("ivpay", created["provider_payment_id"], "PENDING")["response_status"] == 200
    assert api.payment(created["id"])["status"] == "pending"
    delivery = api.control("ivpay", created["provider_payment_id"], "PAID")
    # Then the gateway acknowledged with exactly 200 and, having asked IVPAY each time, it succeeded
    assert delivery == {"delivered": True, "response_status": 200}
    payment = api.payment(created["id"])
    assert payment["status"] == "succeeded"
    assert payment["history"][-1]["source"] == "callback"
    assert payment["history"][-1]["provider_status"] == "PAID"
    assert simulator.calls["read"] == reads_before + 2
    # and a duplicate delivery is acknowledged with 200 too (IVPAY would otherwise retry) and changes nothing
    assert api.control("ivpay", created["provider_payment_id"], "PAID")["response_status"] == 200
    assert api.payment(created["id"])["version"] == payment["version"]


def test_timeout_is_expired(api):
    created = create(api)
    api.control("ivpay", created["provider_payment_id"], "TIMEOUT")
    payment = api.payment(created["id"])
    assert payment["status"] == "expired"
    assert payment["history"][-1]["provider_status"] == "TIMEOUT"


def test_a_webhook_with_a_wrong_key_is_refused_and_changes_nothing(api, simulator):
    # Given a payment that IVPAY really has as PAID, but whose webhook has not arrived
    created = create(api)
    simulator.payments[created["provider_payment_id"]]["status"] = "PAID"
    reads_before = simulator.calls["read"]
    # When a webhook arrives with another key (and then with none)
    for headers in ({"X-API-KEY": CREDENTIALS["api_key"] + "x"}, {}):
        answer = api.post("/ipn/ivpay", data=webhook(created, "PAID"), headers=headers, key=False)
        # Then it is refused before anything is read, and the payment is unchanged
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"]["type"] == "authentication_error"
    assert CREDENTIALS["api_key"] not in answer.text
    assert api.payment(created["id"])["version"] == created["version"]
    assert simulator.calls["read"] == reads_before


def test_a_paid_claim_ivpay_does_not_confirm_changes_nothing(api, simulator):
    # Given a payment IVPAY still has as CREATED
    created = create(api)
    reads_before = simulator.calls["read"]
    # When IVPAY's webhook (right key) claims PAID but IVPAY's own record says otherwise
    delivery = api.http.post(
        f"{api.base}/_sim/ivpay/payments/{created['provider_payment_id']}/status",
        json={"status": "PAID", "confirm": False},
        timeout=30,
    )
    # Then the webhook is acknowledged (a hint), the status call was made, and nothing changed
    assert delivery.json() == {"delivered": True, "response_status": 200}
    assert simulator.calls["read"] == reads_before + 1
    assert simulator.payments[created["provider_payment_id"]]["status"] == "CREATED"
    payment = api.payment(created["id"])
    assert payment["status"] == "pending" and payment["version"] == created["version"]


def test_a_webhook_not_answered_200_is_tried_three_times(api, simulator, key_mismatch):
    # Given the gateway refuses the simulator's webhooks (another key)
    created = create_with_saved_key(api, simulator)
    attempts_before = simulator.calls["webhook"]
    # When IVPAY sends a webhook
    delivery = api.control("ivpay", created["provider_payment_id"], "PAID")
    # Then it tried three times, each refused, and the payment is unchanged
    assert delivery["response_status"] == 401
    assert simulator.calls["webhook"] == attempts_before + 3
    assert api.payment(created["id"])["status"] == "pending"


def create_with_saved_key(api, simulator) -> dict:
    """Create while the simulator still accepts the gateway's key, then let the mismatch apply."""
    mismatched = simulator.credentials
    simulator.credentials = CREDENTIALS
    try:
        return create(api)
    finally:
        simulator.credentials = mismatched


# --- create failures: a clean error and a failed record with its reason ----------------------------


def test_the_error_envelope_of_create_is_a_clean_error_and_a_failed_record(api, table, faults):
    before = table.ids()
    faults("ivpay", create=["refuse"])  # the simulator answers 400 {"success": false, "error": ...}
    answer = api.post("/payments", {"amount": "10.00", "currency": "USD", "provider": "ivpay"})
    assert answer.status_code == 502, answer.text
    assert answer.json()["error"]["code"] == "provider_rejected"
    assert answer.json()["error"]["message"] == "ivpay: Payment creation refused"
    record = table.new_record(before)
    assert record["status"]["S"] == "failed"
    assert record["failure_reason"]["S"] == "provider_rejected: ivpay: Payment creation refused"


def test_a_401_on_create_is_a_clean_error_without_the_key_and_a_failed_record(api, table, key_mismatch):
    before = table.ids()
    answer = api.post("/payments", {"amount": "10.00", "currency": "USD", "provider": "ivpay"})
    assert answer.status_code == 502, answer.text
    record = table.new_record(before)
    assert answer.json()["error"] == {
        "type": "provider_error",
        "code": "provider_rejected",
        "message": "ivpay: Wrong auth parameters",
        "param": None,
        "payment_id": record["id"]["S"],  # the payment recorded as failed
    }
    assert CREDENTIALS["api_key"] not in answer.text
    assert record["status"]["S"] == "failed"
    assert record["failure_reason"]["S"] == "provider_rejected: ivpay: Wrong auth parameters"
