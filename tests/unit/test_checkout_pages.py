"""The hosted checkout's HTML: what each stage shows, that merchant and provider text never becomes markup,
and that every page keeps to its Content-Security-Policy (one hashed style block, nothing else)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import itertools
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from paygate.checkout.pages import (
    HEADERS,
    STYLE,
    CheckoutView,
    CryptoDetails,
    MethodChoice,
    not_found,
    qr_svg,
    render,
)

ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
CARD = MethodChoice(value="paygentic:card", label="Card", provider_label="Paygentic", kind="card")
COINS = MethodChoice(
    value="nowpayments:crypto",
    label="Cryptocurrency",
    provider_label="NOWPayments",
    kind="crypto",
    coins=("btc", "ETH", "usdttrc20"),
)
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
VOID = {"meta", "link", "br", "hr", "img", "input", "source", "wbr"}


class Page(HTMLParser):
    """The parts of a page the tests read: every start tag, the elements with an id (attributes and text),
    the controls of each form, and the meta refresh."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.by_id: dict[str, tuple[str, dict[str, str | None]]] = {}
        self.text: dict[str, str] = {}
        self.forms: list[dict[str, object]] = []
        self._open: list[tuple[str, str | None]] = []
        self._form: dict[str, object] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        element_id = attributes.get("id")
        if element_id is not None:
            assert element_id not in self.by_id, f"duplicate id {element_id}"
            self.by_id[element_id] = (tag, attributes)
            self.text[element_id] = ""
        if tag == "form":
            self._form = {"attrs": attributes, "controls": []}
            self.forms.append(self._form)
        elif tag in {"button", "select", "option"} and self._form is not None:
            controls = self._form["controls"]
            assert isinstance(controls, list)
            controls.append((tag, attributes))
        if tag not in VOID:
            self._open.append((tag, element_id))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id is not None:
                self.text[element_id] += data

    def meta_refresh(self) -> str | None:
        contents = [a.get("content") for t, a in self.tags if t == "meta" and a.get("http-equiv") == "refresh"]
        assert len(contents) <= 1
        return contents[0] if contents else None

    def words(self, element_id: str) -> str:
        return " ".join(self.text[element_id].split())


def view(stage: str = "choose", **changes: object) -> CheckoutView:
    base = CheckoutView(
        stage="choose",
        amount="10.50",
        currency="USD",
        status="pending",
        reference="order-42",
        description="Two mugs",
        form_action="/checkout/tok_abc",
        methods=(CARD, COINS),
    )
    return dataclasses.replace(base, stage=stage, **changes)  # type: ignore[arg-type]


def crypto_view(**changes: object) -> CheckoutView:
    details = CryptoDetails(address=ADDRESS, amount="0.00016123", coin="btc")
    return view("crypto", **({"crypto": details, "refresh_seconds": 15} | changes))


def every_page() -> list[tuple[str, str]]:
    """One page of each kind, including the optional parts, for the checks that hold on all of them."""
    return [
        ("choose", render(view(error="Paygentic could not take the payment. Choose another way to pay."))),
        ("choose-empty", render(view(methods=()))),
        ("crypto", render(crypto_view())),
        (
            "crypto-memo",
            render(crypto_view(crypto=CryptoDetails("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", "12.5", "xrp", "77"))),
        ),
        ("waiting", render(view("waiting", status="processing", refresh_seconds=10))),
        ("final", render(view("final", status="succeeded", next_url="https://shop.example/done?order=42&ok=1"))),
        ("final-plain", render(view("final", status="failed"))),
        ("not-found", not_found()),
    ]


# Each stage.


def test_choose_shows_the_amount_reference_status_error_and_one_form_per_method() -> None:
    page = Page(render(view(error="Paygentic could not take the payment. Choose another way to pay.")))

    assert page.words("amount") == "10.50 USD"
    assert page.words("reference") == "order-42"
    assert page.words("description") == "Two mugs"
    assert "pending" in page.words("status")
    assert page.by_id["error"][1]["role"] == "alert"
    assert page.words("error") == "Paygentic could not take the payment. Choose another way to pay."
    assert "methods" in page.by_id
    assert len(page.forms) == 2
    for form, method in zip(page.forms, (CARD, COINS), strict=True):
        attrs = form["attrs"]
        assert isinstance(attrs, dict)
        assert attrs["method"] == "post"
        assert attrs["action"] == "/checkout/tok_abc"
        controls = form["controls"]
        assert isinstance(controls, list)
        buttons = [a for t, a in controls if t == "button"]
        assert buttons == [{"type": "submit", "name": "method", "value": method.value}]
    text = " ".join(Page(render(view())).text["methods"].split())
    assert "Card" in text and "Paygentic" in text and "Cryptocurrency" in text and "NOWPayments" in text


def test_choose_without_reference_description_or_error_leaves_them_out() -> None:
    page = Page(render(view(reference=None, description=None)))

    assert not {"reference", "description", "error"} & page.by_id.keys()
    assert {"amount", "status", "methods"} <= page.by_id.keys()


def test_a_method_with_coins_asks_for_the_coin_in_its_own_form() -> None:
    page = Page(render(view()))

    card, coins = page.forms
    assert isinstance(card["controls"], list) and isinstance(coins["controls"], list)
    assert [t for t, _ in card["controls"]] == ["button"]
    selects = [a for t, a in coins["controls"] if t == "select"]
    assert len(selects) == 1 and selects[0]["name"] == "pay_currency"
    options = [a["value"] for t, a in coins["controls"] if t == "option"]
    assert options == ["btc", "eth", "usdttrc20"]
    select_id = selects[0]["id"]
    assert select_id is not None
    assert page.words(select_id).split() == ["BTC", "ETH", "USDTTRC20"]
    # The select has a label tied to it.
    assert any(t == "label" and a.get("for") == select_id for t, a in page.tags)


def test_choose_without_methods_says_that_no_way_to_pay_is_available() -> None:
    page = Page(render(view(methods=())))

    assert page.forms == []
    assert "No way to pay is available for this payment" in page.words("methods")


def test_crypto_shows_address_amount_coin_qr_and_status() -> None:
    text = render(crypto_view())
    page = Page(text)

    assert page.words("address") == ADDRESS
    assert page.words("pay-amount") == "0.00016123"
    assert page.words("pay-coin") == "BTC"
    plain = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    assert "Send exactly 0.00016123 BTC to this address" in plain
    assert "memo" not in page.by_id
    assert "pending" in page.words("status")
    assert page.words("amount") == "10.50 USD"
    assert page.meta_refresh() == "15"
    # The QR code on the page is the one of the address alone.
    assert qr_svg(ADDRESS) in text
    assert page.by_id["qr"][0] == "svg"


def test_crypto_shows_the_memo_and_says_it_must_be_included() -> None:
    details = CryptoDetails(address="rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", amount="12.5", coin="xrp", memo="3051221")
    text = render(view("crypto", crypto=details))
    page = Page(text)

    assert page.words("memo") == "3051221"
    assert "Include this memo" in text
    assert page.words("pay-coin") == "XRP"
    assert page.meta_refresh() is None


def test_the_address_breaks_anywhere_in_a_monospace_font() -> None:
    page = Page(render(crypto_view()))

    classes = (page.by_id["address"][1]["class"] or "").split()
    rules = {selector.strip(): body for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", STYLE)}
    assert "mono" in classes
    assert "monospace" in rules[".mono"] and "overflow-wrap:anywhere" in rules[".mono"]


def test_waiting_says_so_and_follows_the_status() -> None:
    text = render(view("waiting", status="processing", refresh_seconds=10))
    page = Page(text)

    assert "We are waiting for the provider to confirm the payment" in text
    assert "processing" in page.words("status")
    assert page.words("amount") == "10.50 USD"
    assert page.meta_refresh() == "10"


@pytest.mark.parametrize(
    ("status", "wording"),
    [
        ("succeeded", "Payment received"),
        ("failed", "Payment failed"),
        ("expired", "Payment expired"),
        ("cancelled", "Payment cancelled"),
    ],
)
def test_final_shows_the_outcome_in_words_and_raw(status: str, wording: str) -> None:
    page = Page(render(view("final", status=status)))

    assert wording in page.words("status")
    assert status in page.words("status")
    assert page.by_id["status"][1]["data-status"] == status
    # No way back to the shop was given: no link and no redirect.
    assert "continue" not in page.by_id
    assert page.meta_refresh() is None


def test_final_with_next_url_links_and_redirects_there_escaped() -> None:
    url = 'https://shop.example/done?order=42&ok=1&x="><script>alert(1)</script>'
    text = render(view("final", status="succeeded", next_url=url, redirect_seconds=3, refresh_seconds=9))
    page = Page(text)

    assert page.by_id["continue"][0] == "a"
    assert page.by_id["continue"][1]["href"] == url
    assert page.words("continue") == "Return to the shop"
    assert page.meta_refresh() == f"3;url={url}"
    escaped = html.escape(url, quote=True)
    assert f'href="{escaped}"' in text
    assert f'content="3;url={escaped}"' in text
    assert "<script" not in text


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", " javascript:alert(1)"])
def test_final_never_links_to_a_url_that_is_not_http(url: str) -> None:
    page = Page(render(view("final", status="succeeded", next_url=url)))

    assert "continue" not in page.by_id
    assert page.meta_refresh() is None


def test_every_stage_shows_status_and_amount() -> None:
    for name, text in every_page():
        if name == "not-found":
            continue
        page = Page(text)
        assert {"status", "amount"} <= page.by_id.keys(), name


def test_not_found_shows_no_payment_detail() -> None:
    text = not_found()
    page = Page(text)

    assert "This checkout link is not valid or has expired." in text
    assert not {"amount", "status", "reference", "methods", "address"} & page.by_id.keys()
    assert "USD" not in text and "10.50" not in text
    assert page.forms == []


# Escaping.

HOSTILE_FIELDS = [
    "reference",
    "description",
    "error",
    "label",
    "provider_label",
    "method_value",
    "kind",
    "coin_choice",
    "address",
    "memo",
    "pay_amount",
    "amount",
    "currency",
    "status",
    "form_action",
]


def hostile_page(field: str, payload: str) -> str:
    method = COINS
    details = CryptoDetails(address=ADDRESS, amount="0.1", coin="btc", memo="1")
    stage = "choose"
    changes: dict[str, object] = {}
    match field:
        case "label":
            method = dataclasses.replace(COINS, label=payload)
        case "provider_label":
            method = dataclasses.replace(COINS, provider_label=payload)
        case "kind":
            method = dataclasses.replace(COINS, kind=payload)
        case "method_value":
            method = dataclasses.replace(COINS, value=payload)
        case "coin_choice":
            method = dataclasses.replace(COINS, coins=(payload,))
        case "address":
            stage, details = "crypto", dataclasses.replace(details, address=payload)
        case "memo":
            stage, details = "crypto", dataclasses.replace(details, memo=payload)
        case "pay_amount":
            stage, details = "crypto", dataclasses.replace(details, amount=payload)
        case _:
            changes[field] = payload
    return render(view(stage, methods=(method,), crypto=details, **changes))


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
@pytest.mark.parametrize("field", HOSTILE_FIELDS)
def test_outside_text_is_shown_as_text_never_as_markup(field: str, payload: str) -> None:
    text = hostile_page(field, payload)
    page = Page(text)

    assert payload not in text
    assert payload.upper() not in text
    assert html.escape(payload, quote=True) in text or html.escape(payload.upper(), quote=True) in text
    assert not [tag for tag, _ in page.tags if tag in {"script", "img"}]
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_a_hostile_coin_is_escaped_on_the_crypto_page(payload: str) -> None:
    text = render(view("crypto", crypto=CryptoDetails(ADDRESS, "1", payload)))

    assert payload.upper() not in text
    assert html.escape(payload.upper(), quote=True) in text
    assert not [tag for tag, _ in Page(text).tags if tag in {"script", "img"}]


def test_the_next_url_is_escaped_in_the_link_and_the_refresh() -> None:
    url = "https://shop.example/?q=" + IMG
    text = render(view("final", status="failed", next_url=url))

    assert IMG not in text
    assert text.count(html.escape(url, quote=True)) == 2
    assert not [tag for tag, _ in Page(text).tags if tag == "img"]


# The Content-Security-Policy and what the pages load.


def test_headers_are_exactly_these() -> None:
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    expected = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; frame-ancestors 'none'"
        ),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }
    assert expected == HEADERS
    assert "unsafe-inline" not in HEADERS["Content-Security-Policy"]
    assert "form-action" not in HEADERS["Content-Security-Policy"]


@pytest.mark.parametrize(("name", "text"), every_page())
def test_the_csp_hash_is_the_hash_of_the_one_style_block_on_the_page(name: str, text: str) -> None:
    blocks = re.findall(r"<style>(.*?)</style>", text, flags=re.DOTALL)
    assert len(blocks) == 1
    assert text.count("<style") == 1
    digest = base64.b64encode(hashlib.sha256(blocks[0].encode("utf-8")).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in HEADERS["Content-Security-Policy"]


@pytest.mark.parametrize(("name", "text"), every_page())
def test_pages_load_nothing_and_carry_no_inline_style_or_handler(name: str, text: str) -> None:
    lowered = text.lower()
    for forbidden in ("style=", "<script", "src=", "<link", "url(", "@import", "@font-face"):
        assert forbidden not in lowered, forbidden
    for _, attrs in Page(text).tags:
        assert not [attr for attr in attrs if attr.startswith("on") or attr == "style"]


@pytest.mark.parametrize(("name", "text"), every_page())
def test_pages_are_usable_on_a_phone_and_with_the_keyboard(name: str, text: str) -> None:
    usable(text)


def usable(text: str) -> None:
    """The page has a language, a phone's viewport, a title, headings in order from h1, a label for every
    select, and no tab order of its own."""
    page = Page(text)
    tags = [tag for tag, _ in page.tags]

    assert text.startswith("<!doctype html>")
    assert ("html", {"lang": "en"}) in page.tags
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in page.tags
    assert re.search(r"<title>[^<]+</title>", text)
    headings = [int(tag[1]) for tag in tags if re.fullmatch(r"h[1-6]", tag)]
    assert headings and headings[0] == 1
    assert all(later <= earlier + 1 for earlier, later in itertools.pairwise(headings))
    labels = {attrs.get("for") for tag, attrs in page.tags if tag == "label"}
    assert all(attrs.get("id") in labels for tag, attrs in page.tags if tag == "select")
    assert "tabindex" not in text


def test_the_style_suits_a_narrow_screen_and_shows_focus() -> None:
    assert "overflow-wrap:anywhere" in STYLE
    assert "min-height:44px" in STYLE
    assert ":focus-visible" in STYLE
    assert "system-ui" in STYLE
    assert all(int(width) <= 375 for width in re.findall(r"width:\s*(\d+)px", STYLE))
    assert "max-width" in STYLE


# The QR code.


def test_the_qr_code_is_an_accessible_svg_without_style() -> None:
    svg = qr_svg(ADDRESS)
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not outside input

    assert root.tag == "svg"
    assert root.get("id") == "qr"
    assert root.get("role") == "img"
    assert root.get("aria-label")
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


def test_views_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        view().stage = "final"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        CARD.value = "x"  # type: ignore[misc]
