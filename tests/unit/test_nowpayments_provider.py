"""The NOWPayments adapter: the IPN signature over JavaScript-style sorted JSON, the status map, create's
body and its errors."""

from __future__ import annotations

import json
from datetime import timedelta
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
from paygate.models import Payment, ProviderFacts, Status
from paygate.providers.base import CallbackRequest, CreateContext
from paygate.providers.nowpayments.adapter import NowPaymentsProvider
from paygate.providers.nowpayments.signing import js_json, js_number, parse, sign
from paygate.providers.request import CreatePaymentRequest
from paygate.settlement import Settlement
from tests.factories import FakeSession

SECRET = "np_unit_secret"
API_KEY = "np_unit_api_key"
CONTEXT = CreateContext(callback_url="https://gw.example/ipn/nowpayments")

# The worked example of docs/providers/nowpayments.md: the fields in another order than the signed string.
EXAMPLE_BODY = (
    b'{"payment_status":"finished","pay_address":"TNDFkiSmBQorNFacb3735q8MnT29sn8BLn","price_amount":1,'
    b'"price_currency":"usd","pay_amount":15,"actually_paid":15,"pay_currency":"trx","order_id":"ORD-1",'
    b'"order_description":null,"purchase_id":"5837122679","outcome_amount":14.8106,"outcome_currency":"trx",'
    b'"payment_id":5077125051,"fee":{"withdrawalFee":0,"currency":"btc","serviceFee":0,"depositFee":0.0000985}}'
)
EXAMPLE_DIGEST = (
    "8fe18560b734c12f4818c82216e766b90c5c1820fc1bfdcf27f5953bf512f951"
    "1f9bca29aa88595fbf8e36db673eac2249d786642992cc553392fde866c8acc6"
)

# Exponent-form floats, nested objects and an array, raw non-ASCII, unsorted keys. The digests were
# computed with Node 18: JSON.stringify(sortObject(JSON.parse(raw))) with the official recursive
# sortObject snippet, and JSON.stringify(p, Object.keys(p).sort()) for the legacy form; HMAC-SHA512 with
# crypto.createHmac('sha512', 'np_unit_secret').
TRICKY_BODY = (
    '{"payment_status":"confirming","payment_id":6123456789,"order_id":"pay_1","order_description":"Café ☕ 日本",'
    '"pay_amount":6.0,"fee":{"withdrawalFee":1E-7,"currency":"btc","depositFee":9.85e-05,"serviceFee":0},'
    '"outcome_amount":1.5e21,"nested":{"b":{"z":1,"a":[3,{"y":2,"x":1}]},"a":null},"actually_paid":0,'
    '"parent_payment_id":null}'
).encode()
TRICKY_SIGNED = (
    '{"actually_paid":0,"fee":{"currency":"btc","depositFee":0.0000985,"serviceFee":0,"withdrawalFee":1e-7},'
    '"nested":{"a":null,"b":{"a":{"0":3,"1":{"x":1,"y":2}},"z":1}},"order_description":"Café ☕ 日本",'
    '"order_id":"pay_1","outcome_amount":1.5e+21,"parent_payment_id":null,"pay_amount":6,'
    '"payment_id":6123456789,"payment_status":"confirming"}'
)
TRICKY_DIGEST = (
    "9b2eb96701ab0ca22b662a7d854de04a07f62d485155b592be82b5fb6623a456"
    "c5e2559dba6d9bef4668f64e52df9632c9e7b57296baeca62258cee810f54738"
)
TRICKY_LEGACY_DIGEST = (
    "63a373f4c527114a0f66b554e2eadfe2db670c1903c1e08a6f31b83047cb77ec"
    "fe4b64e9c06f5fed2f87330abacf7806e4f3039206c6a31198c0993890531c7b"
)


def adapter(clock, *answers, **credentials) -> NowPaymentsProvider:
    return NowPaymentsProvider(
        base_url="https://api.nowpayments.test",
        credentials={"api_key": API_KEY, "ipn_secret": SECRET, **credentials},
        session=FakeSession(*answers),
        clock=clock,
    )


def ipn(body: bytes, signature: str) -> CallbackRequest:
    return CallbackRequest(headers={"x-nowpayments-sig": signature}, body=body, source_ip="51.89.194.21")


def payment(clock, amount: str = "10.50") -> Payment:
    now = clock()
    return Payment(
        id="pay_1", status=Status.PENDING, amount=amount, currency="USD", provider="nowpayments",
        created_at=now, updated_at=now, provider_payment_id="5745459419",
    )  # fmt: skip


def create_request(amount: str = "10.50", **fields) -> CreatePaymentRequest:
    return CreatePaymentRequest(amount=amount, currency="USD", pay_currency="btc", **fields)


CREATED = {
    "payment_id": "5745459419", "payment_status": "waiting", "pay_address": "3EZ2uTdVDAMFXTfc6uLDDKR6o8qKBZXVkj",
    "price_amount": 10.5, "price_currency": "usd", "pay_amount": 0.00011025, "pay_currency": "btc",
    "order_id": "pay_1", "payin_extra_id": None, "created_at": "2020-12-22T15:00:22.742Z",
}  # fmt: skip


# --- the IPN signature -----------------------------------------------------------------------------


def test_the_worked_example_verifies_to_the_printed_digest(clock):
    # Given the worked example's body, keys unsorted, the secret np_ipn_secret_example
    event = parse(EXAMPLE_BODY)
    # Then the sorted JavaScript form is the printed string, its HMAC the printed digest
    assert js_json(event).startswith('{"actually_paid":15,"fee":{"currency":"btc","depositFee":0.0000985,')
    assert sign("np_ipn_secret_example", js_json(event)) == EXAMPLE_DIGEST
    # And the adapter accepts the body with that signature
    callback = adapter(clock, ipn_secret="np_ipn_secret_example").verify_callback(ipn(EXAMPLE_BODY, EXAMPLE_DIGEST))
    assert (callback.payment_id, callback.provider_payment_id) == ("ORD-1", "5077125051")
    assert callback.state.status is Status.SUCCEEDED


def test_plain_python_json_would_not_give_the_printed_digest():
    # The pitfall the JavaScript number format exists for: Python writes 9.85e-05.
    python_form = json.dumps(json.loads(EXAMPLE_BODY), sort_keys=True, separators=(",", ":"))
    assert "9.85e-05" in python_form
    assert sign("np_ipn_secret_example", python_form) != EXAMPLE_DIGEST


def test_exponents_nested_objects_and_non_ascii_are_written_as_javascript_writes_them(clock):
    assert js_json(parse(TRICKY_BODY), arrays_as_objects=True) == TRICKY_SIGNED
    assert sign(SECRET, TRICKY_SIGNED) == TRICKY_DIGEST
    callback = adapter(clock).verify_callback(ipn(TRICKY_BODY, TRICKY_DIGEST))
    assert callback.provider_payment_id == "6123456789"
    assert callback.state.status is Status.PROCESSING


def test_the_legacy_replacer_array_form_is_accepted_too(clock):
    # JSON.stringify(p, Object.keys(p).sort()): the key list filters nested objects down to {}.
    assert '"fee":{},"nested":{}' in js_json(parse(TRICKY_BODY), keep=sorted(parse(TRICKY_BODY)))
    callback = adapter(clock).verify_callback(ipn(TRICKY_BODY, TRICKY_LEGACY_DIGEST))
    assert callback.state.status is Status.PROCESSING


def test_arrays_kept_as_arrays_are_accepted_too(clock):
    # The Python sample (json.dumps sort_keys) keeps arrays; its form is one of the accepted ones.
    signed = js_json(parse(TRICKY_BODY))
    assert '"a":[3,{"x":1,"y":2}]' in signed
    assert adapter(clock).verify_callback(ipn(TRICKY_BODY, sign(SECRET, signed))).provider_payment_id == "6123456789"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6.0", "6"), ("0.0000985", "0.0000985"), ("9.85e-05", "0.0000985"), ("1E-7", "1e-7"), ("0.000001", "0.000001"),
     ("1e21", "1e+21"), ("123456789012345678901", "123456789012345680000"), ("-0.5", "-0.5"), ("-0", "0"),
     ("5077125051", "5077125051"), ("0.1", "0.1"), ("100", "100")],
)  # fmt: skip
def test_numbers_follow_javascript_number_to_string(text, expected):
    assert js_number(Decimal(text)) == expected


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        (EXAMPLE_BODY.replace(b"14.8106", b"14.8107"), EXAMPLE_DIGEST),  # one byte of a value changed
        (EXAMPLE_BODY.replace(b'"ORD-1"', b'"ORD-2"'), EXAMPLE_DIGEST),
        (EXAMPLE_BODY.replace(b'"withdrawalFee"', b'"withdrawalFeE"'), EXAMPLE_DIGEST),  # a nested key
        (EXAMPLE_BODY.replace(b'"purchase_id"', b'"purchase_iD"'), EXAMPLE_DIGEST),  # a top-level key
        (EXAMPLE_BODY, EXAMPLE_DIGEST[:-1] + "7"),
        (EXAMPLE_BODY, sign("another-secret", js_json(parse(EXAMPLE_BODY)))),
        (EXAMPLE_BODY, ""),
        (b"not json", EXAMPLE_DIGEST),
        (b"[1,2]", sign("np_ipn_secret_example", "[1,2]")),
    ],
)
def test_anything_else_is_refused(clock, body, signature):
    with pytest.raises(AuthenticationFailed):
        adapter(clock, ipn_secret="np_ipn_secret_example").verify_callback(ipn(body, signature))


def test_an_empty_configured_secret_refuses_even_a_body_signed_with_it(clock):
    body = b'{"payment_id":1,"payment_status":"finished"}'
    with pytest.raises(AuthenticationFailed):
        adapter(clock, ipn_secret="").verify_callback(ipn(body, sign("", js_json(parse(body)))))


def test_a_signed_body_without_a_status_is_a_bad_request(clock):
    body = b'{"payment_id":1}'
    with pytest.raises(InvalidRequest):
        adapter(clock).verify_callback(ipn(body, sign(SECRET, js_json(parse(body)))))


def test_a_child_payment_names_its_parent(clock):
    body = b'{"payment_id":222,"parent_payment_id":111,"payment_status":"finished","order_id":null}'
    callback = adapter(clock).verify_callback(ipn(body, sign(SECRET, js_json(parse(body)))))
    assert (callback.parent_payment_id, callback.provider_payment_id) == ("111", "222")


# --- status map and fetch --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("native", "status"),
    [("waiting", Status.PENDING), ("confirming", Status.PROCESSING), ("confirmed", Status.PROCESSING),
     ("sending", Status.PROCESSING), ("partially_paid", Status.PARTIALLY_PAID), ("finished", Status.SUCCEEDED),
     ("failed", Status.FAILED), ("refunded", Status.FAILED), ("expired", Status.EXPIRED), ("on_hold", None)],
)  # fmt: skip
def test_fetch_maps_every_native_status(clock, native, status):
    answer = {"payment_id": 5745459419, "payment_status": native, "pay_amount": 1e-7, "pay_address": "addr"}
    nowpayments = adapter(clock, (200, answer))
    state = nowpayments.fetch(payment(clock))
    assert (state.status, state.provider_status) == (status, native)
    assert state.facts == ProviderFacts(pay_amount="0.0000001", pay_address="addr")
    method, url, sent = nowpayments.session.sent[0]
    assert (method, url) == ("GET", "https://api.nowpayments.test/v1/payment/5745459419")
    assert sent["headers"]["x-api-key"] == API_KEY


# --- money settled ---------------------------------------------------------------------------------


def test_the_worked_example_settles_its_outcome_as_net_and_no_fee_in_another_coin(clock):
    # Given the worked example: 14.8106 TRX settled, its fee given in BTC
    callback = adapter(clock, ipn_secret="np_ipn_secret_example").verify_callback(ipn(EXAMPLE_BODY, EXAMPLE_DIGEST))
    # Then the net is the outcome in its currency, the crypto actually sent is kept, and a fee in
    # another coin than the settlement is not converted into one: null
    assert callback.state.settlement == Settlement(
        net="14.8106", settlement_currency="TRX", fee=None, actually_paid="15"
    )


def test_a_fee_in_the_outcome_currency_is_the_sum_of_its_parts(clock):
    body = {
        "payment_id": 5745459419, "payment_status": "finished", "order_id": "pay_1", "pay_currency": "btc",
        "actually_paid": "0.00011025", "outcome_amount": "0.000109", "outcome_currency": "btc",
        "fee": {"currency": "btc", "depositFee": "0.0000010", "withdrawalFee": "0.00000025", "serviceFee": 0},
    }  # fmt: skip
    raw = json.dumps(body).encode()
    state = adapter(clock).verify_callback(ipn(raw, sign(SECRET, js_json(parse(raw))))).state
    assert state.settlement == Settlement(
        fee="0.00000125", net="0.000109", settlement_currency="BTC", actually_paid="0.00011025"
    )


@pytest.mark.parametrize("native", ["waiting", "confirming", "expired", "failed"])
def test_before_money_arrived_the_outcome_is_a_quote_and_no_settlement(clock, native):
    answer = {"payment_id": 1, "payment_status": native, "outcome_amount": 9.9, "outcome_currency": "btc"}
    assert adapter(clock, (200, answer)).fetch(payment(clock)).settlement == Settlement()


def test_a_status_answer_without_a_fee_object_settles_a_net_and_no_fee(clock):
    answer = {
        "payment_id": 1, "payment_status": "partially_paid", "actually_paid": 0.00005,
        "pay_currency": "btc", "outcome_amount": 0.0000495, "outcome_currency": "btc",
    }  # fmt: skip
    settlement = adapter(clock, (200, answer)).fetch(payment(clock)).settlement
    assert settlement == Settlement(net="0.0000495", settlement_currency="BTC", actually_paid="0.00005")


# --- create ----------------------------------------------------------------------------------------


def test_pay_currency_is_required_before_anything_is_written(clock):
    with pytest.raises(ValidationFailed) as refusal:
        adapter(clock).check(CreatePaymentRequest(amount="10.50", currency="USD"))
    assert refusal.value.param == "pay_currency" and refusal.value.http_status == 422


def test_create_sends_the_exact_price_and_keeps_what_nowpayments_answers(clock):
    nowpayments = adapter(clock, (201, {**CREATED, "payin_extra_id": "12345"}))
    request = create_request("999999999999999.99", description="Café")
    created = nowpayments.create(payment(clock, "999999999999999.99"), request, CONTEXT)
    method, url, sent = nowpayments.session.sent[0]
    assert (method, url) == ("POST", "https://api.nowpayments.test/v1/payment")
    assert sent["headers"]["x-api-key"] == API_KEY
    assert b'"price_amount":999999999999999.99,' in sent["data"]  # every digit: a float gives 1e15
    body = json.loads(sent["data"], parse_float=Decimal)
    assert body == {
        "price_amount": Decimal("999999999999999.99"), "price_currency": "usd", "pay_currency": "btc",
        "order_id": "pay_1", "ipn_callback_url": CONTEXT.callback_url, "order_description": "Café",
    }  # fmt: skip
    assert (created.provider_payment_id, created.state.status, created.state.provider_status) == (
        "5745459419", Status.PENDING, "waiting",
    )  # fmt: skip
    facts = created.facts
    assert (facts.pay_address, facts.pay_amount, facts.pay_currency, facts.pay_extra_id) == (
        "3EZ2uTdVDAMFXTfc6uLDDKR6o8qKBZXVkj", "0.00011025", "btc", "12345",
    )  # fmt: skip


def test_lifetime_is_seven_days_and_never_more(clock):
    nowpayments = adapter(clock)
    assert nowpayments.lifetime(create_request()).days == 7
    assert nowpayments.lifetime(create_request(expires_in="P7D")).days == 7
    with pytest.raises(ValidationFailed, match=r"at most P7D \(604800 seconds\)"):
        nowpayments.lifetime(create_request(expires_in="P7DT1S"))
    assert nowpayments.lifetime(create_request(expires_in="PT30M")).total_seconds() == 1800


@pytest.mark.parametrize(
    ("answer", "error", "code", "http_status"),
    [
        ((400, {"status": False, "statusCode": 400, "code": "AMOUNT_MINIMAL_ERROR", "message": "too small"}),
         ValidationFailed, "amount_out_of_range", 422),
        ((403, {"status": False, "statusCode": 403, "code": "INVALID_API_KEY", "message": f"bad key {API_KEY}"}),
         ProviderRejected, "provider_rejected", 502),
        ((401, {"status": False, "statusCode": 401, "code": "AUTH_REQUIRED", "message": "Authorization required"}),
         ProviderRejected, "provider_rejected", 502),
        ((400, {"status": False, "statusCode": 400, "code": "INVALID_REQUEST_PARAMS", "message": "no"}),
         ProviderRejected, "provider_rejected", 502),
        ((500, {"message": "oops"}), ProviderError, "provider_unavailable", 502),
        ((201, b"<html>"), ProviderError, "provider_invalid_response", 502),
        ((201, {"payment_status": "waiting"}), ProviderError, "provider_invalid_response", 502),
        (requests.Timeout(), ProviderTimeout, "provider_timeout", 504),
    ],
)  # fmt: skip
def test_create_errors_map_to_the_error_shape(clock, answer, error, code, http_status):
    with pytest.raises(error) as raised:
        adapter(clock, answer).create(payment(clock), create_request(), CONTEXT)
    assert (raised.value.code, raised.value.http_status) == (code, http_status)
    assert API_KEY not in raised.value.message


# --- provider options ----------------------------------------------------------------------------

BASE_FIELDS = {"price_amount", "price_currency", "pay_currency", "order_id", "ipn_callback_url"}


@pytest.mark.parametrize(
    ("options", "wire"),
    [
        ({"is_fixed_rate": True}, b'"is_fixed_rate":true'),
        ({"is_fixed_rate": False}, b'"is_fixed_rate":false'),
        ({"is_fee_paid_by_user": True}, b'"is_fee_paid_by_user":true'),
        ({"is_fee_paid_by_user": False}, b'"is_fee_paid_by_user":false'),
        ({"payout_address": "TNDFkiSmBQorNFacb3735q8MnT29sn8BLn", "payout_currency": "trx"},
         b'"payout_address":"TNDFkiSmBQorNFacb3735q8MnT29sn8BLn","payout_currency":"trx"'),
        ({"payout_currency": "xrp", "payout_extra_id": "12345"}, b'"payout_currency":"xrp","payout_extra_id":"12345"'),
    ],
)  # fmt: skip
def test_each_option_goes_out_under_its_nowpayments_name_and_nothing_else(clock, options, wire):
    nowpayments = adapter(clock, (201, CREATED))
    nowpayments.create(payment(clock), create_request(provider_options={"nowpayments": options}), CONTEXT)
    sent = nowpayments.session.sent[0][2]["data"]
    # JSON booleans (not "true" strings), strings as given, under NOWPayments' own names
    assert wire in sent
    body = json.loads(sent)
    assert {key: body[key] for key in options} == options
    # only the options given: nothing else beyond the fields every create sends
    assert set(body) == BASE_FIELDS | set(options)


def test_all_options_together_are_sent_with_their_exact_values(clock):
    nowpayments = adapter(clock, (201, CREATED))
    options = {
        "is_fixed_rate": True,
        "is_fee_paid_by_user": True,
        "payout_address": "rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh",
        "payout_currency": "xrp",
        "payout_extra_id": "1234567",
    }
    nowpayments.create(payment(clock), create_request(provider_options={"nowpayments": options}), CONTEXT)
    body = json.loads(nowpayments.session.sent[0][2]["data"], parse_float=Decimal)
    assert body == {
        "price_amount": Decimal("10.50"), "price_currency": "usd", "pay_currency": "btc", "order_id": "pay_1",
        "ipn_callback_url": CONTEXT.callback_url, **options,
    }  # fmt: skip


def test_options_of_other_providers_are_not_sent(clock):
    nowpayments = adapter(clock, (201, CREATED))
    others = {"payop": {"payment_method": "381", "language": "de"}, "paygentic": {"customer_id": "cus_1"}}
    nowpayments.create(payment(clock), create_request(provider_options=others), CONTEXT)
    sent = nowpayments.session.sent[0][2]["data"]
    assert set(json.loads(sent)) == BASE_FIELDS
    assert b"381" not in sent and b"cus_1" not in sent and b"language" not in sent


@pytest.mark.parametrize(
    "options",
    [{"is_fixed_rate": True}, {"is_fee_paid_by_user": True}, {"is_fixed_rate": False, "is_fee_paid_by_user": True}],
)
def test_a_fixed_rate_payment_lives_at_most_20_minutes(clock, options):
    nowpayments = adapter(clock)
    fixed = {"provider_options": {"nowpayments": options}}
    assert nowpayments.lifetime(create_request(**fixed)) == timedelta(minutes=20)  # instead of 7 days
    with pytest.raises(ValidationFailed, match=r"at most PT20M"):
        nowpayments.lifetime(create_request(expires_in="P1D", **fixed))
    assert nowpayments.lifetime(create_request(expires_in="PT5M", **fixed)) == timedelta(minutes=5)  # shorter stays


def test_a_fixed_rate_payment_still_needs_the_minimum_lifetime(clock):
    fixed = {"provider_options": {"nowpayments": {"is_fixed_rate": True}}}
    with pytest.raises(ValidationFailed) as refused:
        adapter(clock).accepts(create_request(expires_in="PT30S", **fixed))
    assert refused.value.param == "expires_in"


@pytest.mark.parametrize(
    "options", [{"is_fixed_rate": False}, {"is_fee_paid_by_user": False}, {"payout_currency": "btc"}, {}]
)
def test_without_a_fixed_rate_the_lifetime_stays_seven_days(clock, options):
    request = create_request(provider_options={"nowpayments": options, "payop": {"language": "de"}})
    assert adapter(clock).lifetime(request) == timedelta(days=7)


# --- payment methods -------------------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "amount"), [("USD", Decimal("10.00")), ("BRL", None), ("JPY", Decimal("1"))])
def test_payment_methods_is_crypto_for_any_price_currency_without_asking(clock, currency, amount):
    nowpayments = adapter(clock)  # no canned answer: any request would fail
    methods = nowpayments.payment_methods(currency, amount)
    assert [(m.provider, m.method, m.kind, m.currencies) for m in methods] == [
        ("nowpayments", "crypto", "crypto", None)
    ]
    assert nowpayments.session.sent == []
