"""The merchant on the hosted checkout's HTML: whom the customer pays (name, logo, accent), where to ask for
help and the way back to the shop, each only when the profile gives it, as text and never as markup; and
the headers that let in exactly the logo's origin and the accent's style block, nothing more."""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest

from paygate.accounts.models import Profile
from paygate.checkout.pages import HEADERS, CheckoutView, CryptoDetails, not_found, render
from paygate.checkout.shop import Shop, headers
from paygate.checkout.style import on_accent
from tests.unit.checkout_page import SCRIPT_TAG as SCRIPT
from tests.unit.checkout_page import Page, script_and_body, usable, view

SHOP = Shop(
    name="Mugs & Co",
    logo_url="https://cdn.mugs.example/logo.png?v=2&size=s",
    support_url="https://mugs.example/help",
    website_url="https://mugs.example/",
    brand_color="#0B5CAD",
)


def shop_views(shop: Shop | None = SHOP) -> list[CheckoutView]:
    """A page of each stage, for `shop`."""
    crypto = CryptoDetails(address="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", amount="0.1", coin="btc")
    return [
        view(shop=shop),
        view("crypto", crypto=crypto, shop=shop),
        view("waiting", status="processing", shop=shop),
        view("final", status="succeeded", next_url="https://mugs.example/done", shop=shop),
    ]


def shop_pages() -> list[tuple[str, str]]:
    return [(page.stage, render(page)) for page in shop_views()]


def csp(shop: Shop | None) -> dict[str, str]:
    """The page's Content-Security-Policy, by directive."""
    policy = headers(shop)["Content-Security-Policy"]
    return dict(directive.strip().split(" ", 1) for directive in policy.split(";"))


def style_hashes(text: str) -> list[str]:
    blocks = re.findall(r"<style>(.*?)</style>", text, flags=re.DOTALL)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks]


@pytest.mark.parametrize(("stage", "text"), shop_pages())
def test_every_stage_shows_whom_the_customer_pays_support_and_the_way_back(stage: str, text: str) -> None:
    page = Page(text)

    assert page.words("payee") == "Pay Mugs & Co"
    [logo] = [attrs for tag, attrs in page.tags if tag == "img"]
    assert logo == {"class": "logo", "src": SHOP.logo_url, "alt": "Mugs & Co"}
    assert page.by_id["support"][1]["href"] == "https://mugs.example/help"
    assert page.words("support") == "Contact support"
    assert page.by_id["back-to-shop"][1]["href"] == "https://mugs.example/"
    assert page.words("back-to-shop") == "Back to Mugs & Co"


@pytest.mark.parametrize(("stage", "text"), shop_pages())
def test_a_merchants_page_is_usable_on_a_phone_and_with_the_keyboard(stage: str, text: str) -> None:
    usable(text)


@pytest.mark.parametrize(("stage", "text"), shop_pages())
def test_the_csp_allows_the_pages_style_blocks_and_the_logos_origin_and_nothing_else(stage: str, text: str) -> None:
    policy = csp(SHOP)

    assert policy["style-src"].split() == style_hashes(text)
    assert len(style_hashes(text)) == 2  # the sheet, and the accent
    assert policy["img-src"] == "https://cdn.mugs.example"
    assert (policy["default-src"], policy["base-uri"], policy["frame-ancestors"]) == ("'none'",) * 3
    assert "unsafe" not in headers(SHOP)["Content-Security-Policy"]
    assert {name: value for name, value in headers(SHOP).items() if name != "Content-Security-Policy"} == {
        name: value for name, value in HEADERS.items() if name != "Content-Security-Policy"
    }
    lowered = script_and_body(text)[1].lower()
    assert lowered.count("src=") == 1 and "<script" not in lowered and "style=" not in lowered
    assert (policy["script-src"], policy["connect-src"]) == (csp(None)["script-src"], "'self'")


def test_no_profile_or_an_empty_one_renders_the_page_as_before() -> None:
    for empty, before in zip(shop_views(Shop()), shop_views(None), strict=True):
        text = render(empty)
        assert text == render(before), empty.stage
        assert not {"payee", "support", "back-to-shop"} & Page(text).by_id.keys()
        assert "<img" not in text and "<header" not in text and "shop-links" not in text
    assert headers(Shop()) == headers(None) == HEADERS


def test_merchant_text_and_links_are_shown_as_text_never_as_markup() -> None:
    hostile = Shop(
        name=SCRIPT,
        logo_url='https://cdn.example/x"><script>alert(1)</script>',
        support_url='https://help.example/?q="><script>alert(2)</script>',
        website_url="https://shop.example/'onmouseover='alert(3)",
    )
    text = render(view(shop=hostile))
    page = Page(text)

    assert "<script" not in script_and_body(text)[1]
    assert page.words("payee") == f"Pay {SCRIPT}"
    assert html.escape(SCRIPT) in text
    [logo] = [attrs for tag, attrs in page.tags if tag == "img"]
    assert (logo["src"], logo["alt"]) == (hostile.logo_url, SCRIPT)
    assert page.by_id["support"][1]["href"] == hostile.support_url
    assert page.by_id["back-to-shop"][1]["href"] == hostile.website_url
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", " javascript:alert(1)"])
def test_a_link_that_is_not_a_web_or_mail_link_is_not_shown(url: str) -> None:
    page = Page(render(view(shop=Shop(name="Mugs", support_url=url, website_url=url))))

    assert not {"support", "back-to-shop"} & page.by_id.keys()
    assert "shop-links" not in render(view(shop=Shop(name="Mugs", support_url=url, website_url=url)))


def test_support_is_the_page_else_a_mail_and_the_way_back_names_the_shop_or_says_the_shop() -> None:
    mail = Shop.of(Profile(support_email="help+mugs@mugs.example", website_url="https://mugs.example/"))
    page = Page(render(view(shop=mail)))
    assert page.by_id["support"][1]["href"] == "mailto:help%2Bmugs@mugs.example"
    assert page.words("back-to-shop") == "Back to the shop"
    assert "payee" not in page.by_id  # no name: nothing says whom, and no logo (it would have no alt text)
    both = Shop.of(Profile(support_email="help@mugs.example", support_url="https://mugs.example/help"))
    assert both.support_url == "https://mugs.example/help"


@pytest.mark.parametrize(
    "logo",
    [
        "https://user:secret@cdn.example/logo.png",  # credentials in the origin
        "https://cdn.example;img-src */logo.png",  # would add a directive
        "https://[::1/logo.png",  # not a URL
        "http://cdn.example/logo.png",  # not https
    ],
)
def test_a_logo_whose_origin_the_csp_cannot_name_as_it_is_is_not_shown(logo: str) -> None:
    shop = Shop(name="Mugs", logo_url=logo)

    assert "<img" not in render(view(shop=shop))
    assert "img-src" not in headers(shop)["Content-Security-Policy"]


def test_a_logo_without_a_name_is_not_shown() -> None:
    shop = Shop(logo_url="https://cdn.example/logo.png")
    assert "<img" not in render(view(shop=shop)) and "img-src" not in headers(shop)["Content-Security-Policy"]


@pytest.mark.parametrize("color", ["red", "#fff", "#0b5cad;}body{", "#0b5cad\n", "0b5cad", "#0b5cag"])
def test_a_brand_colour_that_is_not_rrggbb_sets_no_accent(color: str) -> None:
    shop = Shop(name="Mugs", brand_color=color)
    text = render(view(shop=shop))

    assert text.count("<style>") == 1 and "--accent" not in text.split("</style>", 1)[1]
    assert csp(shop)["style-src"] == csp(None)["style-src"]


def test_the_accent_is_a_custom_property_with_text_colour_readable_on_it() -> None:
    text = render(view(shop=SHOP))
    assert "<style>:root{--accent:#0b5cad;--on-accent:#fff}</style>" in text
    assert "<style>:root{--accent:#ffd700;--on-accent:#000}</style>" in render(view(shop=Shop(brand_color="#FFD700")))


def contrast(first: str, second: str) -> float:
    """WCAG 2's contrast ratio, written out here rather than taken from the code under test."""

    def luminance(color: str) -> float:
        color = color.lstrip("#")
        color = "".join(c * 2 for c in color) if len(color) == 3 else color
        srgb = [int(color[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in srgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_on_any_accent_has_at_least_aa_contrast() -> None:
    # Every colour on a grid of 16 steps per channel, and the hardest (mid-grey, where black and white
    # are closest).
    steps = range(0, 256, 17)
    colors = [f"#{r:02x}{g:02x}{b:02x}" for r in steps for g in steps for b in steps] + ["#777777", "#767676"]
    assert min(contrast(color, on_accent(color)) for color in colors) >= 4.5
    assert (on_accent("#ffffff"), on_accent("#000000"), on_accent("#0b5cad")) == ("#000", "#fff", "#fff")


def test_the_404_page_shows_no_merchant() -> None:
    text = not_found()
    assert "<header" not in text and "<img" not in text and "<footer" not in text and "Pay " not in text
