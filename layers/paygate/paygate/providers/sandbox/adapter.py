"""The development provider: the same lifecycle as a real one, against the sandbox (the test-mode
function `functions/sandbox`, which the local stack serves too).

Callbacks are signed with HMAC-SHA256 over `timestamp + "." + raw body`, sent in
`Paygate-Signature: t=<unix seconds>,v1=<hex>`, and refused when more than 300 s from now. Its answers and
callbacks carry the payment's `amount` and `currency`, and `amount_paid` once money arrived, so the
gateway's money checks run against it as against a real provider.

It takes no provider options, offers one `test` method for any currency, and refunds through its API:
`POST /v1/refunds` with our refund id as the `reference` (the same reference again answers the same
refund), `GET /v1/refunds?reference=` to find it again, and a signed callback of `type` `refund` when it
succeeds or fails (docs/providers/sandbox.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from paygate import wire
from paygate.errors import (
    AuthenticationFailed,
    InvalidRequest,
    NotFound,
    ProviderError,
    ProviderInvalidResponse,
    ProviderRejected,
)
from paygate.models import Money, Payment, PaymentMethod, ProviderFacts, Status
from paygate.providers.base import (
    Callback,
    CallbackRequest,
    CreateContext,
    CreatedPayment,
    Provider,
    ProviderState,
    RefundReport,
    RefundState,
)
from paygate.providers.request import CreatePaymentRequest
from paygate.providers.sandbox.signing import SIGNATURE_HEADER, TOLERANCE_SECONDS, sign
from paygate.refunds import Refund, RefundStatus
from paygate.settlement import Settlement

STATUS_MAP = {status.value: status for status in Status}
REFUND_STATUS_MAP = {
    "pending": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
}


class SandboxProvider(Provider):
    name = "sandbox"
    default_lifetime = timedelta(hours=1)
    max_lifetime = timedelta(days=7)

    def payment_methods(self, currency: str, amount: Decimal | None) -> list[PaymentMethod]:
        return [PaymentMethod(provider=self.name, method="test", kind="test", name="Sandbox test payment")]

    def create(self, payment: Payment, request: CreatePaymentRequest, context: CreateContext) -> CreatedPayment:
        api_base = self._api_base(context)
        response = self.request(
            "POST",
            "/v1/payments",
            base=api_base,
            headers={"Authorization": f"Bearer {self.credentials.get('api_key', '')}"},
            json={
                "amount": payment.amount,
                "currency": payment.currency,
                "reference": payment.id,
                "callback_url": context.callback_url,
                "return_url": context.success_url,  # where its page sends the customer after Pay or Fail
                "expires_at": payment.expires_at.isoformat() if payment.expires_at else None,
                "description": payment.reference,  # the order its page shows the customer
            },
        )
        body = self.json(response)
        if response.status_code != 201:
            raise ProviderRejected(f"sandbox: {body.get('message', 'create refused')}")
        try:
            return CreatedPayment(
                provider_payment_id=str(body["id"]),
                state=self._state(body),
                facts=ProviderFacts(payment_url=str(body["checkout_url"])),
                data={"api_base": api_base},
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderInvalidResponse(f"sandbox: create answer lacks {error}") from error

    def fetch(self, payment: Payment) -> ProviderState:
        response = self.request(
            "GET",
            f"/v1/payments/{payment.provider_payment_id}",
            base=_stored_base(payment) or self._api_base(None),
            headers={"Authorization": f"Bearer {self.credentials.get('api_key', '')}"},
        )
        body = self.json(response)
        if response.status_code != 200:
            raise ProviderInvalidResponse(f"sandbox: status call answered HTTP {response.status_code}")
        try:
            return self._state(body)
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderInvalidResponse("sandbox: the status answer cannot be read") from error

    def refund(self, payment: Payment, refund: Refund) -> RefundState:
        response = self.request(
            "POST",
            "/v1/refunds",
            base=_stored_base(payment) or self._api_base(None),
            headers=self._auth(),
            json={"payment": payment.provider_payment_id, "amount": refund.amount, "reference": refund.id},
        )
        body = self.json(response)
        if response.status_code not in (200, 201):
            raise ProviderRejected(f"sandbox: {body.get('message', 'refund refused')}")
        return self._refund_state(body)

    def fetch_refund(self, payment: Payment, refund: Refund) -> RefundState:
        response = self.request(
            "GET",
            "/v1/refunds",
            base=_stored_base(payment) or self._api_base(None),
            headers=self._auth(),
            params={"reference": refund.id},
        )
        body = self.json(response)
        if response.status_code == 404:
            raise NotFound(f"sandbox: no refund {refund.id}", code="refund_not_found")
        if response.status_code != 200:
            raise ProviderInvalidResponse(f"sandbox: refund status call answered HTTP {response.status_code}")
        return self._refund_state(body)

    def verify_callback(self, request: CallbackRequest) -> Callback:
        self._verify_signature(request.headers.get(SIGNATURE_HEADER, ""), request.body)
        try:
            event = wire.loads(request.body)
            if event.get("type") == "refund":
                state = self._refund_state(event)
                return Callback(
                    payment_id=_text(event.get("payment_reference")),
                    provider_payment_id=_text(event.get("payment")),
                    event_id=_text(event.get("event_id")),
                    refund=RefundReport(state, _text(event.get("reference")), state.provider_refund_id),
                )
            return Callback(
                payment_id=_text(event.get("reference")),
                provider_payment_id=str(event["id"]),
                state=self._state(event),
                event_id=_text(event.get("event_id")),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InvalidRequest("sandbox: the callback body cannot be read", code="invalid_json") from error

    def _verify_signature(self, header: str, body: bytes) -> None:
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        timestamp, signature = wire.unix_seconds(parts.get("t", "")), parts.get("v1", "")
        if timestamp is None or not signature:
            raise AuthenticationFailed("Missing or malformed Paygate-Signature header")
        if abs(self.clock().timestamp() - timestamp) > TOLERANCE_SECONDS:
            raise AuthenticationFailed("The callback's timestamp is too old or in the future")
        secrets = self.secrets("webhook_secret")
        if not secrets:
            raise AuthenticationFailed("No webhook secret is configured for sandbox")
        given = f"t={timestamp},v1={signature}"
        if not any([wire.same(sign(secret, timestamp, body), given) for secret in secrets]):
            raise AuthenticationFailed("The callback's signature does not match")

    def _api_base(self, context: CreateContext | None) -> str:
        """The sandbox's API. A base URL that is a path (the default, `/_sim/sandbox`) is on this gateway's
        own API, the deployed sandbox function of test mode: known from the request that creates."""
        if not self.base_url.startswith("/"):
            return self.base_url
        if context is None:
            raise ProviderError("sandbox: the payment does not say where its sandbox is")
        return context.callback_url.removesuffix(f"/ipn/{self.name}") + self.base_url

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.get('api_key', '')}"}

    @staticmethod
    def _refund_state(body: dict[str, Any]) -> RefundState:
        try:
            native = str(body["status"])
            return RefundState(REFUND_STATUS_MAP.get(native), native, provider_refund_id=str(body["id"]))
        except (KeyError, TypeError) as error:
            raise ProviderInvalidResponse("sandbox: the refund answer cannot be read") from error

    @staticmethod
    def _state(body: dict[str, Any]) -> ProviderState:
        """The sandbox reports the payment's amount and currency, and, once paid, what was paid and its fee
        and net (in the payment's currency)."""
        native = str(body["status"])
        price = Money.of(body.get("amount"), body.get("currency"))
        paid = Money.of(body.get("amount_paid"), body.get("currency"))
        fee, net = Money.of(body.get("fee"), body.get("currency")), Money.of(body.get("net"), body.get("currency"))
        settlement = Settlement(
            fee=str(fee.amount) if fee else None,
            net=str(net.amount) if net else None,
            settlement_currency=paid.currency if paid and (fee or net) else None,
        )
        return ProviderState(
            status=STATUS_MAP.get(native), provider_status=native, price=price, paid=paid, settlement=settlement
        )


def _stored_base(payment: Payment) -> str | None:
    """Where create found the sandbox (kept with the record, which a status read is given)."""
    data = getattr(payment, "provider_data", None) or {}
    return data.get("api_base")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
