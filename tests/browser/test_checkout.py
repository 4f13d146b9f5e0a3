"""The hosted checkout in a real browser (chromium), against the local stack over HTTP: one link per
payment, the customer's choice, the provider's page and back, the crypto page, and links that open nothing.
Screenshots of every page, at desktop and 375 px widths, are kept under artifacts/screenshots."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from playwright.sync_api import Dialog, Page, expect

from local.stack import CHECKOUT_SECRET_NAME, LocalStack
from paygate.checkout.links import CheckoutLinks
from paygate.providers.nowpayments.adapter import COINS
from tests.browser.conftest import Screens
from tests.e2e.conftest import Api

REFERENCE = "order-<script>alert('x')</script>"


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(stack)


def shop(api: Api, page: str) -> str:
    return f"{api.base}/_sim/merchant/shop/shop/{page}"


def waiting_payment(api: Api, methods: list[str], **fields: str) -> dict:
    response = api.post(
        "/payments",
        {"amount": "10.50", "currency": "USD", "methods": methods, "reference": REFERENCE,
         "success_url": shop(api, "thanks"), "failure_url": shop(api, "sorry"), **fields},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    payment = response.json()
    assert (payment["provider"], payment["status"]) == (None, "pending")
    return payment


def no_dialogs(page: Page) -> list[str]:
    """Every alert a page opens (a script injected through merchant text would): none, if all is well."""
    opened: list[str] = []

    def seen(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    return opened


def fits_the_screen(page: Page) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing to scroll sideways


def choose_with_the_keyboard(page: Page, value: str) -> None:
    """Tab to the method's button and press Enter, as someone without a mouse would."""
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.value") == value:
            page.keyboard.press("Enter")
            return
    raise AssertionError(f"the button {value} cannot be reached with the keyboard")


def test_pay_with_the_sandbox_from_one_link(api: Api, screens: Screens) -> None:
    payment = waiting_payment(api, ["test", "crypto"])
    for page in (screens.desktop(), screens.phone()):
        dialogs = no_dialogs(page)
        page.goto(payment["checkout_url"])
        # The amount, the merchant's reference as text, and the methods for this amount and currency
        expect(page.locator("#amount")).to_have_text("$10.50")
        expect(page.locator("#reference")).to_have_text(REFERENCE)
        # One choice per way to pay, in the routing order: the sandbox, each coin, then IVPAY's own picker
        assert [b.get_attribute("value") for b in page.locator("#methods button").all()] == [
            "sandbox:test", *(f"nowpayments:crypto:{coin}" for coin in COINS), "ivpay:crypto",
        ]  # fmt: skip
        expect(page.locator("#methods")).to_contain_text("Bitcoin (BTC) processed by NOWPayments")
        fits_the_screen(page)
        screens.shot(page, "methods")
        assert dialogs == []
    page = screens.desktop()
    page.goto(payment["checkout_url"])
    choose_with_the_keyboard(page, "sandbox:test")
    # On the sandbox's own checkout page: pay
    page.wait_for_url(re.compile(r".*/_sim/sandbox/checkout/sbx_.*"))
    page.get_by_role("button", name="Pay").click()
    # Back on Paygate's page, which shows the payment succeeded ...
    expect(page.locator("#status")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#status")).to_have_text("Payment complete")
    screens.shot(page, "final")
    phone = screens.phone()
    phone.goto(payment["checkout_url"])
    expect(phone.locator("#status")).to_have_attribute("data-status", "succeeded")
    fits_the_screen(phone)
    screens.shot(phone, "final")
    # ... and then, after a countdown the customer sees, sends them on to the merchant's success URL
    expect(page.locator("#redirect")).to_contain_text("Taking you back to the shop in")
    page.wait_for_url(shop(api, "thanks"), timeout=15_000)
    expect(page.locator("#shop")).to_have_text("shop: thanks")
    assert api.payment(payment["id"])["status"] == "succeeded"
    assert [a["provider"] for a in api.payment(payment["id"])["attempts"]] == ["sandbox"]


def test_pay_in_crypto_shows_the_address_amount_and_qr_code_and_follows_the_status(
    api: Api, stack: LocalStack, screens: Screens
) -> None:
    payment = waiting_payment(api, ["crypto"])
    page = screens.desktop()
    page.goto(payment["checkout_url"])
    page.locator("button[value='nowpayments:crypto:btc']").click()
    # Paygate's own crypto page: where to send how much, and the QR code of the address
    expect(page.locator("#address")).to_be_visible()
    bound = api.payment(payment["id"])
    assert bound["provider"] == "nowpayments" and bound["pay_currency"] == "btc"
    expect(page.locator("#address")).to_have_text(bound["pay_address"])
    expect(page.locator("#pay-amount")).to_have_text(bound["pay_amount"])
    expect(page.locator("#pay-coin")).to_have_text("BTC")
    expect(page.locator("svg#qr")).to_be_visible()
    screens.shot(page, "crypto")
    phone = screens.phone()
    phone.goto(payment["checkout_url"])
    expect(phone.locator("svg#qr")).to_be_visible()
    box = phone.locator("svg#qr").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    fits_the_screen(phone)
    screens.shot(phone, "crypto")
    # The customer pays; NOWPayments confirms; the page, following the status by itself, turns succeeded
    api.control("nowpayments", bound["provider_payment_id"], "finished")
    expect(page.locator("#status")).to_have_attribute("data-status", "succeeded", timeout=20_000)
    page.wait_for_url(shop(api, "thanks"), timeout=15_000)


def test_a_wrong_or_expired_link_is_a_404_page_that_shows_nothing_of_the_payment(api: Api, screens: Screens) -> None:
    payment = waiting_payment(api, ["test"])
    url = payment["checkout_url"]
    base, token = url.rsplit("/", 1)
    payment_id, valid_until, signature = token.split(".")
    key = boto3.client("secretsmanager").get_secret_value(SecretId=CHECKOUT_SECRET_NAME)["SecretString"]
    # Signed with the stack's own key, but for a payment that expired two days ago
    expired = CheckoutLinks(lambda: [key.encode()]).url(
        url.split("/checkout/")[0], payment_id, datetime.now(UTC) - timedelta(days=2)
    )
    page = screens.desktop()
    for bad in (f"{base}/{payment_id}.{valid_until}.{signature[::-1]}", f"{base}/{payment_id}", expired):
        response = page.goto(bad)
        assert response is not None and response.status == 404, bad
        expect(page.locator("body")).to_contain_text("not valid or has expired")
        shown = page.locator("body").inner_text()
        assert "10.50" not in shown and "order-" not in shown
    screens.shot(page, "not-found")
    assert api.payment(payment["id"])["status"] == "pending"  # untouched
