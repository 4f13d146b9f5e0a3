"""Paygentic (docs/providers/paygentic.md): hosted payments at `/v0/payments`, webhooks signed the Svix way.

Create sends our payment id as `reference` (how callbacks find the payment) and as `idempotencyKey`
(a body field), so a create retried after a timeout or a 5xx gets the same Paygentic payment back
(HTTP 200) instead of a second one.

Provider options (`provider_options.paygentic`): `customer_id` goes out as `customerId` (a Paygentic
customer of this merchant), `save_payment_method` as `savePaymentMethod` (a JSON boolean), only when given.

Payment methods: one `card` method, for the currencies and amounts create takes (USD, EUR, GBP, AUD;
1.00 to 5000.00 with at most two decimals). Nothing is asked of Paygentic for it.

Webhooks: HMAC-SHA256 with key b64decode(secret minus "whsec_") over `svix-id.svix-timestamp.raw body`,
base64, in `svix-signature` as space-separated `v1,<b64>` entries; refused more than 300 s from now.
Paygentic's payment event names are unconfirmed, so they are a credential option (`event_types`):
- a configured event whose `data.status` is present is applied as it stands;
- any other verified event that names a payment (a configured one without a status, an event type we
  do not know) is only a hint: Callback.state is None and the gateway confirms with GET /v0/payments/{id}.
  Nothing unconfirmed is ever applied, and a renamed event still moves the payment;
- a verified event that names no payment (a customer, a subscription) is acknowledged with 200 and
  changes nothing, or Svix would retry it for a day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from paygate import wire
from paygate.errors import (
    InvalidRequest,
    ProviderError,
    ProviderInvalidResponse,
    ProviderRejected,
    ValidationFailed,
)
from paygate.fields import decimals
from paygate.models import Money, Payment, PaymentMethod, ProviderFacts, Status
from paygate.providers.base import Callback, CallbackRequest, CreateContext, CreatedPayment, Provider, ProviderState
from paygate.providers.paygentic.options import PaygenticOptions
from paygate.providers.paygentic.signing import verify_signature
from paygate.providers.request import CreatePaymentRequest
from paygate.timing import iso_duration

CURRENCIES = frozenset({"USD", "EUR", "GBP", "AUD"})
MIN_AMOUNT, MAX_AMOUNT = Decimal("1.00"), Decimal("5000.00")
# One retry: with a 10 s provider timeout two attempts still fit in API Gateway's 29 s.
CREATE_ATTEMPTS = 2
DEFAULT_EVENT_TYPES = (
    "payment.completed.v0,payment.failed.v0,payment.expired.v0,payment.cancelled.v0,payment.processing.v0"
)
STATUS_MAP = {
    "pending": Status.PENDING,
    "processing": Status.PROCESSING,
    "completed": Status.SUCCEEDED,
    "expired": Status.EXPIRED,
    "cancelled": Status.CANCELLED,
    "failed": Status.FAILED,  # listed for /v0/paymentSessions; harmless if payments never use it
}


def _takes_amount(amount: str) -> bool:
    """An amount Paygentic takes: 1.00 to 5000.00, at most two decimals."""
    return decimals(amount) <= 2 and MIN_AMOUNT <= Decimal(amount) <= MAX_AMOUNT


class PaygenticProvider(Provider):
    name = "paygentic"
    default_lifetime = timedelta(days=30)
    max_lifetime = timedelta(days=31)

    def check(self, request: CreatePaymentRequest) -> None:
        if request.currency not in CURRENCIES:
            raise ValidationFailed(
                f"paygentic takes {', '.join(sorted(CURRENCIES))} only", code="unsupported_currency", param="currency"
            )
        if not _takes_amount(request.amount):
            raise ValidationFailed(
                "paygentic takes amounts from 1.00 to 5000.00 with at most two decimals",
                code="amount_out_of_range",
                param="amount",
            )

    def payment_methods(self, currency: str, amount: Decimal | None) -> list[PaymentMethod]:
        if currency not in CURRENCIES or (amount is not None and not _takes_amount(str(amount))):
            return []
        return [
            PaymentMethod(provider=self.name, method="card", kind="card", name="Card", currencies=sorted(CURRENCIES))
        ]

    def create(self, payment: Payment, request: CreatePaymentRequest, context: CreateContext) -> CreatedPayment:
        body: dict = {
            "amount": payment.amount,
            "currency": payment.currency,
            "reference": payment.id,
            "idempotencyKey": payment.id,
            "expiresIn": iso_duration(self.lifetime(request)),
        }
        if merchant_id := self.credentials.get("merchant_id"):
            body["merchantId"] = merchant_id
        if request.items:
            body["lineItems"] = [
                {"description": item.name, "amount": item.amount, "quantity": item.quantity} for item in request.items
            ]
        if context.success_url:
            body["successRedirectUrl"] = context.success_url
        if context.failure_url:
            body["failureRedirectUrl"] = context.failure_url
        if payment.metadata:
            body["metadata"] = dict(payment.metadata)
        options = request.options_for(self.name)
        if isinstance(options, PaygenticOptions):
            if options.customer_id is not None:
                body["customerId"] = options.customer_id
            if options.save_payment_method is not None:
                body["savePaymentMethod"] = options.save_payment_method
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                response = self.request("POST", "/v0/payments", headers=self._headers(), json=body)
                break
            except ProviderError:  # ProviderTimeout included; request() raises nothing else
                # Timeouts, unreachable host, 5xx: the outcome is unknown, and the idempotencyKey makes
                # a retry safe (Paygentic answers 200 with the payment it may already have made).
                if attempt == CREATE_ATTEMPTS:
                    raise
        answer = self._answer(response, "create", ok=(200, 201))  # 201 created, 200 idempotent replay
        try:
            return CreatedPayment(
                provider_payment_id=str(answer["id"]),
                state=self._state(str(answer["status"])),
                facts=ProviderFacts(payment_url=url if isinstance(url := answer.get("paymentUrl"), str) else None),
                expires_at=_datetime(answer.get("expiresAt")),
            )
        except KeyError as error:
            raise ProviderInvalidResponse(f"paygentic: create answer lacks {error}") from error

    def fetch(self, payment: Payment) -> ProviderState:
        response = self.request("GET", f"/v0/payments/{payment.provider_payment_id}", headers=self._headers())
        answer = self._answer(response, "status call", ok=(200,))
        if not isinstance(answer.get("status"), str):
            raise ProviderInvalidResponse("paygentic: status answer lacks status")
        return self._state(answer["status"], answer)

    def verify_callback(self, request: CallbackRequest) -> Callback:
        headers = request.headers
        verify_signature(
            self.secrets("webhook_secret"),
            headers.get("svix-id", ""),
            headers.get("svix-timestamp", ""),
            headers.get("svix-signature", ""),
            request.body,
            self.clock().timestamp(),
        )
        try:
            event = wire.loads(request.body, exact=True)
            event_type, data = event["eventType"], event["data"]
            reference, paygentic_id, status = data.get("reference"), data.get("paymentId"), data.get("status")
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InvalidRequest("paygentic: the webhook body cannot be read", code="invalid_json") from error
        if not isinstance(reference, str) and not isinstance(paygentic_id, str):
            # A verified event about something else (a customer, a subscription): acknowledge it, or
            # Svix would retry it for a day.
            return Callback(event_id=headers["svix-id"], ignored=True)
        applied = event_type in self._event_types() and isinstance(status, str)
        return Callback(
            payment_id=reference if isinstance(reference, str) else None,
            provider_payment_id=paygentic_id if isinstance(paygentic_id, str) else None,
            state=self._state(status, data) if applied else None,
            event_id=headers["svix-id"],  # stable across Svix's resends: the dedupe key
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.get('api_key', '')}"}

    def _event_types(self) -> frozenset[str]:
        configured = self.credentials.get("event_types") or DEFAULT_EVENT_TYPES
        return frozenset(name.strip() for name in configured.split(",") if name.strip())

    def _answer(self, response, operation: str, *, ok: tuple[int, ...]) -> dict:
        """The answer's JSON on success; otherwise Paygentic's Error / ValidationError as ours."""
        status = response.status_code
        if status in (401, 403):  # never echo anything about the key
            raise ProviderRejected(f"paygentic refused the API key (HTTP {status})")
        body = self.json(response, exact=True)
        if status in ok:
            return body
        message = str(body.get("message") or f"{operation} refused")
        fields = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if fields:  # ValidationError: name what Paygentic objected to
            message += " (" + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in fields) + ")"
        if body.get("code"):
            message += f" [{body['code']}]"
        raise ProviderRejected(f"paygentic: {message}")

    @staticmethod
    def _state(native: str, payment: dict | None = None) -> ProviderState:
        """Paygentic reports one amount and currency per payment: what a completed payment was paid."""
        paid = Money.of(payment.get("amount"), payment.get("currency")) if payment else None
        return ProviderState(status=STATUS_MAP.get(native), provider_status=native, paid=paid)


def _datetime(value: object) -> datetime | None:
    """Paygentic's `expiresAt`; anything unreadable leaves our own expiry in place."""
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return parsed if parsed and parsed.tzinfo else None
