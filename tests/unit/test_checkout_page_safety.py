"""The hosted checkout's HTML is safe and usable: merchant and provider text never becomes markup, every page
keeps to its Content-Security-Policy (one hashed style block, one hashed script, nothing loaded), and every
page has a language, a phone's viewport, landmarks and headings in order."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import re
import xml.etree.ElementTree as ET

import pytest

from paygate.checkout.pages import HEADERS, STYLE, CryptoDetails, qr_svg, render
from paygate.checkout.script import SCRIPT, SCRIPT_HASH
from tests.unit.checkout_page import (
    ADDRESS,
    COINS,
    IMG,
    NOW,
    SCRIPT_TAG,
    Page,
    every_page,
    script_and_body,
    usable,
    view,
)

HOSTILE_FIELDS = [
    "reference",
    "description",
    "error",
    "label",
    "provider_label",
    "method_value",
    "kind",
    "address",
    "memo",
    "pay_amount",
    "coin",
    "amount",
    "currency",
    "status",
    "link",
]


def hostile_page(field: str, payload: str) -> str:
    method = COINS
    details = CryptoDetails(address=ADDRESS, amount="0.1", coin="btc", memo="1")
    stage = "choose"
    changes: dict[str, object] = {}
    match field:
        case "label" | "provider_label" | "kind":
            method = dataclasses.replace(COINS, **{field: payload})
        case "method_value":
            method = dataclasses.replace(COINS, value=payload)
        case "address" | "memo" | "coin":
            stage, details = "crypto", dataclasses.replace(details, **{field: payload})  # type: ignore[arg-type]
        case "pay_amount":
            stage, details = "crypto", dataclasses.replace(details, amount=payload)
        case _:
            changes[field] = payload
    return render(view(stage, methods=(method,), crypto=details, **changes), NOW)


@pytest.mark.parametrize("payload", [SCRIPT_TAG, IMG])
@pytest.mark.parametrize("field", HOSTILE_FIELDS)
def test_outside_text_is_shown_as_text_never_as_markup(field: str, payload: str) -> None:
    text = hostile_page(field, payload)
    scripts, body = script_and_body(text)

    assert scripts == [SCRIPT]
    assert payload not in body and payload.upper() not in body
    assert html.escape(payload, quote=True) in body or html.escape(payload.upper(), quote=True) in body
    page = Page(body)
    assert not [tag for tag, _ in page.tags if tag in {"script", "img"}]
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]


def test_the_next_url_is_escaped_in_the_link() -> None:
    url = "https://shop.example/?q=" + IMG
    text = render(view("final", status="failed", next_url=url), NOW)

    assert IMG not in text
    assert text.count(html.escape(url, quote=True)) == 1
    assert not [tag for tag, _ in Page(text).tags if tag == "img"]


def test_headers_are_exactly_these() -> None:
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    script = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    expected = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'sha256-{digest}'; script-src 'sha256-{script}'; connect-src 'self'; "
            "base-uri 'none'; frame-ancestors 'none'"
        ),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }
    assert expected == HEADERS
    assert script == SCRIPT_HASH
    assert "unsafe-inline" not in HEADERS["Content-Security-Policy"]
    assert "form-action" not in HEADERS["Content-Security-Policy"]


@pytest.mark.parametrize(("name", "text"), every_page())
def test_the_csp_hashes_are_those_of_the_one_style_block_and_the_one_script(name: str, text: str) -> None:
    blocks = re.findall(r"<style>(.*?)</style>", text, flags=re.DOTALL)
    assert len(blocks) == 1 and text.count("<style") == 1
    digest = base64.b64encode(hashlib.sha256(blocks[0].encode("utf-8")).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in HEADERS["Content-Security-Policy"]
    scripts, _ = script_and_body(text)
    assert scripts == ([] if name == "not-found" else [SCRIPT])
    assert text.count("<script") == len(scripts)


@pytest.mark.parametrize(("name", "text"), every_page())
def test_pages_load_nothing_and_carry_no_inline_style_handler_or_meta_refresh(name: str, text: str) -> None:
    _, body = script_and_body(text)
    lowered = body.lower()
    for forbidden in ("style=", "<script", "src=", "<link", "url(", "@import", "@font-face", "http-equiv"):
        assert forbidden not in lowered, forbidden
    for _, attrs in Page(body).tags:
        assert not [attr for attr in attrs if attr.startswith("on") or attr == "style"]
    # The script itself loads nothing either: it asks its own origin, and writes no markup of its own.
    assert "innerHTML" not in SCRIPT and "eval(" not in SCRIPT and "http" not in SCRIPT


@pytest.mark.parametrize(("name", "text"), every_page())
def test_pages_are_usable_on_a_phone_and_with_the_keyboard(name: str, text: str) -> None:
    usable(text)


def test_every_page_of_a_payment_switches_language_and_says_which_it_is_in() -> None:
    page = Page(render(view(lang="fr", returned=True), NOW))

    assert ("html", {"lang": "fr"}) in page.tags
    switch = [attrs for tag, attrs in page.tags if tag == "a" and "hreflang" in attrs]
    assert [attrs["href"] for attrs in switch] == [
        f"/checkout/tok_abc?lang={lang}&returned=1" for lang in ("en", "de", "es", "fr")
    ]
    assert [attrs.get("aria-current") for attrs in switch] == [None, None, None, "true"]


def test_the_style_suits_a_narrow_screen_a_wide_one_and_shows_focus() -> None:
    assert "overflow-wrap:anywhere" in STYLE
    assert "min-height:44px" in STYLE
    assert ":focus-visible" in STYLE
    assert all(int(width) <= 375 for width in re.findall(r"width:\s*(\d+)px", STYLE))
    # On a wide screen the order stands beside the payment
    assert "@media (min-width:48rem)" in STYLE and "grid-template-columns" in STYLE


def test_the_qr_code_is_an_accessible_svg_without_style() -> None:
    svg = qr_svg(ADDRESS, "QR code of the payment")
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not outside input

    assert root.tag == "svg" and root.get("id") == "qr" and root.get("role") == "img"
    assert root.get("aria-label") == "QR code of the payment"
    assert all(element.get("style") is None for element in root.iter())
    assert "style" not in svg


def test_the_qr_code_is_the_same_for_the_same_data_and_differs_otherwise() -> None:
    assert qr_svg(ADDRESS) == qr_svg(ADDRESS)
    assert qr_svg(ADDRESS) != qr_svg(ADDRESS[:-1] + "x")
    assert qr_svg(ADDRESS) != qr_svg(f"bitcoin:{ADDRESS}?amount=0.1")


def test_the_qr_code_of_short_data_is_a_full_qr_code_not_a_micro_one() -> None:
    # A full QR code is at least 21 modules plus a 4-module quiet zone on each side; phones cannot read micro codes.
    view_box = ET.fromstring(qr_svg("r1")).get("viewBox")  # noqa: S314 - our own output
    assert view_box is not None
    assert float(view_box.split()[2]) >= 29
