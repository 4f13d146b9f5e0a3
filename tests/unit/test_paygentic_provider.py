"""The Paygentic adapter: Svix verification (the public test vector of docs/providers/paygentic.md), create with its
idempotent retry, the status map, error shapes and the webhook reading rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from paygate.errors import (
    AuthenticationFailed,
    InvalidRequest,
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ValidationFailed,
)
from paygate.models import Payment, Status
from paygate.providers.base import CallbackRequest, CreateContext
from paygate.providers.paygentic.adapter import PaygenticProvider
from paygate.providers.paygentic.signing import sign, verify_signature
from paygate.providers.request import CreatePaymentRequest
from paygate.settlement import Settlement
from paygate.timing import iso_duration
from tests.factories import FakeSession

# The public Svix test vector (docs/providers/paygentic.md).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = "1614265330"
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
VECTOR_NOW = 1614265330.0

SECRET = "whsec_cGF5Z2F0ZS11bml0LXBheWdlbnRpYy13ZWJob29rLWtleSE="
API_KEY = "pgn_unit_secret_key"
CONTEXT = CreateContext(
    callback_url="https://gw.example/ipn/paygentic",
    success_url="https://shop.example/ok",
    failure_url="https://shop.example/ko",
)
PAYMENT_ANSWER = {
    "id": "pay_pg1",
    "object": "payment",
    "amount": "10.50",
    "currency": "USD",
    "status": "pending",
    "createdAt": "2026-01-01T12:00:00Z",
    "paymentUrl": "https://pay.paygentic.io/p/pay_pg1",
    "expiresAt": "2026-01-31T12:00:00Z",
}


def paygentic(clock, *answers, **credentials) -> PaygenticProvider:
    return PaygenticProvider(
        base_url="https://api.paygentic.test",
        credentials={"api_key": API_KEY, "webhook_secret": SECRET, **credentials},
        session=FakeSession(*answers),
        clock=clock,
    )


def payment(clock, **fields) -> Payment:
    now = clock()
    return Payment(
        id="pay_ours1", status=Status.PENDING, amount="10.50", currency="USD", provider="paygentic",
        created_at=now, updated_at=now, provider_payment_id="pay_pg1", **fields,
    )  # fmt: skip


def create_request(**fields) -> CreatePaymentRequest:
    return CreatePaymentRequest.model_validate({"amount": "10.50", "currency": "USD", **fields})


# --- Svix signatures ------------------------------------------------------------------------------


def test_the_public_svix_vector_is_reproduced_and_verifies():
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIGNATURE
    verify_signature(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_NOW)


@pytest.mark.parametrize(
    "secret, msg_id, timestamp, header, body, now",
    [
        (VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_SIGNATURE, b'{"test": 2432232315}', VECTOR_NOW),  # one byte
        (VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_SIGNATURE, b'{"test":2432232314}', VECTOR_NOW),  # re-serialised
        (SECRET, VECTOR_ID, VECTOR_TS, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_NOW),  # wrong secret
        (VECTOR_SECRET, "msg_other", VECTOR_TS, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_NOW),  # another id
        (VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_NOW + 301),  # too old
        (VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_NOW - 301),  # from the future
        (VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_SIGNATURE.replace("v1,", "v2,"), VECTOR_BODY, VECTOR_NOW),
        (VECTOR_SECRET, VECTOR_ID, VECTOR_TS, "", VECTOR_BODY, VECTOR_NOW),
        (VECTOR_SECRET, "", VECTOR_TS, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_NOW),
        (VECTOR_SECRET, VECTOR_ID, "", VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_NOW),
        ("", VECTOR_ID, VECTOR_TS, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_NOW),  # no secret: refuse all
        ("whsec_not base64!", VECTOR_ID, VECTOR_TS, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_NOW),
    ],
)
def test_anything_but_the_exact_signed_message_is_refused(secret, msg_id, timestamp, header, body, now):
    with pytest.raises(AuthenticationFailed):
        verify_signature(secret, msg_id, timestamp, header, body, now)


def test_a_header_with_two_signatures_one_right_verifies():
    # Svix sends several entries while a secret is being rotated; any one of them is enough.
    wrong = "v1,Ym9ndXNib2d1c2JvZ3VzYm9ndXNib2d1c2JvZ3VzYm8="
    verify_signature(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, f"{wrong} {VECTOR_SIGNATURE}", VECTOR_BODY, VECTOR_NOW)
    with pytest.raises(AuthenticationFailed):
        verify_signature(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, f"{wrong} {wrong}", VECTOR_BODY, VECTOR_NOW)


def test_verify_callback_checks_the_vector_against_the_injected_clock(clock):
    clock.now = datetime.fromtimestamp(VECTOR_NOW, UTC)
    adapter = paygentic(clock, webhook_secret=VECTOR_SECRET)
    headers = {"svix-id": VECTOR_ID, "svix-timestamp": VECTOR_TS, "svix-signature": VECTOR_SIGNATURE}
    # authentic, so it gets as far as reading: the vector's body names no payment
    with pytest.raises(InvalidRequest):
        adapter.verify_callback(CallbackRequest(headers=headers, body=VECTOR_BODY, source_ip="192.0.2.1"))
    clock.advance(seconds=301)
    with pytest.raises(AuthenticationFailed):
        adapter.verify_callback(CallbackRequest(headers=headers, body=VECTOR_BODY, source_ip="192.0.2.1"))


# --- webhooks read ----------------------------------------------------------------------------------


def webhook(clock, event_type: str, data: dict, msg_id: str = "msg_1") -> CallbackRequest:
    body = json.dumps({"eventType": event_type, "eventId": "evt_1", "timestamp": "2026-01-01T12:00:00Z", "data": data})
    timestamp = int(clock().timestamp())
    headers = {
        "svix-id": msg_id,
        "svix-timestamp": str(timestamp),
        "svix-signature": sign(SECRET, msg_id, timestamp, body.encode()),
    }
    return CallbackRequest(headers=headers, body=body.encode(), source_ip="192.0.2.1")


def test_a_configured_event_with_a_status_is_applied(clock):
    data = {"paymentId": "pay_pg1", "reference": "pay_ours1", "status": "completed"}
    callback = paygentic(clock).verify_callback(webhook(clock, "payment.completed.v0", data, msg_id="msg_42"))
    assert (callback.payment_id, callback.provider_payment_id, callback.event_id) == ("pay_ours1", "pay_pg1", "msg_42")
    assert (callback.state.status, callback.state.provider_status) == (Status.SUCCEEDED, "completed")


@pytest.mark.parametrize(
    "event_type, data",
    [
        ("payment.completed.v0", {"paymentId": "pay_pg1", "reference": "pay_ours1"}),  # no status in the payload
        ("payment.refunded.v0", {"paymentId": "pay_pg1", "status": "completed"}),  # an event we were not told of
    ],
)
def test_other_verified_events_are_confirmed_with_the_status_api(clock, event_type, data):
    callback = paygentic(clock).verify_callback(webhook(clock, event_type, data))
    assert callback.state is None
    assert callback.provider_payment_id == "pay_pg1"


def test_event_names_are_configurable(clock):
    adapter = paygentic(clock, event_types="payment.paid.v1, payment.expired.v0")
    data = {"paymentId": "pay_pg1", "status": "completed"}
    assert adapter.verify_callback(webhook(clock, "payment.paid.v1", data)).state.status is Status.SUCCEEDED
    assert adapter.verify_callback(webhook(clock, "payment.completed.v0", data)).state is None


def signed(clock, body: object) -> CallbackRequest:
    raw = json.dumps(body).encode()
    timestamp = int(clock().timestamp())
    headers = {
        "svix-id": "msg_1",
        "svix-timestamp": str(timestamp),
        "svix-signature": sign(SECRET, "msg_1", timestamp, raw),
    }
    return CallbackRequest(headers=headers, body=raw, source_ip="192.0.2.1")


@pytest.mark.parametrize("body", [{"eventType": "payment.completed.v0"}, [], "x"])
def test_a_signed_but_unreadable_body_is_invalid(clock, body):
    with pytest.raises(InvalidRequest):
        paygentic(clock).verify_callback(signed(clock, body))


def test_a_signed_event_about_no_payment_is_acknowledged_and_ignored(clock):
    # Given an authentic event of another kind (Svix would retry anything but a 2xx for a day)
    event = {"eventType": "customer.created.v0", "data": {"customerId": "cus_1"}}
    # Then it is read as ignored: the gateway answers 200 and changes nothing
    callback = paygentic(clock).verify_callback(signed(clock, event))
    assert callback.ignored and callback.state is None and callback.payment_id is None


# --- create -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, code, param",
    [
        ({"currency": "JPY", "amount": "100"}, "unsupported_currency", "currency"),
        ({"amount": "0.99"}, "amount_out_of_range", "amount"),
        ({"amount": "5000.01"}, "amount_out_of_range", "amount"),
    ],
)
def test_check_refuses_what_paygentic_cannot_take(clock, fields, code, param):
    with pytest.raises(ValidationFailed) as refused:
        paygentic(clock).check(create_request(**fields))
    assert (refused.value.code, refused.value.param, refused.value.http_status) == (code, param, 422)


@pytest.mark.parametrize("amount", ["1.00", "5000.00", "10", "10.5"])
def test_check_takes_the_range_limits(clock, amount):
    paygentic(clock).check(create_request(amount=amount, currency="AUD"))


def test_create_sends_the_documented_body_and_reads_the_answer(clock):
    adapter = paygentic(clock, (201, PAYMENT_ANSWER), merchant_id="mer_1")
    request = create_request(
        expires_in="PT30M",
        items=[{"name": "Tea", "amount": "5.25", "quantity": 2}],
        metadata={"order": "o-1"},
        success_url="https://shop.example/ok",
        failure_url="https://shop.example/ko",
    )
    created = adapter.create(payment(clock, metadata={"order": "o-1"}), request, CONTEXT)
    method, url, sent = adapter.session.sent[0]
    assert (method, url) == ("POST", "https://api.paygentic.test/v0/payments")
    assert sent["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert sent["json"] == {
        "amount": "10.50",
        "currency": "USD",
        "reference": "pay_ours1",
        "idempotencyKey": "pay_ours1",
        "expiresIn": "PT30M",
        "merchantId": "mer_1",
        "lineItems": [{"description": "Tea", "amount": "5.25", "quantity": 2}],
        "successRedirectUrl": "https://shop.example/ok",
        "failureRedirectUrl": "https://shop.example/ko",
        "metadata": {"order": "o-1"},
    }
    assert created.provider_payment_id == "pay_pg1"
    assert created.facts.payment_url == "https://pay.paygentic.io/p/pay_pg1"
    assert created.state.status is Status.PENDING
    assert created.expires_at == datetime(2026, 1, 31, 12, tzinfo=UTC)


def test_expires_in_defaults_to_p30d_and_is_refused_beyond_p31d(clock):
    adapter = paygentic(clock, (201, PAYMENT_ANSWER), (201, PAYMENT_ANSWER))
    adapter.create(payment(clock), create_request(), CONTEXT)
    adapter.create(payment(clock), create_request(expires_in="P31D"), CONTEXT)
    assert [sent["json"]["expiresIn"] for _, _, sent in adapter.session.sent] == ["P30D", "P31D"]
    with pytest.raises(ValidationFailed, match=r"paygentic keeps a payment at most P31D") as refused:
        adapter.accepts(create_request(expires_in="P90D"))
    assert refused.value.param == "expires_in"


@pytest.mark.parametrize(
    "lifetime, text",
    [(timedelta(days=1, hours=2), "P1DT2H"), (timedelta(minutes=90), "PT1H30M"), (timedelta(seconds=45), "PT45S")],
)
def test_iso_durations(lifetime, text):
    assert iso_duration(lifetime) == text


def test_an_idempotent_replay_is_a_success(clock):
    created = paygentic(clock, (200, PAYMENT_ANSWER)).create(payment(clock), create_request(), CONTEXT)
    assert created.provider_payment_id == "pay_pg1"


@pytest.mark.parametrize("first", [requests.Timeout("slow"), (503, {"error": "unavailable", "message": "busy"})])
def test_a_timeout_or_5xx_is_retried_once_with_the_same_idempotency_key(clock, first):
    adapter = paygentic(clock, first, (200, PAYMENT_ANSWER))
    created = adapter.create(payment(clock), create_request(), CONTEXT)
    assert created.provider_payment_id == "pay_pg1"
    keys = [sent["json"]["idempotencyKey"] for _, _, sent in adapter.session.sent]
    assert keys == ["pay_ours1", "pay_ours1"]


def test_the_retry_gives_up_after_the_second_attempt(clock):
    adapter = paygentic(clock, requests.Timeout("slow"), requests.Timeout("slow"), (201, PAYMENT_ANSWER))
    with pytest.raises(ProviderTimeout):
        adapter.create(payment(clock), create_request(), CONTEXT)
    assert len(adapter.session.sent) == 2


def test_a_refusal_is_not_retried_and_keeps_paygentic_message(clock):
    answer = {
        "error": "validation_error",
        "message": "Request validation failed",
        "errors": [{"field": "amount", "message": "Amount exceeds the limit"}],
    }
    adapter = paygentic(clock, (400, answer))
    with pytest.raises(ProviderRejected) as refused:
        adapter.create(payment(clock), create_request(), CONTEXT)
    assert "Request validation failed" in refused.value.message
    assert "amount: Amount exceeds the limit" in refused.value.message
    assert len(adapter.session.sent) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_an_auth_refusal_never_shows_the_key(clock, status):
    adapter = paygentic(clock, (status, {"error": "unauthorized", "message": f"bad key {API_KEY}"}))
    with pytest.raises(ProviderRejected) as refused:
        adapter.create(payment(clock), create_request(), CONTEXT)
    assert API_KEY not in refused.value.message and str(status) in refused.value.message


# --- status --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "native, status",
    [
        ("pending", Status.PENDING),
        ("processing", Status.PROCESSING),
        ("completed", Status.SUCCEEDED),
        ("expired", Status.EXPIRED),
        ("cancelled", Status.CANCELLED),
        ("failed", Status.FAILED),
        ("on_hold", None),  # unknown: left unchanged
    ],
)
def test_the_status_map(clock, native, status):
    adapter = paygentic(clock, (200, {**PAYMENT_ANSWER, "status": native}))
    state = adapter.fetch(payment(clock))
    assert (state.status, state.provider_status) == (status, native)
    assert adapter.session.sent[0][1] == "https://api.paygentic.test/v0/payments/pay_pg1"
    assert state.settlement == Settlement()  # its Payment object states no fee or net: null, never a guess


def test_a_failed_status_call_is_a_provider_error(clock):
    with pytest.raises(ProviderRejected):
        paygentic(clock, (404, {"error": "not_found", "message": "Payment not found"})).fetch(payment(clock))
    with pytest.raises(ProviderError):
        paygentic(clock, (500, {"error": "internal", "message": "oops"})).fetch(payment(clock))


# --- provider options ------------------------------------------------------------------------------

BASE_FIELDS = {
    "amount",
    "currency",
    "reference",
    "idempotencyKey",
    "expiresIn",
    "successRedirectUrl",
    "failureRedirectUrl",
}


@pytest.mark.parametrize(
    ("options", "wire"),
    [
        ({"customer_id": "cus_42"}, {"customerId": "cus_42"}),
        ({"save_payment_method": True}, {"savePaymentMethod": True}),
        ({"save_payment_method": False}, {"savePaymentMethod": False}),  # false is sent too: it was asked
        ({"customer_id": "cus_42", "save_payment_method": True}, {"customerId": "cus_42", "savePaymentMethod": True}),
    ],
)
def test_each_option_goes_out_under_its_paygentic_name(clock, options, wire):
    adapter = paygentic(clock, (201, PAYMENT_ANSWER))
    adapter.create(payment(clock), create_request(provider_options={"paygentic": options}), CONTEXT)
    body = adapter.session.sent[0][2]["json"]
    assert {key: body[key] for key in wire} == wire
    assert all(type(body[key]) is type(value) for key, value in wire.items())  # a JSON boolean, not "true"
    assert set(body) == BASE_FIELDS | set(wire)


def test_options_of_other_providers_are_not_sent(clock):
    adapter = paygentic(clock, (201, PAYMENT_ANSWER))
    others = {"payop": {"payment_method": 381, "language": "de"}, "nowpayments": {"is_fixed_rate": True}}
    adapter.create(payment(clock), create_request(provider_options=others), CONTEXT)
    assert set(adapter.session.sent[0][2]["json"]) == BASE_FIELDS


def test_the_retry_sends_the_options_again(clock):
    adapter = paygentic(clock, requests.Timeout(), (200, PAYMENT_ANSWER))
    options = {"paygentic": {"customer_id": "cus_42", "save_payment_method": True}}
    adapter.create(payment(clock), create_request(provider_options=options), CONTEXT)
    first, second = (sent[2]["json"] for sent in adapter.session.sent)
    assert first == second and second["customerId"] == "cus_42" and second["savePaymentMethod"] is True


# --- payment methods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("USD", None), ("EUR", Decimal("1.00")), ("GBP", Decimal("5000.00")), ("AUD", Decimal("10.5"))],
)
def test_payment_methods_is_card_for_what_paygentic_takes(clock, currency, amount):
    adapter = paygentic(clock)
    methods = adapter.payment_methods(currency, amount)
    assert [(m.provider, m.method, m.kind, m.currencies) for m in methods] == [
        ("paygentic", "card", "card", ["AUD", "EUR", "GBP", "USD"])
    ]
    assert adapter.session.sent == []


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("BRL", None), ("JPY", Decimal("100")), ("USD", Decimal("0.99")), ("USD", Decimal("5000.01")),
     ("EUR", Decimal("6000.00")), ("USD", Decimal("10.505"))],
)  # fmt: skip
def test_payment_methods_is_empty_for_what_paygentic_would_refuse(clock, currency, amount):
    assert paygentic(clock).payment_methods(currency, amount) == []
