"""Paygentic's simulator: `POST /v0/payments` honouring `idempotencyKey` (the same key answers 200 with
the same payment), `GET /v0/payments/{id}`, a pay page, and Svix-signed webhooks to the gateway.

The optional `customerId` (a string) and `savePaymentMethod` (a boolean) are validated, kept on the
payment and echoed in its answers when sent. (Paygentic's payment object documents `customerId`; it does
not list `savePaymentMethod`, which the simulator echoes anyway so tests see it arrive.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import TypeAdapter
from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from local.simulators.base import Simulator, json_response

CREDENTIALS = {
    "api_key": "pgn_local_api_key",
    "webhook_secret": "whsec_cGF5Z2F0ZS1sb2NhbC1wYXlnZW50aWMtd2ViaG9vayE=",
}
AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")
MIN_AMOUNT, MAX_AMOUNT = Decimal("1.00"), Decimal("5000.00")
CURRENCIES = ("AUD", "EUR", "GBP", "USD")
# A payment's statuses; `failed` is documented for payment sessions, and sent here too.
STATUSES = ("pending", "processing", "completed", "expired", "cancelled", "failed")
DURATION = TypeAdapter(timedelta)


def svix_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `svix-signature` entry Svix sends: `v1,` and the base64 HMAC-SHA256, keyed with the secret's
    base64 part (after `whsec_`) decoded, of `<svix-id>.<svix-timestamp>.<raw body>`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, b"%s.%d.%s" % (msg_id.encode(), timestamp, body), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class PaygenticSimulator(Simulator):
    name = "paygentic"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.by_key: dict[str, str] = {}  # idempotencyKey -> payment id

    def rules(self) -> list[Rule]:
        return [
            Rule("/v0/payments", methods=["POST"], endpoint="create"),
            Rule("/v0/payments/<payment_id>", methods=["GET"], endpoint="read"),
            Rule("/pay/<payment_id>", methods=["GET"], endpoint="pay_page"),
        ]

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.credentials['api_key']}"

    def on_create(self, request: Request) -> Response:
        # A "timeout" here creates the payment and then answers too late: the caller cannot know it
        # exists, which is the case idempotencyKey is for. Other faults are the base class's.
        queue = self.faults.get("create") or []
        late = bool(queue) and queue[0] == "timeout"
        if late:
            queue.pop(0)
            self.calls["create"] += 1
        elif (fault := self.misbehave("create")) is not None:
            return fault
        response = self._create(request)
        if late:
            time.sleep(self.fault_delay)
        return response

    def _create(self, request: Request) -> Response:
        if not self._authorized(request):
            return json_response({"error": "unauthorized", "message": "Invalid API key"}, 401)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return json_response({"error": "bad_request", "message": "Invalid JSON body"}, 400)
        errors = self._validate(body)
        if errors:
            return json_response(
                {"error": "validation_error", "message": "Request validation failed", "errors": errors}, 400
            )
        key = body.get("idempotencyKey")
        with self.lock:
            if key and key in self.by_key:
                return json_response(self.payments[self.by_key[key]], 200)
            payment_id = "pay_" + secrets.token_hex(10)
            now = datetime.now(UTC)
            payment = {
                "id": payment_id,
                "object": "payment",
                "amount": body["amount"],
                "currency": body["currency"],
                "status": "pending",
                "createdAt": now.isoformat().replace("+00:00", "Z"),
                "paymentUrl": f"{self.public_url}/pay/{payment_id}",
                "idempotencyKey": key,
                "reference": body.get("reference"),
                "metadata": body.get("metadata") or {},
                "lineItems": body.get("lineItems") or [],
                **{field: body[field] for field in ("customerId", "savePaymentMethod") if field in body},
                "expiresAt": (now + DURATION.validate_python(body.get("expiresIn") or "P30D"))
                .isoformat()
                .replace("+00:00", "Z"),
            }
            self.payments[payment_id] = payment
            if key:
                self.by_key[key] = payment_id
        return json_response(payment, 201)

    @staticmethod
    def _validate(body: dict) -> list[dict[str, str]]:
        errors = []
        amount = body.get("amount")
        if not isinstance(amount, str) or not AMOUNT.match(amount) or not MIN_AMOUNT <= Decimal(amount) <= MAX_AMOUNT:
            errors.append({"field": "amount", "message": "must be a decimal string from 1.00 to 5000.00"})
        if body.get("currency") not in CURRENCIES:
            errors.append({"field": "currency", "message": f"must be one of {', '.join(CURRENCIES)}"})
        try:
            lifetime = DURATION.validate_python(body.get("expiresIn") or "P30D")
        except ValueError:
            lifetime = None
        if lifetime is None or not timedelta(0) < lifetime <= timedelta(days=31):
            errors.append({"field": "expiresIn", "message": "must be an ISO 8601 duration of at most P31D"})
        if "customerId" in body and (not isinstance(body["customerId"], str) or not body["customerId"]):
            errors.append({"field": "customerId", "message": "must be a non-empty string"})
        if "savePaymentMethod" in body and not isinstance(body["savePaymentMethod"], bool):
            errors.append({"field": "savePaymentMethod", "message": "must be a boolean"})
        return errors

    def on_read(self, request: Request, payment_id: str) -> Response:
        self.calls["read"] += 1
        if not self._authorized(request):
            return json_response({"error": "unauthorized", "message": "Invalid API key"}, 401)
        payment = self.payments.get(payment_id)
        if payment is None:
            return json_response({"error": "not_found", "message": "Payment not found"}, 404)
        return json_response(payment)

    def on_pay_page(self, request: Request, payment_id: str) -> Response:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise NotFound(f"no payment {payment_id}")
        text = f"Paygentic (simulated): pay {payment['amount']} {payment['currency']}, status {payment['status']}"
        return Response(f"<!doctype html><p>{html.escape(text)}</p>", content_type="text/html; charset=utf-8")

    def callback(self, payment: dict, status: object) -> tuple[str, bytes, dict[str, str]]:
        if status not in STATUSES:
            raise NotFound(f"unknown status {status!r}")
        payment["status"] = status
        body = json.dumps(
            {
                "eventType": f"payment.{status}.v0",
                "eventId": "evt_" + secrets.token_hex(8),
                "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "data": {
                    "paymentId": payment["id"],
                    "reference": payment["reference"],
                    "status": status,
                    "amount": payment["amount"],
                    "currency": payment["currency"],
                },
            }
        ).encode()
        msg_id, timestamp = "msg_" + secrets.token_hex(12), int(time.time())
        headers = {
            "Content-Type": "application/json",
            "svix-id": msg_id,
            "svix-timestamp": str(timestamp),
            "svix-signature": svix_signature(self.credentials["webhook_secret"], msg_id, timestamp, body),
        }
        # Svix endpoints are account-level: there is no per-payment webhook URL.
        return f"{self.gateway_url}/ipn/paygentic", body, headers


SIMULATOR = PaygenticSimulator
