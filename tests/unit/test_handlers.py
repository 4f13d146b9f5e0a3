"""The API handlers on moto with the sample events of events/: no network, no simulator."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from local import template
from local.emulator import lambda_context
from local.template import ROOT
from paygate import service
from paygate.accounts.models import Merchant
from paygate.providers.sandbox.signing import sign
from tests import factories
from tests.factories import CREDENTIALS, SECRET_NAME, TABLES


def sample(name: str) -> dict:
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


@pytest.fixture
def handlers(dynamodb, monkeypatch):
    boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps(CREDENTIALS))
    monkeypatch.setenv("ENABLED_PROVIDERS", "sandbox")
    # Nothing listens there: the provider is refused at once.
    monkeypatch.setenv("PROVIDER_BASE_URLS", "sandbox=http://127.0.0.1:9")
    service.reset()
    yield lambda function, event: template.handler(function)(event, lambda_context(function))
    service.reset()


def test_create_with_an_unreachable_provider_is_502_and_a_failed_record(handlers, dynamodb):
    answer = handlers("CreatePaymentFunction", sample("create_payment"))
    assert answer["statusCode"] == 502
    assert json.loads(answer["body"])["error"]["code"] == "provider_unavailable"
    items = dynamodb.scan(TableName=TABLES["PaymentsTable"])["Items"]
    assert [item["status"]["S"] for item in items] == ["failed"]
    assert items[0]["failure_reason"]["S"].startswith("provider_unavailable")


def test_get_unknown_payment_is_404(handlers):
    answer = handlers("GetPaymentFunction", sample("get_payment"))
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"]["code"] == "payment_not_found"


def resigned(event: dict, timestamp: int) -> dict:
    """The sample callback, signed again with the local secret at `timestamp`."""
    body = event["body"].encode()
    header = sign(CREDENTIALS["sandbox"]["webhook_secret"], timestamp, body)
    return {**event, "headers": {**event["headers"], "Paygate-Signature": header}}


def test_the_sample_callback_signed_now_is_authentic_and_names_no_stored_payment(handlers):
    answer = handlers("IpnCallbackFunction", resigned(sample("ipn_sandbox"), int(time.time())))
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"]["code"] == "payment_not_found"


def test_the_sample_callback_signed_six_minutes_ago_is_refused(handlers):
    answer = handlers("IpnCallbackFunction", resigned(sample("ipn_sandbox"), int(time.time()) - 360))
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["error"]["type"] == "authentication_error"


def test_the_list_sample_answers_an_empty_first_page(handlers):
    answer = handlers("ListPaymentsFunction", sample("list_payments"))
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"object": "list", "data": [], "has_more": False, "next_starting_after": None}


def listing(**query: str) -> dict:
    event = sample("list_payments")
    return {
        **event,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
    }


@pytest.mark.parametrize(
    ("param", "value"),
    [("created_gte", "0001-01-01T03:00:00+04:59"), ("created_lt", "9999-12-31T23:00:00-04:00"),
     ("created_gte", "0001-01-01T00:00:00+00:01")],
)  # fmt: skip
def test_a_time_outside_what_utc_can_write_is_a_422_naming_it(handlers, param, value):
    answer = handlers("ListPaymentsFunction", listing(**{param: value}))
    assert answer["statusCode"] == 422
    assert json.loads(answer["body"])["error"]["param"] == param


def test_times_before_the_year_1000_sort_before_every_payment(handlers, dynamodb):
    sample_account = Merchant("acct_5b2d8e7f1a3c4e6b", livemode=False).scope  # the sample event's authorizer context
    factories.lifecycle(dynamodb, factories.FixedClock()).payments.insert(factories.record(account_id=sample_account))
    early = handlers("ListPaymentsFunction", listing(created_gte="0999-06-01T00:00:00Z"))
    late = handlers("ListPaymentsFunction", listing(created_lt="0999-06-01T00:00:00Z"))
    assert [len(json.loads(answer["body"])["data"]) for answer in (early, late)] == [1, 0]


def test_cancelling_the_sample_payment_that_does_not_exist_is_404(handlers):
    answer = handlers("CancelPaymentFunction", sample("cancel_payment"))
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"]["code"] == "payment_not_found"


def test_the_payment_methods_sample_lists_the_enabled_sandbox(handlers):
    answer = handlers("PaymentMethodsFunction", sample("payment_methods"))
    assert answer["statusCode"] == 200
    body = json.loads(answer["body"])
    assert body["object"] == "list"
    assert {method["provider"] for method in body["data"]} <= {"sandbox"}


@pytest.mark.parametrize(
    ("function", "event"),
    [
        ("CreatePaymentFunction", "create_payment"),
        ("GetPaymentFunction", "get_payment"),
        ("ListPaymentsFunction", "list_payments"),
        ("CancelPaymentFunction", "cancel_payment"),
    ],
)
def test_a_merchant_route_reached_without_an_api_key_is_401(handlers, function, event):
    # API Gateway names the key's id in the context of every merchant route; without one, nobody is asked
    anonymous = sample(event)
    anonymous["requestContext"]["authorizer"] = None
    answer = handlers(function, anonymous)
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["error"]["code"] == "missing_api_key"


def test_a_handlers_use_case_is_injected_and_can_be_replaced(handlers):
    # The event handler injects the use case (Powertools' Depends): a test or a wrapper may swap it
    calls = []

    def cancel(payment_id: str, *, account_id: str):
        calls.append((payment_id, account_id))
        return factories.record(id=payment_id, account_id=account_id, status="cancelled")

    app = template.module("CancelPaymentFunction").app
    app.dependency_overrides[service.cancel_payment] = lambda: cancel
    try:
        answer = handlers("CancelPaymentFunction", sample("cancel_payment"))
    finally:
        app.dependency_overrides.clear()
    event = sample("cancel_payment")
    merchant = Merchant(event["requestContext"]["authorizer"]["account_id"], livemode=False)
    assert calls == [(event["pathParameters"]["payment_id"], merchant.scope)]
    assert (answer["statusCode"], json.loads(answer["body"])["status"]) == (200, "cancelled")


@pytest.mark.parametrize("body", ["[null, null]", "null", "[]", "5", '"all"', "true"])
def test_a_refund_body_that_is_not_an_object_is_refused_and_nothing_is_refunded(handlers, dynamodb, body):
    event = sample("cancel_payment")
    account = Merchant(event["requestContext"]["authorizer"]["account_id"], livemode=False).scope
    payment = factories.record(account_id=account, status="succeeded", amount_received="1.00")
    factories.lifecycle(dynamodb, factories.FixedClock()).payments.insert(payment)
    event |= {"path": f"/payments/{payment.id}/refunds", "resource": "/payments/{payment_id}/refunds", "body": body}
    event["pathParameters"] = {"payment_id": payment.id}
    event["headers"] = {**event["headers"], "Content-Type": "application/json"}
    answer = handlers("RefundsFunction", event)
    assert answer["statusCode"] in (400, 422), answer["body"]
    assert json.loads(answer["body"])["error"]["type"] == "invalid_request"
    assert factories.lifecycle(dynamodb, factories.FixedClock()).payments.get(payment.id).refunds == []


def test_the_authorizer_allows_the_samples_key_for_its_account_on_every_route_until_revoked(handlers):
    event = sample("authorizer")
    merchant = Merchant("acct_5b2d8e7f1a3c4e6b", livemode=False)  # the merchant samples' account
    service.profiles().open("Sample shop", account_id=merchant.account_id)
    key = service.api_keys().adopt(merchant, event["headers"]["X-API-Key"], "sample")
    answer = handlers("AuthorizerFunction", event)
    assert (answer["principalId"], answer["context"]) == (
        merchant.account_id,
        {"account_id": merchant.account_id, "livemode": "false"},
    )
    [statement] = answer["policyDocument"]["Statement"]
    assert (statement["Effect"], statement["Resource"]) == (
        "Allow",
        ["arn:aws:execute-api:us-east-1:123456789012:abc123defg/v1/*/*"],  # the answer is cached for every route
    )
    service.api_keys().revoke(merchant, key.id)
    # Refused with a Deny (API Gateway's ACCESS_DENIED, answered 401), not an error of the function
    [statement] = handlers("AuthorizerFunction", event)["policyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
