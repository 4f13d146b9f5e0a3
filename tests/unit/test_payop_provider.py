"""The Payop adapter: its signature (the vectors of docs/providers/payop.md), create and its options, the status
maps, IPN checks, the payment methods read from Payop (filtered, mapped, cached), and refunds through Payop's
refund API (its wire, its statuses, its IPN confirmed through the gateway)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from paygate.errors import (
    AuthenticationFailed,
    InvalidRequest,
    NotFound,
    ProviderError,
    ProviderInvalidResponse,
    ProviderRejected,
    ProviderTimeout,
    ValidationFailed,
)
from paygate.models import Payment, Status
from paygate.providers.base import CallbackRequest, CreateContext
from paygate.providers.payop.adapter import PayopProvider
from paygate.providers.payop.signing import sign
from paygate.providers.payop.wire import method_kind
from paygate.providers.request import CreatePaymentRequest
from paygate.refunds import CreateRefundRequest, Refund, RefundStatus
from paygate.settlement import Settlement
from tests import factories
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
    state = payop(clock, invoice(native)).fetch(payment(clock))
    assert state.status is status
    assert state.settlement == Settlement()  # no fee or net in its documents: null, never a guess


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


# --- provider options ------------------------------------------------------------------------------

CREATED = (200, {"data": "inv-9", "status": 1}, {"identifier": "inv-9"})
BASE_FIELDS = {"publicKey", "order", "payer", "language", "signature", "resultUrl"}


@pytest.mark.parametrize("method", [381, "381"])
def test_payment_method_goes_out_as_payment_method_exactly_as_given(clock, method):
    adapter = payop(clock, CREATED)
    adapter.create(payment(clock), create_request(provider_options={"payop": {"payment_method": method}}), CONTEXT)
    body = adapter.session.sent[0][2]["json"]
    assert body["paymentMethod"] == method and type(body["paymentMethod"]) is type(method)  # 381 stays a number
    assert body["language"] == "en"
    assert set(body) == BASE_FIELDS | {"paymentMethod"}


def test_language_replaces_the_default(clock):
    adapter = payop(clock, CREATED)
    adapter.create(payment(clock), create_request(provider_options={"payop": {"language": "pt"}}), CONTEXT)
    body = adapter.session.sent[0][2]["json"]
    assert body["language"] == "pt"
    assert set(body) == BASE_FIELDS  # no paymentMethod when none is given


def test_without_options_the_language_is_english_and_no_method_is_chosen(clock):
    adapter = payop(clock, CREATED)
    adapter.create(payment(clock), create_request(), CONTEXT)
    body = adapter.session.sent[0][2]["json"]
    assert body["language"] == "en" and "paymentMethod" not in body


def test_options_of_other_providers_are_not_sent(clock):
    adapter = payop(clock, CREATED)
    others = {
        "nowpayments": {"is_fixed_rate": True, "payout_address": "addr-1", "payout_currency": "btc"},
        "paygentic": {"customer_id": "cus_1", "save_payment_method": True},
    }
    adapter.create(payment(clock), create_request(provider_options=others), CONTEXT)
    body = adapter.session.sent[0][2]["json"]
    assert set(body) == BASE_FIELDS and body["language"] == "en"
    assert "addr-1" not in json.dumps(body) and "cus_1" not in json.dumps(body)


# --- payment methods -------------------------------------------------------------------------------

FIELDS = {"fields": [{"name": "email", "type": "email", "required": True}]}
METHODS = {
    "data": [
        # Payop's documented example
        {"identifier": 336, "type": "cards_local", "title": "Argencard", "logo": "https://payop.example/a.jpg",
         "currencies": ["USD"], "countries": ["AR"], "config": FIELDS},
        {"identifier": 381, "type": "cards_international", "title": "Visa / Mastercard",
         "currencies": ["EUR", "USD"], "countries": ["DE", "US"], "config": FIELDS},
        {"identifier": 203, "type": "bank_transfer", "title": "SEPA Instant", "currencies": ["EUR"],
         "countries": ["DE", "FR"], "config": FIELDS},
        {"identifier": 617, "type": "ewallet", "title": "E-wallet", "currencies": ["USD", "EUR"], "countries": [],
         "config": FIELDS},
        {"identifier": 862, "type": "instant_payment", "title": "Pix", "currencies": ["BRL"], "countries": ["BR"],
         "config": FIELDS},
        {"identifier": 900, "type": "cash", "title": "No currencies"},  # cannot be matched: left out
        "not a method",
    ],
    "status": 1,
}  # fmt: skip


def test_payment_methods_are_read_from_payop_with_the_jwt_and_the_application_id(clock):
    adapter = payop(clock, (200, METHODS), public_key="application-606")
    methods = adapter.payment_methods("USD", Decimal("10.00"))
    # the application id is the public key without `application-`, the JWT a bearer token
    method, url, kwargs = adapter.session.sent[0]
    assert (method, url) == (
        "GET",
        "https://api.payop.test/v1/instrument-settings/payment-methods/available-for-application/606",
    )
    assert kwargs["headers"] == {"Authorization": "Bearer jwt-1"}
    # only the methods that take USD, each as ours: identifier as a string, kind from Payop's type
    assert [m.model_dump(exclude_none=True) for m in methods] == [
        {"provider": "payop", "method": "336", "kind": "card", "name": "Argencard", "currencies": ["USD"],
         "countries": ["AR"]},
        {"provider": "payop", "method": "381", "kind": "card", "name": "Visa / Mastercard",
         "currencies": ["EUR", "USD"], "countries": ["DE", "US"]},
        {"provider": "payop", "method": "617", "kind": "wallet", "name": "E-wallet", "currencies": ["USD", "EUR"],
         "countries": []},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("EUR", [("381", "card"), ("203", "bank_transfer"), ("617", "wallet")]), ("BRL", [("862", "other")]),
     ("JPY", [])],
)  # fmt: skip
def test_payment_methods_keep_only_those_taking_the_currency(clock, currency, expected):
    methods = payop(clock, (200, METHODS)).payment_methods(currency, None)
    assert [(m.method, m.kind) for m in methods] == expected


@pytest.mark.parametrize(
    ("payop_type", "kind"),
    [("cards_local", "card"), ("cards_international", "card"), ("card", "card"), ("bank_transfer", "bank_transfer"),
     ("online_banking", "bank_transfer"), ("ewallet", "wallet"), ("wallet", "wallet"), ("crypto", "other"),
     ("cash", "other"), ("", "other"), (None, "other")],
)  # fmt: skip
def test_payop_types_map_to_our_kinds(payop_type, kind):
    assert method_kind(payop_type) == kind


def test_a_configured_application_id_is_used_as_it_is(clock):
    adapter = payop(clock, (200, METHODS), application_id="77", public_key="application-606")
    adapter.payment_methods("USD", None)
    assert adapter.session.sent[0][1].endswith("/available-for-application/77")


def test_a_public_key_without_the_prefix_is_the_application_id_unchanged(clock):
    adapter = payop(clock, (200, METHODS))  # public_key "app-1"
    adapter.payment_methods("USD", None)
    assert adapter.session.sent[0][1].endswith("/available-for-application/app-1")


def test_the_list_is_cached_for_ten_minutes_of_the_adapters_clock(clock):
    adapter = payop(clock, (200, METHODS), (200, {"data": [METHODS["data"][2]], "status": 1}))
    first = adapter.payment_methods("EUR", None)
    # Within 10 minutes, any currency is answered from the one list read: no request
    clock.advance(minutes=9, seconds=59)
    assert adapter.payment_methods("EUR", None) == first
    assert [m.method for m in adapter.payment_methods("BRL", None)] == ["862"]
    assert len(adapter.session.sent) == 1
    # After 10 minutes Payop is asked again, and its new answer is what is listed
    clock.advance(seconds=1)
    assert [m.method for m in adapter.payment_methods("EUR", None)] == ["203"]
    assert len(adapter.session.sent) == 2


def test_without_a_jwt_nothing_is_asked_and_it_is_a_provider_error(clock):
    adapter = payop(clock, jwt="")
    with pytest.raises(ProviderError, match="jwt"):
        adapter.payment_methods("EUR", None)
    assert adapter.session.sent == []


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        ((401, {"message": "Authorization token invalid"}), ProviderRejected,
         "payop: payment methods read refused: Authorization token invalid"),
        ((404, {"message": "Application not found"}), ProviderRejected,
         "payop: payment methods read refused: Application not found"),
        ((401, {"message": "token jwt-1 expired"}), ProviderRejected,
         "payop: payment methods read refused: token *** expired"),
        ((200, {"data": "", "status": 1}), ProviderInvalidResponse, "payop: the payment methods answer has no list"),
        ((200, b"<html>"), ProviderInvalidResponse, "payop answered HTTP 200 with no JSON"),
        ((500, {"message": "oops"}), ProviderError, "payop answered HTTP 500"),
        (requests.Timeout(), ProviderTimeout, "payop did not answer within 10 s"),
    ],
)  # fmt: skip
def test_payop_errors_are_provider_errors_without_the_jwt(clock, answer, error, message):
    adapter = payop(clock, answer)
    with pytest.raises(error) as raised:
        adapter.payment_methods("EUR", None)
    assert raised.value.message == message
    assert "jwt-1" not in raised.value.message


def test_a_failure_is_not_cached(clock):
    adapter = payop(clock, (401, {"message": "Authorization token invalid"}), (200, METHODS))
    with pytest.raises(ProviderRejected):
        adapter.payment_methods("EUR", None)
    assert [m.method for m in adapter.payment_methods("EUR", None)] == ["381", "203", "617"]
    assert len(adapter.session.sent) == 2


# --- refunds ---------------------------------------------------------------------------------------

REFUND_ID = "re_0123456789abcdef01234567"
CREATED_REFUND = (200, {"data": "", "status": 1}, {"identifier": "rf-1"})


def a_refund(clock, amount: str = "4.00", provider_refund_id: str | None = None) -> Refund:
    now = clock()
    return Refund(
        id=REFUND_ID, payment_id="pay_1", status=RefundStatus.PENDING, amount=amount, currency="USD", provider="payop",
        provider_refund_id=provider_refund_id, created_at=now, updated_at=now,
    )  # fmt: skip


def refunds(*items: dict) -> tuple[int, dict, dict]:
    return 200, {"data": list(items), "status": 1}, {}


def payop_refund(status: object = 1, **fields) -> dict:
    """One refund as Payop's refund read answers it (its documented example, with our id in metadata)."""
    return {
        "identifier": "rf-1", "status": status, "amount": 4, "currency": "USD",
        "sourceTransaction": {"identifier": "tx-1", "amount": 10.5, "currency": "USD"},
        "metadata": {"paygate_refund_id": REFUND_ID}, **fields,
    }  # fmt: skip


@pytest.mark.parametrize(("amount", "kind"), [("4.00", 2), ("10.50", 1)])
def test_a_refund_names_the_invoices_transaction_and_sends_the_documented_body(clock, amount, kind):
    # Given a paid invoice whose transaction is tx-1, and Payop answering the refund's id in its header
    adapter = payop(clock, invoice(1, "tx-1"), CREATED_REFUND)
    # When part (or all) of the payment is refunded
    state = adapter.refund(payment(clock), a_refund(clock, amount))
    # Then the invoice was read for its transaction, and the refund sent exactly as Payop documents it
    assert adapter.session.sent[0][:2] == ("GET", "https://api.payop.test/v1/invoices/inv-1")
    method, url, kwargs = adapter.session.sent[1]
    assert (method, url) == ("POST", "https://api.payop.test/v1/refunds/create")
    assert kwargs["headers"] == {"Content-Type": "application/json", "Authorization": "Bearer jwt-1"}
    # the amount a JSON number of exactly the refund's digits, our id in metadata
    documented = (
        f'{{"transactionIdentifier": "tx-1", "refundType": {kind}, "amount": {amount}, '
        f'"metadata": {{"paygate_refund_id": "{REFUND_ID}"}}}}'
    )
    assert kwargs["data"] == documented.encode()
    assert json.loads(kwargs["data"], parse_float=Decimal)["amount"] == Decimal(amount)
    assert (state.status, state.provider_status, state.provider_refund_id) == (RefundStatus.PENDING, "refund 1", "rf-1")


def test_a_transaction_id_already_kept_on_the_record_is_used_without_a_read(clock):
    adapter = payop(clock, CREATED_REFUND)
    record = factories.record(id="pay_1", provider="payop", provider_payment_id="inv-1", amount="10.50",
                              provider_data={"txid": "tx-kept"})  # fmt: skip
    adapter.refund(record, a_refund(clock))
    assert len(adapter.session.sent) == 1
    assert json.loads(adapter.session.sent[0][2]["data"])["transactionIdentifier"] == "tx-kept"


@pytest.mark.parametrize(
    ("answers", "error", "message"),
    [
        ([(422, {"message": "Refund amount is bigger than transaction amount"})], ProviderRejected,
         "payop: refund refused: Refund amount is bigger than transaction amount"),
        ([(422, {"message": "Transaction not found"})], ProviderRejected,
         "payop: refund refused: Transaction not found"),
        ([(401, {"message": "Full authentication is required to access this resource."})], ProviderRejected,
         "payop: refund refused: Full authentication is required to access this resource."),
        ([(401, {"message": "token jwt-1 expired"})], ProviderRejected, "payop: refund refused: token *** expired"),
        ([(200, {"data": "", "status": 1})], ProviderInvalidResponse, "payop: the refund answer names no refund"),
        ([(200, b"<html>")], ProviderInvalidResponse, "payop answered HTTP 200 with no JSON"),
        ([(500, {"message": "oops"})], ProviderError, "payop answered HTTP 500"),
        ([requests.Timeout()], ProviderTimeout, "payop did not answer within 10 s"),
    ],
)  # fmt: skip
def test_refund_errors_are_provider_errors_without_a_credential(clock, answers, error, message):
    adapter = payop(clock, invoice(1, "tx-1"), *answers)
    with pytest.raises(error) as raised:
        adapter.refund(payment(clock), a_refund(clock))
    # A refusal fails the refund; anything else leaves its outcome to fetch_refund
    assert isinstance(raised.value, ProviderRejected) is (error is ProviderRejected)
    assert raised.value.message == message
    assert "jwt-1" not in raised.value.message and SECRET not in raised.value.message


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (invoice(1), ProviderRejected, "payop: the invoice names no transaction to refund"),
        ((200, {"data": {"status": 1, "orderIdentifier": "pay_other", "txid": "tx-1"}}, {}), ProviderInvalidResponse,
         "payop: the invoice belongs to another order"),
        ((404, {"message": "Invoice (inv-1) not found"}, {}), ProviderRejected,
         "payop: invoice read refused: Invoice (inv-1) not found"),
    ],
)  # fmt: skip
def test_a_refund_without_a_transaction_of_ours_is_refused_before_it_is_sent(clock, answer, error, message):
    adapter = payop(clock, answer)
    with pytest.raises(error) as raised:
        adapter.refund(payment(clock), a_refund(clock))
    assert raised.value.message == message
    assert len(adapter.session.sent) == 1  # the invoice read only


def test_without_a_jwt_nothing_is_refunded_or_read(clock):
    adapter = payop(clock, jwt="")
    with pytest.raises(ProviderRejected, match="no jwt"):
        adapter.refund(payment(clock), a_refund(clock))
    with pytest.raises(ProviderError, match="no jwt"):
        adapter.fetch_refund(payment(clock), a_refund(clock, provider_refund_id="rf-1"))
    assert adapter.session.sent == []


@pytest.mark.parametrize(
    ("native", "status"),
    [(1, RefundStatus.PENDING), (2, RefundStatus.SUCCEEDED), (3, RefundStatus.FAILED), (4, RefundStatus.FAILED),
     (7, None), ("2", None)],
)  # fmt: skip
def test_refund_statuses_map_to_ours(clock, native, status):
    adapter = payop(clock, refunds(payop_refund(native)))
    state = adapter.fetch_refund(payment(clock), a_refund(clock, provider_refund_id="rf-1"))
    assert (state.status, state.provider_status, state.provider_refund_id) == (status, f"refund {native}", "rf-1")


def test_a_refund_is_read_by_payops_id_when_its_create_told_it(clock):
    adapter = payop(clock, refunds(payop_refund(2)))
    adapter.fetch_refund(payment(clock), a_refund(clock, provider_refund_id="rf-1"))
    method, url, kwargs = adapter.session.sent[0]
    assert (method, url) == ("GET", "https://api.payop.test/v1/refunds/user-refunds?query[identifier]=rf-1")
    assert kwargs["headers"] == {"Content-Type": "application/json", "Authorization": "Bearer jwt-1"}


def test_without_payops_id_the_refund_is_found_among_all_by_our_id_in_its_metadata(clock):
    others = [payop_refund(2, identifier="rf-0", metadata={"internal merchant id": "example"}),
              payop_refund(3, identifier="rf-9", metadata=[]), "not a refund"]  # fmt: skip
    adapter = payop(clock, refunds(*others, payop_refund(1, identifier="rf-5")))
    state = adapter.fetch_refund(payment(clock), a_refund(clock))
    assert adapter.session.sent[0][1] == "https://api.payop.test/v1/refunds/user-refunds"
    assert (state.status, state.provider_refund_id) == (RefundStatus.PENDING, "rf-5")  # its id learned


@pytest.mark.parametrize(
    ("error", "reason"),
    [({"message": "Refund was rejected", "code": ""}, "payop: Refund was rejected"), ("Declined", "payop: Declined"),
     (None, None), ({"message": ""}, None)],
)  # fmt: skip
def test_a_rejected_refund_keeps_payops_reason(clock, error, reason):
    adapter = payop(clock, refunds(payop_refund(3, error=error)))
    state = adapter.fetch_refund(payment(clock), a_refund(clock, provider_refund_id="rf-1"))
    assert (state.status, state.failure_reason) == (RefundStatus.FAILED, reason)


@pytest.mark.parametrize("provider_refund_id", ["rf-1", None])
def test_a_refund_payop_does_not_have_is_not_found(clock, provider_refund_id):
    unrelated = payop_refund(2, identifier="rf-0", metadata={})
    adapter = payop(clock, refunds(unrelated))
    with pytest.raises(NotFound) as raised:
        adapter.fetch_refund(payment(clock), a_refund(clock, provider_refund_id=provider_refund_id))
    assert raised.value.code == "refund_not_found"


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (refunds(payop_refund(2, amount=40)), ProviderInvalidResponse, "payop: the refund is of 40 USD, not 4.00 USD"),
        (refunds(payop_refund(2, currency="EUR")), ProviderInvalidResponse,
         "payop: the refund is of 4 EUR, not 4.00 USD"),
        (refunds(payop_refund(2, metadata={"paygate_refund_id": "re_ffffffffffffffffffffffff"})),
         ProviderInvalidResponse, "payop: that refund was made for another of our refunds"),
        (refunds(payop_refund(2), payop_refund(2)), ProviderInvalidResponse,
         "payop: more than one refund answers to rf-1"),
        ((200, {"data": {"identifier": "rf-1"}, "status": 1}, {}), ProviderInvalidResponse,
         "payop: the refunds answer has no list"),
        ((401, {"message": "Authorization token invalid"}, {}), ProviderRejected,
         "payop: refund read refused: Authorization token invalid"),
        ((401, {"message": "jwt-1 is not valid"}, {}), ProviderRejected,
         "payop: refund read refused: *** is not valid"),
    ],
)  # fmt: skip
def test_a_refund_answer_that_is_not_ours_is_not_believed(clock, answer, error, message):
    adapter = payop(clock, answer)
    with pytest.raises(error) as raised:
        adapter.fetch_refund(payment(clock), a_refund(clock, provider_refund_id="rf-1"))
    assert raised.value.message == message
    assert "jwt-1" not in raised.value.message


def test_a_refund_of_the_same_amount_written_otherwise_is_believed(clock):
    adapter = payop(clock, refunds(payop_refund(2, amount=4.0)))
    state = adapter.fetch_refund(payment(clock), a_refund(clock, provider_refund_id="rf-1"))
    assert state.status is RefundStatus.SUCCEEDED


def refund_ipn(state: int = 2, metadata: object = None, **fields) -> bytes:
    """A refund IPN as Payop documents it."""
    transaction = {
        "refundId": "rf-1", "state": state, "amount": 4, "currency": "USD",
        "metadata": {"paygate_refund_id": REFUND_ID} if metadata is None else metadata,
        "error": {"message": "", "code": ""}, **fields,
    }  # fmt: skip
    return json.dumps({"transaction": transaction, "sourceTransaction": {"id": "tx-1", "state": 2}}).encode()


def test_a_refund_ipn_from_an_allowed_address_is_a_hint_about_our_refund(clock):
    callback = payop(clock).verify_callback(ipn(refund_ipn(2)))
    assert callback.refund is not None and callback.state is None
    assert (callback.refund.refund_id, callback.refund.provider_refund_id) == (REFUND_ID, "rf-1")
    assert callback.refund.state is None  # its state is not believed: the gateway asks fetch_refund
    assert callback.payment_id is None and not callback.ignored


def test_a_refund_ipn_from_anywhere_else_is_refused(clock):
    with pytest.raises(AuthenticationFailed):
        payop(clock).verify_callback(ipn(refund_ipn(2), source_ip="10.0.0.2"))


@pytest.mark.parametrize(
    "metadata",
    [{"key1": "Metadata information.", "key2": "Metadata information."}, [], {"paygate_refund_id": "pay_1"},
     {"paygate_refund_id": 7}],
)  # fmt: skip
def test_a_refund_ipn_without_our_id_is_acknowledged_and_ignored(clock, metadata):
    assert payop(clock).verify_callback(ipn(refund_ipn(2, metadata))).ignored


@pytest.mark.parametrize("refund_id", ["", None, 7])
def test_a_refund_ipn_naming_no_refund_is_a_bad_request(clock, refund_id):
    with pytest.raises(InvalidRequest):
        payop(clock).verify_callback(ipn(refund_ipn(2, refundId=refund_id)))


# --- refunds through the gateway (moto): created at Payop, confirmed by its status API --------------


@pytest.fixture
def payop_apis() -> FakeSession:
    return FakeSession()


def gateway(dynamodb, clock, session: FakeSession, **credentials: str) -> factories.Lifecycle:
    payop_credentials = {**factories.CREDENTIALS["payop"], **credentials}
    return factories.lifecycle(
        dynamodb, clock, enabled=["payop"], credentials={"payop": payop_credentials}, session=session
    )


def paid_at_payop(lifecycle: factories.Lifecycle):
    record = factories.record(
        at=lifecycle.clock(), provider="payop", provider_payment_id="inv-1", amount="10.50",
        status=Status.SUCCEEDED, amount_received="10.50",
    )  # fmt: skip
    lifecycle.payments.insert(record)
    return record


def test_a_refund_ipn_changes_only_what_payops_status_api_confirms(dynamodb, clock, payop_apis):
    # Given a Payop refund, pending at Payop
    lifecycle = gateway(dynamodb, clock, payop_apis)
    record = paid_at_payop(lifecycle)
    payop_apis.answers += [invoice_of(record, "tx-1"), CREATED_REFUND]
    made = lifecycle.refunds.create(record.id, CreateRefundRequest(amount="4.00"), account_id=factories.ACCOUNT)
    assert (made.status, made.provider_refund_id) == (RefundStatus.PENDING, "rf-1")
    ours = {"paygate_refund_id": made.id}
    # When an IPN claims it accepted while Payop's status API still says new
    payop_apis.answers.append(refunds(payop_refund(1, metadata=ours)))
    result = lifecycle.callback("payop", ipn(refund_ipn(2, ours), source_ip="127.0.0.1"))
    # Then Payop was asked, by its id, and nothing changed
    assert payop_apis.sent[-1][1].endswith("/v1/refunds/user-refunds?query[identifier]=rf-1")
    assert result.outcome == "applied"
    assert lifecycle.refunds.get(made.id, account_id=factories.ACCOUNT).status is RefundStatus.PENDING
    # When Payop accepted it and says so
    payop_apis.answers.append(refunds(payop_refund(2, metadata=ours)))
    lifecycle.callback("payop", ipn(refund_ipn(2, ours), source_ip="127.0.0.1"))
    # Then the refund succeeded, told by the callback
    settled = lifecycle.refunds.get(made.id, account_id=factories.ACCOUNT)
    assert settled.status is RefundStatus.SUCCEEDED
    assert (settled.history[-1].source, settled.history[-1].provider_status) == ("callback", "refund 2")
    assert payop_apis.answers == []


def test_a_refund_ipn_whose_refund_payop_rejected_fails_it(dynamodb, clock, payop_apis):
    lifecycle = gateway(dynamodb, clock, payop_apis)
    record = paid_at_payop(lifecycle)
    payop_apis.answers += [invoice_of(record, "tx-1"), CREATED_REFUND]
    made = lifecycle.refunds.create(record.id, CreateRefundRequest(), account_id=factories.ACCOUNT)
    assert json.loads(payop_apis.sent[-1][2]["data"])["refundType"] == 1  # all of it
    rejected = payop_refund(4, amount=10.5, metadata={"paygate_refund_id": made.id}, error="Refund was rejected")
    payop_apis.answers.append(refunds(rejected))
    lifecycle.callback("payop", ipn(refund_ipn(4, {"paygate_refund_id": made.id}), source_ip="127.0.0.1"))
    failed = lifecycle.refunds.get(made.id, account_id=factories.ACCOUNT)
    assert (failed.status, failed.failure_reason) == (RefundStatus.FAILED, "payop: Refund was rejected")


@pytest.mark.parametrize(
    ("listed", "status", "provider_refund_id"),
    [([payop_refund(1, identifier="rf-7")], RefundStatus.PENDING, "rf-7"), ([], RefundStatus.FAILED, None)],
)
def test_a_create_whose_outcome_is_unknown_is_looked_for_by_our_id(
    dynamodb, clock, payop_apis, monkeypatch, listed, status, provider_refund_id
):
    # Given a refund whose create times out at Payop (our refund id known in advance here)
    monkeypatch.setattr("paygate.lifecycle.refund.new_refund_id", lambda: REFUND_ID)
    lifecycle = gateway(dynamodb, clock, payop_apis)
    record = paid_at_payop(lifecycle)
    payop_apis.answers += [invoice_of(record, "tx-1"), requests.Timeout(), refunds(*listed)]
    # When it is made
    made = lifecycle.refunds.create(record.id, CreateRefundRequest(amount="4.00"), account_id=factories.ACCOUNT)
    # Then the merchant's refunds were listed: ours there, it is pending with Payop's id; none, it failed
    assert payop_apis.sent[-1][1] == "https://api.payop.com/v1/refunds/user-refunds"
    assert (made.status, made.provider_refund_id) == (status, provider_refund_id)


def test_without_a_jwt_a_payop_refund_is_manual_and_its_ipns_are_not_confirmed(dynamodb, clock, payop_apis):
    lifecycle = gateway(dynamodb, clock, payop_apis, jwt="")
    record = paid_at_payop(lifecycle)
    made = lifecycle.refunds.create(record.id, CreateRefundRequest(amount="4.00"), account_id=factories.ACCOUNT)
    assert (made.status, made.manual) == (RefundStatus.REQUIRES_ACTION, True)
    result = lifecycle.callback("payop", ipn(refund_ipn(2, {"paygate_refund_id": made.id}), source_ip="127.0.0.1"))
    assert result.outcome == "ignored"
    assert payop_apis.sent == []  # Payop was never called


def invoice_of(record, txid: str) -> tuple[int, dict, dict]:
    return 200, {"data": {"identifier": "inv-1", "status": 1, "orderIdentifier": record.id, "txid": txid}}, {}
