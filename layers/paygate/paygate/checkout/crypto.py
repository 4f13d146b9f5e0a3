"""The crypto page: what to send where, the payment URI in a QR code (the amount in it where the coin's
network defines one, paygate.checkout.coins), the memo where the coin needs one, copy buttons, the time left
and the network's confirmations."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import segno

from paygate.checkout.coins import coin_name, payment_uri
from paygate.checkout.parts import e, following, status
from paygate.checkout.view import CheckoutView, CryptoDetails
from paygate.checkout.words import Words

_STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=\s*(\"[^\"]*\"|'[^']*')", re.IGNORECASE)


def _copy(target: str, label: str, words: Words) -> str:
    # Hidden until the script shows it: without a script, a copy button could do nothing.
    return (
        f'<button type="button" class="copy" data-copy="{target}" data-copied="{e(words("copied"))}" hidden>'
        f"{e(label)}</button>\n"
    )


def _time_left(view: CheckoutView, words: Words, now: datetime) -> str:
    if view.expires_at is None:
        return ""
    left = max(int((view.expires_at - now).total_seconds()), 0)
    until = view.expires_at.astimezone(UTC).strftime("%H:%M")
    return (
        f'<p id="expiry">{e(words("time_left"))} <strong id="time-left" data-expires="'
        f'{int(view.expires_at.timestamp())}">{left // 60}:{left % 60:02d}</strong> '
        f'<span class="note">{e(words("pay_before", time=until))}</span></p>\n'
    )


def _details(crypto: CryptoDetails, words: Words) -> str:
    coin = coin_name(crypto.coin)
    parts = [
        f'<p id="coin-name" class="coin">{e(coin)}</p>\n',
        f'<p>{e(words("send_exactly"))} <strong id="pay-amount" class="mono">{e(crypto.amount)}</strong> '
        f'<strong id="pay-coin">{e(crypto.coin.upper())}</strong> {e(words("to_address"))}</p>\n',
        f'<p id="address" class="mono">{e(crypto.address)}</p>\n',
        '<div class="copies">\n',
        _copy("address", words("copy_address"), words),
        _copy("pay-amount", words("copy_amount"), words),
        "</div>\n",
    ]
    if crypto.memo:
        parts += [
            f'<p>{e(words("memo"))}: <span id="memo" class="mono memo-value">{e(crypto.memo)}</span></p>\n',
            f'<div class="copies">\n{_copy("memo", words("copy_memo"), words)}</div>\n',
            f'<p class="warning">{e(words("memo_warning"))}</p>\n',
        ]
    uri = payment_uri(crypto.coin, crypto.address, crypto.amount)
    caption = words("qr_uri") if uri else words("qr_address_only", coin=coin)
    parts.append(
        f"<figure>\n{qr_svg(uri or crypto.address, words('qr_label'))}\n"
        f'<figcaption id="qr-caption">{e(caption)}</figcaption>\n</figure>\n'
    )
    return "".join(parts)


def crypto_stage(view: CheckoutView, words: Words, now: datetime) -> str:
    parts = [_details(view.crypto, words)] if view.crypto else []
    parts.append(_time_left(view, words, now))
    parts.append(status(view, words))
    if view.status == "processing":
        parts.append(f'<p id="confirming">{e(words("confirming"))}</p>\n')
    if view.crypto and view.crypto.confirmations is not None:
        parts.append(f'<p id="confirmations">{e(words("confirmations", count=view.crypto.confirmations))}</p>\n')
    parts.append(following(view, words))
    return "".join(parts)


def qr_svg(data: str, label: str = "QR code of the payment") -> str:
    """An inline `<svg id="qr">` of the QR code of `data` (a payment URI, or an address alone)."""
    # micro=False: for short data segno would pick a Micro QR code, which most phone cameras cannot read.
    # light="#fff": the code keeps its white background (and quiet zone) whatever the page behind it.
    svg = segno.make(data, error="m", micro=False).svg_inline(
        svgid="qr", svgclass="qr", omitsize=True, dark="#000", light="#fff"
    )
    # The CSP allows no style attributes; segno writes none with these options, and this keeps it so.
    svg = _STYLE_ATTRIBUTE.sub("", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{e(label)}" ', 1)
