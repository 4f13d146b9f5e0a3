"""The checkout function at its HTTP edge (moto, behind API Gateway as template.yaml routes it): every
answer is a page with the checkout's security headers, a customer's bad form is a 400 page, never a 5xx,
and the whole flow runs on the handlers and the deployed sandbox's answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from werkzeug.test import Client

from local.emulator import ApiEmulator
from local.stack import seed_accounts
from paygate import service
from paygate.accounts.models import Profile
from paygate.checkout.links import CheckoutLinks
from paygate.checkout.pages import HEADERS
from paygate.checkout.shop import Shop, headers
from tests.factories import CHECKOUT_SECRET_NAME, CREDENTIALS, SECRET_NAME

KEY = "pgk_checkout_test"


@pytest.fixture
def http(dynamodb, monkeypatch):
    boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps(CREDENTIALS))
    monkeypatch.setenv("ENABLED_PROVIDERS", "sandbox")
    monkeypatch.setenv("PROVIDER_BASE_URLS", "sandbox=http://127.0.0.1:9/unreachable")
    service.reset()
    seed_accounts({KEY: "acct-1"})
    yield Client(ApiEmulator(domain_name="localhost"))
    service.reset()


def waiting(http: Client) -> dict:
    answer = http.post(
        "/payments",
        json={"amount": "10.50", "currency": "USD", "methods": ["test"]},
        headers={"X-API-Key": KEY},
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def path(payment: dict) -> str:
    return "/checkout/" + payment["checkout_url"].rsplit("/checkout/", 1)[1]


def test_the_page_is_served_with_the_checkouts_headers_and_no_key(http):
    payment = waiting(http)
    page = http.get(path(payment))
    assert page.status_code == 200
    for name, value in HEADERS.items():
        assert page.headers[name] == value
    assert 'value="sandbox:test"' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "body",
    [b"method=" + b"x" * 5000, b"%ZZ=%%", "méthode=☃".encode(), b"a=1&" * 20, b"\xff\xfe"],
)
def test_a_bad_form_is_a_400_page_asking_again_and_changes_nothing(http, body):
    payment = waiting(http)
    answer = http.post(path(payment), data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400 and answer.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
    assert 'value="sandbox:test"' in answer.get_data(as_text=True)  # asked again, the methods still there
    read = http.get(f"/payments/{payment['id']}", headers={"X-API-Key": KEY}).get_json()
    assert (read["provider"], read["version"]) == (None, 1)


def test_a_provider_that_cannot_be_reached_is_a_page_offering_no_method_left_not_a_5xx(http):
    payment = waiting(http)
    answer = http.post(path(payment), data={"method": "sandbox:test"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Sandbox could not take the payment" in text
    read = http.get(f"/payments/{payment['id']}", headers={"X-API-Key": KEY}).get_json()
    assert (read["status"], read["provider"]) == ("pending", None)
    assert [(a["provider"], a["outcome"]) for a in read["attempts"]] == [("sandbox", "failed")]


@pytest.mark.parametrize("token", ["garbage", "pay_1.1.x", "pay_1.99999999999.x", "%E2%98%83"])
def test_a_link_that_opens_nothing_is_the_404_page(http, token):
    for answer in (http.get(f"/checkout/{token}"), http.post(f"/checkout/{token}", data={"method": "sandbox:test"})):
        assert answer.status_code == 404
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "not valid or has expired" in answer.get_data(as_text=True)


def test_a_merchants_page_is_served_with_headers_that_let_in_its_logo_and_accent(http):
    profile = {"display_name": "Mugs", "logo_url": "https://cdn.mugs.example/l.png", "brand_color": "#7a2e8c"}
    assert http.patch("/account", json=profile, headers={"X-API-Key": KEY}).status_code == 200
    page = http.get(path(waiting(http)))
    assert page.status_code == 200 and 'alt="Mugs"' in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == headers(Shop.of(Profile(**profile)))["Content-Security-Policy"]
    assert "img-src https://cdn.mugs.example;" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the logo's host never sees the link


def test_after_a_key_rotation_links_made_before_still_open_and_new_ones_are_signed_with_the_new_key(http):
    # Given a link made before the stack's checkout key is rotated as the README does
    before = waiting(http)
    boto3.client("secretsmanager").put_secret_value(SecretId=CHECKOUT_SECRET_NAME, SecretString="a-new-key")
    service.reset()  # functions that read the key from now on
    after = waiting(http)
    # Then both open: the old link with the previous key, the new one with the new key
    assert http.get(path(before)).status_code == 200
    assert http.get(path(after)).status_code == 200
    assert path(after).rsplit(".", 1)[1] != path(before).rsplit(".", 1)[1]
    # A link signed with a key the stack never had opens nothing
    forged = CheckoutLinks(lambda: [b"not-a-key-of-this-stack"]).url("https://x", before["id"], datetime.now(UTC))
    assert http.get("/checkout/" + forged.rsplit("/checkout/", 1)[1]).status_code == 404
    # and after the next rotation, the first key's links are gone
    boto3.client("secretsmanager").put_secret_value(SecretId=CHECKOUT_SECRET_NAME, SecretString="a-third-key")
    service.reset()
    assert http.get(path(before)).status_code == 404
    assert http.get(path(after)).status_code == 200


@pytest.mark.parametrize(
    ("accept", "query", "lang", "heading", "amount"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "", "de", "Zahlungsart wählen", "10,50\xa0$"),
        ("es", "", "es", "Elija cómo pagar", "10,50\xa0US$"),
        ("fr-CA", "", "fr", "Choisissez comment payer", "10,50\xa0$US"),
        ("de", "?lang=fr", "fr", "Choisissez comment payer", "10,50\xa0$US"),  # the switch wins
        ("ja", "", "en", "Choose how to pay", "$10.50"),
    ],
)
def test_the_page_speaks_the_customers_language(http, accept, query, lang, heading, amount):
    payment = waiting(http)
    page = http.get(path(payment) + query, headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page and f"<h1>{heading}</h1>" in page
    assert f'<dd id="amount">{amount}</dd>' in page
    # A choice made in that language comes back to the page in it
    posted = http.post(path(payment) + query, data={"method": "nope"}, headers={"Accept-Language": accept})
    assert posted.status_code == 400 and f'<html lang="{lang}">' in posted.get_data(as_text=True)


def test_the_status_endpoint_tells_the_status_alone_and_nothing_for_a_bad_link(http):
    payment = waiting(http)
    answer = http.get(path(payment) + "/status")
    assert answer.status_code == 200 and answer.get_json() == {"status": "pending", "final": False}
    assert (answer.headers["Content-Type"], answer.headers["Cache-Control"]) == ("application/json", "no-store")
    assert http.post(f"/payments/{payment['id']}/cancel", headers={"X-API-Key": KEY}).status_code == 200
    assert http.get(path(payment) + "/status").get_json() == {"status": "cancelled", "final": True}
    bad = http.get("/checkout/pay_1.99999999999.x/status")
    assert bad.status_code == 404 and bad.get_json() == {"status": None}


@pytest.mark.parametrize("token", ["garbage", "%C2%88%C3%BA%0B", "%E2%98%83"])
def test_the_status_of_a_link_no_route_takes_is_json_too(http, token):
    answer = http.get(f"/checkout/{token}/status")
    assert answer.status_code == 404
    assert (answer.headers["Content-Type"], answer.get_json()) == ("application/json", {"status": None})
