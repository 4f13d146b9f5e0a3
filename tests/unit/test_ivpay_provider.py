"""The IVPAY adapter: create, the status map, the webhook key check, and IVPAY's error envelopes
(bodies as IVPAY's documentation shows them: docs/providers/ivpay.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from paygate.errors import (
    AuthenticationFailed,
    InvalidRequest,
    ProviderError,
    ProviderInvalidResponse,
    ProviderRejected,
    ValidationFailed,
)
from paygate.models import Payment, Status
from paygate.providers.base import CallbackRequest, CreateContext
from paygate.providers.ivpay.adapter import IvpayProvider
from paygate.providers.request import CreatePaymentRequest
from paygate.settlement import Settlement
from tests.factories import FakeSession

KEY = "k_demo_123"  # the worked example of docs/providers/ivpay.md
PID = "6b577835afbefe60335b6e5cd04410a9"
CONTEXT = CreateContext(
    callback_url="https://gw.example/ipn/ivpay",
    success_url="https://shop.example/ok",
    failure_url="https://shop.example/ko",
)
# The docs' create answer, with its trailing comma removed (the docs' example is not valid JSON).
CREATED = {
    "success": True,
    "data": {
        "payment_id": PID,
        "payment_url": f"https://pay.ivpay.io/payment/{PID}",
        "created_at": 1726248776,
        "foreign_id": "pay_1",
    },
}
AUTH_REFUSED = {"success": False, "error": "Wrong auth parameters"}
WEBHOOK = json.dumps(
    {
        "payment_id": PID,
        "status": "PAID",
        "processed_at": 1726248785,
        "foreign_id": "pay_1",
        "network": "TRON",
        "tx_url": "https://tronscan.org/#/transaction/abc",
    }
).encode()


def ivpay(clock, *answers, **credentials) -> IvpayProvider:
    return IvpayProvider(
        base_url="https://api.ivpay.test/api/v4",
        credentials={"api_key": KEY, **credentials},
        session=FakeSession(*answers),
        clock=clock,
    )


def payment(clock) -> Payment:
    now = clock()
    return Payment(
        id="pay_1", status=Status.PENDING, amount="10.50", currency="USD", provider="ivpay", created_at=now,
        updated_at=now, provider_payment_id=PID,
    )  # fmt: skip


def status_answer(status: str, **overrides: object) -> tuple[int, dict]:
    data = {"payment_id": PID, "foreign_id": "pay_1", "processed_at": 1726248785, "status": status, **overrides}
    return 200, {"success": True, "data": data}


def webhook(key: str | None, body: bytes = WEBHOOK) -> CallbackRequest:
    headers = {"content-type": "application/json", **({"x-api-key": key} if key is not None else {})}
    return CallbackRequest(headers=headers, body=body, source_ip="203.0.113.10")


# --- create --------------------------------------------------------------------------------------


def test_create_sends_ivpays_fields_and_reads_the_payment_url(clock):
    # Given IVPAY answering the docs' example
    adapter = ivpay(clock, (200, CREATED))
    request = CreatePaymentRequest(amount="10.50", currency="USD", provider="ivpay")
    # When a payment is created
    created = adapter.create(payment(clock), request, CONTEXT)
    # Then IVPAY got the amount string unchanged, our id as foreign_id, the redirects and the key header
    method, url, sent = adapter.session.sent[0]
    assert (method, url) == ("POST", "https://api.ivpay.test/api/v4/payment/create")
    assert sent["headers"]["X-API-KEY"] == KEY
    assert sent["json"] == {
        "amount_fiat": "10.50",
        "currency_fiat": "USD",
        "foreign_id": "pay_1",
        "url_success": "https://shop.example/ok",
        "url_failed": "https://shop.example/ko",
    }
    # and the answer's data gives the provider id and the pay page
    assert created.provider_payment_id == PID
    assert created.facts.payment_url == f"https://pay.ivpay.io/payment/{PID}"
    assert created.state.status is Status.PENDING


def test_the_400_envelope_is_rejected_with_ivpays_message(clock):
    adapter = ivpay(clock, (400, {"success": False, "error": "Error message"}))
    request = CreatePaymentRequest(amount="10.50", currency="USD")
    with pytest.raises(ProviderRejected) as refused:
        adapter.create(payment(clock), request, CONTEXT)
    assert refused.value.message == "ivpay: Error message"
    assert refused.value.http_status == 502


def test_a_401_is_rejected_without_leaking_the_key(clock):
    adapter = ivpay(clock, (401, AUTH_REFUSED))
    with pytest.raises(ProviderRejected) as refused:
        adapter.create(payment(clock), CreatePaymentRequest(amount="1.00", currency="USD"), CONTEXT)
    assert refused.value.message == "ivpay: Wrong auth parameters"
    assert KEY not in json.dumps(refused.value.body())


def test_an_error_message_echoing_the_key_is_redacted(clock):
    adapter = ivpay(clock, (400, {"success": False, "error": f"bad key {KEY}"}))
    with pytest.raises(ProviderRejected) as refused:
        adapter.create(payment(clock), CreatePaymentRequest(amount="1.00", currency="USD"), CONTEXT)
    assert refused.value.message == "ivpay: bad key [redacted]"


@pytest.mark.parametrize(
    "answer, error",
    [
        ((200, {"success": False, "error": "Refused"}), ProviderRejected),  # the envelope rules, not the code
        ((200, {"success": True, "data": {"payment_id": PID}}), ProviderInvalidResponse),  # no payment_url
        ((200, {"success": True}), ProviderInvalidResponse),
        ((200, b"<html>oops</html>"), ProviderInvalidResponse),
        ((503, b""), ProviderError),
    ],
)
def test_unusable_create_answers_are_clean_errors(clock, answer, error):
    adapter = ivpay(clock, answer)
    with pytest.raises(error):
        adapter.create(payment(clock), CreatePaymentRequest(amount="1.00", currency="USD"), CONTEXT)


# --- lifetime ------------------------------------------------------------------------------------


def test_lifetime_defaults_to_60_minutes_and_is_configurable_up_to_24_hours(clock):
    plain = CreatePaymentRequest(amount="1.00", currency="USD")
    assert ivpay(clock).lifetime(plain) == timedelta(minutes=60)
    assert ivpay(clock, lifetime_minutes="15").lifetime(plain) == timedelta(minutes=15)
    assert ivpay(clock, lifetime_minutes="9999").lifetime(plain) == timedelta(hours=24)
    assert ivpay(clock).lifetime(CreatePaymentRequest(amount="1.00", currency="USD", expires_in="P1D")).days == 1
    with pytest.raises(ValidationFailed, match=r"ivpay keeps a payment at most P1D \(86400 seconds\)"):
        ivpay(clock).lifetime(CreatePaymentRequest(amount="1.00", currency="USD", expires_in="P3D"))


@pytest.mark.parametrize("configured", ["0", "-5", "1.5", "soon"])
def test_a_bad_lifetime_option_is_a_clean_error(clock, configured):
    with pytest.raises(ProviderError):
        ivpay(clock, lifetime_minutes=configured).lifetime(CreatePaymentRequest(amount="1.00", currency="USD"))


# --- status --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "native, status",
    [
        ("CREATED", Status.PENDING),
        ("PENDING", Status.PENDING),
        ("PAID", Status.SUCCEEDED),
        ("TIMEOUT", Status.EXPIRED),
        ("CANCELED", Status.FAILED),
        ("SOMETHING_NEW", Status.FAILED),
    ],
)
def test_status_map(clock, native, status):
    adapter = ivpay(clock, status_answer(native))
    state = adapter.fetch(payment(clock))
    assert (state.status, state.provider_status) == (status, native)
    assert state.settlement == Settlement()  # no money in its answers at all: null, never a guess
    method, url, sent = adapter.session.sent[0]
    assert (method, url, sent["headers"]["X-API-KEY"]) == ("GET", f"https://api.ivpay.test/api/v4/payment/{PID}", KEY)


@pytest.mark.parametrize(
    "answer, error",
    [
        ((401, AUTH_REFUSED), ProviderRejected),
        ((400, {"success": False, "error": "Payment not found"}), ProviderRejected),
        (status_answer("PAID", payment_id="another"), ProviderInvalidResponse),
        (status_answer("PAID", foreign_id="pay_other"), ProviderInvalidResponse),
        ((200, {"success": True, "data": {"payment_id": PID}}), ProviderInvalidResponse),
    ],
)
def test_unusable_status_answers_are_clean_errors(clock, answer, error):
    with pytest.raises(error):
        ivpay(clock, answer).fetch(payment(clock))


# --- webhooks ------------------------------------------------------------------------------------


def test_a_webhook_with_our_key_is_a_hint_to_confirm(clock):
    callback = ivpay(clock).verify_callback(webhook(KEY))
    assert (callback.payment_id, callback.provider_payment_id) == ("pay_1", PID)
    assert callback.state is None  # the claimed PAID is never believed: the gateway asks fetch


@pytest.mark.parametrize("sent", [None, "", "k_demo_124", KEY + " ", KEY.upper(), "k_demo_12", "ключ"])
def test_a_webhook_without_our_exact_key_is_refused(clock, sent):
    with pytest.raises(AuthenticationFailed):
        ivpay(clock).verify_callback(webhook(sent))


@pytest.mark.parametrize("configured", ["", None])
def test_no_configured_key_refuses_everything(clock, configured):
    adapter = IvpayProvider(
        base_url="https://api.ivpay.test",
        credentials={} if configured is None else {"api_key": configured},
        session=FakeSession(),
        clock=clock,
    )
    with pytest.raises(AuthenticationFailed):
        adapter.verify_callback(webhook(""))


def test_the_key_is_checked_before_the_body_is_read(clock):
    with pytest.raises(AuthenticationFailed):
        ivpay(clock).verify_callback(webhook("wrong", b"not json"))


@pytest.mark.parametrize("body", [b"not json", b"[]", b"{}", b'{"payment_id": ""}', b'{"payment_id": 5}'])
def test_an_authentic_but_unreadable_webhook_is_invalid(clock, body):
    with pytest.raises(InvalidRequest):
        ivpay(clock).verify_callback(webhook(KEY, body))


# --- payment methods -----------------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "amount"), [("USD", Decimal("10.00")), ("EUR", None), ("BRL", Decimal("6000"))])
def test_payment_methods_is_crypto_for_any_currency_without_asking(clock, currency, amount):
    adapter = ivpay(clock)
    methods = adapter.payment_methods(currency, amount)
    assert [(m.provider, m.method, m.kind, m.currencies) for m in methods] == [("ivpay", "crypto", "crypto", None)]
    assert adapter.session.sent == []


def test_provider_options_of_other_providers_are_not_sent(clock):
    adapter = ivpay(clock, (200, CREATED))
    options = {"payop": {"language": "de"}, "nowpayments": {"is_fixed_rate": True}, "paygentic": {"customer_id": "c"}}
    request = CreatePaymentRequest(amount="10.50", currency="USD", provider="ivpay", provider_options=options)
    adapter.create(payment(clock), request, CONTEXT)
    assert set(adapter.session.sent[0][2]["json"]) == {
        "amount_fiat",
        "currency_fiat",
        "foreign_id",
        "url_success",
        "url_failed",
    }
