"""IVPAY's simulator: create and read with IVPAY's envelopes, a pay page, and webhooks sent as IVPAY sends
them (flat JSON body, `X-API-KEY: <the merchant's key>`, up to three attempts until HTTP 200).

Test hooks beyond the shared ones: an amount_fiat that is not a positive number, or a queued create
fault "refuse", gets the 400 error envelope; the control body `{"status": "PAID", "confirm": false}`
sends a webhook claiming PAID while this simulator's own record (what the status call answers) is left
unchanged."""

from __future__ import annotations

import hmac
import html
import json
import secrets
import time
from decimal import Decimal, InvalidOperation

import requests
from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from local.simulators.base import Simulator, json_response

CREDENTIALS = {"api_key": "ivpay_local_api_key"}
ATTEMPTS = 3  # IVPAY's: 3 attempts, 5 s apart, until exactly HTTP 200 (docs/providers/ivpay.md)
# IVPAY's statuses, and CANCELED, which its older (ivendPay) integrations also handle.
STATUSES = ("CREATED", "PENDING", "PAID", "TIMEOUT", "CANCELED")


def refusal(message: str, status: int) -> Response:
    return json_response({"success": False, "error": message}, status)


class IvpaySimulator(Simulator):
    name = "ivpay"
    retry_delay = 5.0  # IVPAY's; tests that make deliveries fail set it to 0

    def rules(self) -> list[Rule]:
        return [
            Rule("/payment/create", methods=["POST"], endpoint="create"),
            Rule("/payment/<payment_id>", methods=["GET"], endpoint="read"),
            Rule("/pay/<payment_id>", methods=["GET"], endpoint="pay_page"),
        ]

    def _authorized(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get("X-API-KEY", "").encode(), self.credentials["api_key"].encode())

    def on_create(self, request: Request) -> Response:
        queue = self.faults.get("create") or []
        if queue and queue[0] == "refuse":  # the gateway sends only valid amounts: a test asks for a 400
            queue.pop(0)
            self.calls["create"] += 1
            return refusal("Payment creation refused", 400)
        fault = self.misbehave("create")
        if fault is not None:
            return fault
        if not self._authorized(request):
            return refusal("Wrong auth parameters", 401)
        body = request.get_json(silent=True) or {}
        amount, currency = body.get("amount_fiat"), body.get("currency_fiat")
        try:
            valid = isinstance(amount, str) and Decimal(amount).is_finite() and Decimal(amount) > 0
        except InvalidOperation:
            valid = False
        if not valid:
            return refusal("Invalid amount_fiat", 400)
        if not isinstance(currency, str) or not currency:
            return refusal("Invalid currency_fiat", 400)
        payment_id = secrets.token_hex(16)
        payment = {
            "payment_id": payment_id,
            "foreign_id": body.get("foreign_id"),
            "status": "CREATED",
            "amount_fiat": amount,
            "currency_fiat": currency,
            "created_at": int(time.time()),
            "processed_at": int(time.time()),
            "payment_url": f"{self.public_url}/pay/{payment_id}",
        }
        with self.lock:
            self.payments[payment_id] = payment
        keys = ("payment_id", "payment_url", "created_at", "foreign_id")
        return json_response({"success": True, "data": {key: payment[key] for key in keys}})

    def on_read(self, request: Request, payment_id: str) -> Response:
        self.calls["read"] += 1
        if not self._authorized(request):
            return refusal("Wrong auth parameters", 401)
        payment = self.payments.get(payment_id)
        if payment is None:
            return refusal("Payment not found", 400)  # the real code for an unknown id is UNCONFIRMED
        keys = ("payment_id", "foreign_id", "processed_at", "status")
        return json_response({"success": True, "data": {key: payment[key] for key in keys}})

    def on_pay_page(self, request: Request, payment_id: str) -> Response:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise NotFound(f"no payment {payment_id}")
        amount = html.escape(f"{payment['amount_fiat']} {payment['currency_fiat']}")
        page = f"<!doctype html><title>IVPAY</title><p>Pay {amount}: {html.escape(payment['status'])}</p>"
        return Response(page, content_type="text/html; charset=utf-8")

    # --- webhooks ----------------------------------------------------------------------------------

    def on_control(self, request: Request, payment_id: str) -> Response:
        """As the base one, plus `"confirm": false`: claim the status without recording it."""
        control = request.get_json(silent=True) or {}
        with self.lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                raise NotFound(f"no payment {payment_id}")
            if control.get("confirm", True) is False:
                payment = dict(payment)  # a copy: the record the status call reads stays as it was
            url, body, headers = self.callback(payment, control.get("status"))
        return json_response({"delivered": True, "response_status": self.deliver(url, body, headers)})

    def callback(self, payment: dict, status: object) -> tuple[str, bytes, dict[str, str]]:
        if status not in STATUSES:
            raise NotFound(f"unknown status {status!r}")
        payment["status"] = status
        payment["processed_at"] = int(time.time())
        paid = status == "PAID"
        tx = secrets.token_hex(32)
        body = json.dumps(
            {
                "payment_id": payment["payment_id"],
                "status": status,
                "processed_at": payment["processed_at"],
                "foreign_id": payment["foreign_id"],
                "network": "TRON" if paid else None,
                "tx_url": f"https://tronscan.org/#/transaction/{tx}" if paid else None,
            }
        ).encode()
        headers = {"Content-Type": "application/json", "X-API-KEY": self.credentials["api_key"]}
        # One webhook URL per API key (set in IVPAY's dashboard): no per-payment callback URL.
        return f"{self.gateway_url}/ipn/ivpay", body, headers

    def deliver(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """IVPAY counts only exactly 200 as delivered (not 201, not 204) and tries three times."""
        status = 0
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(self.retry_delay)
            self.calls["webhook"] += 1
            try:
                status = requests.post(url, data=body, headers=headers, timeout=30).status_code
            except requests.RequestException:
                status = 0
            if status == 200:
                break
        return status


SIMULATOR = IvpaySimulator
