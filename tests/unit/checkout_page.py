"""What the checkout page tests read pages with: a small HTML parser, a view of each stage, and the checks
that hold on every page."""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from paygate.checkout.pages import CheckoutView, CryptoDetails, MethodChoice, not_found, render

ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
CARD = MethodChoice(value="paygentic:card", label="Card", provider_label="Paygentic", kind="card")
COINS = MethodChoice(value="nowpayments:crypto:btc", label="Bitcoin (BTC)", provider_label="NOWPayments", kind="crypto")
SCRIPT_TAG = "<script>alert(1)</script>"
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
        self.all_text = ""
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
        elif tag in {"button", "select", "option", "input"} and self._form is not None:
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
        if any(tag == "main" for tag, _ in self._open):
            self.all_text += data
        for _, element_id in self._open:
            if element_id is not None:
                self.text[element_id] += data

    def meta_refresh(self) -> str | None:
        contents = [a.get("content") for t, a in self.tags if t == "meta" and a.get("http-equiv") == "refresh"]
        assert len(contents) <= 1
        return contents[0] if contents else None

    def main_text(self) -> str:
        return " ".join(self.all_text.split())

    def words(self, element_id: str) -> str:
        return " ".join(self.text[element_id].split())


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def view(stage: str = "choose", **changes: object) -> CheckoutView:
    base = CheckoutView(
        stage="choose",
        amount="10.50",
        currency="USD",
        status="pending",
        reference="order-42",
        description="Two mugs",
        link="/checkout/tok_abc",
        methods=(CARD, COINS),
    )
    return dataclasses.replace(base, stage=stage, **changes)  # type: ignore[arg-type]


def crypto_view(**changes: object) -> CheckoutView:
    details = CryptoDetails(address=ADDRESS, amount="0.00016123", coin="btc")
    return view("crypto", **({"crypto": details, "expires_at": NOW + timedelta(minutes=20)} | changes))


def every_page() -> list[tuple[str, str]]:
    """One page of each kind, including the optional parts, for the checks that hold on all of them."""
    return [
        ("choose", render(view(error="Paygentic could not take the payment. Choose another way to pay."), NOW)),
        ("choose-empty", render(view(methods=()), NOW)),
        ("crypto", render(crypto_view(), NOW)),
        (
            "crypto-memo",
            render(crypto_view(crypto=CryptoDetails("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", "12.5", "xrp", "77")), NOW),
        ),
        ("waiting", render(view("waiting", status="processing", returned=True), NOW)),
        ("final", render(view("final", status="succeeded", next_url="https://shop.example/done?order=42&ok=1"), NOW)),
        ("final-plain", render(view("final", status="failed"), NOW)),
        ("not-found", not_found()),
    ]


def script_and_body(text: str) -> tuple[list[str], str]:
    """The page's script blocks, and the page without them."""
    return re.findall(r"<script>(.*?)</script>", text, flags=re.DOTALL), re.sub(
        r"<script>.*?</script>", "", text, flags=re.DOTALL
    )


def usable(text: str) -> None:
    """The page has a language, a phone's viewport, a title, one main landmark, headings in order from h1,
    and no tab order of its own."""
    page = Page(text)
    tags = [tag for tag, _ in page.tags]

    assert text.startswith("<!doctype html>")
    assert ("html", {"lang": "en"}) in page.tags
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in page.tags
    assert re.search(r"<title>[^<]+</title>", text)
    assert tags.count("main") == 1
    headings = [int(tag[1]) for tag in tags if re.fullmatch(r"h[1-6]", tag)]
    assert headings and headings[0] == 1
    assert all(later <= earlier + 1 for earlier, later in itertools.pairwise(headings))
    assert "tabindex" not in text
