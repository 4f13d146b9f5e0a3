"""Every API key is its own merchant account, over HTTP: another account's payment is not found, on
every route; lists hold only one's own; idempotency keys are one's own. And cancel."""

from __future__ import annotations

import uuid

import pytest


def list_ids(client, **params: str) -> list[str]:
    answer = client.get("/payments", **params)
    assert answer.status_code == 200, answer.text
    return [payment["id"] for payment in answer.json()["data"]]


def assert_not_found(answer) -> None:
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "payment_not_found"


def test_another_accounts_payment_is_not_found_on_any_route(api, other_merchant):
    # Given a payment of account A
    mine = api.create(reference=f"order-{uuid.uuid4().hex[:8]}")
    # Then account B cannot read it, sync it, cancel it, page from it, or find it in its list
    assert_not_found(other_merchant.get(f"/payments/{mine['id']}"))
    assert_not_found(other_merchant.get(f"/payments/{mine['id']}", force_sync="true"))
    assert_not_found(other_merchant.post(f"/payments/{mine['id']}/cancel"))
    assert_not_found(other_merchant.get("/payments", starting_after=mine["id"]))
    assert mine["id"] not in list_ids(other_merchant, limit="100")
    assert list_ids(other_merchant, reference=mine["reference"]) == []
    # and it is exactly as an id that does not exist (nothing tells B that it does)
    unknown = other_merchant.get("/payments/pay_000000000000000000000000").json()["error"]
    seen = other_merchant.get(f"/payments/{mine['id']}").json()["error"]
    assert (seen["type"], seen["code"], seen["param"]) == (unknown["type"], unknown["code"], unknown["param"])
    # while A still has it, untouched
    assert api.payment(mine["id"]) == mine
    assert list_ids(api, reference=mine["reference"]) == [mine["id"]]


def test_one_idempotency_key_used_by_two_accounts_makes_two_payments(api, other_merchant, stack):
    key = f"key-{uuid.uuid4()}"
    body = {"amount": "9.00", "currency": "USD", "provider": "sandbox"}
    creates_before = stack.simulators["sandbox"].calls["create"]
    first = api.post("/payments", body, headers={"Idempotency-Key": key})
    second = other_merchant.post("/payments", body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert "Idempotent-Replayed" not in second.headers
    assert stack.simulators["sandbox"].calls["create"] == creates_before + 2
    assert_not_found(api.get(f"/payments/{second.json()['id']}"))


def test_events_name_the_account(api, stack):
    created = api.create()
    stack.stream.pump()
    events = api.http.get(f"{api.base}/_local/events", timeout=30).json()["events"]
    [event] = [e for e in events if e["detail"].get("payment", {}).get("id") == created["id"]]
    assert event["detail"]["account_id"] == stack.api_keys[api.api_key]


def test_a_list_pages_newest_first_with_a_cursor(api):
    reference = f"paged-{uuid.uuid4().hex[:8]}"
    created = [api.create(reference=reference)["id"] for _ in range(5)]
    first = api.get("/payments", reference=reference, limit="2").json()
    assert first["object"] == "list" and first["has_more"] is True
    assert [p["id"] for p in first["data"]] == created[::-1][:2]
    rest = api.get("/payments", reference=reference, limit="10", starting_after=first["next_starting_after"]).json()
    assert [p["id"] for p in rest["data"]] == created[::-1][2:] and rest["has_more"] is False


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"status": "paid"}, "status"),
        ({"provider": "stripe"}, "provider"),
        ({"created_gte": "yesterday"}, "created_gte"),
        ({"starting_after": "pay_nope"}, "starting_after"),
    ],
)
def test_bad_list_parameters_are_clean_4xx(api, params, param):
    answer = api.get("/payments", **params)
    assert 400 <= answer.status_code < 500
    assert answer.json()["error"]["param"] == param


# --- cancel ----------------------------------------------------------------------------------------


def events_of(api, stack, payment_id: str) -> list[str]:
    stack.stream.pump()
    events = api.http.get(f"{api.base}/_local/events", timeout=30).json()["events"]
    return [event["detail-type"] for event in events if event["detail"].get("payment", {}).get("id") == payment_id]


def test_cancel_a_pending_payment_then_again(api, stack):
    created = api.create()
    # When the merchant cancels it
    cancelled = api.post(f"/payments/{created['id']}/cancel")
    # Then it is cancelled, by the API, with one event for it
    assert cancelled.status_code == 200, cancelled.text
    payment = cancelled.json()
    assert payment["status"] == "cancelled"
    assert (payment["history"][-1]["status"], payment["history"][-1]["source"]) == ("cancelled", "api")
    assert events_of(api, stack, created["id"]) == ["payment.pending", "payment.cancelled"]
    # And cancelling again answers it unchanged, with no second event
    again = api.post(f"/payments/{created['id']}/cancel")
    assert again.status_code == 200 and again.json() == payment
    assert events_of(api, stack, created["id"]) == ["payment.pending", "payment.cancelled"]


@pytest.mark.parametrize("ending", ["succeeded", "failed", "expired"])
def test_a_payment_that_ended_cannot_be_cancelled(api, ending):
    created = api.create()
    api.control("sandbox", created["provider_payment_id"], ending)
    answer = api.post(f"/payments/{created['id']}/cancel")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "payment_not_cancellable"
    assert api.payment(created["id"])["status"] == ending


def test_money_that_arrives_after_a_cancel_is_recorded_late(api):
    created = api.create()
    api.post(f"/payments/{created['id']}/cancel")
    assert api.control("sandbox", created["provider_payment_id"], "succeeded")["response_status"] == 200
    payment = api.payment(created["id"])
    assert (payment["status"], payment["paid_late"]) == ("succeeded", True)
