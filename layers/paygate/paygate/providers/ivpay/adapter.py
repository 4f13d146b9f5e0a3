"""IVPAY (ivpay.io, formerly ivendPay): hosted crypto checkout for a fiat amount.

Every call sends `X-API-KEY: <api_key>`; there is no request signing. Answers use one envelope:
`{"success": true, "data": {...}}`, or `{"success": false, "error": "<message>"}` with HTTP 400, and
401 `Wrong auth parameters` for a bad key. Both refusals become ProviderRejected keeping IVPAY's
message (never the key).

Create: `POST /payment/create` with `amount_fiat` (the merchant's amount string, unchanged),
`currency_fiat`, our payment id as `foreign_id`, and the redirect URLs. IVPAY takes no lifetime and
documents none before `TIMEOUT` (unconfirmed: docs/providers/ivpay.md), so the gateway keeps its own: credential
option `lifetime_minutes` (default 60), capped at 24 h; past it the sweeper expires the payment.

Status: `GET /payment/{payment_id}`. CREATED and PENDING are pending, PAID succeeded, TIMEOUT expired;
CANCELED (legacy v3) and any status we do not know are a terminal failure (docs/providers/ivpay.md).

Webhooks: one URL per API key (set in IVPAY's dashboard, none per payment), a flat JSON body
(`payment_id`, `status`, `processed_at`, `foreign_id`, `network`, `tx_url`) and no signature: the
sender proves itself only by sending our own key in `X-API-KEY`. It is compared in constant time (an
empty configured key refuses everything) and the webhook is then only a hint: the gateway asks `fetch`
and applies what IVPAY's status API answers. IVPAY retries anything but HTTP 200 (3 attempts, 5 s apart);
the gateway answers 200 for every accepted webhook, duplicates included.

IVPAY takes no provider options. Payment methods: one `crypto` method; IVPAY's list of fiat currencies is
not documented (unconfirmed), so it is offered for every currency."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from paygate import wire
from paygate.errors import (
    AuthenticationFailed,
    InvalidRequest,
    ProviderError,
    ProviderInvalidResponse,
    ProviderRejected,
)
from paygate.models import Payment, PaymentMethod, ProviderFacts, Status
from paygate.providers.base import Callback, CallbackRequest, CreateContext, CreatedPayment, Provider, ProviderState
from paygate.providers.request import CreatePaymentRequest

if TYPE_CHECKING:
    import requests

API_KEY_HEADER = "x-api-key"  # CallbackRequest headers are lower-cased
STATUS_MAP = {
    "CREATED": Status.PENDING,
    "PENDING": Status.PENDING,
    "PAID": Status.SUCCEEDED,
    "TIMEOUT": Status.EXPIRED,
    "CANCELED": Status.FAILED,
}
MAX_ERROR_LENGTH = 200


def state_of(native: str) -> ProviderState:
    # Unknown statuses fail rather than stay unknown: IVPAY documents no other non-final status.
    # IVPAY's callbacks and status answers carry no amount: its word stands.
    return ProviderState(status=STATUS_MAP.get(native, Status.FAILED), provider_status=native, reports_money=False)


class IvpayProvider(Provider):
    name = "ivpay"
    default_lifetime = timedelta(minutes=60)
    max_lifetime = timedelta(hours=24)

    def lifetime(self, request: CreatePaymentRequest) -> timedelta:
        if request.lifetime is not None:
            return super().lifetime(request)
        configured = self.credentials.get("lifetime_minutes")
        if configured is None:
            return self.default_lifetime
        if not str(configured).isascii() or not str(configured).isdigit() or int(configured) == 0:
            raise ProviderError("ivpay: lifetime_minutes must be a positive whole number")
        return min(timedelta(minutes=int(configured)), self.max_lifetime)

    def payment_methods(self, currency: str, amount: Decimal | None) -> list[PaymentMethod]:
        return [PaymentMethod(provider=self.name, method="crypto", kind="crypto", name="Cryptocurrency")]

    def create(self, payment: Payment, request: CreatePaymentRequest, context: CreateContext) -> CreatedPayment:
        body = {"amount_fiat": payment.amount, "currency_fiat": payment.currency, "foreign_id": payment.id}
        if context.success_url:
            body["url_success"] = context.success_url
        if context.failure_url:
            body["url_failed"] = context.failure_url
        data = self._data(self.request("POST", "/payment/create", headers=self._headers(), json=body), "create")
        payment_id, payment_url = data.get("payment_id"), data.get("payment_url")
        if not isinstance(payment_id, str) or not payment_id or not isinstance(payment_url, str) or not payment_url:
            raise ProviderInvalidResponse("ivpay: the create answer lacks payment_id or payment_url")
        return CreatedPayment(
            provider_payment_id=payment_id, state=state_of("CREATED"), facts=ProviderFacts(payment_url=payment_url)
        )

    def fetch(self, payment: Payment) -> ProviderState:
        response = self.request("GET", f"/payment/{payment.provider_payment_id}", headers=self._headers())
        data = self._data(response, "status call")
        # The answer must be about this payment: a webhook's claim is only ever confirmed by its own record.
        if (
            str(data.get("payment_id", payment.provider_payment_id)) != payment.provider_payment_id
            or str(data.get("foreign_id") or payment.id) != payment.id
        ):
            raise ProviderInvalidResponse("ivpay: the status answer is about another payment")
        status = data.get("status")
        if not isinstance(status, str):
            raise ProviderInvalidResponse("ivpay: the status answer has no status")
        return state_of(status)

    def verify_callback(self, request: CallbackRequest) -> Callback:
        configured = self.secrets("api_key")
        sent = request.headers.get(API_KEY_HEADER, "")
        # An empty configured key would match an empty header: refuse everything instead.
        if not configured or not any([wire.same(key, sent) for key in configured]):
            raise AuthenticationFailed("The webhook's X-API-KEY is missing or wrong")
        try:
            event = wire.loads(request.body)
            payment_id, foreign_id = event["payment_id"], event.get("foreign_id")
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InvalidRequest("ivpay: the webhook body cannot be read", code="invalid_json") from error
        if not isinstance(payment_id, str) or not payment_id:
            raise InvalidRequest("ivpay: the webhook names no payment_id", code="invalid_json")
        # Unsigned (anyone holding the key could send it): a hint only, confirmed by fetch.
        return Callback(payment_id=str(foreign_id) if foreign_id else None, provider_payment_id=payment_id, state=None)

    # --- helpers -----------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.credentials.get("api_key", ""), "Content-Type": "application/json"}

    def _data(self, response: requests.Response, what: str) -> dict:
        """The `data` of a successful envelope; IVPAY's own message for a refusal."""
        body = self.json(response)
        if response.status_code != 200 or body.get("success") is not True:
            raise ProviderRejected(f"ivpay: {self._message(body, response.status_code, what)}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderInvalidResponse(f"ivpay: the {what} answer has no data")
        return data

    def _message(self, body: dict, status_code: int, what: str) -> str:
        error = body.get("error")
        message = str(error)[:MAX_ERROR_LENGTH] if error else f"{what} refused with HTTP {status_code}"
        key = self.credentials.get("api_key")
        # IVPAY's text is kept, but never the key should a message ever echo it.
        return message.replace(key, "[redacted]") if key else message
