"""The HTTP edge shared by the API functions, and only that: the resolver, every failure in the one error
shape, body limits, and what a request's context tells (its caller, its address, its raw body)."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from paygate import correlation, deadline, wire
from paygate.accounts.models import Merchant
from paygate.config import settings
from paygate.errors import AuthenticationFailed, InvalidRequest, NotFound, PaygateError, ValidationFailed
from paygate.models import PaymentQuery
from paygate.observability import count_internal_error, logger
from paygate.providers.base import CallbackRequest

# The functions take the event handler's names from here, so that `paygate` (see its __init__) is
# imported before any of Powertools' event handler.
__all__ = [
    "APIGatewayRestResolver",
    "Body",
    "Depends",
    "Header",
    "NotFoundError",
    "Path",
    "Query",
    "Response",
    "content_types",
]

MAX_BODY_BYTES = 256 * 1024
# Headers that say one thing: given twice, the request is ambiguous.
ONE_VALUE_HEADERS = ("X-API-Key", "Idempotency-Key", "Content-Type", correlation.HEADER)
# Each request a subsegment of the function's trace, with its AWS and provider calls inside it.
tracer = Tracer(patch_modules=("botocore", "requests"))
# pydantic error types that are codes of our own (raised by the request model's validators).
_OWN_CODES = {"unsupported_currency", "amount_out_of_range"}


def error_response(error: PaygateError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return Response(error.http_status, content_types.APPLICATION_JSON, error.json(), headers)


def created[T](body: T, *, replayed: bool = False) -> Response[T]:
    """A 201 with what was made; `replayed` when an Idempotency-Key answered the first call's result again."""
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(HTTPStatus.CREATED, content_types.APPLICATION_JSON, body, headers)


def create_app(*, known_query_only: bool = True) -> APIGatewayRestResolver:
    """A resolver whose every failure, ours or the framework's, answers in the one error shape; with
    `known_query_only`, a query parameter the route does not take is refused, as an unknown body field is
    (a misspelt filter must not silently widen a list)."""
    # Bodies are parsed with bounds (depth, number size, no NaN): no body can make the parser raise.
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=wire.loads)
    if known_query_only:
        app.use(middlewares=[_refuse_unknown_query_parameters])

    @app.exception_handler(PaygateError)
    def _ours(error: PaygateError) -> Response:
        if error.http_status >= 500:
            logger.warning("request failed", code=error.code, detail=error.message)
        if error.http_status == 500 and app.lambda_context:  # ours, not a provider's 502/503/504
            count_internal_error(app.lambda_context)
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        return error_response(_from_validation_errors(error.errors()))

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(_: RequestUnsupportedContentType) -> Response:
        return error_response(
            InvalidRequest("Bodies must be JSON (Content-Type: application/json)", code="unsupported_content_type")
        )

    @app.exception_handler(UnicodeDecodeError)
    def _encoding(_: UnicodeDecodeError) -> Response:
        return error_response(InvalidRequest("The body is not valid UTF-8", code="invalid_json"))

    @app.not_found
    def _no_route(_: NotFoundError) -> Response:
        return error_response(NotFound("No such route", code="route_not_found"))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        # Logged with its stack for us; the caller sees a request id and nothing of the internals.
        logger.exception("unexpected error")
        if app.lambda_context:
            count_internal_error(app.lambda_context)
        request_id = app.lambda_context.aws_request_id if app.lambda_context else "unknown"
        return error_response(PaygateError(f"Internal error (request {request_id})"))

    return app


def _refuse_unknown_query_parameters(app: APIGatewayRestResolver, next_middleware: Any) -> Response:
    route = app.context.get("_route")
    known = {param.alias for param in route.dependant.query_params} if route else set()
    given = app.current_event.resolved_query_string_parameters or {}
    unknown = sorted(name for name in given if name not in known)
    if unknown:
        return error_response(ValidationFailed(f"Unknown query parameter {unknown[0]!r}", param=unknown[0]))
    return next_middleware(app)


def serve(app: APIGatewayRestResolver, event: dict, context: Any, *, json_only: bool = False) -> dict:
    """Every API function's entry: the request's correlation id taken (and answered in its header), the
    request traced, then `_answer`."""
    correlation_id = correlate(event)
    with tracer.provider.in_subsegment("## request") as subsegment:
        subsegment.put_annotation("correlation_id", correlation_id or "")
        response = _answer(app, event, context, json_only=json_only)
    return with_header(response, correlation.HEADER, correlation_id)


def correlate(event: dict) -> str | None:
    """The request's correlation id (see paygate.correlation), taken for all the work it causes."""
    request_id = (event.get("requestContext") or {}).get("requestId")
    correlation.use(correlation.of_request(event.get("headers"), request_id))
    return correlation.current()


def with_header(response: dict, name: str, value: str | None) -> dict:
    """An API Gateway answer with one more header (in the form it already has its headers in)."""
    if value is None:
        return response
    if response.get("multiValueHeaders") is not None:
        response["multiValueHeaders"][name] = [value]
    else:
        response["headers"] = {**(response.get("headers") or {}), name: value}
    return response


def _answer(app: APIGatewayRestResolver, event: dict, context: Any, *, json_only: bool) -> dict:
    """Body limits first (and, for JSON APIs, the content type), then the resolver. Checked here because
    the resolver would otherwise try to parse forms and multipart bodies, and compares media types
    case-sensitively (`Application/JSON` is JSON: RFC 9110 says case does not matter), so a JSON body
    reaches it as `application/json`."""
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8", "surrogatepass"))
    content_type = next(
        (value for name, value in (event.get("headers") or {}).items() if name.lower() == "content-type"), ""
    )
    media_type = content_type.split(";")[0].strip().lower()
    repeated = next((name for name in ONE_VALUE_HEADERS if len(_values(event, name)) > 1), None)
    if repeated:
        # Readers differ on which of two values counts (API Gateway's `headers` keeps the last): none does.
        error = InvalidRequest(f"Send one {repeated} header, not several", code="duplicate_header", param=repeated)
    elif size > MAX_BODY_BYTES:
        error = InvalidRequest(f"The body is larger than {MAX_BODY_BYTES // 1024} KB", code="body_too_large")
    elif json_only and media_type and media_type != "application/json" and not media_type.endswith("+json"):
        error = InvalidRequest("Bodies must be JSON (Content-Type: application/json)", code="unsupported_content_type")
    else:
        with deadline.invocation(context):
            return app.resolve(_json_content_type(event) if json_only and media_type else event, context)
    return {
        "statusCode": error.http_status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": error.json(),
        "isBase64Encoded": False,
    }


def _values(event: dict, header: str) -> list[str]:
    """Every value a request gives a header (names compare case-insensitively)."""
    multi = event.get("multiValueHeaders") or {}
    return [value for name, values in multi.items() if name.lower() == header.lower() for value in values or ()]


def _json_content_type(event: dict) -> dict:
    """The event with its Content-Type header(s) written as `application/json`."""
    headers = {k: "application/json" if k.lower() == "content-type" else v for k, v in event["headers"].items()}
    multi = {
        k: ["application/json"] if k.lower() == "content-type" else v
        for k, v in (event.get("multiValueHeaders") or {}).items()
    }
    return {**event, "headers": headers, "multiValueHeaders": multi or event.get("multiValueHeaders")}


def _from_validation_errors(errors: Sequence[Any]) -> PaygateError:
    first: dict[str, Any] = errors[0] if errors else {"type": "validation_error", "loc": ("body",), "msg": "invalid"}
    kind, location = first.get("type", ""), tuple(first.get("loc", ()))
    if kind == "json_invalid":
        why = (first.get("ctx") or {}).get("error")
        return InvalidRequest(
            f"The body is not valid JSON ({why})" if why else "The body is not valid JSON", code="invalid_json"
        )
    # A union's member tags ("constrained-str", "int") are pydantic's, not the request's: leave them out.
    param = ".".join(str(part) for part in location[1:] if not _UNION_TAG.fullmatch(str(part))) or None
    if kind == "missing" and not param:
        message = "A JSON object body is required"
    elif kind == "model_attributes_type" and not param:
        message = "The body must be a JSON object"
    elif kind == "extra_forbidden":
        message = f"Unknown field {param!r}"
    else:
        detail = str(first.get("msg", "is invalid"))
        message = f"{param}: {detail}" if param else detail
    code = kind if kind in _OWN_CODES else "validation_error"
    named = _FIELD_NAMED.match(str(first.get("msg", ""))) if kind == "validation_error" else None
    if named and location[:1] == ("body",):
        # A rule over several fields names the field it is about: "amount: USD allows at most 2 decimals"
        param = f"{param}.{named.group(1)}" if param else named.group(1)
    return ValidationFailed(message, code=code, param=param)


_FIELD_NAMED = re.compile(r"([a-z_]+): ")
_UNION_TAG = re.compile(r"str|int|float|bool|.*[-\[].*")


# --- request context ----------------------------------------------------------------------------


def callback_base_url(event: APIGatewayProxyEvent) -> str:
    """Where providers and customers reach this API: configured, or the API's own domain and stage."""
    return settings().public_base_url or own_base_url(event)


def own_base_url(event: APIGatewayProxyEvent) -> str:
    """This API's address: the domain API Gateway answered on (its own, or a custom domain mapped to it),
    and the stage where it is part of the URL. Never the request's Host header: the caller writes that."""
    host = event.request_context.domain_name or "localhost"
    stage = event.request_context.stage
    scheme = "http" if host.startswith(("127.0.0.1", "localhost")) else "https"
    prefix = f"/{stage}" if stage and stage != "$default" and ".execute-api." in host else ""
    return f"{scheme}://{host}{prefix}"


def merchant_of(event: APIGatewayProxyEvent) -> Merchant:
    """The merchant a request acts for: the account and mode the key authorizer answered for its
    X-API-Key (API Gateway puts them in the request's context; the local emulator does the same)."""
    context = event.request_context.authorizer.get_context() if event.request_context.authorizer else {}
    account = context.get("account_id")
    if not isinstance(account, str) or not account:
        raise AuthenticationFailed("This route needs an API key (X-API-Key)", code="missing_api_key")
    return Merchant(account, livemode=str(context.get("livemode")).lower() == "true")


def caller(request: Request) -> Merchant:
    """The merchant of the request being handled: a route's dependency (`Caller`)."""
    return merchant_of(request.resolved_event)  # type: ignore[arg-type]  # a REST API's event


def account_scope(request: Request) -> str:
    """The scope the request's merchant owns things under (its account, in its mode): a route's
    dependency (`Account`), so test and live data of one account never meet."""
    return caller(request).scope


# What a merchant route acts for, injected by the event handler (Powertools' Depends).
Caller = Annotated[Merchant, Depends(caller)]
Account = Annotated[str, Depends(account_scope)]


def aware(query: PaymentQuery) -> PaymentQuery:
    """The query's times in UTC. Times given without a zone are taken as UTC (RFC 3339 asks for one; a
    missing one is no reason to fail); a time whose UTC falls outside years 1 to 9999 is a 422."""
    return replace(
        query,
        created_gte=_utc(query.created_gte, "created_gte"),
        created_lt=_utc(query.created_lt, "created_lt"),
    )


def _utc(moment: datetime | None, param: str) -> datetime | None:
    if moment is None:
        return None
    try:
        return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)
    except OverflowError as error:  # 0001-01-01T03:00+04:59 is a time, but not one UTC can write
        raise ValidationFailed(f"{param}: out of the range of times (years 1 to 9999 in UTC)", param=param) from error


def raw_body(event: APIGatewayProxyEvent) -> bytes:
    """The body's exact bytes: only API Gateway's own base64 transport encoding undone, nothing decoded
    as text (a body that is not UTF-8 is the reader's to refuse, not a crash)."""
    raw = event.body or ""
    return base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8", "surrogatepass")


def callback_request(event: APIGatewayProxyEvent) -> CallbackRequest:
    # Signatures are over the exact bytes received.
    headers = {name.lower(): value for name, value in (event.headers or {}).items()}
    return CallbackRequest(headers=headers, body=raw_body(event), source_ip=event.request_context.identity.source_ip)
