"""The simulators sign with code of their own, checked here against the worked examples on the providers'
pages (docs/providers/), so that the end-to-end tests verify the gateway against a signer written apart
from its adapters."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from local.simulators import nowpayments, paygentic, payop

# docs/providers/nowpayments.md, "Worked example": the body as it arrived, the text signed, the signature.
NOWPAYMENTS_BODY = (
    '{"payment_status":"finished","pay_address":"TNDFkiSmBQorNFacb3735q8MnT29sn8BLn","price_amount":1,'
    '"price_currency":"usd","pay_amount":15,"actually_paid":15,"pay_currency":"trx","order_id":"ORD-1",'
    '"order_description":null,"purchase_id":"5837122679","outcome_amount":14.8106,"outcome_currency":"trx",'
    '"payment_id":5077125051,"fee":{"withdrawalFee":0,"currency":"btc","serviceFee":0,"depositFee":0.0000985}}'
)
NOWPAYMENTS_SIGNED = (
    '{"actually_paid":15,"fee":{"currency":"btc","depositFee":0.0000985,"serviceFee":0,"withdrawalFee":0},'
    '"order_description":null,"order_id":"ORD-1","outcome_amount":14.8106,"outcome_currency":"trx",'
    '"pay_address":"TNDFkiSmBQorNFacb3735q8MnT29sn8BLn","pay_amount":15,"pay_currency":"trx",'
    '"payment_id":5077125051,"payment_status":"finished","price_amount":1,"price_currency":"usd",'
    '"purchase_id":"5837122679"}'
)
NOWPAYMENTS_SIGNATURE = (
    "8fe18560b734c12f4818c82216e766b90c5c1820fc1bfdcf27f5953bf512f951"
    "1f9bca29aa88595fbf8e36db673eac2249d786642992cc553392fde866c8acc6"
)


def test_nowpayments_signs_the_body_sorted_at_every_level_as_javascript_writes_it():
    body = json.loads(NOWPAYMENTS_BODY, parse_float=Decimal)
    assert nowpayments.js_json(body, sorted_keys=True) == NOWPAYMENTS_SIGNED
    assert nowpayments.sign("np_ipn_secret_example", body) == NOWPAYMENTS_SIGNATURE


def test_nowpayments_writes_the_body_itself_in_the_order_given():
    body = json.loads(NOWPAYMENTS_BODY, parse_float=Decimal)
    assert nowpayments.js_json(body, sorted_keys=False) == NOWPAYMENTS_BODY


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "0"),
        (Decimal("6.0"), "6"),
        (Decimal("-14.8106"), "-14.8106"),
        (Decimal("0.000001"), "0.000001"),
        (Decimal("0.0000985"), "0.0000985"),
        (Decimal("1E-7"), "1e-7"),
        (Decimal("1.5E-7"), "1.5e-7"),
        (Decimal("100000000000000000000"), "100000000000000000000"),
        (Decimal("123456789012345678901"), "123456789012345680000"),  # the digits a double keeps
        (Decimal("1E+21"), "1e+21"),
        (Decimal("2.5E+25"), "2.5e+25"),
        (Decimal("0.1") + Decimal("0.2"), "0.3"),  # a Decimal: no binary rounding on the way
        (0.1 + 0.2, "0.30000000000000004"),
    ],
)
def test_nowpayments_numbers_are_written_as_javascript_writes_them(number, text):
    assert nowpayments.js_number(number) == text


def test_nowpayments_leaves_non_ascii_text_as_it_is():
    assert nowpayments.js_json({"b": "Zürich", "a": 'say "hi"\n'}, sorted_keys=True) == (
        '{"a":"say \\"hi\\"\\n","b":"Zürich"}'
    )


@pytest.mark.parametrize(
    ("signed", "signature"),
    [
        # docs/providers/payop.md, "Worked examples": Payop's two vectors, then one as Paygate sends it
        (
            "1.2000:USD:Test-Order-354:supersecretkey",
            "3445000c1f55f447b853fe068529c23fc4188e36aa4984e37836538d95f8e015",
        ),
        (
            "0.4500:EUR:FK-288-SDC:fantastic_supersecretkey",
            "15c4c6ee83285dd82e1d7d29984a718cc527f218b8a0bb7e9b951b08ea1f30cd",
        ),
        (
            "10.50:USD:pay_3f9c2a7b1e4d5c6a8b9f0e1d:payop_example_secret",
            "124e340640e60465029ea3014136ca67965684358e07d67b1f832ee1f669fda7",
        ),
    ],
)
def test_payop_checks_the_invoice_signature_payop_documents(signed, signature):
    amount, currency, order_id, secret_key = signed.split(":")
    assert payop.invoice_signature(amount, currency, order_id, secret_key) == signature


def test_paygentic_signs_as_svix_does():
    # docs/providers/paygentic.md, "Worked example": Svix's public test vector
    signature = paygentic.svix_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
