"""Domain errors. Each knows its place in the one error shape; `paygate.api` turns them into HTTP."""

from __future__ import annotations


class PaygateError(Exception):
    http_status = 500
    type = "api_error"
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.param = param

    def body(self) -> dict:
        return {"error": {"type": self.type, "code": self.code, "message": self.message, "param": self.param}}


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


class IdempotencyInProgress(PaygateError):
    http_status = 409
    type = "idempotency_error"
    code = "idempotency_in_progress"


class ValidationFailed(PaygateError):
    """422: the request was read but breaks a rule (a field, a currency, an amount range)."""

    http_status = 422
    type = "invalid_request"
    code = "validation_error"


class IdempotencyKeyReused(PaygateError):
    http_status = 422
    type = "idempotency_error"
    code = "idempotency_key_reused"


class ProviderError(PaygateError):
    """502: the provider refused the request or answered something we cannot use."""

    http_status = 502
    type = "provider_error"
    code = "provider_unavailable"


class ProviderRejected(ProviderError):
    code = "provider_rejected"


class ProviderInvalidResponse(ProviderError):
    code = "provider_invalid_response"


class ProviderTimeout(ProviderError):
    http_status = 504
    code = "provider_timeout"
