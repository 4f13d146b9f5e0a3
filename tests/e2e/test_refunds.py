"""Money back, over HTTP against the local stack: refunds through the sandbox's refund API (settled by its
callbacks), manual refunds at a provider without one, a refund whose provider times out, payments paid
less or more than asked, and one merchant's refunds hidden from another."""

from __future__ import annotations

from decimal import Decimal

import pytest


def paid(api, stack, amount: str = "100.00", paid_amount: str | None = None, **fields) -> dict:
    """A sandbox payment its customer paid (`paid_amount` of it: the whole amount unless told)."""
    created = api.create(amount=amount, currency="USD", **fields)
    if paid_amount is not None:
        stack.simulators["sandbox"].update(created["provider_payment_id"], amount_paid=paid_amount)
    api.control("sandbox", created["provider_payment_id"], "succeeded")
    return api.payment(created["id"])


def refund(api, payment_id: str, amount: str | None = None, key: str | None = None, **fields):
    body = {**({"amount": amount} if amount else {}), **fields}
    headers = {"Idempotency-Key": key} if key else None
    return api.post(f"/payments/{payment_id}/refunds", body, headers=headers)


def settle(api, refund_id: str, status: str) -> None:
    """The sandbox makes (or fails) the refund and tells the gateway, as its callback."""
    provider_id = api.get(f"/refunds/{refund_id}").json()["provider_refund_id"]
    answer = api.http.post(f"{api.base}/_sim/sandbox/refunds/{provider_id}/status", json={"status": status}, timeout=30)
    assert answer.json() == {"delivered": True, "response_status": 200}, answer.text


def test_a_payment_refunded_in_two_parts_then_has_nothing_left(api, stack):
    payment = paid(api, stack, "100.00")
    first, second = refund(api, payment["id"], "30.00"), refund(api, payment["id"], "70.00")
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert {first.json()["status"], second.json()["status"]} == {"pending"}
    for made in (first.json(), second.json()):
        settle(api, made["id"], "succeeded")
        assert api.get(f"/refunds/{made['id']}").json()["status"] == "succeeded"
    third = refund(api, payment["id"], "0.01")
    assert third.status_code == 422
    assert third.json()["error"]["code"] == "amount_exceeds_refundable"
    after = api.payment(payment["id"])
    assert (after["amount_received"], after["amount_refunded"], after["refunded"]) == ("100.00", "100.00", True)
    listed = api.get(f"/payments/{payment['id']}/refunds").json()["data"]
    assert [r["amount"] for r in listed] == ["70.00", "30.00"]  # newest first


def test_a_refund_the_provider_fails_gives_its_money_back(api, stack):
    payment = paid(api, stack, "20.00")
    made = refund(api, payment["id"]).json()
    assert made["amount"] == "20.00"  # no amount: all that remains
    settle(api, made["id"], "failed")
    failed = api.get(f"/refunds/{made['id']}").json()
    assert failed["status"] == "failed" and failed["failure_reason"]
    assert refund(api, payment["id"]).json()["amount"] == "20.00"  # refundable again


def test_a_payment_not_paid_cannot_be_refunded(api):
    created = api.create(amount="10.00", currency="USD")
    answer = refund(api, created["id"], "1.00")
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "payment_not_refundable"


def test_a_refund_at_a_provider_without_a_refund_api_waits_for_the_merchant(api, stack):
    # A NOWPayments payment, paid: NOWPayments has no refund API, so the merchant sends the coins back
    created = api.create(provider="nowpayments", amount="10.50", currency="USD", pay_currency="btc")
    api.control("nowpayments", created["provider_payment_id"], "finished")
    made = refund(api, created["id"], "4.00").json()
    assert (made["status"], made["manual"]) == ("requires_action", True)
    # Until the merchant confirms it, with the transaction that gave the money back
    confirmed = api.post(f"/refunds/{made['id']}/confirm", {"external_reference": "0xfeed"})
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["external_reference"]) == ("succeeded", "0xfeed")
    # and other services hear of each step, with the payment it belongs to
    stack.stream.pump()
    events = api.http.get(f"{api.base}/_local/events", timeout=30).json()["events"]
    mine = [event for event in events if event["detail"].get("refund", {}).get("id") == made["id"]]
    assert [event["detail-type"] for event in mine] == ["refund.created", "refund.requires_action", "refund.succeeded"]
    assert {event["detail"]["payment_id"] for event in mine} == {created["id"]}


def test_a_manual_refund_cancelled_gives_its_amount_back_and_a_sandbox_refund_cannot_be_confirmed(api, stack):
    created = api.create(provider="nowpayments", amount="10.50", currency="USD", pay_currency="btc")
    api.control("nowpayments", created["provider_payment_id"], "finished")
    manual = refund(api, created["id"]).json()
    assert api.post(f"/refunds/{manual['id']}/cancel").json()["status"] == "cancelled"
    assert refund(api, created["id"]).json()["amount"] == "10.50"
    at_provider = refund(api, paid(api, stack, "5.00")["id"]).json()
    answer = api.post(f"/refunds/{at_provider['id']}/confirm", {"external_reference": "x"})
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "refund_not_confirmable"


def test_a_refund_whose_provider_times_out_fails_and_its_key_replays_it(api, stack, faults):
    payment = paid(api, stack, "50.00")
    faults("sandbox", refund=["timeout"])
    timed_out = refund(api, payment["id"], "50.00", key="refund-1")
    assert timed_out.status_code == 201
    assert timed_out.json()["status"] == "failed"  # the sandbox has no refund by that reference
    again = refund(api, payment["id"], "50.00", key="refund-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == timed_out.json()
    retried = refund(api, payment["id"], "50.00", key="refund-2")
    assert (retried.status_code, retried.json()["status"]) == (201, "pending")  # the money was refundable again
    reused = refund(api, payment["id"], "10.00", key="refund-2")
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"


def test_an_underpaid_payment_accepted_succeeds_with_what_it_received(api, stack):
    payment = paid(api, stack, "80.00", paid_amount="60.00")
    assert (payment["status"], payment["amount_received"]) == ("partially_paid", "60.00")
    listed = api.get("/payments", money="underpaid", limit="100").json()["data"]
    assert payment["id"] in [p["id"] for p in listed]
    accepted = api.post(f"/payments/{payment['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    shown = accepted.json()
    assert (shown["status"], shown["amount_received"], shown["amount"]) == ("succeeded", "60.00", "80.00")
    assert shown["history"][-1]["source"] == "api" and "accepted" in shown["history"][-1]["note"]
    again = api.post(f"/payments/{payment['id']}/accept")
    assert again.status_code == 422 and again.json()["error"]["code"] == "payment_not_acceptable"


def test_an_overpaid_payment_refunds_exactly_its_excess(api, stack):
    payment = paid(api, stack, "100.00", paid_amount="120.00")
    assert (payment["status"], payment["amount_received"]) == ("succeeded", "120.00")
    assert payment["id"] in [p["id"] for p in api.get("/payments", money="overpaid", limit="100").json()["data"]]
    excess = Decimal(payment["amount_received"]) - Decimal(payment["amount"])
    made = refund(api, payment["id"], str(excess), reason="overpaid").json()
    settle(api, made["id"], "succeeded")
    after = api.payment(payment["id"])
    assert (after["amount_refunded"], after["refunded"]) == ("20.00", False)  # the price stays with the merchant


@pytest.mark.parametrize(
    "request_of",
    [
        lambda ids: ("post", f"/payments/{ids['payment']}/refunds", {"amount": "1.00"}),
        lambda ids: ("get", f"/payments/{ids['payment']}/refunds", None),
        lambda ids: ("get", f"/refunds/{ids['refund']}", None),
        lambda ids: ("post", f"/refunds/{ids['refund']}/confirm", {"external_reference": "x"}),
        lambda ids: ("post", f"/refunds/{ids['refund']}/cancel", None),
    ],
)
def test_another_merchants_refunds_are_not_found(api, stack, other_merchant, request_of):
    created = api.create(provider="nowpayments", amount="10.50", currency="USD", pay_currency="btc")
    api.control("nowpayments", created["provider_payment_id"], "finished")
    made = refund(api, created["id"], "1.00").json()
    method, path, body = request_of({"payment": created["id"], "refund": made["id"]})
    answer = other_merchant.post(path, body) if method == "post" else other_merchant.get(path)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] in ("payment_not_found", "refund_not_found")
    assert api.get(f"/refunds/{made['id']}").json()["status"] == "requires_action"  # untouched
