"""The pieces every checkout page is made of: the escaping of outside text, the order summary, the status
in words, the way the page keeps up with it, the merchant's header and footer and the language switch."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from paygate.checkout.view import TERMINAL, CheckoutView
from paygate.checkout.words import LANGUAGES, Words

STATUS_PATH = "/status"


def e(value: object) -> str:
    """The one way a value that is not a constant of this package enters the page."""
    return html.escape(str(value), quote=True)


def is_web_url(url: str) -> bool:
    # Merchant URLs are validated on the way in; a page that refuses anything but http(s) cannot be turned
    # into a javascript: or data: link even if a bad one got through.
    return url.lower().startswith(("https://", "http://"))


def status_words(words: Words, status: str) -> str:
    return words(f"status_{status}") if f"status_{status}" in _STATUS_KEYS else words("status_unknown")


_STATUS_KEYS = {f"status_{name}" for name in ("pending", "processing", "partially_paid", *TERMINAL)}


def summary(view: CheckoutView, words: Words) -> str:
    """The order: what it costs (as the customer's language writes it), the merchant's reference and text."""
    rows = [f'<dt>{e(words("amount"))}</dt>\n<dd id="amount">{e(words.money(view.amount, view.currency))}</dd>\n']
    if view.reference:
        rows.append(f'<dt>{e(words("reference"))}</dt>\n<dd id="reference">{e(view.reference)}</dd>\n')
    if view.description:
        rows.append(f'<dt>{e(words("description"))}</dt>\n<dd id="description">{e(view.description)}</dd>\n')
    return (
        '<section class="order" aria-labelledby="order-title">\n'
        f'<h2 id="order-title">{e(words("summary"))}</h2>\n<dl class="summary">\n{"".join(rows)}</dl>\n</section>\n'
    )


def status(view: CheckoutView, words: Words) -> str:
    return f'<p id="status" role="status" data-status="{e(view.status)}">{e(status_words(words, view.status))}</p>\n'


def following(view: CheckoutView, words: Words) -> str:
    """How the customer keeps up with the status: the script does it by itself (and says so); without it,
    "Check status" asks the page again (a GET of the same link, in the same language)."""
    if not view.link:
        return ""
    hidden = [("lang", view.lang)] + ([("returned", "1")] if view.returned else [])
    fields = "".join(f'<input type="hidden" name="{e(name)}" value="{e(value)}">\n' for name, value in hidden)
    return (
        f'<p class="note with-script" hidden>{e(words("updates"))}</p>\n'
        f'<form method="get" action="{e(view.link)}" class="check">\n{fields}'
        f'<button type="submit" id="check-status">{e(words("check_status"))}</button>\n</form>\n'
    )


def header(view: CheckoutView, words: Words) -> str:
    """Whom the customer pays: the name, after the logo (whose alt text it is)."""
    shop = view.shop
    if shop is None or not shop.name:
        return ""
    logo = f'<img class="logo" src="{e(shop.logo_url)}" alt="{e(shop.name)}">\n' if shop.logo_origin else ""
    payee = f'<p id="payee">{e(words("pay_to", name=shop.name))}</p>\n'
    return f'<header>\n<div class="shop">\n{logo}{payee}</div>\n</header>\n'


def footer(view: CheckoutView, words: Words) -> str:
    """Where to ask for help and the way back to the shop (each only when given, and a web or mail link), and
    the language switch."""
    shop, links = view.shop, []
    support = shop.support_url if shop else None
    if support and (is_web_url(support) or support.lower().startswith("mailto:")):
        links.append(f'<li><a id="support" href="{e(support)}">{e(words("support"))}</a></li>\n')
    if shop and shop.website_url and is_web_url(shop.website_url):
        back = words("back_to", name=shop.name) if shop.name else words("back_to_the_shop")
        links.append(f'<li><a id="back-to-shop" href="{e(shop.website_url)}">{e(back)}</a></li>\n')
    shop_links = f'<ul class="shop-links">\n{"".join(links)}</ul>\n' if links else ""
    return f"<footer>\n{shop_links}{switch(view, words)}</footer>\n"


def switch(view: CheckoutView, words: Words) -> str:
    """One link per language, each in its own name; the page's own is marked as the current one."""
    if not view.link:
        return ""
    items = []
    for lang, name in LANGUAGES.items():
        query = urlencode({"lang": lang, **({"returned": "1"} if view.returned else {})})
        current = ' aria-current="true"' if lang == view.lang else ""
        link = f"{view.link}?{query}"
        items.append(f'<li><a href="{e(link)}" lang="{lang}" hreflang="{lang}"{current}>{e(name)}</a></li>\n')
    return f'<nav class="languages" aria-label="{e(words("language"))}">\n<ul>\n{"".join(items)}</ul>\n</nav>\n'
