"""ANY /_sim/sandbox/{proxy+}: the sandbox provider itself, deployed in the stack for test mode.

The `sandbox` provider has no company and no hosted service behind it: this function is its API (create,
read), its checkout page (Pay and Fail buttons) and its control endpoint, so a freshly deployed stack can
take a payment end to end with nothing else running. It exists for test mode only: no money moves, and
anyone who can open a checkout page or call the control endpoint can mark its payment paid.

It speaks exactly the wire format of the local simulator (`local/simulators/sandbox.py`) on the same paths,
so the gateway's adapter (`paygate.providers.sandbox`) and the README's walk-through work against either.
Its payments live in the DynamoDB table named by `SANDBOX_TABLE` (key `id`), one plain item each; its
credentials are the gateway's own `sandbox` object of the provider secret (`api_key`, `webhook_secret`)."""

from __future__ import annotations

import html
import json
import os
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

import requests
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from paygate import api, service, wire
from paygate.api import APIGatewayRestResolver, NotFoundError, Response, content_types
from paygate.config import provider_credentials, settings
from paygate.observability import logger
from paygate.providers.sandbox.adapter import CHECKOUT_PAGE, STATUS_MAP
from paygate.providers.sandbox.signing import sign

PREFIX = "/_sim/sandbox"
# Callbacks to the gateway go through one session (kept between invocations, and a test can route it).
http = requests.Session()
CALLBACK_TIMEOUT_SECONDS = 10
# What a create body may carry, each a string or null (the adapter sends exactly these).
CREATE_FIELDS = ("amount", "currency", "reference", "callback_url", "return_url", "expires_at")
MAX_FIELD_LENGTH = 2048
PAYMENT_ID = "sbx_"  # + 16 hex characters, as the local simulator makes them
_SERIALIZER, _DESERIALIZER = TypeSerializer(), TypeDeserializer()


app = APIGatewayRestResolver()


class Refused(Exception):
    """An answer other than success, in the sandbox's own error shape: `{"message": ...}`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --- HTTP edge ----------------------------------------------------------------------------------


def _json(body: Any, status: int = 200) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


@app.exception_handler(Refused)
def _refused(error: Refused) -> Response[str]:
    return _json({"message": error.message}, error.status)


@app.not_found
def _no_route(_: NotFoundError) -> Response[str]:
    return _json({"message": "no such route"}, 404)


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("sandbox: unexpected error")
    request_id = app.lambda_context.aws_request_id if app.lambda_context else "unknown"
    return _json({"message": f"internal error (request {request_id})"}, 500)


def _json_body(event: APIGatewayProxyEvent) -> dict:
    """The body's JSON object, or {} for anything else (the simulator reads bodies the same lenient way)."""
    try:
        body = wire.loads(event.decoded_body or "")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _form_choice(event: APIGatewayProxyEvent) -> str | None:
    try:
        form = parse_qs(event.decoded_body or "", max_num_fields=10)
    except ValueError:
        return None
    choices = form.get("status")
    return choices[0] if choices else None


# --- credentials --------------------------------------------------------------------------------


def _credentials() -> dict[str, str]:
    """The sandbox's `api_key` and `webhook_secret`, from the gateway's own secret (cached); 503 without."""
    try:
        found = provider_credentials("sandbox", settings())
    except (GetParameterError, TransformParameterError, AttributeError, TypeError, ValueError) as error:
        logger.warning("sandbox: no credentials", error=type(error).__name__)
        found = {}
    if not all(isinstance(found.get(key), str) and found[key] for key in ("api_key", "webhook_secret")):
        raise Refused(503, "the sandbox provider is not configured")
    return found


def _authorize(event: APIGatewayProxyEvent) -> dict[str, str]:
    credentials = _credentials()
    if not wire.same(f"Bearer {credentials['api_key']}", event.headers.get("authorization") or ""):
        raise Refused(401, "invalid api key")
    return credentials


# --- state --------------------------------------------------------------------------------------


def _table() -> str:
    name = os.environ.get("SANDBOX_TABLE")
    if not name:
        raise RuntimeError("The sandbox is not configured: set SANDBOX_TABLE in the environment")
    return name


def _load(payment_id: str) -> dict:
    """The payment, read consistently (a status change may follow its create at once); 404 otherwise."""
    item = None
    if payment_id.startswith(PAYMENT_ID) and len(payment_id) <= 64:
        key = {"id": {"S": payment_id}}
        item = service.dynamodb_client().get_item(TableName=_table(), Key=key, ConsistentRead=True).get("Item")
    if item is None:
        raise Refused(404, f"no payment {payment_id}")
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def _save(payment: dict, *, new: bool = False) -> None:
    item = {name: _SERIALIZER.serialize(value) for name, value in payment.items()}
    condition = {"ConditionExpression": "attribute_not_exists(id)"} if new else {}
    service.dynamodb_client().put_item(TableName=_table(), Item=item, **condition)


# --- callbacks ----------------------------------------------------------------------------------


def _set_status(payment: dict, status: object) -> None:
    """The payment's new status (one of our seven); paid in full on `succeeded` unless it says otherwise."""
    if not isinstance(status, str) or status not in STATUS_MAP:
        raise Refused(404, f"unknown status {status!r}")
    payment["status"] = status
    if status == "succeeded":
        payment.setdefault("amount_paid", payment["amount"])


def _callback(payment: dict, secret: str, fallback_url: str) -> tuple[str, bytes, dict[str, str]]:
    """The signed callback of the payment's status, as the local simulator writes it (url, body, headers)."""
    now = int(time.time())
    body = json.dumps(
        {
            "event_id": "evt_" + secrets.token_hex(8),
            "id": payment["id"],
            "reference": payment["reference"],
            "status": payment["status"],
            "amount": payment["amount"],
            "currency": payment["currency"],
            "amount_paid": payment.get("amount_paid"),
            "created": now,
        }
    ).encode()
    headers = {"Content-Type": "application/json", "Paygate-Signature": sign(secret, now, body)}
    return payment["callback_url"] or fallback_url, body, headers


def _change(event: APIGatewayProxyEvent, payment: dict, status: object) -> int | str:
    """Set the status, store it, deliver its callback: the gateway's HTTP status, or why it was not reached."""
    secret = _credentials()["webhook_secret"]
    _set_status(payment, status)
    _save(payment)
    fallback = f"{settings().public_base_url or api.own_base_url(event)}/ipn/sandbox"
    url, body, headers = _callback(payment, secret, fallback)
    try:
        answer = http.post(url, data=body, headers=headers, timeout=CALLBACK_TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as error:
        logger.warning("sandbox: callback not delivered", payment_id=payment["id"], error=type(error).__name__)
        return type(error).__name__
    logger.info("sandbox: callback delivered", payment_id=payment["id"], status=payment["status"])
    return answer.status_code


# --- the provider's API -------------------------------------------------------------------------


def _create_fields(event: APIGatewayProxyEvent) -> dict[str, str | None]:
    body = _json_body(event)
    fields = {name: body.get(name) for name in CREATE_FIELDS}
    for name, value in fields.items():
        if value is not None and (not isinstance(value, str) or len(value) > MAX_FIELD_LENGTH):
            raise Refused(400, f"{name} must be a string of at most {MAX_FIELD_LENGTH} characters")
    return fields


@app.post(f"{PREFIX}/v1/payments", include_in_schema=False)
def create() -> Response[str]:
    event = app.current_event
    _authorize(event)
    fields = _create_fields(event)
    payment_id = PAYMENT_ID + secrets.token_hex(8)
    payment = {
        "id": payment_id,
        "status": "pending",
        **{name: fields[name] for name in ("amount", "currency", "reference", "callback_url", "return_url")},
        "checkout_url": f"{api.own_base_url(event)}{PREFIX}/checkout/{payment_id}",
    }
    _save(payment, new=True)
    return _json(payment, 201)


@app.get(f"{PREFIX}/v1/payments/<payment_id>", include_in_schema=False)
def read(payment_id: str) -> Response[str]:
    _authorize(app.current_event)
    return _json(_load(payment_id))


@app.post(f"{PREFIX}/payments/<payment_id>/status", include_in_schema=False)
def control(payment_id: str) -> Response[str]:
    """Set the status and deliver the callback exactly as the provider would (the README's step 2)."""
    payment = _load(payment_id)
    answer = _change(app.current_event, payment, _json_body(app.current_event).get("status"))
    if isinstance(answer, str):
        return _json({"delivered": False, "message": f"the callback could not be delivered ({answer})"}, 502)
    return _json({"delivered": True, "response_status": answer})


# --- checkout -----------------------------------------------------------------------------------


def _page(event: APIGatewayProxyEvent, payment: dict, result: str = "") -> Response[str]:
    """The checkout page, every value HTML-escaped (the reference and the host come from outside)."""
    page = CHECKOUT_PAGE.format(
        **{name: html.escape(str(payment.get(name))) for name in ("id", "amount", "currency", "reference", "status")},
        base=html.escape(api.own_base_url(event) + PREFIX),
        result=html.escape(result),
    )
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=page)


@app.get(f"{PREFIX}/checkout/<payment_id>", include_in_schema=False)
def checkout(payment_id: str) -> Response[str]:
    return _page(app.current_event, _load(payment_id))


@app.post(f"{PREFIX}/checkout/<payment_id>", include_in_schema=False)
def checkout_submit(payment_id: str) -> Response[str]:
    event = app.current_event
    choice = _form_choice(event)
    if choice not in ("succeeded", "failed"):
        raise Refused(404, "unknown choice")
    payment = _load(payment_id)
    answer = _change(event, payment, choice)
    if isinstance(answer, str):
        return _page(event, payment, f"The callback could not be delivered ({answer}).")
    if payment.get("return_url"):  # back to the shop (or the gateway's own page), as providers do
        return Response(status_code=303, headers={"Location": payment["return_url"]}, body="")
    return _page(event, payment, f"The gateway answered HTTP {answer}.")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
