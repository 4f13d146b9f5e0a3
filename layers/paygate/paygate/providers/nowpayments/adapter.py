"""NOWPayments: crypto payments to a deposit address (docs/providers/nowpayments.md).

Create is `POST /v1/payment` with `x-api-key`; `pay_currency` is required there, so a request without it is
refused in `check`, before anything is written. The price is sent as a JSON number written from the
merchant's decimal digits (never through a float). Our payment id travels as `order_id`, the per-payment
IPN URL as `ipn_callback_url`. `payment_id` is a string on create and an integer on status and IPN: it is
always kept as a string.

IPNs carry `x-nowpayments-sig`: HMAC-SHA512 hex, keyed with the IPN secret, over the body with its keys
sorted at every level and written the way JavaScript's `JSON.stringify` writes it (numbers by
`Number#toString`: `0.0000985`, `6`, `1e-7`; non-ASCII left raw). Which exact form production signs is
not documented, so a signature is accepted if it matches one of: the recursive sort (the current docs and
the Python sample), the same with arrays turned into objects (what the official Node snippet does to
them), and the older replacer-array form `JSON.stringify(params, Object.keys(params).sort())`, whose key
list also filters nested objects. Every form is an HMAC with the same secret over the same parsed data,
so trying several does not let an unsigned body in.

Provider options (`provider_options.nowpayments`) go out under NOWPayments' own names, only those given:
`is_fixed_rate` and `is_fee_paid_by_user` as JSON booleans, `payout_address`, `payout_currency` and
`payout_extra_id` as strings. Either flag fixes the exchange rate for 20 minutes, after which NOWPayments
expires the payment, so such a payment's lifetime is at most 20 minutes here too.

`payment_methods`: NOWPayments converts any price currency into the crypto the customer picks, so it
offers one `crypto` method for every currency (its minimum amount per currency pair is not checked here).

A re-deposit arrives as its own payment with `parent_payment_id`: it is recorded on the parent, never
fulfils it. NOWPayments has no event id; `payment_id:status:updated_at` names a delivery so exact
repeats are recognised."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from paygate import wire
from paygate.errors import (
    AuthenticationFailed,
    InvalidRequest,
    PaygateError,
    ProviderInvalidResponse,
    ProviderRejected,
    ValidationFailed,
)
from paygate.models import Money, Payment, PaymentMethod, ProviderFacts, Status
from paygate.providers.base import Callback, CallbackRequest, CreateContext, CreatedPayment, Provider, ProviderState
from paygate.providers.nowpayments.options import NowPaymentsOptions
from paygate.providers.nowpayments.signing import SIGNATURE_HEADER, as_signed, parse, sign, signed_forms
from paygate.providers.request import CreatePaymentRequest
from paygate.settlement import Settlement

if TYPE_CHECKING:
    import requests

STATUS_MAP = {
    "waiting": Status.PENDING,
    "confirming": Status.PROCESSING,
    "confirmed": Status.PROCESSING,
    "sending": Status.PROCESSING,
    "partially_paid": Status.PARTIALLY_PAID,  # underpaid and settled: final for NOWPayments, never success
    "finished": Status.SUCCEEDED,
    "failed": Status.FAILED,
    "refunded": Status.FAILED,
    "expired": Status.EXPIRED,
}
PAID_STATUSES = frozenset({"finished", "partially_paid"})
AUTH_ERRORS = {"INVALID_API_KEY", "AUTH_REQUIRED"}
# A fixed rate (is_fixed_rate, or is_fee_paid_by_user, which forces one) holds this long; then the payment expires.
FIXED_RATE_LIFETIME = timedelta(minutes=20)
# The coins the hosted checkout offers (NOWPayments' tickers; it takes many more, which a merchant may name
# as `pay_currency`). XRP needs a memo (`pay_extra_id`), which the page shows.
COINS = ("btc", "eth", "ltc", "usdttrc20", "usdterc20", "trx", "xrp", "doge")
# Our option name -> NOWPayments' field (the same names).
OPTION_FIELDS = ("is_fixed_rate", "is_fee_paid_by_user", "payout_address", "payout_currency", "payout_extra_id")


def _options(request: CreatePaymentRequest) -> NowPaymentsOptions | None:
    """This provider's options from the request, if it has any (another provider's are never read)."""
    options = request.options_for(NowPaymentsProvider.name)
    return options if isinstance(options, NowPaymentsOptions) else None


def _text(value: Any) -> str | None:
    """A provider value kept on the payment: numbers with their exact digits, never in exponent form."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


# --- the adapter --------------------------------------------------------------------------------


class NowPaymentsProvider(Provider):
    name = "nowpayments"
    # 7 days to pay; a fixed-rate payment 20 minutes (see lifetime()).
    default_lifetime = timedelta(days=7)
    max_lifetime = timedelta(days=7)

    def longest_lifetime(self, request: CreatePaymentRequest) -> timedelta:
        options = _options(request)
        return FIXED_RATE_LIFETIME if options and options.fixed_rate else self.max_lifetime

    def payment_methods(self, currency: str, amount: Decimal | None) -> list[PaymentMethod]:
        return [
            PaymentMethod(
                provider=self.name, method="crypto", kind="crypto", name="Cryptocurrency", pay_currencies=list(COINS)
            )
        ]

    def check(self, request: CreatePaymentRequest) -> None:
        if not request.pay_currency:
            raise ValidationFailed(
                "nowpayments needs the crypto to pay in: pay_currency is required (e.g. 'btc')", param="pay_currency"
            )

    def create(self, payment: Payment, request: CreatePaymentRequest, context: CreateContext) -> CreatedPayment:
        fields = {
            # A JSON number with the merchant's digits: "10.50" goes as 10.50, never via a float.
            "price_amount": format(Decimal(payment.amount), "f"),
            "price_currency": json.dumps(payment.currency.lower()),
            "pay_currency": json.dumps((request.pay_currency or "").lower()),
            "order_id": json.dumps(payment.id),
            "ipn_callback_url": json.dumps(context.callback_url),
        }
        if request.description:
            fields["order_description"] = json.dumps(request.description)
        if options := _options(request):
            for name in OPTION_FIELDS:
                value = getattr(options, name)
                if value is not None:
                    fields[name] = json.dumps(value)  # booleans as true/false, strings quoted
        body = "{" + ",".join(f"{json.dumps(key)}:{value}" for key, value in fields.items()) + "}"
        response = self.request("POST", "/v1/payment", headers=self._headers(), data=body.encode())
        answer = self._read(response)
        if response.status_code not in (200, 201):
            raise self._refusal(response.status_code, answer)
        state = self._state(answer)
        if "payment_id" not in answer or answer["payment_id"] in (None, ""):
            raise ProviderInvalidResponse("nowpayments: the create answer has no payment_id")
        return CreatedPayment(provider_payment_id=_text(answer["payment_id"]) or "", state=state, facts=state.facts)

    def fetch(self, payment: Payment) -> ProviderState:
        response = self.request("GET", f"/v1/payment/{payment.provider_payment_id}", headers=self._headers())
        answer = self._read(response)
        if response.status_code != 200:
            raise self._refusal(response.status_code, answer)
        return self._state(answer)

    def verify_callback(self, request: CallbackRequest) -> Callback:
        event = self._verified(request)
        try:
            parent = _text(event.get("parent_payment_id"))
            provider_payment_id = _text(event["payment_id"])
            state = self._state(event)
            return Callback(
                payment_id=_text(event.get("order_id")),
                provider_payment_id=provider_payment_id,
                state=state,
                event_id=f"{provider_payment_id}:{state.provider_status}:{_text(event.get('updated_at')) or ''}",
                parent_payment_id=parent,
            )
        except (KeyError, TypeError, AttributeError, ProviderInvalidResponse) as error:
            raise InvalidRequest("nowpayments: the IPN body cannot be read") from error

    # --- helpers -------------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self.credentials.get("api_key", ""), "Content-Type": "application/json"}

    def _verified(self, request: CallbackRequest) -> dict:
        secrets = self.secrets("ipn_secret")
        if not secrets:
            raise AuthenticationFailed("No IPN secret is configured for nowpayments")
        signature = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
        if not signature:
            raise AuthenticationFailed("Missing x-nowpayments-sig header")
        try:
            event = parse(request.body)
        except ValueError as error:
            # The signature is over the parsed body: what cannot be parsed cannot be authenticated.
            raise AuthenticationFailed("The IPN cannot be authenticated: its body is not JSON") from error
        if not isinstance(event, dict):
            raise AuthenticationFailed("The IPN cannot be authenticated: its body is not a JSON object")
        matches = [wire.same(sign(secret, form), signature) for secret in secrets for form in signed_forms(event)]
        if not any(matches):
            raise AuthenticationFailed("The IPN's signature does not match")
        return as_signed(event)  # amounts as signed: any other spelling of the same number is the same

    def _read(self, response: requests.Response) -> dict:
        """The answer's JSON object, numbers kept exact (pay_amount 0.17070286 stays those digits)."""
        return self.json(response, exact=True)

    def _refusal(self, http_status: int, answer: dict) -> PaygateError:
        code = str(answer.get("code") or "")
        if http_status in (401, 403) or code in AUTH_ERRORS:
            # Their message may quote what we sent; say only what happened, never the key.
            return ProviderRejected(f"nowpayments refused the API key (HTTP {http_status} {code or 'no code'})")
        message = str(answer.get("message") or "no message")
        key = self.credentials.get("api_key")
        if key:
            message = message.replace(key, "***")
        if code == "AMOUNT_MINIMAL_ERROR":
            return ValidationFailed(  # the merchant's amount is the problem: a 422, not a 502
                f"nowpayments: the amount is below the minimum for this currency pair ({message})",
                code="amount_out_of_range",
                param="amount",
            )
        return ProviderRejected(f"nowpayments: HTTP {http_status} {code or 'error'}: {message}")

    @staticmethod
    def _state(answer: dict) -> ProviderState:
        native = answer.get("payment_status")
        if not isinstance(native, str):
            raise ProviderInvalidResponse("nowpayments: the answer has no payment_status")
        facts = ProviderFacts(
            pay_address=_text(answer.get("pay_address")),
            pay_amount=_text(answer.get("pay_amount")),
            pay_currency=_text(answer.get("pay_currency")),
            pay_extra_id=_text(answer.get("payin_extra_id")),
        )
        return ProviderState(
            status=STATUS_MAP.get(native),
            provider_status=native,
            facts=facts,
            # The fiat price it holds for the payment, and the crypto actually received.
            price=Money.of(answer.get("price_amount"), answer.get("price_currency")),
            paid=Money.of(answer.get("actually_paid"), answer.get("pay_currency")),
            # Money settled is told only of a payment that received money (before, outcome_amount is a quote).
            settlement=_settlement(answer) if native in PAID_STATUSES else Settlement(),
        )


# The parts of an IPN's `fee` object; together what NOWPayments kept.
FEE_PARTS = ("depositFee", "withdrawalFee", "serviceFee")


def _settlement(answer: dict) -> Settlement:
    """`outcome_amount` in `outcome_currency` is what the merchant receives: the net. The IPN's `fee`
    object gives the fee in its own `currency`: kept only when that is the outcome currency (a fee in
    another coin is no fee of the net, and converting it would be a guess)."""
    outcome = Money.of(answer.get("outcome_amount"), answer.get("outcome_currency"))
    fee_object = answer.get("fee")
    parts = fee_object if isinstance(fee_object, dict) else {}
    fees = [Money.of(parts.get(name, 0), parts.get("currency")) for name in FEE_PARTS]
    fee = None
    if outcome is not None and all(part is not None and part.currency == outcome.currency for part in fees):
        fee = _text(sum((part.amount for part in fees if part is not None), Decimal(0)))
    return Settlement(
        net=_text(outcome.amount) if outcome else None,
        settlement_currency=outcome.currency if outcome else None,
        fee=fee,
        actually_paid=_text(answer.get("actually_paid")),
    )
