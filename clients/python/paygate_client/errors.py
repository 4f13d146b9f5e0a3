"""The exceptions the client raises: one class per kind of error answer, each carrying the error body's
`code`, `param` and `message` (the API's one error shape: `{"error": {"type", "code", "message", "param"}}`)."""

from __future__ import annotations

from typing import Any


class PaygateError(Exception):
    """Everything the client raises."""


class ConfigurationError(PaygateError, ValueError):
    """No API key or base URL, in the arguments or the environment."""


class APIConnectionError(PaygateError):
    """The gateway could not be reached, or did not answer in time, on every try."""


class APIError(PaygateError):
    """An error answer of the gateway."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        payment_id: str | None = None,
        correlation_id: str | None = None,
        body: Any = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.type = type
        self.param = param
        # The payment a failed create recorded (a 502 or 504 names it): read it later, never create again.
        self.payment_id = payment_id
        # The X-Correlation-Id of the answer: one search finds the request in the gateway's logs.
        self.correlation_id = correlation_id
        self.body = body

    def __str__(self) -> str:
        where = f" ({self.param})" if self.param else ""
        return f"{self.status} {self.code}{where}: {self.message}"


class InvalidRequestError(APIError):
    """400: the body could not be read (not JSON, too large)."""


class AuthenticationError(APIError):
    """401: a missing, wrong or revoked API key."""


class PermissionDeniedError(APIError):
    """403: the key may not do this."""


# The name the builtin has, for who writes `paygate_client.PermissionError`.
PermissionError = PermissionDeniedError


class NotFoundError(APIError):
    """404: no such payment, refund or endpoint for this account (another account's is unknown too)."""


class ConflictError(APIError):
    """409: a business conflict (`payment_not_cancellable`, `refund_not_confirmable`...), or a retryable
    one (`idempotency_in_progress`, `conflict`) still there after every retry."""


class ValidationError(APIError):
    """422: a rule broken (`validation_error` with `param`, `idempotency_key_reused`, ...)."""


class RateLimitError(APIError):
    """429: throttled, still after every retry."""


class ProviderError(APIError):
    """502, 503, 504: the provider refused, failed or timed out; `payment_id` names the payment recorded."""


class ServerError(APIError):
    """500 and other 5xx."""


class WebhookVerificationError(PaygateError):
    """A webhook whose signature, timestamp or body cannot be trusted."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
    502: ProviderError,
    503: ProviderError,
    504: ProviderError,
}


def from_answer(status: int, body: Any, correlation_id: str | None = None) -> APIError:
    """The exception for an error answer, whatever its body (a proxy's HTML page has no error shape)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    payment_id = error.get("payment_id") or (body.get("payment_id") if isinstance(body, dict) else None)
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    return cls(
        str(error.get("message") or f"HTTP {status}"),
        status=status,
        code=error.get("code"),
        type=error.get("type"),
        param=error.get("param"),
        payment_id=payment_id,
        correlation_id=correlation_id,
        body=body,
    )
