"""NOWPayments over HTTP against the local stack: create, signed IPNs through the status machine, forged
IPNs, child payments, and every create error as the merchant sees it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from paygate.providers.nowpayments.signing import sign
from tests.factories import CREDENTIALS, nowpayments_ipn

API_KEY = CREDENTIALS["nowpayments"]["api_key"]


def create(api, **fields) -> dict:
    return api.create(provider="nowpayments", pay_currency="btc", **fields)


def test_create_with_pay_currency_gives_a_deposit_address(api, stack):
    # Given a payment in USD to be paid in BTC
    created = create(api, amount="10.50", description="Café ☕")
    # Then NOWPayments' answer is on the payment: its id as a string, where and how much to pay
    assert created["status"] == "pending"
    assert created["provider_payment_id"].isdigit()
    assert created["pay_address"] and created["pay_currency"] == "btc"
    assert created["pay_amount"] == "0.00011025"
    # And NOWPayments got the price as the number 10.50, our id as order_id and the per-payment IPN URL
    sent = stack.simulators["nowpayments"].payments[created["provider_payment_id"]]
    assert sent["price_amount_text"] == "10.50"
    assert sent["order_id"] == created["id"]
    assert sent["ipn_callback_url"].endswith("/ipn/nowpayments")


def test_signed_ipns_move_the_payment_and_a_late_one_changes_nothing(api):
    created = create(api, description="Café ☕ 日本")  # non-ASCII travels in every IPN's order_description
    # When NOWPayments sees the deposit on chain
    assert api.control("nowpayments", created["provider_payment_id"], "confirming")["response_status"] == 200
    assert api.payment(created["id"])["status"] == "processing"
    # And then finishes it
    assert api.control("nowpayments", created["provider_payment_id"], "finished")["response_status"] == 200
    finished = api.payment(created["id"])
    assert finished["status"] == "succeeded"
    # With what NOWPayments settles: its outcome as the net, in the coin paid, and its fee in that coin
    pay_amount = Decimal(finished["pay_amount"])
    assert abs(Decimal(finished["net"]) - pay_amount * Decimal("0.995")) < Decimal("1e-12")
    assert (finished["settlement_currency"], finished["fee"]) == (finished["pay_currency"].upper(), "0.0000986")
    assert Decimal(finished["actually_paid"]) == pay_amount
    # When a late `confirming` arrives after that
    assert api.control("nowpayments", created["provider_payment_id"], "confirming")["response_status"] == 200
    # Then nothing changed
    after = api.payment(created["id"])
    assert (after["status"], after["version"]) == ("succeeded", finished["version"])
    assert [(entry["status"], entry["provider_status"]) for entry in after["history"][1:]] == [
        ("processing", "confirming"), ("succeeded", "finished"),
    ]  # fmt: skip


@pytest.mark.parametrize(("native", "status"), [("partially_paid", "partially_paid"), ("expired", "expired")])
def test_partially_paid_and_expired_map_to_ours(api, native, status):
    created = create(api)
    assert api.control("nowpayments", created["provider_payment_id"], native)["response_status"] == 200
    assert api.payment(created["id"])["status"] == status


def test_a_forged_ipn_is_refused_and_changes_nothing(api):
    created = create(api)
    body = json.dumps(
        {"payment_id": int(created["provider_payment_id"]), "order_id": created["id"], "payment_status": "finished"}
    )
    signed_with_the_wrong_secret = sign("not-the-ipn-secret", body.replace(" ", ""))
    for headers in ({"x-nowpayments-sig": signed_with_the_wrong_secret}, {}):
        answer = api.post("/ipn/nowpayments", data=body, headers=headers, key=False)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"]["code"] == "invalid_signature"
    after = api.payment(created["id"])
    assert (after["status"], after["version"]) == ("pending", created["version"])


def test_a_child_payment_is_recorded_on_its_parent_and_never_fulfils_it(api):
    created = create(api)
    # A re-deposit: its own payment id, finished, pointing at the parent (keys already sorted)
    body = (
        '{"order_id":"' + created["id"] + '","parent_payment_id":' + created["provider_payment_id"] + ","
        '"pay_amount":0.0000985,"payment_id":9999999999,"payment_status":"finished"}'
    )
    ipn = nowpayments_ipn(body)
    answer = api.post("/ipn/nowpayments", data=ipn.body, headers=ipn.headers, key=False)
    assert answer.status_code == 200, answer.text
    after = api.payment(created["id"])
    assert after["status"] == "pending"
    assert after["version"] > created["version"]  # the child was noted on the parent


# --- create errors ---------------------------------------------------------------------------------


def test_missing_pay_currency_is_refused_before_anything_is_written(api, table):
    before = table.count()
    answer = api.post("/payments", {"amount": "10.00", "currency": "USD", "provider": "nowpayments"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["param"] == "pay_currency"
    assert table.count() == before


def test_an_amount_below_the_minimum_is_a_422_and_a_failed_record(api, table):
    before = table.ids()
    answer = api.post(
        "/payments", {"amount": "0.50", "currency": "USD", "provider": "nowpayments", "pay_currency": "btc"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "amount_out_of_range"
    record = table.new_record(before)
    assert record["status"]["S"] == "failed"
    assert record["failure_reason"]["S"].startswith("amount_out_of_range:")


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("bad_key", 502, "provider_rejected"),
        ("error", 502, "provider_unavailable"),
        ("timeout", 504, "provider_timeout"),
        ("garbage", 502, "provider_invalid_response"),
    ],
)
def test_provider_failures_at_create_give_their_code_and_a_failed_record(
    api, stack, table, faults, monkeypatch, fault, status, code
):
    simulator = stack.simulators["nowpayments"]
    if fault == "bad_key":  # the simulator expects another key than the gateway sends: INVALID_API_KEY
        monkeypatch.setitem(simulator.credentials, "api_key", "np_some_other_key")
    else:
        faults("nowpayments", create=[fault])
    before = table.ids()
    answer = api.post(
        "/payments", {"amount": "10.00", "currency": "USD", "provider": "nowpayments", "pay_currency": "btc"}
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert API_KEY not in answer.text
    record = table.new_record(before)
    assert record["status"]["S"] == "failed"
    assert record["failure_reason"]["S"].startswith(f"{code}:")
