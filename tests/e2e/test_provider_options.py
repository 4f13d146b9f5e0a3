"""`provider_options` over HTTP against the local stack: each provider's options arrive at its simulator in
that provider's wire format, bad options are 422s naming their path that write nothing, and options for a
provider that does not take the payment are never sent."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

PAYER = "payer@example.com"
# The fields each adapter sends when no option is given (with the test's description and no redirect URLs).
NOWPAYMENTS_FIELDS = {"price_amount", "price_currency", "pay_currency", "order_id", "ipn_callback_url"}
PAYOP_FIELDS = {"publicKey", "order", "payer", "language", "signature"}
SANDBOX_FIELDS = {"amount", "currency", "reference", "callback_url", "return_url", "expires_at", "description"}


def lifetime(payment: dict) -> timedelta:
    return datetime.fromisoformat(payment["expires_at"]) - datetime.fromisoformat(payment["created_at"])


# --- every option arrives in the provider's wire format --------------------------------------------


def test_nowpayments_options_arrive_as_its_json_fields_and_a_fixed_rate_lasts_20_minutes(api, stack):
    options = {
        "is_fixed_rate": True,
        "is_fee_paid_by_user": False,
        "payout_address": "rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh",
        "payout_currency": "xrp",
        "payout_extra_id": "1234567",
    }
    created = api.create(provider="nowpayments", pay_currency="btc", provider_options={"nowpayments": options})
    payment = stack.simulators["nowpayments"].payments[created["provider_payment_id"]]
    # Each field as NOWPayments documents it: booleans as JSON booleans, strings as given, same names
    assert {name: payment["request"][name] for name in options} == options
    assert payment["request"]["is_fixed_rate"] is True and payment["request"]["is_fee_paid_by_user"] is False
    assert set(payment["request"]) == NOWPAYMENTS_FIELDS | set(options)
    # and the simulator kept them on the payment, as NOWPayments echoes them
    assert {name: payment[name] for name in options} == options
    # A fixed rate holds 20 minutes at NOWPayments, so the payment expires then (not after 7 days)
    assert lifetime(created) == timedelta(minutes=20)


def test_nowpayments_without_a_fixed_rate_keeps_seven_days(api, stack):
    created = api.create(
        provider="nowpayments", pay_currency="btc", provider_options={"nowpayments": {"payout_currency": "btc"}}
    )
    assert (
        stack.simulators["nowpayments"].payments[created["provider_payment_id"]]["request"]["payout_currency"] == "btc"
    )
    assert lifetime(created) == timedelta(days=7)


@pytest.mark.parametrize("method", [381, "203"])
def test_payop_options_arrive_as_payment_method_and_language(api, stack, method):
    created = api.create(
        provider="payop",
        currency="EUR",
        customer_email=PAYER,
        provider_options={"payop": {"payment_method": method, "language": "pt"}},
    )
    invoice = stack.simulators["payop"].payments[created["provider_payment_id"]]
    # paymentMethod exactly as given (a number stays a number, a string a string), the language instead of en
    assert invoice["request"]["paymentMethod"] == method and type(invoice["request"]["paymentMethod"]) is type(method)
    assert invoice["language"] == "pt"
    assert set(invoice["request"]) == PAYOP_FIELDS | {"paymentMethod"}
    # and Payop's invoice read names the chosen method as Payop documents it
    answer = api.http.get(f"{api.base}/_sim/payop/v1/invoices/{created['provider_payment_id']}", timeout=10).json()
    assert answer["data"]["paymentMethod"] == {"identifier": int(method), "formType": "standard"}


def test_a_payop_method_payop_does_not_offer_is_its_refusal_and_a_failed_record(api, stack, table):
    before = table.ids()
    answer = api.post(
        "/payments",
        {"amount": "10.50", "currency": "EUR", "provider": "payop", "customer_email": PAYER,
         "provider_options": {"payop": {"payment_method": "999"}}},
    )  # fmt: skip
    assert answer.status_code == 502, answer.text
    error = answer.json()["error"]
    assert error["code"] == "provider_rejected" and "paymentMethod" in error["message"]
    record = table.new_record(before)
    assert record["status"]["S"] == "failed"


def test_payop_without_options_gets_english_and_no_method(api, stack):
    created = api.create(provider="payop", customer_email=PAYER)
    invoice = stack.simulators["payop"].payments[created["provider_payment_id"]]
    assert invoice["language"] == "en" and "paymentMethod" not in invoice["request"]
    assert invoice["paymentMethod"] is None


def test_paygentic_options_arrive_as_customer_id_and_save_payment_method(api, stack):
    created = api.create(
        provider="paygentic", provider_options={"paygentic": {"customer_id": "cus_42", "save_payment_method": True}}
    )
    payment = stack.simulators["paygentic"].payments[created["provider_payment_id"]]
    assert payment["customerId"] == "cus_42"
    assert payment["savePaymentMethod"] is True


# --- bad options: a 422 naming the path, and nothing written -----------------------------------------


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"payop": {"langauge": "de"}}, "provider_options.payop.langauge"),  # unknown option
        ({"nowpayments": {"is_fixed_rate": "yes"}}, "provider_options.nowpayments.is_fixed_rate"),  # wrong type
        ({"nowpayments": {"is_fixed_rate": 1}}, "provider_options.nowpayments.is_fixed_rate"),
        ({"paygentic": {"save_payment_method": "true"}}, "provider_options.paygentic.save_payment_method"),
        ({"payop": {"language": "english"}}, "provider_options.payop.language"),
        ({"payop": {"payment_method": "card"}}, "provider_options.payop.payment_method"),  # a union-typed field
        ({"payop": {"payment_method": True}}, "provider_options.payop.payment_method"),
        ({"nowpayments": {"payout_address": "addr-1"}}, "provider_options.nowpayments.payout_currency"),  # needs both
        ({"stripe": {}}, "provider_options.stripe"),  # a provider with no options
    ],
)
def test_a_bad_option_is_a_422_naming_its_path_and_writes_nothing(api, stack, table, options, param):
    before = table.count()
    creates = {name: simulator.calls["create"] for name, simulator in stack.simulators.items()}
    answer = api.post(
        "/payments",
        {"amount": "10.50", "currency": "EUR", "provider": "payop", "customer_email": PAYER, "pay_currency": "btc",
         "provider_options": options},
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["param"]) == ("validation_error", param)
    assert table.count() == before
    assert {name: simulator.calls["create"] for name, simulator in stack.simulators.items()} == creates


# --- options for a provider that does not take the payment are not sent ----------------------------


def test_a_sandbox_payment_with_payop_options_sends_them_nowhere(api, stack):
    payop_creates = stack.simulators["payop"].calls["create"]
    created = api.create(provider_options={"payop": {"payment_method": 381, "language": "de"}})
    assert created["provider"] == "sandbox"
    assert set(stack.simulators["sandbox"].request(created["provider_payment_id"])) == SANDBOX_FIELDS
    assert stack.simulators["payop"].calls["create"] == payop_creates


def test_a_payop_payment_with_nowpayments_options_has_no_nowpayments_fields(api, stack):
    options = {"nowpayments": {"is_fixed_rate": True, "payout_address": "addr-1", "payout_currency": "btc"}}
    created = api.create(provider="payop", customer_email=PAYER, provider_options=options)
    invoice = stack.simulators["payop"].payments[created["provider_payment_id"]]
    assert set(invoice["request"]) == PAYOP_FIELDS
    assert not {"is_fixed_rate", "payout_address", "payout_currency"} & set(invoice["request"])
    assert invoice["language"] == "en"
    # and the fixed rate of another provider does not shorten this payment (Payop's default is 24 h)
    assert lifetime(created) == timedelta(hours=24)


def test_a_nowpayments_payment_with_payop_and_paygentic_options_sends_only_its_own(api, stack):
    options = {
        "payop": {"language": "de"},
        "paygentic": {"customer_id": "cus_1"},
        "nowpayments": {"is_fixed_rate": False},
    }
    created = api.create(provider="nowpayments", pay_currency="btc", provider_options=options)
    request = stack.simulators["nowpayments"].payments[created["provider_payment_id"]]["request"]
    assert set(request) == NOWPAYMENTS_FIELDS | {"is_fixed_rate"} and request["is_fixed_rate"] is False


def test_a_paygentic_payment_with_others_options_sends_none_of_them(api, stack):
    options = {"nowpayments": {"is_fixed_rate": True}, "payop": {"payment_method": 381}}
    created = api.create(provider="paygentic", provider_options=options)
    payment = stack.simulators["paygentic"].payments[created["provider_payment_id"]]
    assert "customerId" not in payment and "savePaymentMethod" not in payment


def test_routing_sends_the_chosen_providers_options_only(api, stack):
    # No provider named: routing picks the first enabled one that accepts the payment (the sandbox here)
    options = {"payop": {"language": "de"}, "nowpayments": {"is_fixed_rate": True}}
    response = api.post("/payments", {"amount": "10.50", "currency": "USD", "provider_options": options})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["provider"] == "sandbox"
    assert set(stack.simulators["sandbox"].request(created["provider_payment_id"])) == SANDBOX_FIELDS
