"""The hosted checkout as a customer meets it, in a real browser (chromium) against the local stack: whom
they pay (the merchant's name, support link and the way back to the shop), in their language with amounts
as CLDR writes them, and no accessibility fault that axe-core finds on any page, the provider's sandbox page
included, at 375 px and 1280 px. Screenshots of every page at both widths are kept under artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from local.stack import LocalStack, seed_accounts
from paygate.accounts.models import new_account_id, new_key
from tests.browser.conftest import Screens, axe_violations
from tests.browser.test_checkout import fits_the_screen, shop
from tests.e2e.conftest import Api


@pytest.fixture
def merchant(stack: LocalStack) -> Api:
    """A client of an account of its own, with its profile: whom the customer pays."""
    api = Api(stack, api_key=(key := new_key("test")))
    seed_accounts({key: new_account_id()})
    profile = {
        "display_name": "Mugs & Co",
        "support_url": shop(api, "help"),
        "website_url": shop(api, "home"),
        "brand_color": "#0B5CAD",
    }
    assert api.patch("/account", profile).status_code == 200
    return api


def waiting(api: Api, amount: str = "25.00", methods: tuple[str, ...] = ("test", "crypto")) -> dict:
    body = {"amount": amount, "currency": "USD", "methods": list(methods), "reference": "order-1001",
            "success_url": shop(api, "thanks"), "failure_url": shop(api, "sorry")}  # fmt: skip
    response = api.post("/payments", body)
    assert response.status_code == 201, response.text
    return response.json()


def text(page: Page, selector: str) -> str:
    """What the element shows, its no-break spaces (CLDR puts one before a trailing currency) as spaces."""
    return page.locator(selector).inner_text().replace("\xa0", " ").strip()


def clean(page: Page, screens: Screens, name: str) -> None:
    """A screenshot of the page, and axe-core's verdict on it: no violation at all."""
    fits_the_screen(page)
    screens.shot(page, name)
    assert axe_violations(page) == [], name


def test_axe_finds_no_violation_on_the_choose_sandbox_final_and_crypto_pages_at_both_widths(
    merchant: Api, screens: Screens
) -> None:
    # The page's CSP lets in no other script: axe is injected into pages of a context that sets it aside.
    for page in screens.both(bypass_csp=True):
        payment = waiting(merchant)
        page.goto(payment["checkout_url"])
        clean(page, screens, "choose")
        page.locator("button[value='sandbox:test']").click()
        page.wait_for_url(re.compile(r".*/_sim/sandbox/checkout/sbx_.*"))
        clean(page, screens, "sandbox")
        page.get_by_role("button", name="Pay").click()
        expect(page.locator("#status")).to_have_attribute("data-status", "succeeded")
        page.get_by_role("button", name="Stay on this page").click()  # the countdown, stopped
        expect(page.locator("#redirect")).to_be_hidden()
        clean(page, screens, "final")
        crypto = waiting(merchant, methods=("crypto",))
        page.goto(crypto["checkout_url"])
        page.locator("button[value='nowpayments:crypto:btc']").click()
        expect(page.locator("svg#qr")).to_be_visible()
        clean(page, screens, "crypto")
        page.goto(crypto["checkout_url"] + "/../nothing.1.x")
        screens.shot(page, "not-found")


def test_the_page_names_the_merchant_its_support_and_leads_back_to_the_shop(merchant: Api, screens: Screens) -> None:
    payment = waiting(merchant)
    for page in screens.both():
        page.goto(payment["checkout_url"])
        expect(page.locator("#payee")).to_have_text("Pay Mugs & Co")
        expect(page.get_by_role("link", name="Contact support")).to_have_attribute("href", shop(merchant, "help"))
        page.get_by_role("link", name="Back to Mugs & Co").click()
        page.wait_for_url(shop(merchant, "home"))
        expect(page.locator("#shop")).to_have_text("shop: home")


@pytest.mark.parametrize(
    ("lang", "heading", "amount", "processed"),
    [
        ("de", "Zahlungsart wählen", "25,00 $", "abgewickelt von NOWPayments"),
        ("es", "Elija cómo pagar", "25,00 US$", "procesado por NOWPayments"),
        ("fr", "Choisissez comment payer", "25,00 $US", "traité par NOWPayments"),
    ],
)
def test_the_customers_language_is_spoken_and_its_amounts_written_as_cldr_says(
    merchant: Api, screens: Screens, lang: str, heading: str, amount: str, processed: str
) -> None:
    payment = waiting(merchant)
    for page in screens.both(extra_http_headers={"Accept-Language": f"{lang},en;q=0.5"}):
        page.goto(payment["checkout_url"])
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert text(page, "#amount") == amount
        expect(page.locator("#methods")).to_contain_text(processed)
        screens.shot(page, f"choose-{lang}")
    # The switch: English on a page the browser asked in German, and a choice made there stays English
    page = screens.desktop(extra_http_headers={"Accept-Language": "de"})
    page.goto(payment["checkout_url"])
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose how to pay")
    assert text(page, "#amount") == "$25.00"
    page.locator("button[value='nowpayments:crypto:eth']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the payment")
