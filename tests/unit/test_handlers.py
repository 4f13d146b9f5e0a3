"""The API handlers on moto with the sample events of events/: no network, no simulator."""

from __future__ import annotations

import json

import boto3
import pytest

from local import template
from local.emulator import lambda_context
from local.stack import LOCAL_CREDENTIALS, SECRET_NAME, TABLES
from local.template import ROOT
from paygate import service


def sample(name: str) -> dict:
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


@pytest.fixture
def handlers(dynamodb, monkeypatch):
    boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps(LOCAL_CREDENTIALS))
    monkeypatch.setenv("PAYMENTS_TABLE", TABLES["PaymentsTable"])
    monkeypatch.setenv("IDEMPOTENCY_TABLE", TABLES["IdempotencyTable"])
    monkeypatch.setenv("SECRET_NAME", SECRET_NAME)
    monkeypatch.setenv("ENABLED_PROVIDERS", "sandbox")
    monkeypatch.setenv("SANDBOX_BASE_URL", "http://127.0.0.1:9")  # nothing listens there: refused at once
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


def test_sample_callback_is_refused_here_its_timestamp_is_long_past(handlers, dynamodb):
    answer = handlers("IpnCallbackFunction", sample("ipn_sandbox"))
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["error"]["type"] == "authentication_error"
