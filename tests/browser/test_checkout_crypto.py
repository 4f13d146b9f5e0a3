"""The crypto page in a real browser (chromium) against the local stack: a QR code a wallet reads at once
(BIP-21 for Bitcoin, EIP-681 for Ether, decoded from the screen with a QR decoder), a countdown to expiry,
and a status that follows the provider's callback: with scripts, within seconds and without a reload; without
them, by the "Check status" button."""

from __future__ import annotations

import io
import re
import time
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from local.stack import LocalStack
from tests.browser.conftest import Screens
from tests.browser.test_checkout import shop
from tests.e2e.conftest import Api


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(stack)


def crypto_page(api: Api, page: Page, coin: str) -> dict:
    """A payment the customer chose to pay in `coin` through NOWPayments, its page open: the payment."""
    body = {"amount": "25.00", "currency": "USD", "methods": ["crypto"], "success_url": shop(api, "thanks")}
    created = api.post("/payments", body)
    assert created.status_code == 201, created.text
    page.goto(created.json()["checkout_url"])
    page.locator(f"button[value='nowpayments:crypto:{coin}']").click()
    expect(page.locator("svg#qr")).to_be_visible()
    return api.payment(created.json()["id"])


def scanned(page: Page) -> str:
    """What a wallet's camera reads from the QR code on the screen."""
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(page.locator("svg#qr").screenshot())))
    return code.text


def test_the_qr_code_holds_a_bip21_uri_for_bitcoin_and_an_eip681_uri_for_ether(api: Api, screens: Screens) -> None:
    for page in screens.both():
        btc = crypto_page(api, page, "btc")
        address, amount = btc["pay_address"], Decimal(btc["pay_amount"])
        uri = scanned(page)
        assert uri == f"bitcoin:{address}?amount={amount.normalize():f}"
        assert Decimal(uri.split("amount=")[1]) == amount
        expect(page.locator("#qr-caption")).to_contain_text("holds the address and the amount")
        expect(page.locator("#time-left")).to_have_text(re.compile(r"^\d+:\d\d$"))
        screens.shot(page, "crypto-btc")
        eth = crypto_page(api, page, "eth")
        assert scanned(page) == f"ethereum:{eth['pay_address']}@1?value={int(Decimal(eth['pay_amount']) * 10**18)}"
        expect(page.locator("#coin-name")).to_have_text("Ether (ETH)")
        screens.shot(page, "crypto-eth")


def test_with_scripts_the_page_follows_the_callback_within_5_seconds_without_a_reload(
    api: Api, screens: Screens
) -> None:
    page = screens.desktop()
    payment = crypto_page(api, page, "btc")
    # The copy buttons are there with a script, and the time left counts down
    expect(page.get_by_role("button", name="Copy the address")).to_be_visible()
    first = page.locator("#time-left").inner_text()
    expect(page.locator("#time-left")).not_to_have_text(first, timeout=3_000)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    api.control("nowpayments", payment["provider_payment_id"], "finished")
    called = time.monotonic()
    expect(page.locator("#status")).to_have_attribute("data-status", "succeeded", timeout=5_000)
    assert time.monotonic() - called < 5
    assert navigations == []  # the same document, updated in place
    expect(page.locator("#status")).to_have_text("Payment complete")
    expect(page.locator("#redirect")).to_contain_text("Taking you back to the shop in")
    screens.shot(page, "final-followed")
    # The countdown leads on to the shop, unless stopped
    page.wait_for_url(shop(api, "thanks"), timeout=15_000)


def test_without_scripts_the_check_status_button_shows_the_outcome(api: Api, screens: Screens) -> None:
    for page in screens.both(java_script_enabled=False):
        payment = crypto_page(api, page, "btc")
        expect(page.get_by_role("button", name="Copy the address")).to_have_count(0)  # hidden: no script to copy
        api.control("nowpayments", payment["provider_payment_id"], "finished")
        page.get_by_role("button", name="Check status").click()
        expect(page.locator("#status")).to_have_attribute("data-status", "succeeded")
        # The way back is a button, and nothing goes there by itself
        expect(page.get_by_role("link", name="Return to the shop")).to_have_attribute("href", shop(api, "thanks"))
        expect(page.locator("#redirect")).to_be_hidden()
        screens.shot(page, "final-no-script")
