"""A callback changes only its own payment, and only by the money it reports: over HTTP, for every provider.

Money: for each provider that reports it, an authentic success (signed, or confirmed by the provider's
status API) for the right payment but the wrong price or currency leaves the payment where it was, with
the mismatch in its history; an underpayment makes it `partially_paid`, an overpayment `succeeded`;
what the customer was shown (the deposit address) is never replaced. Binding: a callback that names one
payment and carries the provider id of another changes neither."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from tests.factories import CREDENTIALS, nowpayments_ipn, paygentic_webhook, sandbox_callback

# --- how each provider reports a success with money of the test's choosing --------------------------


def sandbox_success(api, stack, created: dict, *, amount: str, currency: str, paid: str) -> None:
    sandbox = stack.simulators["sandbox"]
    sandbox.update(created["provider_payment_id"], amount=amount, currency=currency, amount_paid=paid)  # what it holds
    assert api.control("sandbox", created["provider_payment_id"], "succeeded")["response_status"] == 200


def nowpayments_success(api, stack, created: dict, *, amount: str, currency: str, paid: str, **extra) -> None:
    body = {
        "payment_id": int(created["provider_payment_id"]),
        "order_id": created["id"],
        "payment_status": "finished",
        "price_amount": Decimal(amount),
        "price_currency": currency.lower(),
        "pay_amount": Decimal(created["pay_amount"]),
        "actually_paid": Decimal(paid),
        "pay_currency": created["pay_currency"],
        "pay_address": "an-address-of-the-attackers-choosing",
        "updated_at": 1,
        **extra,
    }
    ipn = nowpayments_ipn(_js_numbers(body))
    answer = api.post("/ipn/nowpayments", data=ipn.body, headers=ipn.headers, key=False)
    assert answer.status_code == 200, answer.text


def _js_numbers(body: dict) -> bytes:
    """The body as NOWPayments writes it: Decimals as JSON numbers with their digits."""
    return ("{" + ",".join(f"{json.dumps(k)}:{_value(v)}" for k, v in body.items()) + "}").encode()


def _value(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else json.dumps(value)


def paygentic_success(api, stack, created: dict, *, amount: str, currency: str, paid: str) -> None:
    data = {
        "paymentId": created["provider_payment_id"],
        "reference": created["id"],
        "status": "completed",
        "amount": paid,
        "currency": currency,
    }
    event = paygentic_webhook(data, event_type="payment.completed.v0")
    answer = api.post("/ipn/paygentic", data=event.body, headers=event.headers, key=False)
    assert answer.status_code == 200, answer.text


def payop_success(api, stack, created: dict, *, amount: str, currency: str, paid: str) -> None:
    # Payop's IPN is a hint: what counts is its invoice, as its status API answers it.
    invoice = stack.simulators["payop"].payments[created["provider_payment_id"]]
    invoice.update(amount=paid, currency=currency)
    assert api.control("payop", created["provider_payment_id"], "accepted")["response_status"] == 200


Success = Callable[..., None]
PROVIDERS: dict[str, tuple[dict, Success]] = {
    "sandbox": ({}, sandbox_success),
    "nowpayments": ({"pay_currency": "btc"}, nowpayments_success),
    "paygentic": ({}, paygentic_success),
    "payop": ({"customer_email": "payer@example.com"}, payop_success),
}
# (case, what the provider reports: price amount, currency, amount paid), the payment being 10.50 USD,
# and what it must end as.
CASES = [
    ("the right money", {"amount": "10.50", "currency": "USD", "paid": "10.50"}, "succeeded", None),
    ("another amount", {"amount": "99.00", "currency": "USD", "paid": "99.00"}, "pending", "mismatch"),
    ("another currency", {"amount": "10.50", "currency": "EUR", "paid": "10.50"}, "pending", "mismatch"),
    ("an underpayment", {"amount": "10.50", "currency": "USD", "paid": "5.25"}, "partially_paid", "underpaid"),
]
# A provider that reports only what was paid, not the price it holds, reports more as an overpayment: the
# payment succeeded, and the merchant may refund the excess.
REPORTS_NO_PRICE = {"paygentic", "payop"}


def in_crypto(created: dict, money: dict) -> dict:
    """NOWPayments reports what was paid in the crypto: the same share of the quoted pay_amount."""
    share = Decimal(money["paid"]) / Decimal("10.50")
    return {**money, "paid": str(Decimal(created["pay_amount"]) * share)}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize(("case", "money", "status", "note"), CASES, ids=[case[0] for case in CASES])
def test_a_success_counts_only_with_the_payments_money(api, stack, provider, case, money, status, note):
    fields, report_success = PROVIDERS[provider]
    created = api.create(provider=provider, amount="10.50", currency="USD", **fields)
    # When the provider reports a success with this money
    report_success(api, stack, created, **(in_crypto(created, money) if provider == "nowpayments" else money))
    # Then the payment is where the money says, and says why in its history
    if case == "another amount" and provider in REPORTS_NO_PRICE:
        status, note = "succeeded", "overpaid"
    payment = api.payment(created["id"])
    assert payment["status"] == status, payment["history"]
    last = payment["history"][-1]
    if note is None:
        assert last["note"] is None
    else:
        assert note in last["note"], last
    # and what the customer was shown stays (the address, the amount, the currency to pay in)
    for fact in ("payment_url", "pay_address", "pay_amount", "pay_currency"):
        assert payment[fact] == created[fact]


def test_a_nowpayments_success_paid_in_another_crypto_changes_nothing(api, stack):
    created = api.create(provider="nowpayments", amount="10.50", currency="USD", pay_currency="btc")
    paid = {"amount": "10.50", "currency": "USD", "paid": created["pay_amount"]}
    nowpayments_success(api, stack, created, **paid, pay_currency="eth")
    payment = api.payment(created["id"])
    assert payment["status"] == "pending"
    assert "currency mismatch" in payment["history"][-1]["note"]
    assert payment["pay_currency"] == "btc"


def test_a_repeated_mismatch_is_noted_once(api, stack):
    created = api.create(provider="nowpayments", amount="10.50", currency="USD", pay_currency="btc")
    for _ in range(3):
        nowpayments_success(api, stack, created, amount="1.00", currency="EUR", paid=created["pay_amount"])
    payment = api.payment(created["id"])
    assert [entry["note"] is not None for entry in payment["history"]] == [False, True]


# --- binding ---------------------------------------------------------------------------------------


def misbound_sandbox(api, mine: dict, other: dict):
    delivery = sandbox_callback(mine["id"], other["provider_payment_id"], "succeeded")
    return api.post("/ipn/sandbox", data=delivery.body, headers=delivery.headers, key=False)


def misbound_nowpayments(api, mine: dict, other: dict):
    body = {"payment_id": int(other["provider_payment_id"]), "order_id": mine["id"], "payment_status": "finished"}
    ipn = nowpayments_ipn(body)
    return api.post("/ipn/nowpayments", data=ipn.body, headers=ipn.headers, key=False)


def misbound_paygentic(api, mine: dict, other: dict):
    data = {"paymentId": other["provider_payment_id"], "reference": mine["id"], "status": "completed"}
    event = paygentic_webhook(data, event_type="payment.completed.v0")
    return api.post("/ipn/paygentic", data=event.body, headers=event.headers, key=False)


def misbound_payop(api, mine: dict, other: dict):
    body = {
        "invoice": {"id": other["provider_payment_id"], "status": 1, "txid": "tx-1", "metadata": {}},
        "transaction": {"id": "tx-1", "state": 2, "order": {"id": mine["id"]}, "error": {}},
    }
    return api.post("/ipn/payop", data=json.dumps(body), key=False)


def misbound_ivpay(api, mine: dict, other: dict):
    body = {"payment_id": other["provider_payment_id"], "status": "PAID", "foreign_id": mine["id"]}
    headers = {"X-API-KEY": CREDENTIALS["ivpay"]["api_key"]}
    return api.post("/ipn/ivpay", data=json.dumps(body), headers=headers, key=False)


MISBOUND = {
    "sandbox": ({}, misbound_sandbox),
    "nowpayments": ({"pay_currency": "btc"}, misbound_nowpayments),
    "paygentic": ({}, misbound_paygentic),
    "payop": ({"customer_email": "payer@example.com"}, misbound_payop),
    "ivpay": ({}, misbound_ivpay),
}


@pytest.mark.parametrize("provider", sorted(MISBOUND))
def test_a_callback_carrying_another_payments_provider_id_changes_neither(api, stack, provider):
    fields, send = MISBOUND[provider]
    mine, other = (api.create(provider=provider, **fields) for _ in range(2))
    if provider in ("payop", "ivpay"):  # the provider itself would confirm the other payment as paid
        stack.simulators[provider].payments[other["provider_payment_id"]]["status"] = (
            1 if provider == "payop" else "PAID"
        )
    answer = send(api, mine, other)
    # Acknowledged (the provider would retry anything else for hours), and neither payment moved
    assert answer.status_code == 200 and answer.json() == {"received": True}
    assert api.payment(mine["id"]) == mine
    assert api.payment(other["id"]) == other


def test_a_callback_naming_a_payment_of_another_provider_changes_it_not(api):
    sandbox_payment = api.create(provider="sandbox")
    paygentic_payment = api.create(provider="paygentic")
    answer = misbound_paygentic(api, sandbox_payment, paygentic_payment)
    assert answer.status_code == 200
    assert api.payment(sandbox_payment["id"]) == sandbox_payment
    assert api.payment(paygentic_payment["id"]) == paygentic_payment
