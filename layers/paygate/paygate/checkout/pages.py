"""The HTML of the hosted checkout page, rendered on the server from a `CheckoutView`.

The customer sees the amount and the merchant's reference, picks a way to pay, and then either leaves for the
provider's page (the caller answers with that redirect) or, for crypto paid to an address, sees the address,
amount, memo and a QR code here. The page follows the status by reloading itself and at the end sends the
customer back to the shop. When the merchant's profile gives them, the page shows whom the customer pays
(name and logo, on the merchant's accent colour), a support link and a link back to the shop. Rendering is
pure: no I/O and no provider calls, so every page is easy to test.

Security: every value that is not a constant of this module goes through `_e` (HTML-escaped, quotes included),
attributes and URLs too. The page runs no script and loads nothing but the merchant's logo (from its origin
alone): one inline `<style>` block allowed by its hash (two with a brand colour), `default-src 'none'` for
everything else, no style attributes (the QR code's SVG has none either), and the page cannot be framed
(paygate.checkout.shop writes these headers). `Referrer-Policy: no-referrer` keeps the link's token out of
the provider's (and the logo host's) logs, and `Cache-Control: no-store` keeps the page out of shared
caches. `form-action` is left unset on purpose: browsers apply it to the redirect that follows the POST,
which goes to the provider's page on another host.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import segno

from paygate.checkout.shop import Shop, headers
from paygate.checkout.style import STYLE

# The headers of a page that shows no merchant (the 404 page, a redirect).
HEADERS: dict[str, str] = headers()

_STATUS_TEXT = {
    "pending": "Waiting for payment",
    "processing": "Payment being confirmed",
    "partially_paid": "Partly paid",
    "succeeded": "Payment received",
    "failed": "Payment failed",
    "expired": "Payment expired",
    "cancelled": "Payment cancelled",
}

_STAGE_TITLE = {
    "choose": "Choose how to pay",
    "crypto": "Send the payment",
    "waiting": "Confirming the payment",
}

_STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=\s*(\"[^\"]*\"|'[^']*')", re.IGNORECASE)


@dataclass(frozen=True)
class MethodChoice:
    value: str  # the form value posted back (opaque to the page, e.g. "sandbox:test")
    label: str  # e.g. "Card", "Cryptocurrency", "Sandbox test payment"
    provider_label: str  # e.g. "Paygentic", "NOWPayments"
    kind: str  # card | crypto | test | bank_transfer | wallet | other
    coins: tuple[str, ...] = ()  # non-empty: the method asks which coin (a <select name="pay_currency">)


@dataclass(frozen=True)
class CryptoDetails:
    address: str
    amount: str  # the amount of coin to send, as the provider gave it
    coin: str  # e.g. "btc" (shown upper-cased)
    memo: str | None = None  # memo / destination tag for chains that need one


@dataclass(frozen=True)
class CheckoutView:
    stage: Literal["choose", "crypto", "waiting", "final"]
    amount: str  # "10.50"
    currency: str  # "USD"
    status: str  # pending, processing, partially_paid, succeeded, failed, expired, cancelled
    reference: str | None = None  # merchant-given
    description: str | None = None  # merchant-given
    form_action: str = ""  # where the choose form posts (the page's own URL)
    methods: tuple[MethodChoice, ...] = ()
    error: str | None = None
    crypto: CryptoDetails | None = None
    next_url: str | None = None  # final stage: the merchant's success or failure URL
    refresh_seconds: int | None = None  # set: the page reloads itself after this many seconds
    redirect_seconds: int = 5  # final stage with next_url: the page goes there after this many seconds
    shop: Shop | None = None  # the merchant's profile; None: the page shows no merchant


def _e(value: object) -> str:
    """The one way a value that is not a constant of this module enters the page."""
    return html.escape(str(value), quote=True)


def _document(title: str, body: str, *, refresh: str | None = None, shop: Shop | None = None) -> str:
    # `refresh` is the meta refresh's content, already escaped by the caller.
    refresh_meta = f'<meta http-equiv="refresh" content="{refresh}">\n' if refresh is not None else ""
    accent = shop.accent if shop else None
    accent_style = f"<style>{accent}</style>\n" if accent else ""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"{refresh_meta}"
        f"<title>{title}</title>\n"
        f"<style>{STYLE}</style>\n"
        f"{accent_style}"
        "</head>\n"
        "<body>\n"
        f'<main>\n{_header(shop)}<div class="card">\n{body}</div>\n{_footer(shop)}</main>\n'
        "</body>\n"
        "</html>\n"
    )


def _status_text(status: str) -> str:
    return f"{_STATUS_TEXT.get(status, 'Payment status')} ({status})"


def _is_web_url(url: str) -> bool:
    # Merchant URLs are validated on the way in; a page that refuses anything but http(s) cannot be turned
    # into a javascript: or data: link even if a bad one got through.
    return url.lower().startswith(("https://", "http://"))


def _header(shop: Shop | None) -> str:
    """Whom the customer pays: the name, after the logo (whose alt text it is)."""
    if shop is None or not shop.name:
        return ""
    logo = f'<img class="logo" src="{_e(shop.logo_url)}" alt="{_e(shop.name)}">\n' if shop.logo_origin else ""
    return f'<header class="shop">\n{logo}<p id="payee">Pay <strong>{_e(shop.name)}</strong></p>\n</header>\n'


def _footer(shop: Shop | None) -> str:
    """Where to ask for help, and the way back to the shop: each only when given, and a web (or mail) link."""
    links = []
    support = shop.support_url if shop else None
    if support and (_is_web_url(support) or support.lower().startswith("mailto:")):
        links.append(f'<p><a id="support" href="{_e(support)}">Contact support</a></p>\n')
    if shop and shop.website_url and _is_web_url(shop.website_url):
        links.append(
            f'<p><a id="back-to-shop" href="{_e(shop.website_url)}">Back to {_e(shop.name or "the shop")}</a></p>\n'
        )
    return f'<footer class="shop-links">\n{"".join(links)}</footer>\n' if links else ""


def _summary(view: CheckoutView) -> str:
    rows = [f'<dt>Amount</dt>\n<dd id="amount">{_e(view.amount)} {_e(view.currency)}</dd>\n']
    if view.reference:
        rows.append(f'<dt>Reference</dt>\n<dd id="reference">{_e(view.reference)}</dd>\n')
    if view.description:
        rows.append(f'<dt>Description</dt>\n<dd id="description">{_e(view.description)}</dd>\n')
    return f'<dl class="summary">\n{"".join(rows)}</dl>\n'


def _status(view: CheckoutView) -> str:
    return f'<p id="status" role="status" data-status="{_e(view.status)}">{_e(_status_text(view.status))}</p>\n'


def _method(index: int, method: MethodChoice, form_action: str) -> str:
    coins = ""
    if method.coins:
        # Each form has its own select, so ids are numbered to keep every label tied to its own control.
        options = "".join(f'<option value="{_e(coin.lower())}">{_e(coin.upper())}</option>\n' for coin in method.coins)
        coins = (
            f'<label for="coin-{index}">Coin to pay with</label>\n'
            f'<select id="coin-{index}" name="pay_currency">\n{options}</select>\n'
        )
    form_class = ' class="coin-method"' if method.coins else ""
    return (
        f'<li data-kind="{_e(method.kind)}">\n'
        f'<form method="post" action="{_e(form_action)}"{form_class}>\n'
        f"{coins}"
        f'<button type="submit" name="method" value="{_e(method.value)}">'
        f'<span class="method-label">{_e(method.label)}</span> '
        f'<span class="method-provider">via {_e(method.provider_label)}</span></button>\n'
        "</form>\n"
        "</li>\n"
    )


def _choose(view: CheckoutView) -> str:
    parts = [_summary(view), _status(view)]
    if view.error:
        parts.append(f'<p id="error" role="alert">{_e(view.error)}</p>\n')
    if view.methods:
        items = "".join(_method(index, method, view.form_action) for index, method in enumerate(view.methods))
        parts.append(f'<div id="methods">\n<ul class="methods">\n{items}</ul>\n</div>\n')
    else:
        parts.append(
            '<div id="methods">\n<p>No way to pay is available for this payment. Please contact the shop.</p>\n</div>\n'
        )
    return "".join(parts)


def _following(view: CheckoutView) -> str:
    """How the page keeps up with the status: by itself when it refreshes, else by a link to itself."""
    parts = []
    if view.refresh_seconds is not None:
        parts.append(f'<p class="note">This page updates every {_e(view.refresh_seconds)} seconds.</p>\n')
    if view.form_action:
        parts.append(f'<p><a href="{_e(view.form_action)}">Check the status again</a></p>\n')
    return "".join(parts)


def _crypto(view: CheckoutView) -> str:
    parts = [_summary(view)]
    crypto = view.crypto
    if crypto is None:
        parts.append("<p>The payment details are not available yet.</p>\n")
    else:
        parts.append(
            f'<p>Send exactly <strong id="pay-amount" class="mono">{_e(crypto.amount)}</strong> '
            f'<strong id="pay-coin">{_e(crypto.coin.upper())}</strong> to this address:</p>\n'
            f'<p id="address" class="mono">{_e(crypto.address)}</p>\n'
        )
        if crypto.memo:
            parts.append(
                f'<p>Memo (destination tag): <span id="memo" class="mono memo-value">{_e(crypto.memo)}</span></p>\n'
                '<p class="warning">Include this memo with your transfer: without it the payment cannot be '
                "credited.</p>\n"
            )
        parts.append(
            f"<figure>\n{qr_svg(crypto.address)}\n"
            "<figcaption>The QR code holds the address only: enter the amount yourself.</figcaption>\n"
            "</figure>\n"
        )
    parts.append(_status(view))
    parts.append(_following(view))
    return "".join(parts)


def _waiting(view: CheckoutView) -> str:
    return (
        _summary(view)
        + "<p>We are waiting for the provider to confirm the payment.</p>\n"
        + _status(view)
        + _following(view)
    )


def _final(view: CheckoutView) -> str:
    tone = "ok" if view.status == "succeeded" else "bad"
    # On the last page the outcome is the heading itself.
    parts = [
        f'<h1 id="status" class="{tone}" data-status="{_e(view.status)}">{_e(_status_text(view.status))}</h1>\n',
        _summary(view),
    ]
    if view.next_url and _is_web_url(view.next_url):
        parts.append(
            f"<p>You will be taken back to the shop in {_e(max(view.redirect_seconds, 0))} seconds.</p>\n"
            f'<p><a id="continue" class="button" href="{_e(view.next_url)}">Return to the shop</a></p>\n'
        )
    else:
        parts.append("<p>You can close this page.</p>\n")
    return "".join(parts)


_STAGES: dict[str, Callable[[CheckoutView], str]] = {"choose": _choose, "crypto": _crypto, "waiting": _waiting}


def render(view: CheckoutView) -> str:
    """The whole HTML document for `view`."""
    refresh: str | None = None
    if view.stage == "final":
        # A final page has nothing left to follow: its only reload is the way back to the shop.
        if view.next_url and _is_web_url(view.next_url):
            refresh = f"{_e(max(view.redirect_seconds, 0))};url={_e(view.next_url)}"
        title = _e(_STATUS_TEXT.get(view.status, "Payment result"))
        return _document(title, _final(view), refresh=refresh, shop=view.shop)
    if view.refresh_seconds is not None:
        refresh = _e(max(view.refresh_seconds, 1))
    title = _STAGE_TITLE[view.stage]
    return _document(title, f"<h1>{title}</h1>\n" + _STAGES[view.stage](view), refresh=refresh, shop=view.shop)


def not_found() -> str:
    """The page for a link that leads to no payment: it says nothing about any payment."""
    return _document(
        "Checkout link not valid",
        "<h1>This checkout link is not valid or has expired.</h1>\n<p>Ask the shop for a new payment link.</p>\n",
    )


def qr_svg(data: str) -> str:
    """An inline `<svg id="qr">` of the QR code of `data` (the address alone: wallets read an address)."""
    # micro=False: for short data segno would pick a Micro QR code, which most phone cameras cannot read.
    # light="#fff": the code keeps its white background (and quiet zone) whatever the page behind it.
    svg = segno.make(data, error="m", micro=False).svg_inline(
        svgid="qr", svgclass="qr", omitsize=True, dark="#000", light="#fff"
    )
    # The CSP allows no style attributes; segno writes none with these options, and this keeps it so.
    svg = _STYLE_ATTRIBUTE.sub("", svg)
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code of the payment address" ', 1)
