"""Provider credentials as a deployment holds them (one Secrets Manager secret, read through Powertools):
a rotated secret takes effect without a restart once the cache age has passed, the previous one is
accepted during the overlap, and missing credentials are a clean 503, never a 500."""

from __future__ import annotations

import base64
import json

import boto3
import pytest

from local import template
from local.emulator import lambda_context
from local.template import ROOT
from paygate import service
from paygate.config import credential_reader
from paygate.errors import AuthenticationFailed, ProviderNotConfigured
from paygate.providers.base import CallbackRequest
from paygate.providers.catalog import SPECS
from paygate.providers.payop import signing as payop
from paygate.providers.registry import Registry
from tests import factories
from tests.factories import CREDENTIALS, SECRET_NAME, nowpayments_ipn, paygentic_webhook, sandbox_callback

MAX_AGE = 300


@pytest.fixture
def secrets(dynamodb):
    client = boto3.client("secretsmanager")
    service.reset()  # and Powertools' cached secrets with it
    yield client
    service.reset()


def put(client, values: dict) -> None:
    body = json.dumps({"sandbox": values})
    try:
        client.put_secret_value(SecretId=SECRET_NAME, SecretString=body)
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(Name=SECRET_NAME, SecretString=body)


def accepted(registry: Registry, secret: str) -> bool:
    """Whether a callback signed with `secret` now (by the registry's clock) is authentic."""
    stamp = int(registry.clock().timestamp())
    callback = sandbox_callback("pay_1", "sbx_1", "succeeded", secret=secret, timestamp=stamp)
    try:
        registry.get("sandbox").verify_callback(callback.request())
    except AuthenticationFailed:
        return False
    return True


def test_a_rotated_secret_takes_effect_after_the_cache_age_and_the_previous_one_still_works(secrets, clock):
    put(secrets, {"api_key": "k", "webhook_secret": "first"})
    settings = factories.settings(enabled_providers=["sandbox"], secret_max_age_seconds=MAX_AGE)
    # The real credentials reader: Secrets Manager, through Powertools
    registry = Registry(settings.providers(), credentials=credential_reader(settings), clock=clock)
    assert accepted(registry, "first")
    # When the secret is rotated (the previous value kept for the overlap)
    put(secrets, {"api_key": "k", "webhook_secret": "second", "previous_webhook_secret": "first"})
    # Then until the cache age has passed, the process still holds the first
    clock.advance(seconds=MAX_AGE - 1)
    assert accepted(registry, "first") and not accepted(registry, "second")
    # and after it, with no restart, both are accepted
    clock.advance(seconds=2)
    assert accepted(registry, "second") and accepted(registry, "first")
    # and once the previous one is removed from the secret, only the new one
    put(secrets, {"api_key": "k", "webhook_secret": "second"})
    clock.advance(seconds=MAX_AGE)
    assert accepted(registry, "second") and not accepted(registry, "first")


@pytest.mark.parametrize("values", [None, {}, {"api_key": "k"}, {"api_key": "", "webhook_secret": "s"}])
def test_missing_credentials_are_provider_not_configured(secrets, clock, values):
    if values is not None:
        put(secrets, values)
    settings = factories.settings(enabled_providers=["sandbox"])
    registry = Registry(settings.providers(), credentials=credential_reader(settings), clock=clock)
    with pytest.raises(ProviderNotConfigured) as refused:
        registry.get("sandbox")
    assert (refused.value.http_status, refused.value.code) == (503, "provider_not_configured")


def test_a_create_without_the_secret_is_a_503_in_the_error_shape_and_writes_nothing(secrets, dynamodb, monkeypatch):
    monkeypatch.setenv("ENABLED_PROVIDERS", "sandbox")
    event = json.loads((ROOT / "events" / "create_payment.json").read_text())
    answer = template.handler("CreatePaymentFunction")(event, lambda_context("CreatePaymentFunction"))
    assert answer["statusCode"] == 503
    error = json.loads(answer["body"])["error"]
    assert (error["type"], error["code"]) == ("provider_error", "provider_not_configured")
    assert dynamodb.scan(TableName=factories.TABLES["PaymentsTable"])["Count"] == 0


# Every provider whose callbacks carry a secret: which credential it is, and a callback made with a value of it.
SIGNED_WITH = {
    "sandbox": (
        "webhook_secret",
        lambda secret, stamp: sandbox_callback("pay_1", "sbx_1", "succeeded", secret=secret, timestamp=stamp),
    ),
    "nowpayments": (
        "ipn_secret",
        lambda secret, stamp: nowpayments_ipn(
            {"payment_id": 5077125051, "order_id": "pay_1", "payment_status": "finished"}, secret=secret
        ),
    ),
    "paygentic": (
        "webhook_secret",
        lambda secret, stamp: paygentic_webhook(
            {"paymentId": "pay_pg_1", "reference": "pay_1", "status": "completed"},
            event_type="payment.completed.v0",
            secret=secret,
            timestamp=stamp,
        ),
    ),
    "payop": (
        "secret_key",
        lambda secret, stamp: factories.Delivery(
            json.dumps(
                {
                    "orderId": "pay_1",
                    "invoiceId": "inv-1",
                    "amount": "10.0000",
                    "currency": "USD",
                    "status": "success",
                    "signature": payop.sign("10.0000", "USD", "pay_1", "success", secret),
                }
            ).encode(),
            {"Content-Type": "application/json"},
        ),
    ),
    "ivpay": (
        "api_key",
        lambda key, stamp: factories.Delivery(
            json.dumps({"payment_id": "a1", "status": "PAID", "foreign_id": "pay_1"}).encode(),
            {"Content-Type": "application/json", "X-API-KEY": key},
        ),
    ),
}
# Paygentic's secrets are Svix's: whsec_ and base64.
OLD, NEW, STRANGER = ("whsec_" + base64.b64encode(word.encode() * 4).decode() for word in ("old", "new", "who"))


@pytest.mark.parametrize("provider", sorted(SIGNED_WITH))
def test_during_a_rotation_every_signing_provider_accepts_the_new_and_the_previous_secret_only(provider, clock):
    key, callback = SIGNED_WITH[provider]
    assert key in SPECS[provider].credentials and f"previous_{key}" in SPECS[provider].optional_credentials
    values = {**CREDENTIALS[provider], key: NEW, f"previous_{key}": OLD}
    registry = factories.registry(clock, enabled=[provider], credentials={provider: values})

    def authentic(secret: str) -> bool:
        delivery = callback(secret, int(clock().timestamp()))
        request: CallbackRequest = delivery.request(source_ip="127.0.0.1")  # payop's allowlisted address
        try:
            registry.get(provider).verify_callback(request)
        except AuthenticationFailed:
            return False
        return True

    assert authentic(NEW) and authentic(OLD) and not authentic(STRANGER)


def test_with_a_sandbox_secret_of_its_own_the_sandbox_reads_it_and_every_other_provider_the_gateways(secrets):
    secrets.create_secret(Name="paygate/sandbox", SecretString=json.dumps({"api_key": "own", "webhook_secret": "w"}))
    secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps(CREDENTIALS))
    read = credential_reader(factories.settings(sandbox_secret_name="paygate/sandbox"))
    assert read("sandbox") == {"api_key": "own", "webhook_secret": "w"}
    assert read("nowpayments") == CREDENTIALS["nowpayments"]
    # Without one (the local stack), the sandbox's object of the gateway's secret, as before
    assert read("sandbox", fresh=True) == {"api_key": "own", "webhook_secret": "w"}
    assert credential_reader(factories.settings())("sandbox", fresh=True) == CREDENTIALS["sandbox"]
