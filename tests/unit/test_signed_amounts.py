"""Amounts read as the signature pins them, and no money check that fails open: a signed report of money
received whose amount cannot be read moves nothing until the provider's status call says so."""

from __future__ import annotations

import json

import pytest

from paygate.models import PaymentRecord, Status
from paygate.providers.request import CreatePaymentRequest
from paygate.providers.sandbox import signing
from tests import factories
from tests.factories import FakeSession

PROVIDER_ID = "5745459419"
PAID = "0.00011025"


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def gateway(dynamodb, clock, session):
    return factories.lifecycle(dynamodb, clock, enabled=["nowpayments", "sandbox"], session=session)


@pytest.fixture
def crypto(gateway, session) -> PaymentRecord:
    """10.00 USD at NOWPayments, quoted as 0.00011025 BTC."""
    session.answers.append(
        (
            201,
            {
                "payment_id": PROVIDER_ID,
                "payment_status": "waiting",
                "pay_address": "bc1qaddress",
                "pay_amount": float(PAID),
                "pay_currency": "btc",
                "price_amount": 10,
                "price_currency": "usd",
            },
        )
    )
    request = CreatePaymentRequest(amount="10.00", currency="USD", provider="nowpayments", pay_currency="btc")
    return gateway.create(request, account_id=factories.ACCOUNT, callback_base_url="https://gw.example")


def ipn(payment: PaymentRecord, actually_paid: str) -> factories.Delivery:
    """A finished IPN whose `actually_paid` is written with exactly these characters, signed."""
    body = (
        f'{{"payment_id":{PROVIDER_ID},"order_id":"{payment.id}","payment_status":"finished",'
        f'"pay_amount":{PAID},"pay_currency":"btc","price_amount":10,"price_currency":"usd",'
        f'"actually_paid":{actually_paid},"updated_at":1700000000000}}'
    )
    return factories.nowpayments_ipn(body)


# Other spellings of the double 0.00011025: what a signer that parses into doubles cannot tell apart.
SPELLINGS = ["0.0001102499999999999999", "1.1025e-4", "0.000110250", "110.25E-6"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_any_spelling_of_the_signed_number_is_the_same_amount(gateway, crypto, spelling):
    assert json.loads(spelling) == float(PAID)  # the same double, so the same signature
    result = gateway.callback("nowpayments", ipn(crypto, spelling).request())
    assert result.outcome == "applied"
    assert (result.record.status, result.record.amount_received) == (Status.SUCCEEDED, "10.00")
    # The genuine IPN is the same delivery: nothing more happens.
    again = gateway.callback("nowpayments", ipn(crypto, PAID).request())
    assert again.outcome == "duplicate"
    assert gateway.payments.get(crypto.id).status is Status.SUCCEEDED


def test_a_different_double_is_a_different_amount(gateway, crypto):
    result = gateway.callback("nowpayments", ipn(crypto, "0.000110").request())
    assert result.record.status is Status.PARTIALLY_PAID


def sandbox_report(payment: PaymentRecord, clock, **money: object) -> factories.Delivery:
    """A signed sandbox callback that reports `succeeded` with `money` as given (or none)."""
    body = json.dumps(
        {"event_id": "evt_1", "id": payment.provider_payment_id, "reference": payment.id, "status": "succeeded"} | money
    ).encode()
    secret = factories.CREDENTIALS["sandbox"]["webhook_secret"]
    signature = signing.sign(secret, int(clock().timestamp()), body)
    return factories.Delivery(body, {"Content-Type": "application/json", "Paygate-Signature": signature})


@pytest.fixture
def card(gateway, session) -> PaymentRecord:
    created = {"id": "sbx_1", "status": "pending", "amount": "10.00", "currency": "USD"}
    session.answers.append((201, {**created, "checkout_url": "https://sandbox.example/pay/sbx_1"}))
    request = CreatePaymentRequest(amount="10.00", currency="USD", provider="sandbox")
    return gateway.create(request, account_id=factories.ACCOUNT, callback_base_url="https://gw.example")


UNREADABLE = [
    {},
    {"amount_paid": "NaN", "currency": "USD"},
    {"amount_paid": "Infinity", "currency": "USD"},
    {"amount_paid": "ten", "currency": "USD"},
    {"amount_paid": None, "currency": "USD"},
    {"amount_paid": True, "currency": "USD"},
    {"amount_paid": "", "currency": "USD"},
    {"amount_paid": "-10.00", "currency": "USD"},
    {"amount_paid": -10, "currency": "USD"},
    {"amount_paid": "10.00"},
    {"amount_paid": "10.00", "currency": ""},
]


@pytest.mark.parametrize("money", UNREADABLE)
def test_a_success_without_a_readable_amount_is_what_the_status_call_says(gateway, session, clock, card, money):
    session.answers.append((200, {"id": "sbx_1", "status": "pending", "amount": "10.00", "currency": "USD"}))
    gateway.callback("sandbox", sandbox_report(card, clock, **money).request())
    assert session.sent[-1][0] == "GET"  # the status call was made
    assert gateway.payments.get(card.id).status is Status.PENDING


@pytest.mark.parametrize("money", UNREADABLE[:2])
def test_when_the_status_call_confirms_with_an_amount_the_payment_succeeds(gateway, session, clock, card, money):
    confirmed = {"id": "sbx_1", "status": "succeeded", "amount": "10.00", "currency": "USD", "amount_paid": "10.00"}
    session.answers.append((200, confirmed))
    result = gateway.callback("sandbox", sandbox_report(card, clock, **money).request())
    assert (result.record.status, result.record.amount_received) == (Status.SUCCEEDED, "10.00")


def test_when_the_status_call_has_no_amount_either_nothing_moves(gateway, session, clock, card):
    session.answers.append((200, {"id": "sbx_1", "status": "succeeded", "amount": "10.00", "currency": "USD"}))
    result = gateway.callback("sandbox", sandbox_report(card, clock).request())
    assert result.record.status is Status.PENDING
    assert "no readable amount" in (result.record.history[-1].note or "")
