"""NOWPayments' simulator: `POST /v1/payment` and `GET /v1/payment/{id}` as the real API answers them
(`payment_id` a string on create, an integer on status), its error bodies, and IPNs as NOWPayments sends
them: the status body plus `fee`, `actually_paid_at_fiat` and `parent_payment_id`, keys in no particular
order, numbers as JavaScript writes them, signed with HMAC-SHA512 over the recursively sorted body in
`x-nowpayments-sig`.

The optional create fields `is_fixed_rate`, `is_fee_paid_by_user` (booleans), `payout_address`,
`payout_currency` and `payout_extra_id` (strings) are kept on the payment under the same names and echoed
in the create answer when sent. A fixed rate (either flag) gives an `expiration_estimate_date` 20 minutes
on. Each stored payment also keeps, for tests, the request body as it arrived (`request`, numbers as
Decimals) and `price_amount` as written (`price_amount_text`); neither is part of any answer.

Errors on create, as the real API gives them:
    a wrong `x-api-key`                      -> 403 INVALID_API_KEY
    `price_amount` below MINIMUM_PRICE (1)   -> 400 AMOUNT_MINIMAL_ERROR
    a missing or mistyped field              -> 400 INVALID_REQUEST_PARAMS
    `payout_address` without `payout_currency` -> 400 INVALID_REQUEST_PARAMS

Control endpoint: `{"status": <one of the nine native statuses>}`."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from local.simulators.base import Simulator, json_response

CREDENTIALS = {"api_key": "np_local_api_key", "ipn_secret": "np_local_ipn_secret"}
MINIMUM_PRICE = Decimal("1")
RATE = Decimal("0.0000105")  # crypto per fiat unit: any fixed rate will do here
MEMO_CURRENCIES = {"xrp", "xlm", "eos", "bnbmainnet", "ava"}  # these need payin_extra_id
FLAGS = ("is_fixed_rate", "is_fee_paid_by_user")  # optional booleans
PAYOUT_FIELDS = ("payout_address", "payout_currency", "payout_extra_id")  # optional strings
FIXED_RATE_MINUTES = 20
TEST_ONLY = ("price_amount_text", "request")  # kept for tests, never answered
SIGNATURE_HEADER = "x-nowpayments-sig"
# Every payment_status NOWPayments reports, from the first to the final ones.
STATUSES = (
    "waiting",
    "confirming",
    "confirmed",
    "sending",
    "partially_paid",
    "finished",
    "failed",
    "refunded",
    "expired",
)


# --- JSON as NOWPayments' Node servers write and sign it -------------------------------------------


def js_number(value: Decimal | int) -> str:
    """A number as JavaScript's `Number#toString` writes it: the fewest digits that read back as the same
    double, in plain notation from 1e-6 up to 1e21 (`0.0000985`, `6`, never `6.0`), in exponent notation
    outside it (`1e-7`, `1e+21`)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value} has no JSON form")
    if number == 0:
        return "0"
    # repr() finds the same shortest digits; only where it puts the point and the exponent differs.
    mantissa, _, power = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    written = whole + fraction
    digits = written.strip("0")
    # The value is 0.<digits> x 10^point.
    point = len(whole) + int(power or 0) - (len(written) - len(written.lstrip("0")))
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        text = digits[0] + (f".{digits[1:]}" if count > 1 else "") + f"e{point - 1:+d}"
    return ("-" if number < 0 else "") + text


def js_json(value: Any, *, sorted_keys: bool) -> str:
    """`JSON.stringify(value)`, compact. With `sorted_keys`, the keys of every object at every level in
    the order JavaScript's `sort()` gives them (by UTF-16 code units): the text NOWPayments signs. (An
    object with integer-like keys would list them first in JavaScript; no body written here has any.)"""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be")) if sorted_keys else list(value)
        members = (f"{js_json(key, sorted_keys=False)}:{js_json(value[key], sorted_keys=sorted_keys)}" for key in keys)
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(js_json(item, sorted_keys=sorted_keys) for item in value) + "]"
    if isinstance(value, str | bool) or value is None:
        return json.dumps(value, ensure_ascii=False)  # non-ASCII left as it is, as JavaScript does
    return js_number(value)


def sign(secret: str, body: dict) -> str:
    """The `x-nowpayments-sig` of an IPN body: HMAC-SHA512, hex, keyed with the IPN secret, over the body
    with its keys sorted at every level."""
    return hmac.new(secret.encode(), js_json(body, sorted_keys=True).encode(), hashlib.sha512).hexdigest()


def js_response(body: dict, status: int = 200) -> Response:
    """JSON as NOWPayments' Node servers write it (numbers included)."""
    return Response(js_json(body, sorted_keys=False), status=status, content_type="application/json")


def error(status: int, code: str, message: str) -> Response:
    return json_response({"status": False, "statusCode": status, "code": code, "message": message}, status)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(datetime.now(UTC))


class NowPaymentsSimulator(Simulator):
    name = "nowpayments"

    def rules(self) -> list[Rule]:
        return [
            Rule("/v1/payment", methods=["POST"], endpoint="create"),
            Rule("/v1/payment/<payment_id>", methods=["GET"], endpoint="read"),
        ]

    def _authorized(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get("x-api-key", ""), self.credentials["api_key"])

    def on_create(self, request: Request) -> Response:
        fault = self.misbehave("create")
        if fault is not None:
            return fault
        if not self._authorized(request):
            return error(403, "INVALID_API_KEY", "Invalid api key")
        try:
            body = json.loads(request.get_data(), parse_float=Decimal, parse_int=Decimal)
        except ValueError:
            return error(400, "INVALID_REQUEST_PARAMS", "Invalid JSON")
        price = body.get("price_amount") if isinstance(body, dict) else None
        if not isinstance(price, Decimal):  # a number on the wire, never a string
            return error(400, "INVALID_REQUEST_PARAMS", '"price_amount" must be a number')
        for field in ("price_currency", "pay_currency"):
            if not isinstance(body.get(field), str) or not body[field]:
                return error(400, "INVALID_REQUEST_PARAMS", f'"{field}" is required')
        for field in FLAGS:
            if field in body and not isinstance(body[field], bool):
                return error(400, "INVALID_REQUEST_PARAMS", f'"{field}" must be a boolean')
        for field in PAYOUT_FIELDS:
            if field in body and not isinstance(body[field], str):
                return error(400, "INVALID_REQUEST_PARAMS", f'"{field}" must be a string')
        if body.get("payout_address") and not body.get("payout_currency"):
            return error(400, "INVALID_REQUEST_PARAMS", '"payout_currency" is required with "payout_address"')
        if price < MINIMUM_PRICE:
            return error(400, "AMOUNT_MINIMAL_ERROR", "amountTo is too small")
        payment_id = str(secrets.randbelow(9 * 10**9) + 10**9)
        pay_currency = body["pay_currency"].lower()
        moment = datetime.now(UTC)
        created = iso(moment)
        fixed_rate = any(body.get(flag) is True for flag in FLAGS)
        expires = moment + timedelta(minutes=FIXED_RATE_MINUTES) if fixed_rate else moment
        payment = {
            "payment_id": payment_id,
            "payment_status": "waiting",
            "pay_address": "3" + secrets.token_hex(16),
            "price_amount": price,
            "price_currency": body["price_currency"],
            "pay_amount": (price * RATE).quantize(Decimal("0.00000001")),
            "pay_currency": pay_currency,
            "order_id": body.get("order_id"),
            "order_description": body.get("order_description"),
            "ipn_callback_url": body.get("ipn_callback_url"),
            "created_at": created,
            "updated_at": created,
            "purchase_id": str(secrets.randbelow(9 * 10**9) + 10**9),
            "amount_received": None,
            "payin_extra_id": str(secrets.randbelow(10**9)) if pay_currency in MEMO_CURRENCIES else None,
            "smart_contract": "",
            "network": pay_currency,
            "network_precision": 8,
            "time_limit": None,
            "burning_percent": None,
            "expiration_estimate_date": iso(expires),
            "type": "crypto2crypto",
            # The optional fields as sent (None: not sent); echoed below only when sent.
            **{field: body.get(field) for field in (*FLAGS, *PAYOUT_FIELDS)},
            "price_amount_text": str(price),  # what arrived on the wire, for tests; not part of the API
            "request": body,  # the whole body as it arrived, for tests; not part of the API
        }
        with self.lock:
            self.payments[payment_id] = payment
        unsent = {field for field in (*FLAGS, *PAYOUT_FIELDS) if field not in body}
        return js_response({k: v for k, v in payment.items() if k not in TEST_ONLY and k not in unsent}, 201)

    def on_read(self, request: Request, payment_id: str) -> Response:
        self.calls["read"] += 1
        if not self._authorized(request):
            return error(403, "INVALID_API_KEY", "Invalid api key")
        payment = self.payments.get(payment_id)
        if payment is None:
            return error(404, "NOT_FOUND", "Payment not found")
        return js_response(self._status_body(payment))

    def _status_body(self, payment: dict) -> dict:
        """The get-status answer: `payment_id` an integer here, unlike on create."""
        paid = {"finished": payment["pay_amount"], "partially_paid": payment["pay_amount"] / 2}
        return {
            "payment_id": int(payment["payment_id"]),
            "invoice_id": None,
            "payment_status": payment["payment_status"],
            "pay_address": payment["pay_address"],
            "payin_extra_id": payment["payin_extra_id"],
            "price_amount": payment["price_amount"],
            "price_currency": payment["price_currency"],
            "pay_amount": payment["pay_amount"],
            "actually_paid": paid.get(payment["payment_status"], Decimal(0)),
            "pay_currency": payment["pay_currency"],
            "order_id": payment["order_id"],
            "order_description": payment["order_description"],
            "purchase_id": int(payment["purchase_id"]),
            "outcome_amount": payment["pay_amount"] * Decimal("0.995"),
            "outcome_currency": payment["pay_currency"],
            "payin_hash": None,
            "payout_hash": None,
            "created_at": payment["created_at"],
            "updated_at": payment["updated_at"],
            "type": payment["type"],
        }

    def callback(self, payment: dict, status: object) -> tuple[str, bytes, dict[str, str]]:
        if status not in STATUSES:
            raise NotFound(f"unknown status {status!r}")
        payment["payment_status"] = status
        payment["updated_at"] = now_iso()
        body = {
            **self._status_body(payment),
            "updated_at": int(time.time() * 1000),  # IPNs carry it as epoch milliseconds
            "parent_payment_id": None,
            "actually_paid_at_fiat": 0,
            # Tiny fees in exponent range exercise the JavaScript number format of the signature.
            "fee": {
                "currency": payment["pay_currency"],
                "depositFee": Decimal("0.0000985"),
                "withdrawalFee": 0,
                "serviceFee": Decimal("1E-7"),
            },
        }
        body = dict(sorted(body.items(), reverse=True))  # keys arrive unsorted: the verifier must sort
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.credentials["ipn_secret"], body),
        }
        url = payment["ipn_callback_url"] or f"{self.gateway_url}/ipn/nowpayments"
        return url, js_json(body, sorted_keys=False).encode(), headers


SIMULATOR = NowPaymentsSimulator
