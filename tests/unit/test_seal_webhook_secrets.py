"""scripts/seal_webhook_secrets.py (moto): endpoints registered before sealing keep their secrets in clear;
the script seals them in place, with the stack's key, so that they open to the same secrets; a dry run
changes nothing and a second run finds nothing."""

from __future__ import annotations

import base64
import json

import boto3
import pytest

from paygate.webhooks.models import CreateEndpointRequest
from paygate.webhooks.sealing import SecretSealer
from paygate.webhooks.service import Webhooks
from paygate.webhooks.store import WebhookStore
from tests import factories
from tests.operators import deployed_stack, script

TABLE = factories.TABLES["WebhookEndpointsTable"]
OLD_SECRET = "whsec_" + base64.b64encode(b"an old secret, 24 bytes!").decode()
OLDER_SECRET = "whsec_" + base64.b64encode(b"an older one, 24 bytes!!").decode()


@pytest.fixture
def webhooks(dynamodb, clock) -> Webhooks:
    store = WebhookStore(TABLE, factories.TABLES["WebhookDeliveriesTable"], dynamodb, clock=clock)
    sealer = SecretSealer(boto3.client("kms"), factories.WEBHOOK_SECRETS_KEY)
    return Webhooks(
        store=store, clock=clock, sealer=sealer, retry_schedule=[5.0], resolve=lambda host, port: ["1.1.1.1"]
    )


def item(dynamodb, endpoint_id: str) -> dict:
    key = {"account_id": {"S": factories.ACCOUNT}, "id": {"S": endpoint_id}}
    return dynamodb.get_item(TableName=TABLE, Key=key)["Item"]


def an_endpoint_from_before_sealing(webhooks, dynamodb, **clear: str) -> str:
    request = CreateEndpointRequest(url="https://shop.example/hooks")
    endpoint = webhooks.register(factories.ACCOUNT, request)
    written = {**item(dynamodb, endpoint.id), **{name: {"S": value} for name, value in clear.items()}}
    dynamodb.put_item(TableName=TABLE, Item=written)
    return endpoint.id


def test_the_script_seals_what_is_in_clear_once_and_a_dry_run_changes_nothing(webhooks, dynamodb, capsys):
    deployed_stack({"WebhookEndpointsTableName": TABLE, "WebhookSecretsKeyArn": factories.WEBHOOK_SECRETS_KEY})
    old = an_endpoint_from_before_sealing(webhooks, dynamodb, secret=OLD_SECRET)
    rotating = an_endpoint_from_before_sealing(webhooks, dynamodb, secret=OLD_SECRET, previous_secret=OLDER_SECRET)
    sealed_already = webhooks.register(factories.ACCOUNT, CreateEndpointRequest(url="https://shop.example/2")).id
    before = {endpoint_id: item(dynamodb, endpoint_id) for endpoint_id in (old, rotating, sealed_already)}

    script("seal_webhook_secrets").main(["--stack", "paygate", "--dry-run"])
    assert capsys.readouterr().out == "2 endpoints would be sealed\n"
    assert {endpoint_id: item(dynamodb, endpoint_id) for endpoint_id in before} == before

    script("seal_webhook_secrets").main(["--stack", "paygate"])
    assert capsys.readouterr().out == "2 endpoints were sealed\n"
    for endpoint_id, clear in ((old, [OLD_SECRET]), (rotating, [OLD_SECRET, OLDER_SECRET])):
        stored = item(dynamodb, endpoint_id)
        assert not any(secret in json.dumps(stored) for secret in clear)
        opened = [
            webhooks.sealer.open(stored[name]["S"], factories.ACCOUNT, endpoint_id)
            for name in ("secret", "previous_secret")
            if name in stored
        ]
        assert opened == clear  # the same secrets: the merchant changes nothing
    assert item(dynamodb, sealed_already) == before[sealed_already]

    script("seal_webhook_secrets").main(["--stack", "paygate"])
    assert capsys.readouterr().out == "0 endpoints were sealed\n"
