"""Every bad input gets a 4xx in the one error shape, and writes nothing."""

from __future__ import annotations

import json

import pytest

from tests.factories import sandbox_callback

VALID = {"amount": "10.50", "currency": "USD", "provider": "sandbox"}


def body(**changes: object) -> bytes:
    fields = {**VALID, **changes}
    return json.dumps({k: v for k, v in fields.items() if v is not ...}).encode()


CASES = [
    # (name, raw body, status, code, param)
    ("invalid json", b'{"amount": "10.50",', 400, "invalid_json", None),
    ("invalid utf-8", b'{"amount": "10.50", "currency": "US\xff"}', 400, "invalid_json", None),
    ("empty body", b"", 422, "validation_error", None),
    ("not an object", b"[1, 2, 3]", 422, "validation_error", None),
    ("amount as a number", body(amount=10.5), 422, "validation_error", "amount"),
    ("amount missing", body(amount=...), 422, "validation_error", "amount"),
    ("negative amount", body(amount="-1.00"), 422, "validation_error", "amount"),
    ("zero amount", body(amount="0.00"), 422, "amount_out_of_range", "amount"),
    ("amount in exponent form", body(amount="1e3"), 422, "validation_error", "amount"),
    ("over-precise amount", body(amount="10.505"), 422, "validation_error", "amount"),
    ("decimals on a zero-decimal currency", body(amount="100.5", currency="JPY"), 422, "validation_error", "amount"),
    ("unknown currency", body(currency="ABC"), 422, "unsupported_currency", "currency"),
    ("lower-case currency", body(currency="usd"), 422, "unsupported_currency", "currency"),
    ("currency as a list", body(currency=["USD"]), 422, "validation_error", "currency"),
    ("unknown provider", body(provider="stripe"), 422, "validation_error", "provider"),
    ("huge reference", body(reference="r" * 256), 422, "validation_error", "reference"),
    ("huge description", body(description="d" * 100_000), 422, "validation_error", "description"),
    ("unknown field", body(amonut="10.50"), 422, "validation_error", "amonut"),
    ("bad email", body(customer_email="not-an-email"), 422, "validation_error", "customer_email"),
    ("relative url", body(success_url="/thanks"), 422, "validation_error", "success_url"),
    ("bad duration", body(expires_in="30 minutes"), 422, "validation_error", "expires_in"),
    ("expires_in beyond the provider's maximum", body(expires_in="P8D"), 422, "validation_error", "expires_in"),
    ("expires_in below a minute", body(expires_in="PT59S"), 422, "validation_error", "expires_in"),
    (
        "a waiting payment's expires_in beyond a day",
        body(provider=..., methods=["test"], expires_in="P1DT1S"),
        422,
        "validation_error",
        "expires_in",
    ),
    ("metadata not strings", body(metadata={"a": 1}), 422, "validation_error", "metadata.a"),
    ("too many metadata keys", body(metadata={f"k{i}": "v" for i in range(51)}), 422, "validation_error", "metadata"),
    (
        "item quantity as a string",
        body(items=[{"name": "x", "amount": "1.00", "quantity": "2"}]),
        422,
        "validation_error",
        "items.0.quantity",
    ),
    ("nested junk", body(items=[[[[[{"a": None}]]]]]), 422, "validation_error", "items.0"),
    ("a 1 MB body", body(description="x" * 1_000_000), 400, "body_too_large", None),
]


@pytest.mark.parametrize(("name", "raw", "status", "code", "param"), CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_a_clean_4xx_and_writes_nothing(api, table, name, raw, status, code, param):
    before = table.count()
    answer = api.post("/payments", data=raw)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert set(error) == {"type", "code", "message", "param"}
    assert error["code"] == code
    assert error["param"] == param
    assert error["message"]
    assert table.count() == before


@pytest.mark.parametrize(
    ("changes", "bound"),
    [
        ({"expires_in": "P8D"}, "sandbox keeps a payment at most P7D (604800 seconds)"),
        ({"provider": "ivpay", "expires_in": "P1DT1M"}, "ivpay keeps a payment at most P1D (86400 seconds)"),
        ({"expires_in": "PT30S"}, "sandbox needs at least PT1M (60 seconds)"),
    ],
)
def test_a_lifetime_out_of_the_providers_bounds_is_refused_naming_the_bound(api, table, changes, bound):
    before = table.count()
    answer = api.post("/payments", data=body(**changes))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"] == f"expires_in: {bound}"
    assert table.count() == before


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain", "application/xml"]
)
def test_bodies_that_are_not_json_are_refused(api, table, content_type):
    before = table.count()
    answer = api.post("/payments", data=body(), headers={"Content-Type": content_type})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "unsupported_content_type"
    assert table.count() == before


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"{}", b"null", b'"text"', b"{" * 10_000])
def test_junk_callbacks_are_4xx_never_5xx(api, raw):
    answer = api.post("/ipn/sandbox", data=raw, key=False)
    assert 400 <= answer.status_code < 500
    assert "error" in answer.json()


def test_bad_path_and_query_values_are_4xx(api):
    assert api.get("/payments/" + "x" * 300).status_code == 422
    assert api.get("/payments/pay_x", force_sync="maybe").status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/payments", {"stauts": "pending"}),  # a misspelt filter would widen the list
        ("GET", "/payments", {"limit": "5", "provider_id": "x"}),
        ("GET", "/payments/{id}", {"forcesync": "true"}),
        ("POST", "/payments", {"provider": "sandbox"}),
        ("POST", "/payments/{id}/cancel", {"reason": "x"}),
        ("GET", "/webhook-endpoints", {"page": "2"}),
        ("GET", "/payment-methods", {"currency": "USD", "amount": "1.00", "country": "DE"}),
    ],
)
def test_unknown_query_parameters_are_refused_as_unknown_fields_are(api, table, method, path, query):
    payment = api.create()
    before = table.count()
    url = f"{api.base}{path.format(id=payment['id'])}"
    headers = {"X-API-Key": api.api_key, "Content-Type": "application/json"}
    answer = api.http.request(method, url, params=query, data=body(), headers=headers, timeout=30)
    assert answer.status_code == 422, answer.text
    unknown = sorted(set(query) - {"limit", "currency", "amount"})[0]
    assert answer.json()["error"] == {
        "type": "invalid_request",
        "code": "validation_error",
        "message": f"Unknown query parameter {unknown!r}",
        "param": unknown,
    }
    assert table.count() == before
    assert api.payment(payment["id"])["status"] == "pending"  # nothing changed


def test_a_providers_callback_is_taken_whatever_query_it_carries(api):
    payment = api.create()
    delivery = sandbox_callback(payment["id"], payment["provider_payment_id"], "processing")
    answer = api.http.post(f"{api.base}/ipn/sandbox?from=provider", data=delivery.body, headers=delivery.headers)
    assert answer.status_code == 200, answer.text
    assert api.payment(payment["id"])["status"] == "processing"
