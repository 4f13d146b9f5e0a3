"""Words for people and money for wallets: the message catalog (every language says every message, with
the same placeholders), the choice of language, amounts as CLDR writes them, and the payment URIs that the
crypto page's QR code holds (decoded back from the page's own SVG)."""

from __future__ import annotations

import io
import re
import string

import pytest
import zxingcpp
from PIL import Image

from paygate.checkout.coins import coin_name, payment_uri
from paygate.checkout.pages import CryptoDetails, render
from paygate.checkout.words import DEFAULT, LANGUAGES, Words, catalog, negotiate
from tests.unit.checkout_page import NOW, Page, crypto_view


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_language_says_every_message_with_the_same_placeholders(lang: str) -> None:
    english, other = catalog(DEFAULT), catalog(lang)
    assert other.keys() == english.keys()
    assert all(placeholders(other[key]) == placeholders(english[key]) for key in english)
    assert all(text.strip() for text in other.values())


@pytest.mark.parametrize(
    ("header", "chosen", "lang"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", None, "de"),
        ("fr;q=0.5, es", None, "es"),  # by weight, not order
        ("ja, es-MX;q=0.8, de;q=0.7", None, "es"),  # the first we speak
        ("en;q=0, fr;q=0.1", None, "fr"),  # q=0: not acceptable
        ("*", None, "en"),
        ("", None, "en"),
        (None, None, "en"),
        ("de;q=nonsense, fr", None, "fr"),
        ("de", "fr", "fr"),  # the page's switch wins
        ("de", "xx", "de"),  # a language we do not speak is no choice
    ],
)
def test_the_language_is_the_switchs_else_the_browsers_first_we_speak_else_english(
    header: str | None, chosen: str | None, lang: str
) -> None:
    assert negotiate(header, chosen) == lang


@pytest.mark.parametrize(
    ("lang", "amount"), [("en", "$25.00"), ("de", "25,00\xa0$"), ("es", "25,00\xa0US$"), ("fr", "25,00\xa0$US")]
)
def test_amounts_are_written_as_cldr_says_for_the_language(lang: str, amount: str) -> None:
    assert Words(lang).money("25.00", "USD") == amount
    assert Words(lang).money("25", "USD") == amount  # the currency's digits at least
    page = Page(render(crypto_view(amount="25.00", lang=lang), NOW))
    assert page.text["amount"] == amount


def test_amounts_keep_every_digit_and_an_unknown_currency_still_shows() -> None:
    assert Words("de").money("10.505", "USD") == "10,505\xa0$"  # never rounded away
    assert Words("en").money("1000", "JPY") == "¥1,000"
    assert Words("en").money("abc", "USD") == "abc USD"


def test_a_page_in_german_is_german_throughout() -> None:
    page = Page(render(crypto_view(lang="de"), NOW))
    assert ("html", {"lang": "de"}) in page.tags
    assert page.words("status") == "Wir warten auf Ihre Zahlung"
    assert "Senden Sie genau 0.00016123 BTC an diese Adresse:" in page.main_text()
    assert page.words("qr-caption").startswith("Scannen Sie ihn mit Ihrer Wallet")


ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ETH_ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"  # Tether's token contract on Ethereum


@pytest.mark.parametrize(
    ("coin", "address", "amount", "uri"),
    [
        ("btc", ADDRESS, "0.00016123", f"bitcoin:{ADDRESS}?amount=0.00016123"),
        ("BTC", ADDRESS, "1.50000000", f"bitcoin:{ADDRESS}?amount=1.5"),
        ("ltc", "ltc1qxyz", "0.25", "litecoin:ltc1qxyz?amount=0.25"),
        ("doge", "DAbc", "100", "dogecoin:DAbc?amount=100"),
        ("eth", ETH_ADDRESS, "0.0051", f"ethereum:{ETH_ADDRESS}@1?value=5100000000000000"),
        ("usdterc20", ETH_ADDRESS, "10.5", f"ethereum:{USDT}@1/transfer?address={ETH_ADDRESS}&uint256=10500000"),
        ("usdttrc20", "TXyz", "10.5", None),  # Tron defines no payment URI
        ("xrp", "rAddr", "12.5", None),
        ("sol", "So1", "1", None),  # a coin we do not know
        ("btc", ADDRESS, "0.000000001", None),  # less than a satoshi: no amount a wallet could send
        ("eth", ETH_ADDRESS, "nonsense", None),
    ],
)
def test_the_payment_uri_is_bip21_or_eip681_where_the_network_defines_one(
    coin: str, address: str, amount: str, uri: str | None
) -> None:
    assert payment_uri(coin, address, amount) == uri


def test_coins_are_named_with_their_network() -> None:
    assert coin_name("usdttrc20") == "Tether USDT (Tron, TRC-20)"
    assert coin_name("usdterc20") == "Tether USDT (Ethereum, ERC-20)"
    assert coin_name("sol") == "SOL"


def decoded_qr(page: str) -> str:
    """What a phone's camera reads from the page's QR code: the SVG drawn as an image, then decoded."""
    svg = re.search(r"<svg.*?</svg>", page, flags=re.DOTALL)
    assert svg is not None
    view_box = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg[0])
    assert view_box is not None
    size, scale = int(view_box[1]), 8
    image = Image.new("L", (size * scale, size * scale), 255)
    # segno draws the dark modules as one path of horizontal runs: "M<x> <y>h<n>" (relative moves after).
    path = re.search(r'stroke="#000" d="([^"]+)"', svg[0])
    assert path is not None
    x = y = 0.0
    pixels = image.load()
    assert pixels is not None
    for command, numbers in re.findall(r"([MmHhVv])([^MmHhVv]*)", path[1]):
        values = [float(v) for v in numbers.replace(",", " ").split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        elif command in "hH":
            end = x + values[0] if command == "h" else values[0]
            for px in range(int(min(x, end) * scale), int(max(x, end) * scale)):
                for py in range(int((y - 0.5) * scale), int((y + 0.5) * scale)):
                    pixels[px, py] = 0
            x = end
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    [result] = zxingcpp.read_barcodes(Image.open(buffer))
    return result.text


def test_the_qr_code_on_the_page_decodes_to_the_payment_uri() -> None:
    btc = render(crypto_view(), NOW)
    assert decoded_qr(btc) == f"bitcoin:{ADDRESS}?amount=0.00016123"
    eth = render(crypto_view(crypto=CryptoDetails(ETH_ADDRESS, "0.0051", "eth")), NOW)
    assert decoded_qr(eth) == f"ethereum:{ETH_ADDRESS}@1?value=5100000000000000"
    trx = render(crypto_view(crypto=CryptoDetails("TXyz", "10.5", "usdttrc20")), NOW)
    assert decoded_qr(trx) == "TXyz"
