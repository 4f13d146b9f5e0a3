"""The HTML of the hosted checkout page, rendered on the server from a `CheckoutView`.

The customer sees whom they pay (the merchant's name and logo, a support link, the way back to the shop),
the order, and picks one way to pay (card, each coin, ...), the provider behind it only a note; then either
leaves for the provider's page (the caller answers with that redirect) or, for crypto paid to an address,
sees the address, amount, memo and a QR code here (paygate.checkout.crypto). Every text is in the customer's
language (paygate.checkout.words), amounts too. The page works without a script: "Check status" asks again,
the way back to the shop is a button. Its one script (paygate.checkout.script) follows the status without a
reload and goes back to the shop after a countdown the customer sees and can stop. Rendering is pure: no I/O
and no provider calls, so every page is easy to test.

Security: every value that is not a constant of this package goes through `e` (HTML-escaped, quotes
included), attributes and URLs too. The page loads nothing but the merchant's logo (from its origin alone):
one inline `<style>` block (two with a brand colour) and one inline `<script>`, each allowed by its hash,
`default-src 'none'` for everything else, `connect-src 'self'` for the status, no style attributes and no
handlers in the markup, and the page cannot be framed (paygate.checkout.shop writes these headers).
`Referrer-Policy: no-referrer` keeps the link's token out of the provider's (and the logo host's) logs,
and `Cache-Control: no-store` keeps the page out of shared caches. `form-action` is left unset on purpose:
browsers apply it to the redirect that follows the POST, which goes to the provider's page on another host.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from paygate.checkout.crypto import crypto_stage, qr_svg
from paygate.checkout.parts import STATUS_PATH, e, following, footer, header, is_web_url, status, status_words, summary
from paygate.checkout.script import SCRIPT
from paygate.checkout.shop import headers
from paygate.checkout.style import STYLE
from paygate.checkout.view import CheckoutView, CryptoDetails, MethodChoice
from paygate.checkout.words import DEFAULT, Words

__all__ = ["HEADERS", "STYLE", "CheckoutView", "CryptoDetails", "MethodChoice", "not_found", "qr_svg", "render"]

# The headers of a page that shows no merchant (the 404 page, a redirect).
HEADERS: dict[str, str] = headers()

_STAGE_TITLE = {"choose": "title_choose", "crypto": "title_crypto", "waiting": "title_waiting"}


def _document(title: str, body: str, view: CheckoutView | None, words: Words) -> str:
    """The whole page: the merchant's header, `body` in <main>, the footer, and the script (not on a page
    that shows no payment)."""
    accent = view.shop.accent if view and view.shop else None
    accent_style = f"<style>{accent}</style>\n" if accent else ""
    watched = ""
    if view and view.link:
        final = "1" if view.stage == "final" else "0"
        watched = f' data-status-url="{e(view.link + STATUS_PATH)}" data-status="{e(view.status)}" data-final="{final}"'
    script = f"<script>{SCRIPT}</script>\n" if view else ""
    return (
        "<!doctype html>\n"
        f'<html lang="{e(words.lang)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{e(title)}</title>\n"
        f"<style>{STYLE}</style>\n"
        f"{accent_style}"
        "</head>\n"
        "<body>\n"
        f"{header(view, words) if view else ''}"
        f"<main{watched}>\n{body}</main>\n"
        f"{footer(view, words) if view else ''}"
        f"{script}"
        "</body>\n"
        "</html>\n"
    )


def _method(method: MethodChoice, view: CheckoutView, words: Words) -> str:
    action = f"{view.link}?lang={view.lang}" if view.link else ""
    return (
        f'<li data-kind="{e(method.kind)}">\n'
        f'<form method="post" action="{e(action)}">\n'
        f'<button type="submit" name="method" value="{e(method.value)}">'
        f'<span class="method-label">{e(method.label)}</span> '
        f'<span class="method-provider">{e(words("processed_by", provider=method.provider_label))}</span></button>\n'
        "</form>\n"
        "</li>\n"
    )


def _choose(view: CheckoutView, words: Words, now: datetime) -> str:
    parts = [status(view, words)]
    if view.error:
        parts.append(f'<p id="error" role="alert">{e(view.error)}</p>\n')
    if view.methods:
        items = "".join(_method(method, view, words) for method in view.methods)
        parts.append(f'<div id="methods">\n<ul class="methods">\n{items}</ul>\n</div>\n')
    else:
        parts.append(f'<div id="methods">\n<p>{e(words("no_methods"))}</p>\n</div>\n')
    parts.append(following(view, words))
    return "".join(parts)


def _waiting(view: CheckoutView, words: Words, now: datetime) -> str:
    return f"<p>{e(words('waiting_provider'))}</p>\n" + status(view, words) + following(view, words)


def _final(view: CheckoutView, words: Words) -> str:
    if not (view.next_url and is_web_url(view.next_url)):
        return f"<p>{e(words('close'))}</p>\n"
    # The way back is a button; the script alone goes there by itself, after a countdown shown and stoppable.
    seconds = max(view.redirect_seconds, 1)
    return (
        f'<p><a id="continue" class="button" href="{e(view.next_url)}">{e(words("return_to_shop"))}</a></p>\n'
        f'<p id="redirect" data-seconds="{seconds}" data-template="{e(words("redirect_in", seconds="{seconds}"))}"'
        " hidden></p>\n"
        f'<p><button type="button" id="stay" hidden>{e(words("stay"))}</button></p>\n'
    )


_STAGES: dict[str, Callable[[CheckoutView, Words, datetime], str]] = {
    "choose": _choose,
    "crypto": crypto_stage,
    "waiting": _waiting,
}


def _laid_out(heading: str, view: CheckoutView, words: Words, payment: str) -> str:
    """The heading over two columns on a wide screen: the order beside the payment (one above the other on
    a phone)."""
    return f'{heading}<div class="layout">\n{summary(view, words)}<section class="pay">\n{payment}</section>\n</div>\n'


def render(view: CheckoutView, now: datetime | None = None) -> str:
    """The whole HTML document for `view`, in its language."""
    words = Words(view.lang)
    if view.stage == "final":
        tone = "ok" if view.status == "succeeded" else "bad"
        title = status_words(words, view.status)
        # On the last page the outcome is the heading itself.
        heading = f'<h1 id="status" class="{tone}" data-status="{e(view.status)}">{e(title)}</h1>\n'
        return _document(title, _laid_out(heading, view, words, _final(view, words)), view, words)
    title = words(_STAGE_TITLE[view.stage])
    payment = _STAGES[view.stage](view, words, now or datetime.now(UTC))
    return _document(title, _laid_out(f"<h1>{e(title)}</h1>\n", view, words, payment), view, words)


def not_found(lang: str = DEFAULT) -> str:
    """The page for a link that leads to no payment: it says nothing about any payment."""
    words = Words(lang)
    body = f"<h1>{e(words('not_found'))}</h1>\n<p>{e(words('not_found_hint'))}</p>\n"
    return _document(words("not_found_title"), body, None, words)
