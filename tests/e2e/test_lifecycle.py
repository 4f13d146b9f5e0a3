"""The README walk-through, idempotency and callbacks, over HTTP against the local stack."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.factories import sandbox_callback


def test_readme_walkthrough_takes_a_payment_to_succeeded(api):
    # Given a payment created through the API
    created = api.create(reference="order-123")
    assert created["status"] == "pending"
    assert created["payment_url"].endswith(f"/_sim/sandbox/checkout/{created['provider_payment_id']}")
    # When the provider reports it paid, with a signed callback
    delivery = api.control("sandbox", created["provider_payment_id"], "succeeded")
    # Then the gateway accepted the callback and the payment is succeeded, with its two history entries
    assert delivery == {"delivered": True, "response_status": 200}
    payment = api.payment(created["id"])
    assert payment["status"] == "succeeded"
    assert [entry["status"] for entry in payment["history"]] == ["pending", "succeeded"]
    assert payment["version"] > created["version"]


def test_checkout_page_pay_button_succeeds_the_payment(api):
    created = api.create()
    page = api.http.get(created["payment_url"], timeout=10)
    assert page.status_code == 200 and "Pay</button>" in page.text and "Fail</button>" in page.text
    api.http.post(created["payment_url"], data={"status": "succeeded"}, timeout=30)
    assert api.payment(created["id"])["status"] == "succeeded"


def test_same_idempotency_key_and_body_replays_the_first_response(api, stack):
    key = f"key-{uuid.uuid4()}"
    body = {"amount": "25.00", "currency": "EUR", "provider": "sandbox", "reference": "order-idem"}
    creates_before = stack.simulators["sandbox"].calls["create"]
    first = api.post("/payments", body, headers={"Idempotency-Key": key})
    second = api.post("/payments", body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stack.simulators["sandbox"].calls["create"] == creates_before + 1


def test_same_idempotency_key_with_another_body_is_refused(api):
    key = f"key-{uuid.uuid4()}"
    api.post(
        "/payments", {"amount": "5.00", "currency": "USD", "provider": "sandbox"}, headers={"Idempotency-Key": key}
    )
    again = api.post(
        "/payments", {"amount": "6.00", "currency": "USD", "provider": "sandbox"}, headers={"Idempotency-Key": key}
    )
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "idempotency_key_reused"
    assert again.json()["error"]["type"] == "idempotency_error"


def _signed_callback(api, created: dict, status: str, **signing):
    delivery = sandbox_callback(created["id"], created["provider_payment_id"], status, **signing)
    return api.post("/ipn/sandbox", data=delivery.body, headers=delivery.headers, key=False)


def test_callback_with_a_wrong_signature_is_refused_and_changes_nothing(api):
    created = api.create()
    answer = _signed_callback(api, created, "succeeded", secret="not-the-secret")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_signature"
    assert api.payment(created["id"]) == created


def test_callback_with_a_stale_timestamp_is_refused_and_changes_nothing(api):
    created = api.create()
    answer = _signed_callback(api, created, "succeeded", timestamp=int(time.time()) - 301)
    assert answer.status_code == 401
    assert api.payment(created["id"]) == created


def test_callback_with_no_signature_is_refused(api):
    created = api.create()
    body = json.dumps({"id": created["provider_payment_id"], "reference": created["id"], "status": "succeeded"})
    answer = api.post("/ipn/sandbox", data=body, key=False)
    assert answer.status_code == 401
    assert api.payment(created["id"]) == created


def test_duplicate_callback_is_accepted_and_adds_no_history(api):
    created = api.create()
    assert _signed_callback(api, created, "processing", event_id="evt_dup").status_code == 200
    after_first = api.payment(created["id"])
    assert _signed_callback(api, created, "processing", event_id="evt_dup").status_code == 200
    assert _signed_callback(api, created, "processing").status_code == 200  # same status, new delivery
    assert api.payment(created["id"]) == after_first
    assert [entry["status"] for entry in after_first["history"]] == ["pending", "processing"]


def test_callback_for_an_unknown_provider_or_payment_is_404(api):
    created = api.create()
    assert api.post("/ipn/nosuchprovider", data=b"{}", key=False).status_code == 404
    unknown = dict(created, id="pay_unknown", provider_payment_id="sbx_unknown")
    answer = _signed_callback(api, unknown, "succeeded")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "payment_not_found"


def test_force_sync_reads_the_status_from_the_provider(api, stack):
    created = api.create()
    stack.simulators["sandbox"].update(created["provider_payment_id"], status="processing")
    assert api.payment(created["id"])["status"] == "pending"
    synced = api.get(f"/payments/{created['id']}", force_sync="true").json()
    assert synced["status"] == "processing"
    assert synced["history"][-1]["source"] == "sync"


def test_merchant_routes_need_a_key_that_works(api):
    missing = api.post("/payments", {"amount": "1.00", "currency": "USD"}, key=False)
    unknown = api.get("/payments/pay_x", headers={"X-API-Key": "pg_test_" + "0" * 32})
    assert missing.status_code == unknown.status_code == 401
    assert missing.json() == unknown.json()  # as API Gateway answers both: nothing tells which keys exist
    assert missing.json()["error"]["code"] == "invalid_api_key"


def test_unknown_payment_is_404_in_the_error_shape(api):
    answer = api.get("/payments/pay_does_not_exist")
    assert answer.status_code == 404
    assert answer.json() == {
        "error": {
            "type": "invalid_request",
            "code": "payment_not_found",
            "message": "No payment with id 'pay_does_not_exist'",
            "param": "payment_id",
        }
    }


def test_concurrent_creates_with_one_key_reach_the_provider_once(api, stack, faults):
    # Given a provider slow enough (0.5 s) that five requests sent at once overlap
    simulator = stack.simulators["sandbox"]
    faults("sandbox", create=["slow"])
    creates_before = simulator.calls["create"]
    key = f"key-{uuid.uuid4()}"
    body = {"amount": "7.00", "currency": "USD", "provider": "sandbox"}
    # When five identical requests arrive at once
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: api.post("/payments", body, headers={"Idempotency-Key": key}), range(5)))
    # Then they did overlap (some were told the first is still running), and only one reached the provider
    statuses = [answer.status_code for answer in answers]
    assert 409 in statuses, statuses
    assert set(statuses) <= {201, 409}
    assert simulator.calls["create"] == creates_before + 1
    created = [answer.json() for answer in answers if answer.status_code == 201]
    assert created and all(payment == created[0] for payment in created)
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "idempotency_in_progress"
