"""The Payop adapter: its signature (the vectors of docs/providers/payop.md), create, the status maps, IPN checks."""

from __future__ import annotations

import json

import pytest

from paygate.errors import (
    AuthenticationFailed,
    InvalidRequest,
    ProviderInvalidResponse,
    ProviderRejected,
    ValidationFailed,
)
from paygate.models import CreatePaymentRequest, Payment, Status
from paygate.providers.base import CallbackRequest, CreateContext
from paygate.providers.payop import PayopProvider, sign
from tests.factories import FakeSession

SECRET = "unit_secret"
CREDENTIALS = {"public_key": "app-1", "secret_key": SECRET, "jwt": "jwt-1", "ipn_allowlist": "10.0.0.1,192.0.2.0/24"}
CONTEXT = CreateContext(callback_url="https://gw.example/ipn/payop", success_url="https://shop.example/ok")


def payop(clock, *answers, **credentials) -> PayopProvider:
    return PayopProvider(
        base_url="https://api.payop.test",
        credentials={**CREDENTIALS, **credentials},
        session=FakeSession(*answers),
        clock=clock,
    )


def payment(clock, amount: str = "10.50", **fields) -> Payment:
    now = clock()
    return Payment(
        id="pay_1", status=Status.PENDING, amount=amount, currency="USD", provider="payop", created_at=now,
        updated_at=now, provider_payment_id="inv-1", **fields,
    )  # fmt: skip


def create_request(amount: str = "10.50", **fields) -> CreatePaymentRequest:
    return CreatePaymentRequest(amount=amount, currency="USD", customer_email="payer@example.com", **fields)


# --- signature -------------------------------------------------------------------------------------


def test_the_documented_signature_vectors_give_the_printed_digests():
    assert sign("1.2000", "USD", "Test-Order-354", "supersecretkey") == (
        "3445000c1f55f447b853fe068529c23fc4188e36aa4984e37836538d95f8e015"
    )
    assert sign("0.4500", "EUR", "FK-288-SDC", "fantastic_supersecretkey") == (
        "15c4c6ee83285dd82e1d7d29984a718cc527f218b8a0bb7e9b951b08ea1f30cd"
    )


@pytest.mark.parametrize("amount", ["2", "2.00"])
def test_create_sends_exactly_the_amount_string_it_signed(clock, amount):
    # Given Payop answering with the invoice id in the `identifier` header
    adapter = payop(clock, (200, {"data": "", "status": 1}, {"identifier": "inv-9"}))
    # When a payment is created
    created = adapter.create(payment(clock, amount), create_request(amount), CONTEXT)
    # Then the amount sent is the merchant's string, and the signature is over that very string
    body = adapter.session.sent[0][2]["json"]
    assert body["order"]["amount"] == amount
    assert body["signature"] == sign(amount, "USD", "pay_1", SECRET)
    assert sign("2", "USD", "pay_1", SECRET) != sign("2.00", "USD", "pay_1", SECRET)
    assert body["payer"] == {"email": "payer@example.com"} and body["publicKey"] == "app-1"
    assert body["order"]["items"] == [] and body["resultUrl"] == "https://shop.example/ok"
    assert created.provider_payment_id == "inv-9"
    assert created.facts.payment_url == "https://checkout.payop.com/en/payment/invoice-preprocessing/inv-9"
    assert created.state.status is Status.PENDING


def test_create_maps_items_and_falls_back_to_the_body_id_and_a_configured_checkout(clock):
    adapter = payop(
        clock,
        (200, {"data": "inv-7", "status": 1}, {}),
        checkout_url="/checkout/en/payment/invoice-preprocessing/{invoice_id}",
    )
    items = [{"name": "Tea", "amount": "1.25", "quantity": 2}, {"name": "Cup", "amount": "8.00"}]
    created = adapter.create(payment(clock), create_request(items=items), CONTEXT)
    assert adapter.session.sent[0][2]["json"]["order"]["items"] == [
        {"id": "1", "name": "Tea", "price": "2.50"},
        {"id": "2", "name": "Cup", "price": "8.00"},
    ]
    assert created.facts.payment_url == "https://api.payop.test/checkout/en/payment/invoice-preprocessing/inv-7"


def test_a_missing_customer_email_is_refused_before_anything_is_sent(clock):
    adapter = payop(clock)
    with pytest.raises(ValidationFailed) as refused:
        adapter.check(CreatePaymentRequest(amount="5", currency="USD"))
    assert refused.value.param == "customer_email" and refused.value.http_status == 422
    assert adapter.session.sent == []


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (422, {"message": "Wrong signature"}, ProviderRejected, "payop: Wrong signature"),
        (422, {"message": {"payer.email": ["This value should not be blank."]}}, ProviderRejected,
         "payop: payer.email: This value should not be blank."),
        (200, {"data": "", "status": 1}, ProviderInvalidResponse, "payop: create answer names no invoice"),
        (200, b"<html>", ProviderInvalidResponse, "payop answered HTTP 200 with no JSON"),
    ],
)  # fmt: skip
def test_create_refusals_become_provider_errors(clock, status, body, error, message):
    adapter = payop(clock, (status, body, {}))
    with pytest.raises(error) as raised:
        adapter.create(payment(clock), create_request(), CONTEXT)
    assert raised.value.message == message
    assert SECRET not in raised.value.message


# --- status ----------------------------------------------------------------------------------------


def invoice(status: int, txid: str | None = None) -> tuple[int, dict, dict]:
    return 200, {"data": {"identifier": "inv-1", "status": status, "orderIdentifier": "pay_1", "txid": txid}}, {}


@pytest.mark.parametrize(
    ("native", "status"),
    [
        (0, Status.PENDING),
        (4, Status.PENDING),
        (1, Status.SUCCEEDED),
        (2, Status.EXPIRED),
        (5, Status.FAILED),
        (7, None),
    ],
)
def test_invoice_statuses_map_to_ours(clock, native, status):
    assert payop(clock, invoice(native)).fetch(payment(clock)).status is status


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (1, Status.PENDING),
        (4, Status.PENDING),
        (9, Status.PROCESSING),  # pre-approved is not success
        (2, Status.SUCCEEDED),
        (3, Status.FAILED),
        (5, Status.FAILED),
        (15, Status.EXPIRED),
    ],
)
def test_a_known_transaction_decides_with_the_jwt(clock, state, status):
    adapter = payop(clock, invoice(4, "tx-1"), (200, {"data": {"identifier": "tx-1", "state": state}}, {}))
    assert adapter.fetch(payment(clock)).status is status
    method, url, kwargs = adapter.session.sent[1]
    assert (method, url) == ("GET", "https://api.payop.test/v2/transactions/tx-1")
    assert kwargs["headers"] == {"Authorization": "Bearer jwt-1"}


def test_without_a_jwt_only_the_invoice_is_read(clock):
    adapter = payop(clock, invoice(4, "tx-1"), jwt="")
    assert adapter.fetch(payment(clock)).status is Status.PENDING
    assert len(adapter.session.sent) == 1


@pytest.mark.parametrize("status", [404, 422])
def test_an_unknown_invoice_is_a_provider_error(clock, status):
    adapter = payop(clock, (status, {"message": "Invoice (inv-1) not found"}, {}))
    with pytest.raises(ProviderRejected, match="not found"):
        adapter.fetch(payment(clock))


def test_an_invoice_of_another_order_is_not_believed(clock):
    adapter = payop(clock, (200, {"data": {"status": 1, "orderIdentifier": "pay_other"}}, {}))
    with pytest.raises(ProviderInvalidResponse):
        adapter.fetch(payment(clock))


# --- IPN -------------------------------------------------------------------------------------------

IPN = json.dumps(
    {
        "invoice": {"id": "inv-1", "status": 1, "txid": "tx-1", "metadata": {}},
        "transaction": {"id": "tx-1", "state": 2, "order": {"id": "pay_1"}, "error": {"message": "", "code": ""}},
    }
).encode()


def ipn(body: bytes, source_ip: str = "10.0.0.1") -> CallbackRequest:
    return CallbackRequest(headers={"content-type": "application/json"}, body=body, source_ip=source_ip)


@pytest.mark.parametrize("source_ip", ["10.0.0.1", "192.0.2.77"])
def test_an_ipn_from_an_allowed_address_is_a_hint_to_confirm(clock, source_ip):
    callback = payop(clock).verify_callback(ipn(IPN, source_ip))
    assert (callback.payment_id, callback.provider_payment_id) == ("pay_1", "inv-1")
    assert callback.state is None  # the gateway asks Payop (fetch) before changing anything


@pytest.mark.parametrize(
    ("source_ip", "credentials"),
    [
        ("10.0.0.2", {}),
        ("not-an-ip", {}),
        ("10.0.0.1", {"ipn_allowlist": ""}),  # an empty allowlist admits nobody
        ("10.0.0.1", {"ipn_allowlist": "junk"}),
    ],
)
def test_an_ipn_from_anywhere_else_is_refused(clock, source_ip, credentials):
    with pytest.raises(AuthenticationFailed):
        payop(clock, **credentials).verify_callback(ipn(IPN, source_ip))


def test_the_production_default_is_payops_published_list(clock):
    adapter = PayopProvider(base_url="https://x", credentials={}, session=FakeSession(), clock=clock)
    assert adapter.verify_callback(ipn(IPN, "18.199.249.46")).provider_payment_id == "inv-1"
    with pytest.raises(AuthenticationFailed):
        adapter.verify_callback(ipn(IPN, "127.0.0.1"))


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"invoice": {"id": "inv-1"}}', IPN.replace(b'"id": "tx-1"', b'"id": "tx-2"')],
)
def test_an_unreadable_ipn_from_an_allowed_address_is_a_bad_request(clock, body):
    with pytest.raises(InvalidRequest):
        payop(clock).verify_callback(ipn(body))


def legacy(status: str, secret: str = SECRET, amount: str = "10.0000") -> bytes:
    signature = sign(amount, "USD", "pay_1", status, secret)
    return json.dumps(
        {"orderId": "pay_1", "invoiceId": "inv-1", "amount": amount, "currency": "USD", "status": status,
         "signature": signature}
    ).encode()  # fmt: skip


@pytest.mark.parametrize(
    ("status", "expected"), [("success", Status.SUCCEEDED), ("wait", Status.PENDING), ("error", Status.FAILED)]
)
def test_a_legacy_signed_ipn_is_believed_as_signed(clock, status, expected):
    callback = payop(clock).verify_callback(ipn(legacy(status)))
    assert (callback.payment_id, callback.provider_payment_id) == ("pay_1", "inv-1")
    assert callback.state.status is expected


def test_a_legacy_ipn_with_a_numeric_amount_is_checked_as_written(clock):
    body = legacy("success").replace(b'"10.0000"', b"10.0000")
    assert payop(clock).verify_callback(ipn(body)).state.status is Status.SUCCEEDED


@pytest.mark.parametrize(
    ("body", "credentials"),
    [
        (legacy("success", secret="other"), {}),
        (legacy("error").replace(b'"status": "error"', b'"status": "success"'), {}),
        (legacy("success"), {"secret_key": ""}),  # no secret configured: nothing passes
    ],
)
def test_a_legacy_ipn_with_a_wrong_signature_is_refused(clock, body, credentials):
    with pytest.raises(AuthenticationFailed):
        payop(clock, **credentials).verify_callback(ipn(body))
