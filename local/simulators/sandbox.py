"""The sandbox provider's simulator: create, read, a checkout page with Pay and Fail buttons, and
signed callbacks (HMAC-SHA256, `Paygate-Signature: t=<unix>,v1=<hex>`).

Reads and callbacks carry the payment's `amount` and `currency`, and `amount_paid` once it is paid: the
whole amount, unless a test set the payment's `amount_paid` first (an underpayment). Each payment also keeps,
for tests, the create body as it arrived (`request`); it is never part of an answer."""

from __future__ import annotations

import html
import json
import secrets
import time

from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from local.simulators.base import Simulator, json_response
from paygate.providers.sandbox.adapter import CHECKOUT_PAGE, STATUS_MAP
from paygate.providers.sandbox.signing import sign

CREDENTIALS = {"api_key": "sbx_local_api_key", "webhook_secret": "sbx_local_webhook_secret"}


def public(payment: dict) -> dict:
    """The payment as the sandbox answers it (without what it keeps for tests)."""
    return {key: value for key, value in payment.items() if key != "request"}


class SandboxSimulator(Simulator):
    name = "sandbox"

    def rules(self) -> list[Rule]:
        return [
            Rule("/v1/payments", methods=["POST"], endpoint="create"),
            Rule("/v1/payments/<payment_id>", methods=["GET"], endpoint="read"),
            Rule("/checkout/<payment_id>", methods=["GET"], endpoint="checkout"),
            Rule("/checkout/<payment_id>", methods=["POST"], endpoint="checkout_submit"),
        ]

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.credentials['api_key']}"

    def on_create(self, request: Request) -> Response:
        fault = self.misbehave("create")
        if fault is not None:
            return fault
        if not self._authorized(request):
            return json_response({"message": "invalid api key"}, 401)
        body = request.get_json(silent=True) or {}
        payment_id = "sbx_" + secrets.token_hex(8)
        payment = {
            "id": payment_id,
            "status": "pending",
            "amount": body.get("amount"),
            "currency": body.get("currency"),
            "reference": body.get("reference"),
            "callback_url": body.get("callback_url"),
            "return_url": body.get("return_url"),
            "checkout_url": f"{self.public_url}/checkout/{payment_id}",
            "request": body,
        }
        with self.lock:
            self.payments[payment_id] = payment
        return json_response(public(payment), 201)

    def on_read(self, request: Request, payment_id: str) -> Response:
        self.calls["read"] += 1
        if not self._authorized(request):
            return json_response({"message": "invalid api key"}, 401)
        payment = self.payments.get(payment_id)
        if payment is None:
            raise NotFound(f"no payment {payment_id}")
        return json_response(public(payment))

    def callback(self, payment: dict, status: object) -> tuple[str, bytes, dict[str, str]]:
        if status not in STATUS_MAP:
            raise NotFound(f"unknown status {status!r}")
        payment["status"] = status
        if status == "succeeded":
            payment.setdefault("amount_paid", payment["amount"])
        body = json.dumps(
            {
                "event_id": "evt_" + secrets.token_hex(8),
                "id": payment["id"],
                "reference": payment["reference"],
                "status": status,
                "amount": payment["amount"],
                "currency": payment["currency"],
                "amount_paid": payment.get("amount_paid"),
                "created": int(time.time()),
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Paygate-Signature": sign(self.credentials["webhook_secret"], int(time.time()), body),
        }
        return payment["callback_url"] or f"{self.gateway_url}/ipn/sandbox", body, headers

    def on_checkout(self, request: Request, payment_id: str, result: str = "") -> Response:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise NotFound(f"no payment {payment_id}")
        page = CHECKOUT_PAGE.format(
            id=html.escape(payment_id),
            amount=html.escape(str(payment["amount"])),
            currency=html.escape(str(payment["currency"])),
            reference=html.escape(str(payment["reference"])),
            status=html.escape(payment["status"]),
            base=self.public_url,
            result=html.escape(result),
        )
        return Response(page, content_type="text/html; charset=utf-8")

    def on_checkout_submit(self, request: Request, payment_id: str) -> Response:
        status = request.form.get("status")
        if status not in ("succeeded", "failed"):
            raise NotFound("unknown choice")
        with self.lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                raise NotFound(f"no payment {payment_id}")
            url, body, headers = self.callback(payment, status)
        answer = self.deliver(url, body, headers)
        if payment.get("return_url"):  # back to the shop (or the gateway's own page), as providers do
            return Response(status=303, headers={"Location": payment["return_url"]})
        return self.on_checkout(request, payment_id, result=f"The gateway answered HTTP {answer}.")


SIMULATOR = SandboxSimulator
