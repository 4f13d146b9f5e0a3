"""ANY /_sim/sandbox/{proxy+}: the sandbox provider itself, in the stack for test mode.

The `sandbox` provider has no company and no hosted service behind it: this function is its API (create,
read, refund), its checkout page (Pay and Fail buttons) and its control endpoints, so a freshly deployed
stack can take a payment, and give money back, end to end with nothing else running. It exists for test
mode only: no money moves, and anyone who can open a checkout page or call a control endpoint can mark
its payment paid or its refund made. It is the
only sandbox there is: the local stack serves this same function behind its API emulator (with, around
it and never in it, the fault injection its tests use: local/sandbox.py).

It is written apart from the gateway's adapter (`paygate.providers.sandbox`) and imports nothing of the
gateway's providers: what it signs, the statuses it takes and its page are its own, so the gateway is
tested against a provider, not against itself (docs/providers/sandbox.md has the wire format). Its
payments live in the DynamoDB table named by `SANDBOX_TABLE` (key `id`), one plain item each; its
credentials (`api_key`, `webhook_secret`) are the secret named by `SANDBOX_SECRET_NAME`, its own: deployed,
it may read no other (the real providers' credentials are in the gateway's secret). Where that is not set
(the local stack), they are the `sandbox` object of the gateway's secret, `SECRET_NAME`."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import secrets
import time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from urllib.parse import parse_qs

# `paygate` before Powertools' event handler: it defers that package's costly __init__ (paygate/__init__.py).
from paygate import aws, wire
from paygate.checkout.style import STYLE, STYLE_HASH
from paygate.observability import logger

# isort: split
import requests
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

PREFIX = "/_sim/sandbox"
# Callbacks to the gateway go through one session (kept between invocations, and a test can route it).
http = requests.Session()
CALLBACK_TIMEOUT_SECONDS = 10
# The credentials are read again after this long, as the gateway reads them: a rotated secret reaches both.
SECRET_MAX_AGE_SECONDS = 300
# What a create body may carry, each a string or null (the adapter sends exactly these).
CREATE_FIELDS = ("amount", "currency", "reference", "callback_url", "return_url", "expires_at", "description")
MAX_FIELD_LENGTH = 2048
PAYMENT_ID = "sbx_"  # + 16 hex characters
REFUND_ID = "sbxr_"  # + 16 hex characters
# The sandbox speaks the gateway's own statuses; a customer on its page can only pay or fail.
STATUSES = ("pending", "processing", "partially_paid", "succeeded", "failed", "expired", "cancelled")
CHOICES = {"succeeded": "Pay", "failed": "Fail"}
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
    """The body's JSON object, or {} for anything else (read leniently, never a 5xx)."""
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


def _api_url(event: APIGatewayProxyEvent) -> str:
    """The API's address: the domain API Gateway answered on, and its stage where API Gateway's own
    host name needs it (`https://<id>.execute-api.<region>.amazonaws.com/<stage>`)."""
    context = event.request_context
    host = context.domain_name or "localhost"  # API Gateway's own domain, never the caller's Host header
    scheme = "http" if host.startswith(("127.0.0.1", "localhost")) else "https"
    in_path = ".execute-api." in host and context.stage not in (None, "", "$default")
    return f"{scheme}://{host}/{context.stage}" if in_path else f"{scheme}://{host}"


# --- credentials --------------------------------------------------------------------------------


def _credentials() -> dict[str, str]:
    """The sandbox's `api_key` and `webhook_secret`: the secret named by SANDBOX_SECRET_NAME (or, unset,
    the `sandbox` object of the one named by SECRET_NAME), cached; 503 without them."""
    own = os.environ.get("SANDBOX_SECRET_NAME")
    name = own or os.environ.get("SECRET_NAME")
    found: object = None
    try:
        if name:
            found = aws.secrets().get(name, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    except (GetParameterError, TransformParameterError) as error:
        logger.warning("sandbox: no credentials", error=type(error).__name__)
    sandbox = found if own else found.get("sandbox") if isinstance(found, dict) else None
    if not isinstance(sandbox, dict) or not all(
        isinstance(sandbox.get(key), str) and sandbox[key] for key in ("api_key", "webhook_secret")
    ):
        raise Refused(503, "the sandbox provider is not configured")
    return sandbox


def _authorize(event: APIGatewayProxyEvent) -> None:
    if not wire.same(f"Bearer {_credentials()['api_key']}", event.headers.get("authorization") or ""):
        raise Refused(401, "invalid api key")


# --- state --------------------------------------------------------------------------------------


@cache
def dynamodb() -> Any:
    """One client per container, made on first use (a test makes it afresh with `dynamodb.cache_clear()`)."""
    return aws.client("dynamodb")


def _table() -> str:
    name = os.environ.get("SANDBOX_TABLE")
    if not name:
        raise RuntimeError("The sandbox is not configured: set SANDBOX_TABLE in the environment")
    return name


def _load(item_id: str, prefix: str = PAYMENT_ID, what: str = "payment") -> dict:
    """A payment (or a refund), read consistently (a change may follow its create at once); 404 otherwise.
    Both live in the sandbox's table, told apart by their ids."""
    item = None
    if item_id.startswith(prefix) and len(item_id) <= 64:
        item = dynamodb().get_item(TableName=_table(), Key={"id": {"S": item_id}}, ConsistentRead=True).get("Item")
    if item is None:
        raise Refused(404, f"no {what} {item_id}")
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def _save(payment: dict, *, new: bool = False) -> bool:
    """Store it; a new one only if its id is free (False when it is not)."""
    item = {name: _SERIALIZER.serialize(value) for name, value in payment.items()}
    condition = {"ConditionExpression": "attribute_not_exists(id)"} if new else {}
    try:
        dynamodb().put_item(TableName=_table(), Item=item, **condition)
    except dynamodb().exceptions.ConditionalCheckFailedException:
        return False
    return True


# --- callbacks ----------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Paygate-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, keyed with the webhook secret
    as UTF-8, over the timestamp, a dot and the raw body."""
    digest = hmac.new(secret.encode(), b"%d.%s" % (timestamp, body), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _set_status(payment: dict, status: object) -> None:
    """The payment's new status (one of the seven); paid in full on `succeeded` unless it says otherwise."""
    if not isinstance(status, str) or status not in STATUSES:
        raise Refused(404, f"unknown status {status!r}")
    payment["status"] = status
    if status == "succeeded":
        payment.setdefault("amount_paid", payment["amount"])


# The sandbox's own price for taking a payment: this share of what was paid, so that fees have a path to test.
FEE_RATE = Decimal("0.029")


def _settlement(payment: dict) -> dict[str, str]:
    """Its fee and the net it settles, once money arrived: FEE_RATE of what was paid, rounded to the paid
    amount's own decimals, in the payment's currency."""
    paid = payment.get("amount_paid")
    if paid is None or payment["status"] not in ("succeeded", "partially_paid"):
        return {}
    amount = Decimal(str(paid))
    fee = (amount * FEE_RATE).quantize(Decimal(1).scaleb(int(amount.as_tuple().exponent)))
    return {"fee": str(fee), "net": str(amount - fee)}


def _reported(payment: dict) -> dict[str, Any]:
    """A payment as its status answer shows it: stored, with its fee and net."""
    return {**payment, **_settlement(payment)}


def _payment_callback(payment: dict) -> dict[str, Any]:
    """What the callback of a payment's status says."""
    return {
        "id": payment["id"],
        "reference": payment["reference"],
        "status": payment["status"],
        "amount": payment["amount"],
        "currency": payment["currency"],
        "amount_paid": payment.get("amount_paid"),
        **_settlement(payment),
    }


def _refund_callback(refund: dict) -> dict[str, Any]:
    """What the callback of a refund's status says: `type` refund, and the payment it gives money back on."""
    shown = ("id", "reference", "payment", "payment_reference", "status", "amount", "currency")
    return {"type": "refund", **{name: refund.get(name) for name in shown}}


def _deliver(event: APIGatewayProxyEvent, item: dict, fields: dict[str, Any]) -> int | str:
    """Sign and POST a callback to the gateway: its HTTP status, or why it was not reached."""
    now = int(time.time())
    body = json.dumps({"event_id": "evt_" + secrets.token_hex(8), **fields, "created": now}).encode()
    headers = {
        "Content-Type": "application/json",
        "Paygate-Signature": signature(_credentials()["webhook_secret"], now, body),
    }
    # Where the gateway takes callbacks when the create named none: PUBLIC_BASE_URL, or this same API.
    url = item.get("callback_url") or f"{os.environ.get('PUBLIC_BASE_URL') or _api_url(event)}/ipn/sandbox"
    try:
        answer = http.post(url, data=body, headers=headers, timeout=CALLBACK_TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as error:
        logger.warning("sandbox: callback not delivered", id=item["id"], error=type(error).__name__)
        return type(error).__name__
    logger.info("sandbox: callback delivered", id=item["id"], status=item["status"])
    return answer.status_code


def _change(event: APIGatewayProxyEvent, payment: dict, status: object) -> int | str:
    """Set the status, store it, deliver its callback."""
    _credentials()  # 503 before anything changes, when the sandbox has no secret
    _set_status(payment, status)
    _save(payment)
    return _deliver(event, payment, _payment_callback(payment))


def _delivered(answer: int | str) -> Response[str]:
    """The control endpoints' answer: the gateway's HTTP status, or 502 and why it was not reached."""
    if isinstance(answer, str):
        return _json({"delivered": False, "message": f"the callback could not be delivered ({answer})"}, 502)
    return _json({"delivered": True, "response_status": answer})


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
        # What its page shows the customer as the order (the merchant's reference), when given.
        **({"description": fields["description"]} if fields["description"] else {}),
        "checkout_url": f"{_api_url(event)}{PREFIX}/checkout/{payment_id}",
    }
    _save(payment, new=True)
    return _json(payment, 201)


@app.get(f"{PREFIX}/v1/payments/<payment_id>", include_in_schema=False)
def read(payment_id: str) -> Response[str]:
    _authorize(app.current_event)
    return _json(_reported(_load(payment_id)))


@app.post(f"{PREFIX}/payments/<payment_id>/status", include_in_schema=False)
def control(payment_id: str) -> Response[str]:
    """Set the status and deliver the callback exactly as the provider would (the README's step 2)."""
    payment = _load(payment_id)
    return _delivered(_change(app.current_event, payment, _json_body(app.current_event).get("status")))


# --- refunds: one per reference, of a paid payment, never more than was paid -----------------------


def _refund_fields(event: APIGatewayProxyEvent) -> dict[str, Any]:
    body = _json_body(event)
    fields = {name: body.get(name) for name in ("payment", "amount", "reference", "callback_url")}
    for name, value in fields.items():
        if (value is not None or name != "callback_url") and (
            not isinstance(value, str) or not value or len(value) > MAX_FIELD_LENGTH
        ):
            raise Refused(400, f"{name} must be a string of at most {MAX_FIELD_LENGTH} characters")
    return fields


def _paid(payment: dict) -> Decimal:
    """What the payment received, which its refunds together may give back."""
    if payment["status"] not in ("succeeded", "partially_paid"):
        raise Refused(422, f"the payment is {payment['status']}: nothing to refund")
    return Decimal(str(payment.get("amount_paid") or payment["amount"]))


def _take(payment: dict, amount: Decimal) -> None:
    """Count `amount` as refunded on the payment, atomically and only while the total stays within what
    was paid: two refunds at once cannot both take the last of it."""
    try:
        dynamodb().update_item(
            TableName=_table(),
            Key={"id": {"S": payment["id"]}},
            UpdateExpression="ADD refunded :amount",
            ConditionExpression="attribute_not_exists(refunded) OR refunded <= :most",
            ExpressionAttributeValues={":amount": {"N": str(amount)}, ":most": {"N": str(_paid(payment) - amount)}},
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        raise Refused(422, "the amount is more than what is left to refund") from None


def _give_back(payment_id: str, amount: Decimal) -> None:
    """A refund that failed: its amount is refundable again."""
    dynamodb().update_item(
        TableName=_table(),
        Key={"id": {"S": payment_id}},
        UpdateExpression="ADD refunded :amount",
        ExpressionAttributeValues={":amount": {"N": str(-amount)}},
    )


def _refund_by_reference(reference: str) -> dict | None:
    key = {"id": {"S": f"ref:{reference}"}}
    item = dynamodb().get_item(TableName=_table(), Key=key, ConsistentRead=True).get("Item")
    return _load(item["refund"]["S"], REFUND_ID, "refund") if item else None


@app.post(f"{PREFIX}/v1/refunds", include_in_schema=False)
def refund() -> Response[str]:
    """Refund `amount` of a payment; the same `reference` again answers the refund it made (200)."""
    event = app.current_event
    _authorize(event)
    fields = _refund_fields(event)
    found = _refund_by_reference(fields["reference"])
    if found is not None:
        return _json(found)
    payment = _load(fields["payment"])
    try:
        amount = Decimal(fields["amount"])
    except InvalidOperation:
        raise Refused(400, "amount must be a decimal string") from None
    if not amount.is_finite() or amount <= 0:
        raise Refused(400, "amount must be more than 0")
    refund = {
        "id": REFUND_ID + secrets.token_hex(8),
        "status": "pending",
        "payment": payment["id"],
        "payment_reference": payment["reference"],
        "amount": fields["amount"],
        "currency": payment["currency"],
        "reference": fields["reference"],
        "callback_url": fields["callback_url"] or payment.get("callback_url"),
    }
    if not _save({"id": f"ref:{fields['reference']}", "refund": refund["id"]}, new=True):
        return _json(_refund_by_reference(fields["reference"]))  # the same reference, at the same time
    _take(payment, amount)
    _save(refund, new=True)
    return _json(refund, 201)


@app.get(f"{PREFIX}/v1/refunds", include_in_schema=False)
def find_refund() -> Response[str]:
    """The refund made with `?reference=`; 404 when none was."""
    _authorize(app.current_event)
    found = _refund_by_reference(app.current_event.get_query_string_value("reference") or "")
    if found is None:
        raise Refused(404, "no refund with that reference")
    return _json(found)


@app.post(f"{PREFIX}/refunds/<refund_id>/status", include_in_schema=False)
def control_refund(refund_id: str) -> Response[str]:
    """Settle a pending refund (`{"status": "succeeded"}` or `"failed"`) and deliver its callback."""
    refund = _load(refund_id, REFUND_ID, "refund")
    status = _json_body(app.current_event).get("status")
    if status not in ("succeeded", "failed"):
        raise Refused(404, f"unknown status {status!r}")
    if refund["status"] != "pending":
        raise Refused(409, f"the refund is {refund['status']} already")
    _credentials()
    refund["status"] = status
    _save(refund)
    if status == "failed":
        _give_back(refund["payment"], Decimal(refund["amount"]))
    return _delivered(_deliver(app.current_event, refund, _refund_callback(refund)))


# --- checkout -----------------------------------------------------------------------------------

# The page wears the hosted checkout's style sheet, under the same kind of strict policy: that block alone.
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _page(event: APIGatewayProxyEvent, payment: dict, result: str = "") -> Response[str]:
    """The checkout page: the amount and the merchant's order (its `description`; never the gateway's own
    payment id), and a form whose buttons pay or fail it. Every value is HTML-escaped (the description and
    the host come from outside)."""
    shown = {name: html.escape(str(payment.get(name))) for name in ("amount", "currency", "status")}
    action = html.escape(f"{_api_url(event)}{PREFIX}/checkout/{payment.get('id')}")
    order = payment.get("description")
    order_row = f'<dt>Order</dt><dd id="reference">{html.escape(order)}</dd>' if order else ""
    buttons = "".join(
        f'<li><button name="status" value="{value}">{label}</button></li>' for value, label in CHOICES.items()
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>Sandbox checkout</title><style>{STYLE}</style></head><body>"
        '<header><div class="shop"><p>Sandbox provider: test mode, no money moves</p></div></header>'
        '<main><h1>Sandbox checkout</h1><div class="layout">'
        '<section class="order" aria-labelledby="order-title"><h2 id="order-title">Payment</h2>'
        f'<dl class="summary"><dt>Amount</dt><dd id="amount">{shown["amount"]} {shown["currency"]}</dd>'
        f"{order_row}</dl></section>"
        '<section class="pay" aria-labelledby="pay-title"><h2 id="pay-title">Pay or fail it</h2>'
        f'<p>Status: <strong id="status">{shown["status"]}</strong></p>'
        f'<form method="post" action="{action}"><ul class="methods">{buttons}</ul></form>'
        f'<p id="result" role="status">{html.escape(result)}</p></section></div></main></body></html>'
    )
    return Response(status_code=200, headers=HEADERS, body=page)


@app.get(f"{PREFIX}/checkout/<payment_id>", include_in_schema=False)
def checkout(payment_id: str) -> Response[str]:
    return _page(app.current_event, _load(payment_id))


@app.post(f"{PREFIX}/checkout/<payment_id>", include_in_schema=False)
def checkout_submit(payment_id: str) -> Response[str]:
    event = app.current_event
    choice = _form_choice(event)
    if choice not in CHOICES:
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
