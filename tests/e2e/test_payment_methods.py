"""GET /payment-methods over HTTP against the local stack: every enabled provider's methods for the price, Payop's
read from its (simulated) API and cached, the currency and amount limits applied, and bad input refused."""

from __future__ import annotations

import pytest

from local.simulators.payop import METHODS as PAYOP_METHODS


@pytest.fixture
def payop_cache_cleared(stack):
    """Forget the Payop adapter's cached list, so this test's first listing asks the simulator. (The stack
    serves requests in this process: its gateway is the one `service` built.)"""
    from paygate import service

    service.providers().get("payop")._methods = None


def methods(api, **params: str) -> list[dict]:
    response = api.get("/payment-methods", **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list"
    return body["data"]


def summary(listed: list[dict]) -> list[tuple[str, str, str]]:
    return [(method["provider"], method["method"], method["kind"]) for method in listed]


def test_eur_lists_payops_eur_methods_and_every_other_providers_once_then_from_the_cache(
    api, stack, payop_cache_cleared
):
    payop = stack.simulators["payop"]
    asked = payop.calls["methods"]
    listed = methods(api, currency="EUR", amount="10.00")
    # Every enabled provider, in routing order; Payop's EUR methods as its API lists them
    assert summary(listed) == [
        ("sandbox", "test", "test"),
        ("nowpayments", "crypto", "crypto"),
        ("payop", "381", "card"),
        ("payop", "203", "bank_transfer"),
        ("paygentic", "card", "card"),
        ("ivpay", "crypto", "crypto"),
    ]
    sepa = next(method for method in listed if method["method"] == "203")
    simulated = next(method for method in PAYOP_METHODS if method["identifier"] == 203)
    assert (sepa["name"], sepa["currencies"], sepa["countries"]) == (
        simulated["title"], simulated["currencies"], simulated["countries"],
    )  # fmt: skip
    assert payop.calls["methods"] == asked + 1
    # The second listing (another currency too) is served from the adapter's cache: Payop is not asked again
    assert methods(api, currency="EUR", amount="10.00") == listed
    assert summary(methods(api, currency="USD")) == [
        ("sandbox", "test", "test"),
        ("nowpayments", "crypto", "crypto"),
        ("payop", "381", "card"),
        ("payop", "617", "wallet"),
        ("paygentic", "card", "card"),
        ("ivpay", "crypto", "crypto"),
    ]
    assert payop.calls["methods"] == asked + 1


def test_brl_leaves_out_paygentic_and_payops_eur_only_methods(api):
    listed = summary(methods(api, currency="BRL", amount="100.00"))
    assert listed == [
        ("sandbox", "test", "test"),
        ("nowpayments", "crypto", "crypto"),
        ("payop", "862", "other"),
        ("ivpay", "crypto", "crypto"),
    ]


def test_an_amount_over_paygentics_limit_leaves_paygentic_out(api):
    listed = summary(methods(api, currency="USD", amount="6000.00"))
    assert ("paygentic", "card", "card") not in listed
    assert [entry for entry in listed if entry[0] != "payop"] == [
        ("sandbox", "test", "test"),
        ("nowpayments", "crypto", "crypto"),
        ("ivpay", "crypto", "crypto"),
    ]
    # while the same price within its limit lists it
    assert ("paygentic", "card", "card") in summary(methods(api, currency="USD", amount="5000.00"))


@pytest.mark.parametrize("fault", ["error", "garbage"])
def test_when_payop_cannot_be_asked_the_others_are_still_listed_and_nothing_is_cached(
    api, stack, faults, payop_cache_cleared, fault
):
    asked = stack.simulators["payop"].calls["methods"]
    faults("payop", methods=[fault])
    assert summary(methods(api, currency="EUR")) == [
        ("sandbox", "test", "test"),
        ("nowpayments", "crypto", "crypto"),
        ("paygentic", "card", "card"),
        ("ivpay", "crypto", "crypto"),
    ]
    # the failure was not kept: the next listing asks Payop again and lists its methods
    assert [entry[1] for entry in summary(methods(api, currency="EUR")) if entry[0] == "payop"] == ["381", "203"]
    assert stack.simulators["payop"].calls["methods"] == asked + 2


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"currency": "ABC"}, "currency"),  # not an ISO 4217 code
        ({"currency": "eur"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({}, "currency"),
        ({"currency": "EUR", "amount": "10,00"}, "amount"),
        ({"currency": "EUR", "amount": "-1"}, "amount"),
    ],
)
def test_a_bad_currency_or_amount_is_a_422(api, params, param):
    response = api.get("/payment-methods", **params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["param"] == param


def test_the_list_needs_an_api_key(api):
    assert api.get("/payment-methods", key=False, currency="EUR").status_code == 401
