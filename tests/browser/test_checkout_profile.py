"""The merchant's profile on the hosted checkout in a real browser (chromium), against the local stack over
HTTP: set with PATCH /account, shown as whom the customer pays, with its logo (which the page's own
Content-Security-Policy lets in), its support link and the way back to the shop, readable on its brand colour
(axe finds no accessibility violation), at desktop and 375 px widths.

Each test acts for an account of its own, so no profile it sets reaches another test."""

from __future__ import annotations

import base64

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page, Route, expect

from local.stack import LocalStack, seed_accounts
from paygate.accounts.models import new_account_id, new_key
from tests.browser.conftest import Screens
from tests.browser.test_checkout import fits_the_screen, no_dialogs
from tests.e2e.conftest import Api

LOGO = "https://cdn.mugs.example/logo.png"
# A 1x1 PNG: what the logo's host answers (the browser is given it by a route, never by the network).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PROFILE = {
    "display_name": "Mugs & <Co>",
    "logo_url": LOGO,
    "support_url": "https://mugs.example/help",
    "website_url": "https://mugs.example/",
    # A light colour: the text on it must turn dark to stay readable.
    "brand_color": "#FFD700",
}


@pytest.fixture
def merchant(stack: LocalStack) -> Api:
    """A client of an account of its own, opened for this test (in the stack, which runs in this process)."""
    key = new_key("test")
    seed_accounts({key: new_account_id()})
    return Api(stack, api_key=key)


def serve_logo(page: Page) -> list[str]:
    """Answer the logo's address with the PNG, and keep every request for it (none, if the CSP blocked it)."""
    asked: list[str] = []

    def answer(route: Route) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.route(LOGO, answer)
    return asked


def csp_reports(page: Page) -> list[str]:
    """What the browser says it blocked under the Content-Security-Policy: nothing, if all is well."""
    blocked: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(message.text)

    page.on("console", seen)
    return blocked


def test_the_checkout_shows_the_merchants_profile_and_passes_axe(merchant: Api, screens: Screens) -> None:
    changed = merchant.patch("/account", PROFILE)
    assert changed.status_code == 200, changed.text
    created = merchant.post("/payments", {"amount": "10.50", "currency": "USD", "methods": ["test"]})
    assert created.status_code == 201, created.text
    payment = created.json()
    for page in (screens.desktop(), screens.phone()):
        asked, blocked, dialogs = serve_logo(page), csp_reports(page), no_dialogs(page)
        page.goto(payment["checkout_url"])
        # Whom the customer pays, by the name as text, and the logo the CSP let in
        expect(page.locator("#payee")).to_have_text("Pay Mugs & <Co>")
        logo = page.get_by_role("img", name="Mugs & <Co>")
        expect(logo).to_be_visible()
        assert logo.evaluate("img => img.complete && img.naturalWidth > 0") and asked == [LOGO]
        # Where to ask for help, and the way back to the shop
        support = page.get_by_role("link", name="Contact support")
        expect(support).to_be_visible()
        expect(support).to_have_attribute("href", PROFILE["support_url"])
        back = page.get_by_role("link", name="Back to Mugs & <Co>")
        expect(back).to_be_visible()
        expect(back).to_have_attribute("href", PROFILE["website_url"])
        # The methods are still there, and the page still fits a phone
        expect(page.locator("button[value='sandbox:test']")).to_be_visible()
        fits_the_screen(page)
        screens.shot(page, "profile")
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        assert (blocked, dialogs) == ([], [])
