"""A first `sam deploy` with the defaults takes a payment: with the environment the template gives every
function, and the one secret the README has the operator create, a sandbox payment goes from create to
`succeeded` through the deployed sandbox function's routes, every call over API Gateway's URLs as
deployed (here an in-process API Gateway made from template.yaml). And without the secret, create is a
clean 503."""

from __future__ import annotations

import json
import secrets
from typing import Any

import boto3
import pytest
import requests
from werkzeug.test import Client

from local import template
from local.emulator import ApiEmulator
from local.stack import seed_accounts
from paygate import service
from tests import factories

API_HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"
API = f"https://{API_HOST}/v1"  # the ApiUrl output: host and stage
KEY = "pgk_" + secrets.token_hex(16)
SANDBOX_TABLE = "paygate-sandbox"


class ApiGateway(requests.adapters.BaseAdapter):
    """requests, sent to the deployed API's URL, answered by the functions behind it (from the template)."""

    def __init__(self) -> None:
        super().__init__()
        seed_accounts({KEY: "acct-first-merchant"})
        self.client = Client(ApiEmulator(domain_name=API_HOST))

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        path = request.path_url.removeprefix("/v1")  # the stage is in the URL, not in the routes
        answer = self.client.open(
            path,
            method=request.method,
            headers={**request.headers, "Host": API_HOST},
            data=request.body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(answer.headers)
        response._content = answer.get_data()
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def default_environment() -> dict[str, str]:
    """What template.yaml gives every function, its parameters left at their defaults."""
    parameters = {name: spec.get("Default") for name, spec in template.load()["Parameters"].items()}
    environment = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    values = {}
    for name, value in environment.items():
        if isinstance(value, dict) and "If" in value and value["If"][0] == "IsTestMode":
            value = value["If"][1]  # test mode is on by default
        if isinstance(value, dict) and "Ref" in value and value["Ref"] in parameters:
            values[name] = str(parameters[value["Ref"]])  # a parameter's default
        elif isinstance(value, str):
            values[name] = value
    return values


@pytest.fixture
def fresh_deploy(dynamodb, monkeypatch):
    for name, value in default_environment().items():
        monkeypatch.setenv(name, value)
    for name, value in factories.environment().items():  # the stack's own table and bus names
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SANDBOX_TABLE", SANDBOX_TABLE)
    template.create_tables(dynamodb, {"SandboxTable": SANDBOX_TABLE})
    service.reset()
    gateway = ApiGateway()
    session = requests.Session()
    session.mount(API, gateway)
    # The gateway calls its sandbox, and the sandbox calls the gateway back, through the same API.
    service.providers().session.mount(API, gateway)
    sandbox = template.module("SandboxFunction")
    sandbox.dynamodb.cache_clear()  # made afresh on this test's moto
    sandbox.http.mount(API, gateway)
    yield session
    service.reset()


def create_the_secret_as_the_readme_does() -> None:
    """The sandbox's own secret: the one the public sandbox function may read (no real provider's)."""
    values = {"api_key": secrets.token_hex(16), "webhook_secret": secrets.token_hex(32)}
    boto3.client("secretsmanager").create_secret(Name="paygate/sandbox", SecretString=json.dumps(values))


def test_the_defaults_are_test_mode_with_the_sandbox():
    parameters = template.load()["Parameters"]
    assert parameters["EnabledProviders"]["Default"] == "sandbox"
    assert parameters["TestMode"]["Default"] == "auto" and parameters["Stage"]["Default"] != "prod"
    assert default_environment()["PROVIDER_BASE_URLS"] == ""  # the sandbox on this API: its default path
    assert default_environment()["SANDBOX_SECRET_NAME"] == "paygate/sandbox"


def test_a_fresh_deploy_takes_a_sandbox_payment_to_succeeded(fresh_deploy):
    create_the_secret_as_the_readme_does()
    http, headers = fresh_deploy, {"X-API-Key": KEY, "Content-Type": "application/json"}
    # The README's walk-through, against the deployed URL
    created = http.post(
        f"{API}/payments", json={"amount": "10.50", "currency": "USD", "reference": "order-1"}, headers=headers
    )
    assert created.status_code == 201, created.text
    payment = created.json()
    assert payment["provider"] == "sandbox" and payment["status"] == "pending"
    assert payment["payment_url"] == f"{API}/_sim/sandbox/checkout/{payment['provider_payment_id']}"
    assert http.get(payment["payment_url"]).status_code == 200  # the checkout page, served by the stack
    delivered = http.post(
        f"{API}/_sim/sandbox/payments/{payment['provider_payment_id']}/status", json={"status": "succeeded"}
    )
    assert delivered.json() == {"delivered": True, "response_status": 200}
    read = http.get(f"{API}/payments/{payment['id']}", headers=headers).json()
    assert read["status"] == "succeeded"
    assert [entry["status"] for entry in read["history"]] == ["pending", "succeeded"]
    synced = http.get(f"{API}/payments/{payment['id']}?force_sync=true", headers=headers).json()
    assert synced["status"] == "succeeded"  # the status call found the deployed sandbox too


def test_without_the_secret_create_is_a_503_provider_not_configured(fresh_deploy, dynamodb, caplog):
    http = fresh_deploy
    for _ in range(2):
        answer = http.post(
            f"{API}/payments",
            json={"amount": "10.50", "currency": "USD"},
            headers={"X-API-Key": KEY, "Content-Type": "application/json"},
        )
        assert answer.status_code == 503
        assert answer.json()["error"] == {
            "type": "provider_error",
            "code": "provider_not_configured",
            "message": "The sandbox provider is not configured",
            "param": None,
        }
    assert dynamodb.scan(TableName=factories.TABLES["PaymentsTable"])["Count"] == 0
    # and the reason was logged once, when the container started (not again per request), naming the provider
    errors = [(record.message, record.provider) for record in caplog.records if record.levelname == "ERROR"]
    assert errors == [("provider credentials cannot be read", "sandbox")]
