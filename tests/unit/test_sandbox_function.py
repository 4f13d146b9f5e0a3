"""The sandbox provider deployed in the stack (functions/sandbox/): its API, checkout page and control
endpoint on moto, with callbacks delivered over real HTTP to a receiver in the test and checked with the
gateway's own adapter."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from urllib.parse import urlencode, urlsplit

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities import parameters
from boto3.dynamodb.types import TypeDeserializer

from local import template
from local.emulator import lambda_context
from local.template import ROOT
from paygate import aws
from paygate.checkout.style import STYLE, STYLE_HASH
from paygate.models import Money, Status
from paygate.providers.base import CallbackRequest, CreateContext
from paygate.providers.request import CreatePaymentRequest
from paygate.providers.sandbox.adapter import SandboxProvider
from tests.factories import SECRET_NAME, record

API_KEY = "sbx_cloud_api_key"
WEBHOOK_SECRET = "sbx_cloud_webhook_secret"
TABLE = "paygate-sandbox"
HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"
BASE = f"https://{HOST}/v1/_sim/sandbox"  # the sample events' host and stage
CALLBACK_FIELDS = {"event_id", "id", "reference", "status", "amount", "currency", "amount_paid", "created"}


def _load_function() -> ModuleType:
    """As Lambda loads it: through the template once it lists the function, by its path until then."""
    for name, function in template.resources("AWS::Serverless::Function").items():
        if function.get("Properties", {}).get("CodeUri", "").rstrip("/") == "functions/sandbox":
            return template.module(name)
    if "sandbox_app" not in sys.modules:
        spec = importlib.util.spec_from_file_location("sandbox_app", ROOT / "functions" / "sandbox" / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["sandbox_app"] = module
        spec.loader.exec_module(module)
    return sys.modules["sandbox_app"]


FUNCTION = _load_function()


# --- fixtures -----------------------------------------------------------------------------------


def _store_secret(value: dict) -> None:
    boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps(value))


@pytest.fixture
def table(dynamodb, monkeypatch) -> Iterator[str]:
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("SANDBOX_TABLE", TABLE)
    parameters.clear_caches()
    FUNCTION.dynamodb.cache_clear()
    yield TABLE
    parameters.clear_caches()
    FUNCTION.dynamodb.cache_clear()


@pytest.fixture
def sandbox(table) -> None:
    """The sandbox configured: its object in the gateway's provider secret."""
    _store_secret({"sandbox": {"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}})


class Receiver:
    """A gateway stand-in on 127.0.0.1: records each POST (path, headers, raw body) and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"received": true}')

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ipn/sandbox"

    def callback(self) -> CallbackRequest:
        """The one callback received, as the gateway's callback function hands it to the adapter."""
        assert len(self.received) == 1
        _, headers, body = self.received[0]
        return CallbackRequest(
            headers={name.lower(): value for name, value in headers.items()}, body=body, source_ip="127.0.0.1"
        )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def adapter(*, session: requests.Session | None = None) -> SandboxProvider:
    """The gateway's sandbox adapter with the same credentials, its clock at now."""
    return SandboxProvider(
        base_url=BASE,
        credentials={"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET},
        session=session or requests.Session(),
        clock=lambda: datetime.now(UTC),
    )


# --- events -------------------------------------------------------------------------------------


def event(method: str, path: str, *, body: str | None = None, headers: dict[str, str] | None = None) -> dict:
    """API Gateway's proxy event for `path` (under /_sim/sandbox) on the `/_sim/sandbox/{proxy+}` route."""
    base = json.loads((ROOT / "events" / "get_payment.json").read_text())
    sent = {name: value for name, value in base["headers"].items() if name != "X-API-Key"} | (headers or {})
    resource = "/_sim/sandbox/{proxy+}"
    context = base["requestContext"]
    return {
        **base,
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": sent,
        "multiValueHeaders": {name: [value] for name, value in sent.items()},
        "pathParameters": {"proxy": path.removeprefix("/_sim/sandbox/")},
        "requestContext": {
            **context,
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{context['stage']}{path}",
            "identity": {**context["identity"], "apiKey": None, "apiKeyId": None},
        },
        "body": body,
    }


def call(method: str, path: str, **kwargs) -> dict:
    return FUNCTION.lambda_handler(event(method, path, **kwargs), lambda_context("SandboxFunction"))


def bearer(key: str = API_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def create(
    *, callback_url: str, reference: str = "pay_3f9c2a7b1e4d5c6a8b9f0e1d", key: str = API_KEY, **more: str
) -> dict:
    body = {
        "amount": "10.50",
        "currency": "USD",
        "reference": reference,
        "callback_url": callback_url,
        "expires_at": "2026-01-01T13:00:00+00:00",
        **more,
    }
    headers = {**bearer(key), "Content-Type": "application/json"}
    return call("POST", "/_sim/sandbox/v1/payments", body=json.dumps(body), headers=headers)


def content_type(response: dict) -> str:
    """As API Gateway reads it (the resolver answers the event's multi-value form)."""
    headers = response.get("headers") or {name: values[-1] for name, values in response["multiValueHeaders"].items()}
    return headers["Content-Type"]


def answer(response: dict) -> dict:
    assert content_type(response) == "application/json"
    return json.loads(response["body"])


# --- the provider's API -------------------------------------------------------------------------


def test_create_answers_201_with_a_checkout_url_on_the_requests_own_host_and_stage(sandbox, receiver):
    response = create(callback_url=receiver.url)
    assert response["statusCode"] == 201
    payment = answer(response)
    assert payment["id"].startswith("sbx_") and len(payment["id"]) == 20
    assert payment == {
        "id": payment["id"],
        "status": "pending",
        "amount": "10.50",
        "currency": "USD",
        "reference": "pay_3f9c2a7b1e4d5c6a8b9f0e1d",
        "callback_url": receiver.url,
        "return_url": None,
        "checkout_url": f"{BASE}/checkout/{payment['id']}",
    }


def test_the_created_payment_is_one_plain_item_in_the_table(sandbox, receiver, dynamodb):
    payment = answer(create(callback_url=receiver.url))
    item = dynamodb.get_item(TableName=TABLE, Key={"id": {"S": payment["id"]}}, ConsistentRead=True)["Item"]
    assert {name: TypeDeserializer().deserialize(value) for name, value in item.items()} == payment
    assert item["amount"] == {"S": "10.50"}


@pytest.mark.parametrize("headers", [bearer("sbx_wrong_key"), {}, {"Authorization": API_KEY}])
def test_a_wrong_or_missing_api_key_is_401(sandbox, receiver, dynamodb, headers):
    created = answer(create(callback_url=receiver.url))
    for refused in (
        call("POST", "/_sim/sandbox/v1/payments", body="{}", headers=headers),
        call("GET", f"/_sim/sandbox/v1/payments/{created['id']}", headers=headers),
    ):
        assert refused["statusCode"] == 401
        assert answer(refused) == {"message": "invalid api key"}
    assert dynamodb.scan(TableName=TABLE)["Count"] == 1  # only the authorized create


@pytest.mark.parametrize("body", [{"amount": 10.5}, {"reference": ["pay_1"]}, {"callback_url": "x" * 2049}])
def test_a_create_field_that_is_not_a_short_string_is_400_and_stores_nothing(sandbox, dynamodb, body):
    headers = {**bearer(), "Content-Type": "application/json"}
    response = call("POST", "/_sim/sandbox/v1/payments", body=json.dumps(body), headers=headers)
    assert response["statusCode"] == 400
    assert "must be a string" in answer(response)["message"]
    assert dynamodb.scan(TableName=TABLE)["Count"] == 0


def test_read_answers_the_payment(sandbox, receiver):
    created = answer(create(callback_url=receiver.url))
    response = call("GET", f"/_sim/sandbox/v1/payments/{created['id']}", headers=bearer())
    assert response["statusCode"] == 200
    assert answer(response) == created  # no amount_paid before it is paid


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("GET", "/_sim/sandbox/v1/payments/sbx_0000000000000000", None, bearer()),
        ("GET", "/_sim/sandbox/checkout/sbx_0000000000000000", None, {}),
        (
            "POST",
            "/_sim/sandbox/checkout/sbx_0000000000000000",
            "status=succeeded",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        ("POST", "/_sim/sandbox/payments/sbx_0000000000000000/status", '{"status": "succeeded"}', {}),
        ("POST", "/_sim/sandbox/payments/pay_not_even_ours/status", '{"status": "succeeded"}', {}),
        ("GET", "/_sim/sandbox/v1/payments/" + "x" * 3000, None, bearer()),
    ],
)
def test_an_unknown_payment_is_404_in_json(sandbox, receiver, method, path, body, headers):
    response = call(method, path, body=body, headers=headers)
    assert response["statusCode"] == 404
    assert answer(response)["message"].startswith("no payment ")
    assert receiver.received == []


def test_an_unknown_route_is_404_in_json(sandbox):
    response = call("GET", "/_sim/sandbox/v2/elsewhere", headers=bearer())
    assert response["statusCode"] == 404
    assert "message" in answer(response)


@pytest.mark.parametrize("secret", [None, {}, {"sandbox": {"api_key": API_KEY}}, {"nowpayments": {"api_key": "k"}}])
def test_without_credentials_the_api_is_503(table, monkeypatch, secret):
    if secret is None:
        monkeypatch.setenv("SECRET_NAME", "paygate/absent")  # no such secret at all
    else:
        _store_secret(secret)
    for response in (
        call("POST", "/_sim/sandbox/v1/payments", body="{}", headers=bearer()),
        call("GET", "/_sim/sandbox/v1/payments/sbx_0000000000000000", headers=bearer()),
    ):
        assert response["statusCode"] == 503
        assert answer(response) == {"message": "the sandbox provider is not configured"}


# --- checkout -----------------------------------------------------------------------------------


def test_the_checkout_page_escapes_every_value_and_posts_back_to_itself(sandbox, receiver):
    created = answer(create(callback_url=receiver.url, description="<script>alert(1)</script>"))
    response = call("GET", f"/_sim/sandbox/checkout/{created['id']}")
    assert response["statusCode"] == 200
    assert content_type(response) == "text/html; charset=utf-8"
    page = response["body"]
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f'action="{created["checkout_url"]}"' in page
    assert '<button name="status" value="succeeded">Pay</button>' in page
    assert '<button name="status" value="failed">Fail</button>' in page
    assert receiver.received == []


def test_pay_on_the_checkout_page_delivers_a_signed_succeeded_callback_with_the_money(sandbox, receiver):
    created = answer(create(callback_url=receiver.url))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = call(
        "POST", f"/_sim/sandbox/checkout/{created['id']}", body=urlencode({"status": "succeeded"}), headers=form
    )
    assert response["statusCode"] == 200
    assert "The gateway answered HTTP 200." in response["body"]
    assert '<strong id="status">succeeded</strong>' in response["body"]

    path, headers, body = receiver.received[0]
    assert (path, headers["Content-Type"]) == ("/ipn/sandbox", "application/json")
    # Paid: the money, the sandbox's fee (2.9 %, to the amount's decimals) and the net it settles
    assert set(json.loads(body)) == CALLBACK_FIELDS | {"fee", "net"}
    callback = adapter().verify_callback(receiver.callback())  # raises unless signed with the secret, now
    assert (callback.payment_id, callback.provider_payment_id) == (created["reference"], created["id"])
    assert callback.state.status is Status.SUCCEEDED
    amount = Decimal(created["amount"])
    fee = (amount * Decimal("0.029")).quantize(Decimal(1).scaleb(amount.as_tuple().exponent))
    settlement = callback.state.settlement
    assert (settlement.fee, settlement.net, settlement.settlement_currency) == (
        str(fee),
        str(amount - fee),
        created["currency"],
    )
    assert Decimal(settlement.fee) + Decimal(settlement.net) == amount
    # And its status answer says the same
    read = answer(call("GET", f"/_sim/sandbox/v1/payments/{created['id']}", headers=bearer()))
    assert (read["fee"], read["net"]) == (settlement.fee, settlement.net)
    assert callback.state.paid == callback.state.price == Money.of("10.50", "USD")

    read = answer(call("GET", f"/_sim/sandbox/v1/payments/{created['id']}", headers=bearer()))
    assert (read["status"], read["amount_paid"]) == ("succeeded", "10.50")


def test_after_pay_or_fail_the_customer_goes_back_to_the_return_url(sandbox, receiver):
    back = "https://gw.example/v1/checkout/pay_1.1.sig?returned=1"
    created = answer(create(callback_url=receiver.url, return_url=back))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = call("POST", f"/_sim/sandbox/checkout/{created['id']}", body="status=failed", headers=form)
    headers = response.get("headers") or {k: v[-1] for k, v in response["multiValueHeaders"].items()}
    assert (response["statusCode"], headers["Location"]) == (303, back)
    assert len(receiver.received) == 1  # the callback went first


def test_a_choice_other_than_pay_or_fail_changes_nothing(sandbox, receiver):
    created = answer(create(callback_url=receiver.url))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = call("POST", f"/_sim/sandbox/checkout/{created['id']}", body="status=processing", headers=form)
    assert response["statusCode"] == 404
    assert receiver.received == []
    assert answer(call("GET", f"/_sim/sandbox/v1/payments/{created['id']}", headers=bearer()))["status"] == "pending"


def test_callbacks_are_signed_as_the_worked_example_of_the_sandboxs_page():
    # docs/providers/sandbox.md, "Worked example"
    body = (
        b'{"event_id": "evt_5c0e7f1a9b2d4e68", "id": "sbx_9a4f1c2e7b3d6a80", '
        b'"reference": "pay_3f9c2a7b1e4d5c6a8b9f0e1d", "status": "succeeded", "created": 1735689600}'
    )
    assert FUNCTION.signature("sbx_local_webhook_secret", 1735689600, body) == (
        "t=1735689600,v1=e7b01480174d43e74191f0732fcb80aa66b3c11f968d1ca81f81496f3be76f60"
    )


# --- control ------------------------------------------------------------------------------------


def control(payment_id: str, body: object) -> dict:
    return call(
        "POST",
        f"/_sim/sandbox/payments/{payment_id}/status",
        body=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.parametrize("status", [status.value for status in Status])
def test_the_control_endpoint_delivers_the_signed_callback_and_answers_the_gateways_status(sandbox, receiver, status):
    created = answer(create(callback_url=receiver.url))
    response = control(created["id"], {"status": status})
    assert response["statusCode"] == 200
    assert answer(response) == {"delivered": True, "response_status": 200}

    event = json.loads(receiver.received[0][2])
    # A fee and a net once the money arrived in full, never before
    assert set(event) == CALLBACK_FIELDS | ({"fee", "net"} if status == "succeeded" else set())
    assert event["event_id"].startswith("evt_")
    assert (event["id"], event["reference"], event["status"]) == (created["id"], created["reference"], status)
    assert (event["amount"], event["currency"]) == ("10.50", "USD")
    assert event["amount_paid"] == ("10.50" if status == "succeeded" else None)
    callback = adapter().verify_callback(receiver.callback())
    assert callback.state.provider_status == status


@pytest.mark.parametrize("body", [{"status": "paid"}, {"status": ["succeeded"]}, {}, "succeeded"])
def test_the_control_endpoint_refuses_a_status_that_is_not_ours(sandbox, receiver, body):
    created = answer(create(callback_url=receiver.url))
    response = control(created["id"], body)
    assert response["statusCode"] == 404
    assert answer(response)["message"].startswith("unknown status")
    assert receiver.received == []


def test_an_unreachable_gateway_is_reported_not_hidden(sandbox):
    created = answer(create(callback_url="http://127.0.0.1:9/ipn/sandbox"))  # nothing listens there
    response = control(created["id"], {"status": "succeeded"})
    assert response["statusCode"] == 502
    assert answer(response)["delivered"] is False


def test_the_sample_event_reaches_the_control_route(sandbox):
    sample = json.loads((ROOT / "events" / "sandbox.json").read_text())
    response = FUNCTION.lambda_handler(sample, lambda_context("SandboxFunction"))
    assert response["statusCode"] == 404  # its payment was never created here
    assert answer(response) == {"message": "no payment sbx_9a4f1c2e7b3d6a80"}


# --- the gateway's adapter against the function -------------------------------------------------


class FunctionSession(requests.Session):
    """Sends the adapter's calls to the function as API Gateway would, and answers what it answered."""

    def request(self, method, url, **kwargs):  # type: ignore[override]
        path = urlsplit(url).path.removeprefix("/v1")
        body = json.dumps(kwargs["json"]) if kwargs.get("json") is not None else None
        headers = {**kwargs.get("headers", {}), "Content-Type": "application/json"}
        result = call(method, path, body=body, headers=headers)
        response = requests.Response()
        response.status_code = result["statusCode"]
        response._content = result["body"].encode()
        return response


def test_the_gateways_adapter_creates_and_reads_through_the_function(sandbox, receiver):
    provider = adapter(session=FunctionSession())
    payment = record(amount="10.50", currency="USD")
    request = CreatePaymentRequest.model_validate({"amount": "10.50", "currency": "USD"})
    created = provider.create(payment, request, CreateContext(callback_url=receiver.url))
    assert created.state.status is Status.PENDING
    assert created.facts.payment_url == f"{BASE}/checkout/{created.provider_payment_id}"

    assert answer(control(created.provider_payment_id, {"status": "succeeded"}))["delivered"] is True
    state = provider.fetch(payment.model_copy(update={"provider_payment_id": created.provider_payment_id}))
    assert state.status is Status.SUCCEEDED
    assert state.paid == state.price == Money.of("10.50", "USD")
    assert provider.verify_callback(receiver.callback()).payment_id == payment.id


def test_the_sandbox_routes_stay_out_of_the_openapi_document():
    assert not FUNCTION.app.get_openapi_schema().paths


def test_deployed_it_reads_only_its_own_secret_never_the_real_providers(table, monkeypatch):
    """As the template deploys it: SANDBOX_SECRET_NAME its own secret, SECRET_NAME empty (and its policy
    allows that secret alone: tests/unit/test_template_protection.py)."""
    client = boto3.client("secretsmanager")
    client.create_secret(Name="paygate/sandbox", SecretString=json.dumps({"api_key": "own", "webhook_secret": "w"}))
    _store_secret({"sandbox": {"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}, "nowpayments": {"api_key": "k"}})
    monkeypatch.setenv("SANDBOX_SECRET_NAME", "paygate/sandbox")
    monkeypatch.setenv("SECRET_NAME", "")
    reads = []
    secrets = aws.secrets()
    real = secrets.get

    def recorded(name, *args, **kwargs):
        reads.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(secrets, "get", recorded)
    assert call("GET", "/_sim/sandbox/v1/payments/sbx_0000000000000000", headers=bearer())["statusCode"] == 401
    assert call("GET", "/_sim/sandbox/v1/payments/sbx_0000000000000000", headers=bearer("own"))["statusCode"] == 404
    assert set(reads) == {"paygate/sandbox"}


def test_the_checkout_page_is_styled_like_the_gateways_has_landmarks_and_shows_the_order_not_our_id(sandbox, receiver):
    created = answer(create(callback_url=receiver.url, description="order-1001"))
    response = call("GET", f"/_sim/sandbox/checkout/{created['id']}")
    page = response["body"]
    assert page.startswith('<!doctype html><html lang="en">') and page.count("<main>") == 1
    assert '<header><div class="shop">' in page and "<h1>Sandbox checkout</h1>" in page
    assert '<dd id="reference">order-1001</dd>' in page and created["reference"] not in page
    # The hosted checkout's own style sheet, the only thing its policy lets in
    assert f"<style>{STYLE}</style>" in page
    headers = response.get("headers") or {name: values[-1] for name, values in response["multiValueHeaders"].items()}
    assert headers["Content-Security-Policy"] == (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; frame-ancestors 'none'"
    )
