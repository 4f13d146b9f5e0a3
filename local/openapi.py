"""The API's OpenAPI document, merged from the routes of every API function (Powertools OpenAPIMerge), and
the JSON Schema of the events (paygate.events).

The routes, their models and their parameters say what they can (summaries, descriptions, examples);
`document()` adds what Powertools cannot: the one error shape (paygate.errors) with every error status
each operation can answer and its codes, the headers every answer carries, and the webhooks merchants
receive (paygate.events).

`python -m local.openapi` writes them to openapi.json and docs/events.schema.json; a test checks that the
files match the code."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, License
from pydantic.json_schema import models_json_schema

from local import template
from paygate import errors, events

DOCUMENT = template.ROOT / "openapi.json"
EVENTS_SCHEMA = template.ROOT / "docs" / "events.schema.json"
SERVED_DOCUMENT = template.ROOT / "functions" / "docs" / "openapi.json"


SECURITY_SCHEMES: dict[str, Any] = {"apiKey": APIKey(name="X-API-Key", in_=APIKeyIn.header)}
DESCRIPTION = """One payment API over IVPAY, Paygentic, NOWPayments and Payop.

Authenticate with `X-API-Key` (a `pg_test_` key acts on test money only, a `pg_live_` key on live money).
Amounts are decimal strings (`"10.50"`, never numbers); unknown fields are refused. Every error has one
shape, `{"error": {"type", "code", "message", "param"}}` (the Error schema): each operation lists its error
statuses and the codes each may carry. Every answer has an `X-Correlation-Id` header. A deployment with
its web application firewall on may refuse a caller sending too many requests with a 403 of its own, before
any of this API is reached.

Payments move by the status machine described in the Status schema, refunds by RefundStatus; every move is
an event, sent to your webhook endpoints as described under `webhooks` (signed with Standard Webhooks
headers)."""


def document() -> str:
    # The functions read their settings when imported; the document needs no table, bus or region.
    names = (
        "PAYMENTS_TABLE",
        "IDEMPOTENCY_TABLE",
        "EVENT_BUS_NAME",
        "WEBHOOK_ENDPOINTS_TABLE",
        "WEBHOOK_DELIVERIES_TABLE",
        "REFUNDS_TABLE",
        "ACCOUNTS_TABLE",
        "API_KEYS_TABLE",
    )
    for name in (*names, "AWS_DEFAULT_REGION"):
        os.environ.setdefault(name, "openapi" if name != "AWS_DEFAULT_REGION" else "us-east-1")
    merged = OpenAPIMerge(
        title="Paygate",
        version="1.0.0",
        description=DESCRIPTION,
        license_info=License(name="Apache-2.0", identifier="Apache-2.0"),
        security_schemes=SECURITY_SCHEMES,
        on_conflict="error",
    )
    for function in sorted({route.function for route in template.routes()}):
        template.handler(function)
        merged.add_schema(
            sys.modules[f"paygate_function_{function}"].app.get_openapi_schema(security_schemes=SECURITY_SCHEMES)
        )
    spec = json.loads(merged.get_openapi_json_schema())
    _with_errors(spec)
    _with_webhooks(spec)
    return json.dumps(spec, indent=2, ensure_ascii=True) + "\n"


# --- errors ---------------------------------------------------------------------------------------

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_CLASSES = [cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.PaygateError)]

# What each error code means, as the document tells it (paygate.errors, paygate.api, template.yaml's
# Gateway Responses).
CODES = {
    "invalid_json": "the body is not JSON (or not UTF-8, or too deep)",
    "body_too_large": "the body is larger than 256 KB",
    "unsupported_content_type": "a body that is not `application/json`",
    "duplicate_header": "a header that says one thing (`X-API-Key`, `Idempotency-Key`, `Content-Type`, "
    "`X-Correlation-Id`) given twice",
    "invalid_api_key": "no `X-API-Key`, or one that is unknown, revoked or expired",
    "invalid_signature": "the callback's signature, key or source address could not be verified",
    "payment_not_found": "no payment with that id in this account and mode",
    "refund_not_found": "no refund with that id in this account and mode",
    "endpoint_not_found": "no webhook endpoint with that id",
    "delivery_not_found": "no delivery with that id",
    "api_key_not_found": "no API key with that id",
    "account_not_found": "the account is not there any more",
    "unknown_provider": "no provider of that name is enabled",
    "conflict": "the record kept changing while this request tried to change it: ask again (`Retry-After`)",
    "idempotency_in_progress": "a request with the same `Idempotency-Key` is still running: ask again (`Retry-After`)",
    "payment_not_cancellable": "the payment succeeded, failed or expired",
    "refund_not_confirmable": "the refund is not a manual one waiting for you",
    "too_many_rotations": "as many replaced secrets as may sign still do",
    "endpoint_disabled": "the endpoint is disabled: enable it first (`PATCH` with `enabled: true`)",
    "validation_error": "a field or parameter breaks a rule, or is not one the operation takes (`param` names it)",
    "unsupported_currency": "the currency is not one Paygate (or the provider) takes",
    "amount_out_of_range": "the amount is zero, or outside what the provider takes",
    "no_route": "no enabled provider takes this payment",
    "provider_mode_mismatch": "the provider is not available in this key's mode (test or live)",
    "idempotency_key_reused": "the `Idempotency-Key` was used with another body",
    "payment_not_refundable": "the payment holds no money to give back",
    "amount_exceeds_refundable": "more than what remains refundable",
    "payment_not_acceptable": "the payment did not receive less than it asks",
    "api_key_inactive": "the key no longer works",
    "api_key_taken": "the key belongs to another account or mode",
    "rate_limited": "API Gateway's throttling: ask again after `Retry-After` seconds",
    "quota_exceeded": "the key's usage plan quota is spent",
    "internal_error": "our fault: the message gives a request id, nothing of the internals",
    "provider_rejected": "the provider refused the request (its message kept, never a credential)",
    "provider_unavailable": "the provider could not be reached, or answered with a 5xx",
    "provider_invalid_response": "the provider answered something that cannot be used",
    "provider_not_configured": "the provider is enabled but has no credentials in this deployment",
    "checkout_not_configured": "the key that signs checkout links cannot be read right now",
    "provider_timeout": "the provider did not answer in time",
}

TITLES = {
    400: "The request cannot be read",
    401: "Not authenticated",
    404: "Not found",
    409: "Conflict",
    422: "The request breaks a rule",
    429: "Too many requests",
    500: "Internal error",
    502: "The provider failed",
    503: "Not available in this deployment",
    504: "The provider timed out",
}

PROVIDER_FAILURES = {
    502: ("provider_rejected", "provider_unavailable", "provider_invalid_response"),
    503: ("provider_not_configured",),
    504: ("provider_timeout",),
}
ID_NOT_FOUND = {
    "payment_id": "payment_not_found",
    "refund_id": "refund_not_found",
    "endpoint_id": "endpoint_not_found",
    "delivery_id": "delivery_not_found",
    "key_id": "api_key_not_found",
}
# The errors an operation can answer beyond those every operation can (`_errors_of`): every error response
# of the document comes from here (a route's own are replaced), so each code is told the same way everywhere.
OPERATION_ERRORS: dict[str, dict[int, tuple[str, ...]]] = {
    "createPayment": {
        409: ("idempotency_in_progress", "conflict"),
        422: (
            "unsupported_currency",
            "amount_out_of_range",
            "no_route",
            "provider_mode_mismatch",
            "idempotency_key_reused",
        ),
        502: PROVIDER_FAILURES[502],
        503: ("provider_not_configured", "checkout_not_configured"),
        504: PROVIDER_FAILURES[504],
    },
    # force_sync writes what the provider says.
    "getPayment": {409: ("conflict",), 502: PROVIDER_FAILURES[502], 503: PROVIDER_FAILURES[503]},
    # A `starting_after` that is no payment of this account and mode.
    "listPayments": {404: ("payment_not_found",)},
    "cancelPayment": {409: ("payment_not_cancellable", "conflict"), **PROVIDER_FAILURES},
    "acceptPayment": {409: ("conflict",), 422: ("payment_not_acceptable",)},
    "createRefund": {
        409: ("idempotency_in_progress", "conflict"),
        422: ("payment_not_refundable", "amount_exceeds_refundable", "idempotency_key_reused"),
        503: PROVIDER_FAILURES[503],
    },
    "confirmRefund": {409: ("refund_not_confirmable", "conflict")},
    "cancelRefund": {409: ("refund_not_confirmable", "conflict")},
    "listPaymentMethods": {**PROVIDER_FAILURES},
    "rotateWebhookSecret": {409: ("too_many_rotations", "conflict")},
    "updateWebhookEndpoint": {409: ("conflict",)},
    "testWebhookEndpoint": {409: ("endpoint_disabled",)},
    "createWebhookEndpoint": {409: ("conflict",)},
    "deleteWebhookEndpoint": {409: ("conflict",)},
    "retryWebhookDelivery": {409: ("conflict",)},
    "createApiKey": {409: ("conflict",)},
    "revokeApiKey": {409: ("conflict",), 422: ("api_key_inactive",)},
    "rollApiKey": {409: ("conflict",), 422: ("api_key_inactive", "api_key_taken")},
    "getAccount": {404: ("account_not_found",)},
    "updateAccount": {404: ("account_not_found",), 409: ("conflict",)},
    "receiveCallback": {
        401: ("invalid_signature",),
        404: ("payment_not_found", "refund_not_found", "unknown_provider"),
        409: ("conflict",),
        **PROVIDER_FAILURES,
    },
}
RETRY_AFTER_CODES = {"conflict", "idempotency_in_progress", "rate_limited"}

HEADERS: dict[str, Any] = {
    "X-Correlation-Id": {
        "description": "The id that follows what this request causes: the caller's own `X-Correlation-Id` "
        "(up to 128 letters, digits and `._:/+=-`), or the gateway's request id. Events carry it as "
        "`correlation_id`, webhooks as `Paygate-Correlation-Id`.",
        "schema": {"type": "string", "maxLength": 128, "examples": ["order-1001-checkout"]},
    },
    "Retry-After": {
        "description": "Seconds after which the same request may be made again.",
        "schema": {"type": "integer", "minimum": 0, "examples": [1]},
    },
    "Idempotent-Replayed": {
        "description": "`true` when the answer is the first call's again, for a repeated `Idempotency-Key` "
        "and the same body (nothing was created this time).",
        "schema": {"type": "string", "enum": ["true"], "examples": ["true"]},
    },
}


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _error_schema() -> dict[str, Any]:
    types = sorted({cls.type for cls in ERROR_CLASSES})
    return {
        "type": "object",
        "title": "Error",
        "description": "Every error answer, from the functions and from API Gateway alike: one object under "
        "`error`. Branch on `code`; `message` is for people and may change.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "description": "What went wrong.",
                "required": ["type", "code", "message"],
                "properties": {
                    "type": {
                        "type": "string",
                        "enum": types,
                        "description": "The kind of error: `invalid_request` (the request's fault), "
                        "`authentication_error`, `idempotency_error`, `provider_error` (the provider's "
                        "fault), `api_error` (ours).",
                        "examples": ["invalid_request"],
                    },
                    "code": {
                        "type": "string",
                        "description": "What exactly went wrong, stable and machine-readable; each error "
                        "response of an operation lists the codes it may carry.",
                        "examples": ["validation_error"],
                    },
                    "message": {
                        "type": "string",
                        "description": "What went wrong, for people.",
                        "examples": ["amount: must be a decimal string such as '10.50'"],
                    },
                    "param": {
                        "type": ["string", "null"],
                        "description": "The field, parameter or header the error is about (dotted for a "
                        "nested field), or null.",
                        "examples": ["amount"],
                    },
                    "payment_id": {
                        "type": ["string", "null"],
                        "description": "On a create's provider failure (502, 504): the id of the payment "
                        "recorded as `failed`, to read it later.",
                        "examples": ["pay_3f9c2a7d1e5b4c8a9f0e1d2c"],
                    },
                },
                # Fields may be added; a client reads the ones it knows.
                "additionalProperties": True,
            }
        },
        "additionalProperties": False,
        "examples": [
            {
                "error": {
                    "type": "invalid_request",
                    "code": "validation_error",
                    "message": "amount: must be a decimal string such as '10.50'",
                    "param": "amount",
                }
            }
        ],
    }


def _errors_of(method: str, operation: dict[str, Any]) -> dict[int, tuple[str, ...]]:
    """The error statuses `operation` can answer, each with its codes."""
    params = {param.get("name"): param for param in operation.get("parameters", [])}
    found: dict[int, list[str]] = {400: ["duplicate_header", "body_too_large"], 500: ["internal_error"]}
    if "requestBody" in operation or method in ("post", "patch", "put"):
        found[400] += ["invalid_json", "unsupported_content_type"]
    if operation.get("security"):
        found[401] = ["invalid_api_key"]
    # Every route is throttled by API Gateway (per stage, and per key's usage plan).
    found[429] = ["rate_limited", "quota_exceeded"]
    # Any operation refuses a query parameter it does not take (paygate.api), as a body's unknown field.
    found[422] = ["validation_error"]
    not_found = [code for name, code in ID_NOT_FOUND.items() if params.get(name, {}).get("in") == "path"]
    if not_found:
        found[404] = not_found
    for status, codes in OPERATION_ERRORS.get(operation.get("operationId", ""), {}).items():
        found[status] = [*found.get(status, []), *(code for code in codes if code not in found.get(status, []))]
    return {status: tuple(codes) for status, codes in sorted(found.items())}


def _error_response(status: int, codes: tuple[str, ...]) -> dict[str, Any]:
    lines = "\n".join(f"- `{code}`: {CODES[code]}" for code in codes)
    sample = _sample(codes[0])
    response: dict[str, Any] = {
        "description": f"{TITLES[status]}. `error.code` is one of:\n\n{lines}",
        "headers": {"X-Correlation-Id": _header("X-Correlation-Id")},
        "content": {"application/json": {"schema": ERROR_REF, "example": sample}},
    }
    if RETRY_AFTER_CODES.intersection(codes):
        response["headers"]["Retry-After"] = _header("Retry-After")
    return response


def _sample(code: str) -> dict[str, Any]:
    """An answer carrying `code`, of the type of the error class whose own code it is (a code raised with
    another class's is a refused key, or a request's fault)."""
    kinds = {cls.code: cls.type for cls in ERROR_CLASSES}
    kind = kinds.get(code, "authentication_error" if code == "invalid_api_key" else "invalid_request")
    message = CODES[code]
    return {"error": {"type": kind, "code": code, "message": message[0].upper() + message[1:], "param": None}}


def _with_errors(spec: dict[str, Any]) -> None:
    """Every operation's error answers in the one error shape, and the headers every answer has."""
    schemas = spec["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    schemas["Error"] = _error_schema()
    spec["components"]["headers"] = HEADERS
    for route, path in spec["paths"].items():
        for method, operation in path.items():
            # Public (a callback's own proof, a checkout link's signature): said, not left out.
            operation.setdefault("security", [])
            responses = operation["responses"]
            if _is_page(route):
                for response in responses.values():
                    response.setdefault("headers", {})["X-Correlation-Id"] = _header("X-Correlation-Id")
                continue
            for status in [status for status in responses if int(status) >= 400]:
                del responses[status]  # Powertools' HTTPValidationError, or a route's own note
            for status, codes in _errors_of(method, operation).items():
                responses[str(status)] = _error_response(status, codes)
            for status, response in responses.items():
                headers = response.setdefault("headers", {})
                headers["X-Correlation-Id"] = _header("X-Correlation-Id")
                if status == "201" and any(p.get("name") == "idempotency-key" for p in operation.get("parameters", [])):
                    headers["Idempotent-Replayed"] = _header("Idempotent-Replayed")
            operation["responses"] = dict(sorted(responses.items()))


def _is_page(route: str) -> bool:
    """The hosted checkout page and the status its script follows: their own answers (HTML pages,
    paygate.checkout.pages), not the JSON API's."""
    return route.startswith("/checkout/")


# --- webhooks -------------------------------------------------------------------------------------

WEBHOOK_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "The event's id (`data.event_id`): the same on every retry of a delivery, so a "
        "receiver dedupes on it.",
        "schema": {"type": "string", "examples": ["pay_3f9c2a7d1e5b4c8a9f0e1d2c:2"]},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "When this attempt was signed, in seconds since the Unix epoch: refuse one too far "
        "from now (Standard Webhooks libraries allow 5 minutes).",
        "schema": {"type": "string", "pattern": "^[0-9]+$", "examples": ["1767268800"]},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, keyed with '
        "the base64-decoded endpoint secret (after `whsec_`); several space-separated entries while a "
        "rotated secret still signs. Any one matching proves the delivery (Standard Webhooks).",
        "schema": {"type": "string", "examples": ["v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="]},
    },
    {
        "name": "Paygate-Correlation-Id",
        "in": "header",
        "required": False,
        "description": "The id of the request or job that caused the change (`X-Correlation-Id` of the API "
        "call; also `data.correlation_id`, and in every log line on the way).",
        "schema": {"type": "string", "examples": ["order-1001-checkout"]},
    },
]
# Descriptions of the payload's fields that the event models leave to their own docstrings.
WEBHOOK_FIELDS = {
    "type": "The event type: `payment.<status>` or `refund.<status>` (and `refund.created`)",
    "timestamp": "When the change happened (RFC 3339, UTC)",
    "data": "The event: a PaymentEvent for `payment.*`, a RefundEvent for `refund.*`",
    "payment": "The payment as `GET /payments/{payment_id}` answers it, after the change",
    "payment_id": "The id of the refund's payment",
    "refund": "The refund as `GET /refunds/{refund_id}` answers it, after the change",
}

# Examples of the events' plain fields (their payment and refund are the API's own objects, with theirs).
EVENT_EXAMPLES = {
    "type": "payment.succeeded",
    "timestamp": "2026-01-01T12:05:00Z",
    "event_id": "pay_3f9c2a7d1e5b4c8a9f0e1d2c:2",
    "sequence": 2,
    "previous_status": "pending",
    "account_id": "acct_5e8a1c3f7b2d9e4a",
    "livemode": True,
    "correlation_id": "order-1001-checkout",
    "payment_id": "pay_3f9c2a7d1e5b4c8a9f0e1d2c",
    "created": False,
}


def _with_webhooks(spec: dict[str, Any]) -> None:
    """One webhook per event type (paygate.events), its body the payload merchants receive."""
    _, defs = models_json_schema(
        [(events.WebhookPayload, "serialization")], ref_template="#/components/schemas/{model}"
    )
    schemas = spec["components"]["schemas"]
    for name, schema in defs.get("$defs", {}).items():
        if name in ("WebhookPayload", "PaymentEvent", "RefundEvent"):
            for field, prop in schema.get("properties", {}).items():
                if field in WEBHOOK_FIELDS:
                    prop.setdefault("description", WEBHOOK_FIELDS[field])
                if field in EVENT_EXAMPLES:
                    prop.setdefault("examples", [EVENT_EXAMPLES[field]])
        schemas.setdefault(name, schema)
    spec["webhooks"] = {
        kind: {
            "post": {
                "operationId": _camel(kind) + "Webhook",
                "summary": f"`{kind}`",
                "description": _webhook_description(kind),
                "tags": ["Webhooks"],
                # Paygate signs each delivery (`webhook-signature`); the receiver verifies it.
                "security": [],
                "parameters": WEBHOOK_HEADERS,
                "requestBody": {
                    "required": True,
                    "description": "The event, as JSON: verify the signature over these exact bytes before "
                    "reading them.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "allOf": [{"$ref": "#/components/schemas/WebhookPayload"}],
                                "properties": {
                                    "type": {"const": kind, "description": "This event's type"},
                                    **_data_of(kind),
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "2XX": {"description": "Received: the delivery is done."},
                    "410": {"description": "Gone: the endpoint is disabled, and no more deliveries are sent to it."},
                    "default": {
                        "description": "Anything else, or no answer within 10 s: the delivery is tried again "
                        "(after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then marked failed; an "
                        "endpoint whose every delivery failed for 5 days is disabled."
                    },
                },
            }
        }
        for kind in events.MEANINGS  # every event type, and the test event
    }


def _camel(kind: str) -> str:
    """`payment.partially_paid` as `paymentPartiallyPaid`, as the API's own operation ids are written."""
    first, *rest = kind.replace(".", "_").split("_")
    return first + "".join(part.capitalize() for part in rest)


# The model of a webhook's `data`, by the subject its type names.
DATA_MODELS = {"payment": "PaymentEvent", "refund": "RefundEvent", "webhook": "PingEvent"}


def _data_of(kind: str) -> dict[str, Any]:
    model = DATA_MODELS[kind.split(".")[0]]
    return {"data": {"$ref": f"#/components/schemas/{model}", "description": f"The event, a {model}"}}


def _webhook_description(kind: events.WebhookType) -> str:
    model = DATA_MODELS[kind.split(".")[0]]
    order = ", order by `data.sequence`" if model != "PingEvent" else ""
    return f"{events.MEANINGS[kind]} `data` is a {model}. Sent at least once: dedupe on `webhook-id`{order}."


def events_schema() -> str:
    return json.dumps(events.json_schema(), indent=2) + "\n"


if __name__ == "__main__":
    text = document()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text)
    else:
        # The docs function serves its own copy: a function ships only what is under its CodeUri.
        for path in (DOCUMENT, SERVED_DOCUMENT):
            path.write_text(text)
    EVENTS_SCHEMA.write_text(events_schema())
