"""Routing rules: configuration checked at start with a message naming the rule, and the providers a payment
that names none is offered to, in order."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from paygate.config import Settings
from paygate.errors import ValidationFailed
from paygate.providers.registry import Registry
from paygate.providers.request import CreatePaymentRequest
from paygate.providers.routing import RoutingRulesError, parse_rules, providers_for
from tests import factories

ENABLED = ["sandbox", "nowpayments", "payop", "paygentic", "ivpay"]
RULES = [
    {"when": {"currency": ["USD", "EUR"], "amount_max": "5000", "pay_currency": False}, "providers": ["paygentic"]},
    {"when": {"pay_currency": True}, "providers": ["nowpayments", "ivpay"]},
    {"when": {"country": ["DE", "AT"]}, "providers": ["payop", "sandbox"]},
    {"providers": ["sandbox"]},
]


def route(rules: list[dict], *, currency="USD", amount="10.00", pay_currency=False, country=None) -> list[str] | None:
    return providers_for(
        parse_rules(json.dumps(rules), enabled=ENABLED),
        ENABLED,
        currency=currency,
        amount=Decimal(amount),
        pay_currency=pay_currency,
        country=country,
    )


@pytest.mark.parametrize(
    ("payment", "expected"),
    [
        ({}, ["paygentic"]),
        ({"amount": "5000"}, ["paygentic"]),  # amount_max is inclusive
        ({"amount": "5000.01"}, ["sandbox"]),
        ({"currency": "GBP"}, ["sandbox"]),
        ({"pay_currency": True}, ["nowpayments", "ivpay"]),
        ({"currency": "GBP", "country": "DE"}, ["payop", "sandbox"]),
        ({"currency": "GBP", "country": "FR"}, ["sandbox"]),
    ],
)
def test_the_first_rule_whose_conditions_all_hold_gives_the_providers(payment, expected):
    assert route(RULES, **payment) == expected


def test_no_rules_is_every_enabled_provider_in_order_and_unmatched_rules_are_none():
    assert route([]) == ENABLED
    assert route([{"when": {"currency": ["EUR"]}, "providers": ["payop"]}], currency="USD") is None


def test_a_country_condition_never_matches_a_payment_whose_country_is_unknown():
    rules = [{"when": {"country": ["US"]}, "providers": ["payop"]}, {"providers": ["sandbox"]}]
    assert route(rules, country=None) == ["sandbox"]
    assert route(rules, country="US") == ["payop"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "ROUTING_RULES is not JSON"),
        ('{"providers": ["sandbox"]}', "must be a JSON list"),
        ('[{"providers": ["sandbox"]}, {"when": {"currncy": ["USD"]}, "providers": ["payop"]}]', "routing rule 2"),
        ('[{"providers": []}]', "routing rule 1: providers"),
        ('[{"providers": ["stripe"]}]', "routing rule 1: names stripe, not among the enabled providers"),
        ('[{"when": {"currency": ["XYZ"]}, "providers": ["payop"]}]', "not ISO 4217 codes Paygate knows: XYZ"),
        ('[{"when": {"amount_min": "10", "amount_max": "5"}, "providers": ["payop"]}]', "amount_min is greater"),
        ('[{"when": {"amount_min": "-1"}, "providers": ["payop"]}]', "routing rule 1: when.amount_min"),
        ('[{"when": {"country": ["usa"]}, "providers": ["payop"]}]', "routing rule 1: when.country"),
        ('[{"providers": ["payop", "payop"]}]', "names a provider twice"),
    ],
)
def test_a_bad_rule_is_a_clear_error_naming_it(text, message):
    with pytest.raises(RoutingRulesError, match=message):
        parse_rules(text, enabled=ENABLED)


def test_a_function_with_a_bad_rule_fails_at_start_saying_which_rule():
    env = {
        **factories.environment(),
        "ENABLED_PROVIDERS": "sandbox,payop",
        "ROUTING_RULES": '[{"providers": ["ivpay"]}]',
    }
    with pytest.raises(RuntimeError, match="Paygate is not configured: routing rule 1: names ivpay"):
        Settings.from_env(env)
    env["ROUTING_RULES"] = '[{"when": {"currency": ["EUR"]}, "providers": ["payop"]}, {"providers": ["sandbox"]}]'
    assert [rule.providers for rule in Settings.from_env(env).routing_rules] == [["payop"], ["sandbox"]]


def registry(clock, rules: list[dict]) -> Registry:
    config = factories.settings(
        enabled_providers=ENABLED, routing_rules=parse_rules(json.dumps(rules), enabled=ENABLED)
    )
    return factories.registry(clock, config=config)


def test_route_keeps_the_rules_order_less_the_providers_that_refuse_the_payment(clock):
    rules = [{"providers": ["nowpayments", "payop", "paygentic", "sandbox"]}]
    request = CreatePaymentRequest(amount="10.00", currency="USD")
    # nowpayments needs pay_currency, payop a customer_email: passed over, the order otherwise kept
    route = registry(clock, rules).route
    assert [provider.name for provider in route(request, livemode=False)] == ["paygentic", "sandbox"]
    with_email = request.model_copy(update={"customer_email": "payer@example.com"})
    assert [provider.name for provider in route(with_email, livemode=False)] == ["payop", "paygentic", "sandbox"]


def test_route_refuses_a_payment_no_rule_matches_or_no_provider_takes(clock):
    with pytest.raises(ValidationFailed) as unmatched:
        registry(clock, [{"when": {"currency": ["EUR"]}, "providers": ["payop"]}]).route(
            CreatePaymentRequest(amount="10.00", currency="USD"), livemode=False
        )
    assert (unmatched.value.code, unmatched.value.http_status) == ("no_route", 422)
    with pytest.raises(ValidationFailed, match="no enabled provider accepts this payment"):
        registry(clock, [{"providers": ["paygentic"]}]).route(
            CreatePaymentRequest(amount="9000.00", currency="USD"), livemode=False
        )
