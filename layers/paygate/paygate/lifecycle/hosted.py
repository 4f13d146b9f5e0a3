"""The hosted checkout: what the page at a payment's `checkout_url` shows, and what a customer's choice does.

- A payment waiting for the customer (created with `methods`) lists the ways to pay: one choice per way a
  customer can tell apart (card, each coin), at the first provider in routing order that offers it and takes
  the payment, less the providers that already failed it.
  Choosing one creates the payment there (paygate.lifecycle.choose) and sends the customer on to the provider's
  page, or, for crypto paid to an address, shows the address here. If the provider fails, the list comes
  back with the others and says so.
- A payment with a provider shows that provider's instructions: a redirect to its page, or the address.
  Back from the provider's page (`?returned=1`) and not yet ended, the page waits; its script follows the
  status through the link's status endpoint (`status`), and "Check status" does without a script.
- An ended payment shows how it ended and sends the customer on to the merchant's success or failure URL.

Every page is in the customer's language (`lang`: the page's switch, else the browser's Accept-Language),
and every page of a payment shows its merchant's profile (name, logo, support, the way back to the shop), read
from its account; a payment whose account has none, or whose profile cannot be read, is shown without it.
A link that is malformed, forged or past its end is a plain 404 page that tells nothing about any payment
or merchant."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from aws_lambda_powertools import Logger

from paygate.accounts.models import Merchant
from paygate.accounts.store import AccountStore
from paygate.checkout import pages
from paygate.checkout.coins import coin_name
from paygate.checkout.links import CheckoutLinks
from paygate.checkout.shop import Shop, headers
from paygate.checkout.words import DEFAULT, Words
from paygate.errors import PaygateError, PaymentNotWaiting
from paygate.lifecycle.choose import ChooseMethod, is_waiting, waiting_request
from paygate.lifecycle.methods import PaymentMethods
from paygate.models import Clock, PaymentMethod, PaymentRecord, Status
from paygate.providers.catalog import SPECS
from paygate.providers.registry import Registry
from paygate.providers.request import CreatePaymentRequest
from paygate.store.payments import PaymentStore

logger = Logger(service="paygate", child=True)

# The status endpoint's answer: JSON, never cached or sniffed, telling no referrer.
STATUS_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class Answer:
    """An HTTP answer of the checkout page: a page (status and HTML) or a redirect (303 to `location`), with
    its headers (a merchant's page lets in its own accent and logo)."""

    status: int
    html: str = ""
    location: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: dict(pages.HEADERS))


# The status endpoint's answer for a link that opens nothing (unknown, expired, or no token at all).
NO_STATUS = Answer(404, '{"status": null}', headers=STATUS_HEADERS)


@dataclass
class HostedCheckout:
    payments: PaymentStore
    providers: Registry
    links: CheckoutLinks
    clock: Clock
    methods: PaymentMethods
    choose_method: ChooseMethod
    accounts: AccountStore

    def show(self, token: str, *, returned: bool = False, lang: str = DEFAULT) -> Answer:
        record = self._opened(token)
        if record is None:
            return Answer(404, pages.not_found(lang))
        return self._page(record, lang, returned=returned)

    def status(self, token: str) -> Answer:
        """The link's status endpoint, which the page's script asks: the status alone, and whether it is the
        last one (a 404 like the page's for a link that opens nothing)."""
        record = self._opened(token)
        if record is None:
            return NO_STATUS
        shown = {"status": record.status.value, "final": record.status.is_terminal}
        return Answer(200, json.dumps(shown), headers=STATUS_HEADERS)

    def choose(self, token: str, form: Mapping[str, str], *, base_url: str, lang: str = DEFAULT) -> Answer:
        record = self._opened(token)
        if record is None:
            return Answer(404, pages.not_found(lang))
        request = waiting_request(record)
        if not is_waiting(record) or request is None:
            return Answer(303, location=_in(record.checkout_url, lang))  # already chosen (another tab, say)
        chosen = self._choices(record, request).get(form.get("method", ""))
        if chosen is None:
            return self._page(record, lang, error=Words(lang)("error_choose"), status=400)
        method, coin = chosen
        request = self.providers.get(method.provider).with_method(request, method.method)
        if coin and not request.pay_currency:
            request = request.model_copy(update={"pay_currency": coin})
        try:
            bound = self.choose_method(record, method.provider, request, base_url)
        except PaymentNotWaiting:
            return Answer(303, location=_in(record.checkout_url, lang))
        except PaygateError as error:
            logger.warning("hosted checkout: the chosen provider failed", provider=method.provider, code=error.code)
            again = self.payments.owned(record.id, account_id=None)
            failed = Words(lang)("error_provider", provider=SPECS[method.provider].title)
            return self._page(again, lang, error=failed)
        if bound.payment_url and not bound.pay_address:
            return Answer(303, location=bound.payment_url)
        return Answer(303, location=_in(bound.checkout_url, lang))

    # --- what the page shows ----------------------------------------------------------------------

    def _opened(self, token: str) -> PaymentRecord | None:
        payment_id = self.links.payment_id(token, self.clock())
        return self.payments.get(payment_id) if payment_id else None

    def _page(
        self, record: PaymentRecord, lang: str, *, returned: bool = False, error: str | None = None, status: int = 200
    ) -> Answer:
        view = pages.CheckoutView(
            stage="choose",
            amount=record.amount,
            currency=record.currency,
            status=record.status.value,
            reference=record.reference,
            description=record.description,
            link=record.checkout_url or "",
            lang=lang,
        )
        if record.status.is_terminal:
            next_url = record.success_url if record.status is Status.SUCCEEDED else record.failure_url
            return self._render(record, replace(view, stage="final", next_url=next_url))
        request = waiting_request(record)
        if record.provider is None and request is not None:
            words = Words(lang)
            methods = tuple(
                pages.MethodChoice(
                    value=value,
                    label=_label(method, coin, words),
                    provider_label=SPECS[method.provider].title,
                    kind=method.kind,
                )
                for value, (method, coin) in self._choices(record, request).items()
            )
            return self._render(record, replace(view, methods=methods, error=error), status)
        if record.pay_address:
            crypto = pages.CryptoDetails(
                address=record.pay_address,
                amount=record.pay_amount or "",
                coin=record.pay_currency or "",
                memo=record.pay_extra_id,
            )
            return self._render(record, replace(view, stage="crypto", crypto=crypto, expires_at=record.expires_at))
        if record.payment_url and not returned:
            return Answer(303, location=record.payment_url)
        return self._render(record, replace(view, stage="waiting", returned=returned))

    def _render(self, record: PaymentRecord, view: pages.CheckoutView, status: int = 200) -> Answer:
        shop = self._shop(record)
        return Answer(status, pages.render(replace(view, shop=shop), self.clock()), headers=headers(shop))

    def _shop(self, record: PaymentRecord) -> Shop | None:
        """The payment's merchant as its profile shows it, or None: no account, or it cannot be read now. The
        page is the customer's way to pay, so a profile that cannot be read leaves it out, never the page."""
        if not record.account_id:
            return None
        account_id = Merchant.of_scope(record.account_id).account_id
        try:
            account = self.accounts.account(account_id)
        except Exception:
            logger.exception("hosted checkout: the merchant's profile could not be read", account_id=account_id)
            return None
        return Shop.of(account) if account else None

    def _choices(
        self, record: PaymentRecord, waiting: CreatePaymentRequest
    ) -> dict[str, tuple[PaymentMethod, str | None]]:
        """The ways this waiting payment may be paid, in routing order, keyed by the value the page posts back:
        one per way a customer can tell apart (card, each coin, ...), at the first provider that offers it."""
        kinds = set(record.methods or [])
        failed = {attempt.provider for attempt in record.attempts if attempt.outcome in ("failed", "skipped")}
        found: dict[str, tuple[PaymentMethod, str | None]] = {}
        ways: set[tuple[str, str]] = set()
        for method in self.methods(record.currency, Decimal(record.amount), livemode=record.livemode):
            if method.kind not in kinds or method.provider in failed:
                continue
            provider = self.providers.get(method.provider)
            request = provider.with_method(waiting, method.method)
            coins: list[str | None] = [request.pay_currency] if request.pay_currency else []
            for coin in coins or method.pay_currencies or [None]:
                named = method.kind not in ("card", "test", "crypto")  # a bank, a wallet: each its own way
                way = ("coin", coin) if coin else (method.kind, method.name if named else "")
                if way in ways:
                    continue
                try:
                    provider.accepts(request.model_copy(update={"pay_currency": coin}) if coin else request)
                except PaygateError:
                    continue  # it would refuse this payment (a required field the merchant did not give, say)
                ways.add(way)
                value = f"{method.provider}:{method.method}" + (f":{coin}" if coin else "")
                found[value] = (method, coin)
        return found


def _label(method: PaymentMethod, coin: str | None, words: Words) -> str:
    """The choice in the customer's words: the coin's name, or the kind's (a provider's own method, say a
    bank, keeps its own name)."""
    if coin:
        return coin_name(coin)
    if method.kind in ("card", "test", "crypto"):
        return words(f"method_{method.kind}")
    return method.name


def _in(link: str | None, lang: str) -> str | None:
    """The page's own link, in the language the customer sees it in."""
    return f"{link}?lang={lang}" if link else link
