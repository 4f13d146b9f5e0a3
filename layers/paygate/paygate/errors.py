"""Domain errors, and the one error shape every answer uses (the functions', the local API emulator's,
and, written out in template.yaml, API Gateway's own): `{"error": {"type", "code", "message", "param"}}`."""

from __future__ import annotations

import json


class PaygateError(Exception):
    http_status = 500
    type = "api_error"
    code = "internal_error"
    # Seconds after which the same request may be made again (the Retry-After header), where it can be.
    retry_after: int | None = None
    # The payment the failed request recorded (a create that no provider took): the merchant can find it.
    payment_id: str | None = None

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.param = param

    def body(self) -> dict:
        error = {"type": self.type, "code": self.code, "message": self.message, "param": self.param}
        return {"error": {**error, "payment_id": self.payment_id} if self.payment_id else error}

    def json(self) -> str:
        """The error shape as the body of an HTTP answer."""
        return json.dumps(self.body(), separators=(",", ":"))


class InvalidRequest(PaygateError):
    """400: the request could not be read at all (bad JSON, bad encoding, too large)."""

    http_status = 400
    type = "invalid_request"
    code = "invalid_json"


class AuthenticationFailed(PaygateError):
    """401: a missing or wrong API key, or a callback whose authenticity could not be proven."""

    http_status = 401
    type = "authentication_error"
    code = "invalid_signature"


class NotFound(PaygateError):
    http_status = 404
    type = "invalid_request"
    code = "payment_not_found"


class MethodNotAllowed(PaygateError):
    http_status = 405
    type = "invalid_request"
    code = "method_not_allowed"


class PaymentNotCancellable(PaygateError):
    """409: the payment already ended (succeeded, failed or expired)."""

    http_status = 409
    type = "invalid_request"
    code = "payment_not_cancellable"


class RefundNotConfirmable(PaygateError):
    """409: the refund is not a manual one waiting for the merchant (or it ended already)."""

    http_status = 409
    type = "invalid_request"
    code = "refund_not_confirmable"


class PaymentNotWaiting(PaygateError):
    """409: the customer chose how to pay a payment that is no longer waiting for a choice."""

    http_status = 409
    type = "invalid_request"
    code = "payment_not_waiting"


class Busy(PaygateError):
    """409: other writers kept changing the same record while this request tried to; it can simply be
    made again."""

    http_status = 409
    type = "invalid_request"
    code = "conflict"
    retry_after = 1


class TooManyRotations(PaygateError):
    """409: a webhook secret rotated again while as many replaced secrets as may sign still do."""

    http_status = 409
    type = "invalid_request"
    code = "too_many_rotations"


class IdempotencyInProgress(PaygateError):
    http_status = 409
    retry_after = 1
    type = "idempotency_error"
    code = "idempotency_in_progress"


class ValidationFailed(PaygateError):
    """422: the request was read but breaks a rule (a field, a currency, an amount range)."""

    http_status = 422
    type = "invalid_request"
    code = "validation_error"


class PaymentNotRefundable(ValidationFailed):
    """422: the payment holds no money to give back (nothing received, or it failed)."""

    code = "payment_not_refundable"


class AmountExceedsRefundable(ValidationFailed):
    """422: more than what remains refundable on the payment."""

    code = "amount_exceeds_refundable"


class PaymentNotAcceptable(ValidationFailed):
    """422: only a payment that received less than it asked can be accepted as it is."""

    code = "payment_not_acceptable"


class IdempotencyKeyReused(PaygateError):
    http_status = 422
    type = "idempotency_error"
    code = "idempotency_key_reused"


class TooManyRequests(PaygateError):
    """429: API Gateway's throttling and quotas (answered by API Gateway itself, in this shape)."""

    http_status = 429
    type = "invalid_request"
    code = "rate_limited"


class CheckoutNotConfigured(PaygateError):
    """503: the key that signs checkout links cannot be read (the stack makes it; a policy may hide it)."""

    http_status = 503
    code = "checkout_not_configured"


class ProviderError(PaygateError):
    """502: the provider refused the request or answered something we cannot use."""

    http_status = 502
    type = "provider_error"
    code = "provider_unavailable"


class ProviderNotConfigured(ProviderError):
    """503: the provider is enabled but this deployment holds no (or incomplete) credentials for it."""

    http_status = 503
    code = "provider_not_configured"


class ProviderRejected(ProviderError):
    """The provider answered and refused: perhaps for what the merchant sent, so never failed over."""

    code = "provider_rejected"


class ProviderUnavailable(ProviderError):
    """The provider could not be reached, or answered with a 5xx."""


class ProviderInvalidResponse(ProviderError):
    code = "provider_invalid_response"


class ProviderTimeout(ProviderError):
    http_status = 504
    code = "provider_timeout"


# Failures that are the provider's own, never the merchant's: a create that routing chose goes on to the
# next eligible provider after one of these, and the provider's circuit counts them.
PROVIDER_FAULTS = (ProviderUnavailable, ProviderInvalidResponse, ProviderTimeout)
