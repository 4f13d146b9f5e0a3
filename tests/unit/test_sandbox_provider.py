"""The sandbox adapter's callback signature: HMAC-SHA256 over `t.body`, 300 s tolerance."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from paygate.errors import AuthenticationFailed, InvalidRequest
from paygate.models import Status
from paygate.providers.base import CallbackRequest
from paygate.providers.sandbox.adapter import SandboxProvider
from paygate.providers.sandbox.signing import sign

SECRET = "whsec_unit"
BODY = json.dumps({"id": "sbx_1", "reference": "pay_1", "status": "succeeded", "event_id": "evt_1"}).encode()


@pytest.fixture
def sandbox(clock) -> SandboxProvider:
    return SandboxProvider(
        base_url="http://sandbox.invalid",
        credentials={"webhook_secret": SECRET},
        session=requests.Session(),
        clock=clock,
    )


def request(body: bytes, header: str) -> CallbackRequest:
    return CallbackRequest(headers={"paygate-signature": header}, body=body, source_ip="127.0.0.1")


def test_signature_is_hmac_sha256_hex_over_timestamp_dot_body():
    # Given a fixed secret, timestamp and body, the header carries HMAC-SHA256("1700000000." + body)
    # (digest computed with: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret)
    assert sign("secret", 1700000000, b'{"a":1}') == (
        "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
    )


def test_a_correctly_signed_callback_is_read(sandbox, clock):
    callback = sandbox.verify_callback(request(BODY, sign(SECRET, int(clock().timestamp()), BODY)))
    assert (callback.payment_id, callback.provider_payment_id, callback.event_id) == ("pay_1", "sbx_1", "evt_1")
    assert callback.state.status is Status.SUCCEEDED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: (BODY.replace(b"succeeded", b"succeedee"), sign(SECRET, t, BODY)),  # one byte changed
        lambda t: (BODY, sign("other-secret", t, BODY)),
        lambda t: (BODY, sign(SECRET, t - 301, BODY)),  # stale
        lambda t: (BODY, sign(SECRET, t + 301, BODY)),  # from the future
        lambda t: (BODY, ""),
        lambda t: (BODY, f"t={t}"),
        lambda t: (BODY, "v1=abc"),
    ],
)
def test_anything_else_is_refused(sandbox, clock, tamper):
    body, header = tamper(int(clock().timestamp()))
    with pytest.raises(AuthenticationFailed):
        sandbox.verify_callback(request(body, header))


def test_no_configured_secret_refuses_everything(clock):
    unconfigured = SandboxProvider(base_url="http://x.invalid", credentials={}, session=requests.Session(), clock=clock)
    with pytest.raises(AuthenticationFailed):
        unconfigured.verify_callback(request(BODY, sign("", int(clock().timestamp()), BODY)))


def test_a_signed_but_unreadable_body_is_invalid(sandbox, clock):
    with pytest.raises(InvalidRequest):
        sandbox.verify_callback(request(b"[]", sign(SECRET, int(clock().timestamp()), b"[]")))


@pytest.mark.parametrize(("currency", "amount"), [("USD", Decimal("10.00")), ("JPY", None), ("BRL", Decimal("1"))])
def test_payment_methods_is_one_test_method_for_any_currency(sandbox, currency, amount):
    methods = sandbox.payment_methods(currency, amount)
    assert [(m.provider, m.method, m.kind, m.currencies) for m in methods] == [("sandbox", "test", "test", None)]
