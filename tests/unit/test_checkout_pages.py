"""The hosted checkout's HTML: what each stage shows, that merchant and provider text never becomes markup,
and that every page keeps to its Content-Security-Policy (one hashed style block and one hashed script,
nothing else, never a meta refresh)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from paygate.checkout.pages import STYLE, CryptoDetails, not_found, qr_svg, render
from paygate.checkout.script import SCRIPT
from tests.unit.checkout_page import ADDRESS, CARD, COINS, NOW, Page, crypto_view, every_page, script_and_body, view

# Each stage.


def test_choose_shows_the_amount_reference_status_error_and_one_form_per_way_to_pay() -> None:
    page = Page(render(view(error="Paygentic could not take the payment. Choose another way to pay."), NOW))

    assert page.words("amount") == "$10.50"
    assert page.words("reference") == "order-42"
    assert page.words("description") == "Two mugs"
    assert page.words("status") == "Waiting for your payment"
    assert page.by_id["status"][1]["data-status"] == "pending"
    assert page.by_id["error"][1]["role"] == "alert"
    method_forms = [form for form in page.forms if form["attrs"]["method"] == "post"]  # type: ignore[index]
    assert len(method_forms) == 2
    for form, method in zip(method_forms, (CARD, COINS), strict=True):
        assert form["attrs"]["action"] == "/checkout/tok_abc?lang=en"  # type: ignore[index]
        assert form["controls"] == [("button", {"type": "submit", "name": "method", "value": method.value})]
    text = page.words("methods")
    assert "Card processed by Paygentic" in text and "Bitcoin (BTC) processed by NOWPayments" in text
    assert "via" not in text and "Cryptocurrency" not in text


def test_choose_without_reference_description_or_error_leaves_them_out() -> None:
    page = Page(render(view(reference=None, description=None), NOW))

    assert not {"reference", "description", "error"} & page.by_id.keys()
    assert {"amount", "status", "methods"} <= page.by_id.keys()


def test_choose_without_methods_says_that_no_way_to_pay_is_available() -> None:
    page = Page(render(view(methods=()), NOW))

    assert [form["attrs"]["method"] for form in page.forms] == ["get"]  # type: ignore[index]
    assert "No way to pay is available for this payment" in page.words("methods")


def test_crypto_shows_the_coin_address_amount_qr_copy_buttons_and_time_left() -> None:
    text = render(crypto_view(), NOW)
    page = Page(text)

    assert page.words("coin-name") == "Bitcoin (BTC)"
    assert page.words("address") == ADDRESS
    assert page.words("pay-amount") == "0.00016123"
    assert page.words("pay-coin") == "BTC"
    assert "memo" not in page.by_id
    assert page.words("amount") == "$10.50"
    assert page.words("time-left") == "20:00"
    assert page.by_id["time-left"][1]["data-expires"] == str(int((NOW + timedelta(minutes=20)).timestamp()))
    assert "Pay before 12:20 UTC." in page.words("expiry")
    # The QR code holds the BIP-21 URI with the amount, and the caption says so
    assert qr_svg(f"bitcoin:{ADDRESS}?amount=0.00016123", "QR code of the payment") in text
    assert "holds the address and the amount" in page.words("qr-caption")
    # Copy buttons, hidden until the script shows them, each naming what it copies
    copies = [attrs for tag, attrs in page.tags if tag == "button" and "data-copy" in attrs]
    assert [attrs["data-copy"] for attrs in copies] == ["address", "pay-amount"]
    assert all("hidden" in attrs for attrs in copies)
    assert page.meta_refresh() is None


def test_crypto_shows_the_memo_says_it_must_be_included_and_that_the_code_holds_the_address_alone() -> None:
    details = CryptoDetails("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", "12.5", "xrp", "3051221")
    text = render(crypto_view(crypto=details, expires_at=None), NOW)
    page = Page(text)

    assert page.words("memo") == "3051221"
    assert "Include this memo" in text
    assert page.words("pay-coin") == "XRP"
    assert "code holds the address only" in page.words("qr-caption")
    assert qr_svg(details.address, "QR code of the payment") in text
    assert [attrs["data-copy"] for tag, attrs in page.tags if "data-copy" in attrs][-1] == "memo"
    assert "expiry" not in page.by_id


def test_crypto_shows_that_the_transfer_was_seen_and_its_confirmations() -> None:
    details = CryptoDetails(ADDRESS, "0.1", "btc", confirmations=2)
    page = Page(render(crypto_view(crypto=details, status="processing"), NOW))

    assert page.words("status") == "Payment seen, being confirmed"
    assert "waiting for confirmations" in page.words("confirming")
    assert page.words("confirmations") == "Confirmations: 2"


def test_the_address_breaks_anywhere_in_a_monospace_font() -> None:
    page = Page(render(crypto_view(), NOW))
    classes = (page.by_id["address"][1].get("class") or "").split()
    rules = {selector.strip(): rule for selector, rule in re.findall(r"([^{}]+)\{([^{}]*)\}", STYLE)}

    assert "mono" in classes
    assert "monospace" in rules[".mono"] and "overflow-wrap:anywhere" in rules[".mono"]


def test_waiting_says_so_and_checks_the_status_with_a_button_that_keeps_the_page_waiting() -> None:
    page = Page(render(view("waiting", status="processing", returned=True, lang="de"), NOW))

    assert "Wir warten darauf, dass der Anbieter die Zahlung bestätigt." in page.main_text()
    assert page.words("status") == "Zahlung eingegangen, wird bestätigt"
    check = [form for form in page.forms if form["attrs"]["method"] == "get"]  # type: ignore[index]
    assert len(check) == 1 and check[0]["attrs"]["action"] == "/checkout/tok_abc"  # type: ignore[index]
    assert check[0]["controls"] == [
        ("input", {"type": "hidden", "name": "lang", "value": "de"}),
        ("input", {"type": "hidden", "name": "returned", "value": "1"}),
        ("button", {"type": "submit", "id": "check-status"}),
    ]
    assert page.words("check-status") == "Status prüfen"
    assert page.meta_refresh() is None


@pytest.mark.parametrize(
    ("status", "wording"),
    [
        ("succeeded", "Payment complete"),
        ("failed", "The payment did not go through"),
        ("expired", "The time to pay has run out"),
        ("cancelled", "The payment was cancelled"),
    ],
)
def test_final_shows_the_outcome_in_words_for_people(status: str, wording: str) -> None:
    page = Page(render(view("final", status=status), NOW))

    assert page.words("status") == wording  # no developer's code beside it
    assert page.by_id["status"][1]["data-status"] == status
    assert page.by_id["status"][0] == "h1"
    # No way back to the shop was given: no link and no redirect.
    assert "continue" not in page.by_id
    assert "You can close this page." in render(view("final", status=status), NOW)


def test_final_with_next_url_is_a_button_and_a_stoppable_countdown_for_the_script() -> None:
    url = 'https://shop.example/done?order=42&ok=1&x="><script>alert(1)</script>'
    text = render(view("final", status="succeeded", next_url=url, redirect_seconds=3), NOW)
    page = Page(text)

    assert page.by_id["continue"][0] == "a"
    assert page.by_id["continue"][1]["href"] == url
    assert page.words("continue") == "Return to the shop"
    assert page.by_id["redirect"][1]["data-seconds"] == "3"
    assert page.by_id["redirect"][1]["data-template"] == "Taking you back to the shop in {seconds} s."
    assert "hidden" in page.by_id["redirect"][1] and "hidden" in page.by_id["stay"][1]
    assert page.words("stay") == "Stay on this page"
    assert page.meta_refresh() is None
    assert f'href="{html.escape(url, quote=True)}"' in text
    assert script_and_body(text)[0] == [SCRIPT]  # the one script, never one the URL brought


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", " javascript:alert(1)"])
def test_final_never_links_to_a_url_that_is_not_http(url: str) -> None:
    page = Page(render(view("final", status="succeeded", next_url=url), NOW))

    assert "continue" not in page.by_id and "redirect" not in page.by_id


def test_every_page_of_a_payment_shows_status_amount_and_follows_its_status_endpoint() -> None:
    for name, text in every_page():
        if name == "not-found":
            continue
        page = Page(text)
        assert {"status", "amount"} <= page.by_id.keys(), name
        main = next(attrs for tag, attrs in page.tags if tag == "main")
        assert main["data-status-url"] == "/checkout/tok_abc/status", name
        assert main["data-final"] == ("1" if name.startswith("final") else "0"), name
        assert page.meta_refresh() is None, name


def test_not_found_shows_no_payment_detail_and_runs_no_script() -> None:
    text = not_found()
    page = Page(text)

    assert "This checkout link is not valid or has expired." in text
    assert not {"amount", "status", "reference", "methods", "address"} & page.by_id.keys()
    assert "USD" not in text and "10.50" not in text
    assert page.forms == [] and "<script" not in text
    assert "Dieser Zahlungslink ist ungültig oder abgelaufen." in not_found("de")
