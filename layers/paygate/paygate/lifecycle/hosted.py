"""The hosted checkout: what the page at a payment's `checkout_url` shows, and what a customer's choice does.

- A payment waiting for the customer (created with `methods`) lists the ways to pay: every enabled
  provider's methods of those kinds that take the payment, less the providers that already failed it.
  Choosing one creates the payment there (paygate.lifecycle.choose) and sends the customer on to the provider's
  page, or, for crypto paid to an address, shows the address here. If the provider fails, the list comes
  back with the others and says so.
- A payment with a provider shows that provider's instructions: a redirect to its page, or the address.
  Back from the provider's page (`?returned=1`) and not yet ended, the page waits and reloads itself.
- An ended payment shows how it ended and sends the customer on to the merchant's success or failure URL.

Every page of a payment shows its merchant's profile (name, logo, support, the way back to the shop), read
from its account; a payment whose account has none, or whose profile cannot be read, is shown without it.
A link that is malformed, forged or past its end is a plain 404 page that tells nothing about any payment
or merchant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from aws_lambda_powertools import Logger

from paygate.accounts.models import Merchant
from paygate.accounts.store import AccountStore
from paygate.checkout import pages
from paygate.checkout.links import CheckoutLinks
from paygate.checkout.shop import Shop, headers
from paygate.errors import PaygateError, PaymentNotWaiting
from paygate.lifecycle.choose import ChooseMethod, is_waiting, waiting_request
from paygate.lifecycle.methods import PaymentMethods
from paygate.models import Clock, PaymentMethod, PaymentRecord, Status
from paygate.providers.catalog import SPECS
from paygate.providers.registry import Registry
from paygate.providers.request import CreatePaymentRequest
from paygate.store.payments import PaymentStore

logger = Logger(service="paygate", child=True)

# How often a page that waits for the payment reloads itself.
CRYPTO_REFRESH_SECONDS = 10
WAITING_REFRESH_SECONDS = 5


@dataclass(frozen=True)
class Answer:
    """An HTTP answer of the checkout page: a page (status and HTML) or a redirect (303 to `location`), with
    its headers (a merchant's page lets in its own accent and logo)."""

    status: int
    html: str = ""
    location: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: dict(pages.HEADERS))


@dataclass
class HostedCheckout:
    payments: PaymentStore
    providers: Registry
    links: CheckoutLinks
    clock: Clock
    methods: PaymentMethods
    choose_method: ChooseMethod
    accounts: AccountStore

    def show(self, token: str, *, returned: bool = False) -> Answer:
        record = self._opened(token)
        if record is None:
            return Answer(404, pages.not_found())
        return self._page(record, returned=returned)

    def choose(self, token: str, form: Mapping[str, str], *, base_url: str) -> Answer:
        record = self._opened(token)
        if record is None:
            return Answer(404, pages.not_found())
        request = waiting_request(record)
        if not is_waiting(record) or request is None:
            return Answer(303, location=record.checkout_url)  # already chosen (another tab, a double click)
        choices = self._choices(record, request)
        chosen = choices.get(form.get("method", ""))
        if chosen is None:
            return self._page(record, error="Choose one of the ways to pay below.", status=400)
        coin = form.get("pay_currency") or None
        if chosen.pay_currencies and not request.pay_currency and coin not in chosen.pay_currencies:
            return self._page(record, error="Choose the coin to pay with.", status=400)
        request = self.providers.get(chosen.provider).with_method(request, chosen.method)
        if coin and chosen.pay_currencies and not request.pay_currency:
            request = request.model_copy(update={"pay_currency": coin})
        try:
            bound = self.choose_method(record, chosen.provider, request, base_url)
        except PaymentNotWaiting:
            return Answer(303, location=record.checkout_url)
        except PaygateError as error:
            logger.warning("hosted checkout: the chosen provider failed", provider=chosen.provider, code=error.code)
            title = SPECS[chosen.provider].title
            again = self.payments.owned(record.id, account_id=None)
            return self._page(again, error=f"{title} could not take the payment. Choose another way to pay.")
        if bound.payment_url and not bound.pay_address:
            return Answer(303, location=bound.payment_url)
        return Answer(303, location=bound.checkout_url)

    # --- what the page shows ----------------------------------------------------------------------

    def _opened(self, token: str) -> PaymentRecord | None:
        payment_id = self.links.payment_id(token, self.clock())
        return self.payments.get(payment_id) if payment_id else None

    def _page(
        self, record: PaymentRecord, *, returned: bool = False, error: str | None = None, status: int = 200
    ) -> Answer:
        view = pages.CheckoutView(
            stage="choose",
            amount=record.amount,
            currency=record.currency,
            status=record.status.value,
            reference=record.reference,
            description=record.description,
            form_action=record.checkout_url or "",
        )
        if record.status.is_terminal:
            next_url = record.success_url if record.status is Status.SUCCEEDED else record.failure_url
            return self._render(record, replace(view, stage="final", next_url=next_url))
        request = waiting_request(record)
        if record.provider is None and request is not None:
            methods = tuple(
                pages.MethodChoice(
                    value=value,
                    label=method.name,
                    provider_label=SPECS[method.provider].title,
                    kind=method.kind,
                    coins=tuple(method.pay_currencies or ()) if not request.pay_currency else (),
                )
                for value, method in self._choices(record, request).items()
            )
            return self._render(record, replace(view, methods=methods, error=error), status)
        if record.pay_address:
            crypto = pages.CryptoDetails(
                address=record.pay_address,
                amount=record.pay_amount or "",
                coin=record.pay_currency or "",
                memo=record.pay_extra_id,
            )
            return self._render(
                record, replace(view, stage="crypto", crypto=crypto, refresh_seconds=CRYPTO_REFRESH_SECONDS)
            )
        if record.payment_url and not returned:
            return Answer(303, location=record.payment_url)
        return self._render(record, replace(view, stage="waiting", refresh_seconds=WAITING_REFRESH_SECONDS))

    def _render(self, record: PaymentRecord, view: pages.CheckoutView, status: int = 200) -> Answer:
        shop = self._shop(record)
        return Answer(status, pages.render(replace(view, shop=shop)), headers=headers(shop))

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

    def _choices(self, record: PaymentRecord, waiting: CreatePaymentRequest) -> dict[str, PaymentMethod]:
        """The ways this waiting payment may be paid, keyed by the value the page posts back."""
        kinds = set(record.methods or [])
        failed = {attempt.provider for attempt in record.attempts if attempt.outcome in ("failed", "skipped")}
        found: dict[str, PaymentMethod] = {}
        for method in self.methods(record.currency, Decimal(record.amount), livemode=record.livemode):
            if method.kind not in kinds or method.provider in failed:
                continue
            provider = self.providers.get(method.provider)
            request = provider.with_method(waiting, method.method)
            if method.pay_currencies and not request.pay_currency:
                request = request.model_copy(update={"pay_currency": method.pay_currencies[0]})
            try:
                provider.accepts(request)
            except PaygateError:
                continue  # it would refuse this payment (a required field the merchant did not give, say)
            found[f"{method.provider}:{method.method}"] = method
        return found
