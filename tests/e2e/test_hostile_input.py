"""No input, before or after authentication, yields a 5xx or writes anything: every hostile body and header
of the families below, on every callback route and on POST /payments, answers 4xx in the error shape.

Callback bodies are sent authenticated wherever the provider's scheme allows it (signed with the local
secret, with the right key, from an allowed address), so they reach the parser behind the check."""

from __future__ import annotations

import http.client
import json
import time

import boto3
import pytest

from paygate.providers.paygentic import signing as paygentic
from paygate.providers.sandbox import signing as sandbox
from tests.factories import CREDENTIALS

NOW = str(int(time.time()))
HOSTILE_BODIES = {
    "NaN": b'{"x":NaN}',
    "Infinity": b'{"x":Infinity}',
    "-Infinity": b'{"x":-Infinity}',
    "huge exponent": b'{"x":1e400}',
    "huger exponent": b'{"x":1e99999999}',
    "tiny exponent": b'{"x":1e-400}',
    "lone surrogate key": b'{"\\ud800":1}',
    "lone surrogate value": b'{"id":"\\udfff","status":"succeeded"}',
    "401-digit integer": b'{"x":' + b"9" * 401 + b"}",
    "5000-digit integer": b'{"x":' + b"9" * 5000 + b"}",
    "600 levels of objects": b'{"a":' * 600 + b"1" + b"}" * 600,
    "600 levels of arrays": b"[" * 600 + b"]" * 600,
    "10,000 levels of arrays": b"[" * 10_000 + b"]" * 10_000,
    "10,000 levels of objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "empty": b"",
    "whitespace": b" \n\t ",
    "truncated UTF-8": b'{"x":"\xe2\x82',
    "invalid UTF-8": b"\xff\xfe\xfd",
    "raw control characters": b'{"x":"\x00\x01\x1f"}',
    "not an object": b"[1,2,3]",
    "null": b"null",
    "a string": b'"text"',
    "invalid JSON": b'{"x":',
    "a key twice": b'{"id":"sbx_x","reference":"pay_x","status":"failed","status":"succeeded"}',
}


def authentic_headers(provider: str, body: bytes) -> dict[str, str]:
    """Headers that authenticate `body` at `provider`, where its scheme allows one for any body."""
    secrets = CREDENTIALS[provider]
    if provider == "sandbox":
        return {"Paygate-Signature": sandbox.sign(secrets["webhook_secret"], int(NOW), body)}
    if provider == "paygentic":
        signature = paygentic.sign(secrets["webhook_secret"], "msg_hostile", NOW, body)
        return {"svix-id": "msg_hostile", "svix-timestamp": NOW, "svix-signature": signature}
    if provider == "ivpay":
        return {"X-API-KEY": secrets["api_key"]}
    # NOWPayments signs the parsed body (none here can be signed); Payop is known by its address,
    # and the test stack's Payop allowlist holds 127.0.0.1.
    return {"x-nowpayments-sig": "0" * 128} if provider == "nowpayments" else {}


# Header values in any script and of any length, where each provider reads a timestamp or a secret.
HOSTILE_HEADERS = {
    "sandbox": [
        {"Paygate-Signature": "t=" + "9" * 5000 + ",v1=x"},
        {"Paygate-Signature": "t=²,v1=x"},
        {"Paygate-Signature": "t=\uff11\uff12\uff13,v1=x"},
        {"Paygate-Signature": f"t={NOW},v1=é"},
        {"Paygate-Signature": f"t= {NOW},v1=x"},
        {"Paygate-Signature": "t=-1,v1=x"},
    ],
    "paygentic": [
        {"svix-id": "m", "svix-timestamp": "9" * 400, "svix-signature": "v1,x"},
        {"svix-id": "m", "svix-timestamp": "²", "svix-signature": "v1,x"},
        {"svix-id": "m", "svix-timestamp": "\uff11\uff12\uff13", "svix-signature": "v1,x"},
        {"svix-id": "m", "svix-timestamp": NOW, "svix-signature": "v1,é ✓"},
    ],
    "nowpayments": [{"x-nowpayments-sig": "é" * 128}, {"x-nowpayments-sig": "\uff19" * 128}],
    "ivpay": [{"X-API-KEY": "é"}, {"X-API-KEY": "ключ"}],
    "payop": [{"X-Anything": "é"}],
}
VALID_CALLBACK = b'{"id":"sbx_x","reference":"pay_x","status":"succeeded","payment_id":"p","eventType":"e","data":{}}'


@pytest.fixture
def snapshot(stack):
    """Every payment's id and version: what a request that writes nothing leaves as it was."""
    client = boto3.client("dynamodb")

    def read() -> dict[str, str]:
        pages = client.get_paginator("scan").paginate(
            TableName=stack.tables["PaymentsTable"], ProjectionExpression="id, version"
        )
        return {item["id"]["S"]: item["version"]["N"] for page in pages for item in page["Items"]}

    return read


def send(api, provider: str, body: bytes, headers: dict[str, str]):
    # Header values are sent as UTF-8 bytes: whatever script they are in reaches the gateway.
    encoded = {name: value.encode() for name, value in headers.items()}
    return api.http.post(f"{api.base}/ipn/{provider}", data=body, headers=encoded, timeout=30)


def assert_refused(answer) -> None:
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    error = answer.json()["error"]
    assert set(error) == {"type", "code", "message", "param"} and error["code"]


PROVIDERS = ["sandbox", "nowpayments", "payop", "paygentic", "ivpay"]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_callback_bodies_are_4xx_and_write_nothing(api, snapshot, provider, name):
    body = HOSTILE_BODIES[name]
    before = snapshot()
    answer = send(api, provider, body, {"Content-Type": "application/json", **authentic_headers(provider, body)})
    assert_refused(answer)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("provider", "headers"),
    [(provider, headers) for provider, variants in HOSTILE_HEADERS.items() for headers in variants],
)
def test_hostile_callback_headers_are_4xx_and_write_nothing(api, snapshot, provider, headers):
    before = snapshot()
    answer = send(api, provider, VALID_CALLBACK, {"Content-Type": "application/json", **headers})
    assert_refused(answer)
    assert snapshot() == before


def test_a_legacy_payop_ipn_with_a_signature_in_another_script_is_refused(api, snapshot):
    body = '{"orderId":"pay_x","amount":"1.0000","currency":"USD","status":"success","signature":"é"}'.encode()
    before = snapshot()
    assert_refused(send(api, "payop", body, {"Content-Type": "application/json"}))
    assert snapshot() == before


# --- POST /payments --------------------------------------------------------------------------------

VALID = b'{"amount":"10.50","currency":"USD","provider":"sandbox"'
PAYMENT_BODIES = {
    "Arabic-Indic digits": '{"amount":"\u0661\u0660","currency":"USD"}'.encode(),
    "full-width digits": '{"amount":"\uff11\uff10","currency":"USD"}'.encode(),
    "trailing newline": b'{"amount":"10\\n","currency":"USD"}',
    "leading zeros": b'{"amount":"00010","currency":"USD"}',
    "leading plus": b'{"amount":"+10","currency":"USD"}',
    "inner space": b'{"amount":"1 0","currency":"USD"}',
    "5000-digit integer amount": b'{"amount":' + b"9" * 5000 + b',"currency":"USD"}',
    "huge exponent amount": b'{"amount":1e400,"currency":"USD"}',
    "NaN amount": b'{"amount":NaN,"currency":"USD"}',
    "10,000 levels of nesting": b'{"amount":"1.00","currency":"USD","metadata":' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    "600 levels of nesting": b'{"amount":"1.00","currency":"USD","items":' + b"[" * 600 + b"]" * 600 + b"}",
    "email with a trailing newline": VALID + b',"customer_email":"a@b.co\\n"}',
    "control character in the reference": VALID + b',"reference":"order\\u0000123"}',
    "newline in the description": VALID + b',"description":"line\\nline"}',
    "C1 control in metadata": VALID + b',"metadata":{"k":"v\\u0085"}}',
    "control character in a metadata key": VALID + b',"metadata":{"k\\u0007":"v"}}',
    "lone surrogate in the reference": VALID + b',"reference":"\\ud800"}',
    "control character in an item name": VALID + b',"items":[{"name":"a\\tb","amount":"1.00"}]}',
    "control character in a URL": VALID + b',"success_url":"https://shop.example/\\u0000"}',
    "half a second to pay at Paygentic": (
        b'{"amount":"10.00","currency":"USD","provider":"paygentic","expires_in":"PT0.5S"}'
    ),
    "59 seconds to pay": VALID + b',"expires_in":"PT59S"}',
    "two amounts": b'{"amount":"1.00","currency":"USD","provider":"sandbox","amount":"1000.00"}',
    "two keys in metadata": VALID + b',"metadata":{"k":"a","k":"b"}}',
    "two keys in an item": VALID + b',"items":[{"name":"a","amount":"1.00","amount":"9.00"}]}',
    "right-to-left override in the description": VALID + b',"description":"invoice \u202egnp.exe"}',
    "bidi isolate in the reference": VALID + b',"reference":"\u2066order\u2069"}',
    "zero-width space in an item name": VALID + b',"items":[{"name":"a\u200bb","amount":"1.00"}]}',
    "byte order mark in a metadata value": VALID + b',"metadata":{"k":"\ufeffv"}}',
    "tag characters in a metadata key": VALID + b',"metadata":{"k\udb40\udc41":"v"}}',
    "Arabic letter mark in the description": VALID + b',"description":"\u061cabc"}',
    "empty": b"",
    "whitespace": b"  ",
    "truncated UTF-8": b'{"amount":"\xe2\x82',
}


@pytest.mark.parametrize("name", sorted(PAYMENT_BODIES))
def test_hostile_payment_requests_are_4xx_and_write_nothing(api, snapshot, name):
    before = snapshot()
    answer = api.post("/payments", data=PAYMENT_BODIES[name])
    assert_refused(answer)
    assert snapshot() == before


@pytest.mark.parametrize("content_type", ["Application/JSON", "APPLICATION/JSON; charset=UTF-8", "application/json"])
def test_media_types_compare_case_insensitively(api, content_type):
    answer = api.post("/payments", data=VALID + b"}", headers={"Content-Type": content_type})
    assert answer.status_code == 201, answer.text


def test_text_with_the_joiners_scripts_need_is_taken(api):
    """Zero-width (non-)joiners are letters' business in Persian, Indic scripts and emoji: not refused."""
    answer = api.post("/payments", data=VALID + ',"description":"می‌خواهم 👩‍💻"}'.encode())
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("header", ["X-API-Key", "Idempotency-Key", "Content-Type", "X-Correlation-Id"])
def test_a_header_given_twice_is_400_and_writes_nothing(api, stack, snapshot, header):
    """Whichever of two values a reader would take, none is: the request is refused whole."""
    values = {
        "X-API-Key": [stack.api_key, stack.api_key],
        "Idempotency-Key": ["one", "two"],
        "Content-Type": ["application/json", "application/json"],
        "X-Correlation-Id": ["a", "b"],
    }[header]
    connection = http.client.HTTPConnection(stack.host, stack.port, timeout=30)
    body = VALID + b"}"
    connection.putrequest("POST", "/payments")
    sent = {"X-API-Key": [stack.api_key], "Content-Type": ["application/json"], header: values}
    for name, given in sent.items():
        for value in given:
            connection.putheader(name, value)
    connection.putheader("Content-Length", str(len(body)))
    before = snapshot()
    connection.endheaders(body)
    answer = connection.getresponse()
    error = json.loads(answer.read())["error"]
    assert (answer.status, error["code"], error["param"]) == (400, "duplicate_header", header)
    assert snapshot() == before


def test_the_host_header_chooses_no_url(api, stack):
    """The checkout link and the provider's callback address come from the API's own domain."""
    answer = api.post(
        "/payments",
        data=VALID + b"}",
        headers={"Host": "attacker.example", "X-Forwarded-Host": "attacker.example"},
    )
    assert answer.status_code == 201, answer.text
    own = f"http://{stack.host}:{stack.port}"
    assert answer.json()["checkout_url"].startswith(own + "/checkout/")
    sandbox_payment = stack.simulators["sandbox"].payment(answer.json()["provider_payment_id"])
    assert sandbox_payment["callback_url"].startswith(own + "/ipn/sandbox")
