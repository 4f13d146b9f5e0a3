"""Payop's simulator: invoice create (signature checked exactly as Payop does: 422 `Wrong signature`),
the `identifier` header, invoice and transaction reads (transactions need `Authorization: Bearer <jwt>`),
a plain checkout page, and IPNs in Payop's current unsigned format, sent from this host (127.0.0.1, the
address the local credentials allow).

Control endpoint: `{"status": <name>}` with the transaction outcome by name, each setting the invoice
status and the transaction state Payop reports for it:
    pending     -> invoice 4, transaction 4
    preapproved -> invoice 4, transaction 9
    accepted    -> invoice 1, transaction 2
    failed      -> invoice 5, transaction 5 (error "failed")
    timeout     -> invoice 2, transaction 15 (the IPN says state 5 with error "timeout", as Payop's IPN docs do)
One invoice has one transaction here, so `failed` then `accepted` moves the same transaction on.

Invoice options: `paymentMethod` (an identifier, integer or digit string) must be one of the application's
available methods (otherwise 422 with a field message); the invoice answers it as Payop's GET does,
`"paymentMethod": {"identifier": <int>, "formType": "standard"}` (null when none was chosen). `language`
(default `en`) is kept on the stored invoice for tests, as is the whole request body (`request`); neither
is part of the GET answer, whose documented fields do not include them.

Available methods: `GET /v1/instrument-settings/payment-methods/available-for-application/{id}` needs
`Authorization: Bearer <jwt>` (401 `Authorization token invalid` otherwise) and the application id (the
public key without `application-`, or the credential `application_id`; 404 otherwise). It answers METHODS
in Payop's shape and counts every call, faults included, under `calls["methods"]`.

The IPN is a hint: the gateway confirms it with the invoice/transaction reads, so an IPN claiming more
than this simulator's state (e.g. posted by a test) is answered 200 and changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import time
import uuid

from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from local.simulators.base import Simulator, json_response

CREDENTIALS = {
    "public_key": "application-606",
    "secret_key": "payop_local_secret_key",
    "jwt": "payop_local_jwt",
    "ipn_allowlist": "127.0.0.1",
    "checkout_url": "/checkout/en/payment/invoice-preprocessing/{invoice_id}",
}

# name -> (invoice status, transaction state, IPN transaction state, error message)
OUTCOMES = {
    "pending": (4, 4, 4, ""),
    "preapproved": (4, 9, 9, ""),
    "accepted": (1, 2, 2, ""),
    "failed": (5, 5, 5, "failed"),
    "timeout": (2, 15, 5, "timeout"),
}
BLANK = ["This value should not be blank."]
TEST_ONLY = ("transaction", "language", "request")  # kept on the invoice, never in its GET answer
REQUIRED_FIELDS = [
    {"name": "email", "type": "email", "required": True},
    {"name": "name", "type": "text", "required": True},
]
# What the application may use, in Payop's shape: cards for EUR and USD, a SEPA transfer for EUR, a Brazilian
# instant payment for BRL, an e-wallet for USD.
METHODS = [
    {
        "identifier": 381,
        "type": "cards_international",
        "title": "Visa / Mastercard",
        "logo": "https://payop.example/logos/cards.jpg",
        "currencies": ["EUR", "USD"],
        "countries": ["AT", "BE", "DE", "ES", "FR", "GB", "IT", "NL", "PT", "US"],
        "config": {"fields": REQUIRED_FIELDS},
    },
    {
        "identifier": 203,
        "type": "bank_transfer",
        "title": "SEPA Instant",
        "logo": "https://payop.example/logos/sepa.jpg",
        "currencies": ["EUR"],
        "countries": ["AT", "BE", "DE", "ES", "FR", "IT", "NL", "PT"],
        "config": {"fields": [*REQUIRED_FIELDS, {"name": "iban", "type": "text", "required": True}]},
    },
    {
        "identifier": 862,
        "type": "instant_payment",
        "title": "Pix",
        "logo": "https://payop.example/logos/pix.jpg",
        "currencies": ["BRL"],
        "countries": ["BR"],
        "config": {"fields": [*REQUIRED_FIELDS, {"name": "document", "type": "text", "required": True}]},
    },
    {
        "identifier": 617,
        "type": "ewallet",
        "title": "E-wallet",
        "logo": "https://payop.example/logos/ewallet.jpg",
        "currencies": ["USD"],
        "countries": [],
        "config": {"fields": [{"name": "email", "type": "email", "required": True}]},
    },
]


def invoice_signature(amount: str, currency: str, order_id: str, secret_key: str) -> str:
    """What Payop expects in an invoice's `signature`: SHA-256, lower-case hex, of the order's amount,
    currency and id and the project's secret key, joined by colons in that order."""
    return hashlib.sha256(f"{amount}:{currency}:{order_id}:{secret_key}".encode()).hexdigest()


class PayopSimulator(Simulator):
    name = "payop"

    def rules(self) -> list[Rule]:
        return [
            Rule("/v1/invoices/create", methods=["POST"], endpoint="create"),
            Rule("/v1/invoices/<invoice_id>", methods=["GET"], endpoint="invoice"),
            Rule("/v2/transactions/<txid>", methods=["GET"], endpoint="transaction"),
            Rule(
                "/v1/instrument-settings/payment-methods/available-for-application/<application_id>",
                methods=["GET"],
                endpoint="methods",
            ),
            Rule("/checkout/<locale>/payment/invoice-preprocessing/<invoice_id>", methods=["GET"], endpoint="checkout"),
        ]

    def on_create(self, request: Request) -> Response:
        fault = self.misbehave("create")
        if fault is not None:
            return fault
        body = request.get_json(silent=True) or {}
        order, payer = body.get("order") or {}, body.get("payer") or {}
        missing = {
            name: BLANK
            for name, value in {
                "publicKey": body.get("publicKey"),
                "order.id": order.get("id"),
                "order.amount": order.get("amount"),
                "order.currency": order.get("currency"),
                "payer.email": payer.get("email"),
                "signature": body.get("signature"),
            }.items()
            if not value
        }
        if missing:
            return json_response({"message": missing}, 422)
        if body["publicKey"] != self.credentials["public_key"]:
            return json_response({"message": "Application not found"}, 404)
        # Payop signs the strings as sent: "2" and "2.00" are different invoices to it.
        expected = invoice_signature(
            str(order["amount"]), str(order["currency"]), str(order["id"]), self.credentials["secret_key"]
        )
        if not hmac.compare_digest(expected, str(body["signature"])):
            return json_response({"message": "Wrong signature"}, 422)
        chosen = body.get("paymentMethod")
        method = self._method(chosen) if chosen is not None else None
        if chosen is not None and method is None:
            return json_response({"message": {"paymentMethod": ["This payment method is not available."]}}, 422)
        invoice_id = str(uuid.uuid4())
        invoice = {
            "identifier": invoice_id,
            "status": 0,
            "type": 1,
            "amount": order["amount"],  # Payop answers a number; kept as the string sent (never a float)
            "currency": order["currency"],
            "orderIdentifier": str(order["id"]),
            "items": order.get("items") or [],
            "resultUrl": body.get("resultUrl"),
            "failUrl": body.get("failPath"),
            "payer": payer,
            "paymentMethod": {"identifier": method["identifier"], "formType": "standard"} if method else None,
            "createdAt": int(time.time()),
            "txid": None,
            "transaction": None,
            "language": body.get("language", "en"),
            "request": body,
        }
        with self.lock:
            self.payments[invoice_id] = invoice
        return json_response({"data": invoice_id, "status": 1}, headers={"identifier": invoice_id})

    def on_invoice(self, request: Request, invoice_id: str) -> Response:
        self.calls["invoice"] += 1
        invoice = self.payments.get(invoice_id)
        if invoice is None:
            return json_response({"message": f"Invoice ({invoice_id}) not found"}, 404)
        data = {key: value for key, value in invoice.items() if key not in TEST_ONLY}
        return json_response({"data": data, "status": 1})

    def on_transaction(self, request: Request, txid: str) -> Response:
        self.calls["transaction"] += 1
        if request.headers.get("Authorization") != f"Bearer {self.credentials['jwt']}":
            return json_response({"message": "Authorization token invalid"}, 401)
        for invoice in list(self.payments.values()):
            if invoice["txid"] == txid:
                return json_response({"data": invoice["transaction"], "status": 1})
        return json_response({"message": f"Transaction ({txid}) not found"}, 404)

    def on_methods(self, request: Request, application_id: str) -> Response:
        fault = self.misbehave("methods")  # counts the call
        if fault is not None:
            return fault
        if request.headers.get("Authorization") != f"Bearer {self.credentials['jwt']}":
            return json_response({"message": "Authorization token invalid"}, 401)
        if application_id != self.application_id:
            return json_response({"message": f"Application ({application_id}) not found"}, 404)
        return json_response({"data": METHODS, "status": 1})

    @property
    def application_id(self) -> str:
        return self.credentials.get("application_id") or self.credentials["public_key"].removeprefix("application-")

    @staticmethod
    def _method(chosen: object) -> dict | None:
        """The available method an invoice names (an integer, or its digits as a string), if any."""
        if isinstance(chosen, bool) or not isinstance(chosen, int | str):
            return None
        return next((method for method in METHODS if str(method["identifier"]) == str(chosen)), None)

    def callback(self, payment: dict, status: object) -> tuple[str, bytes, dict[str, str]]:
        if status not in OUTCOMES:
            raise NotFound(f"unknown status {status!r}; use one of {', '.join(OUTCOMES)}")
        invoice_status, state, ipn_state, error = OUTCOMES[status]
        payment["status"] = invoice_status
        payment["txid"] = payment["txid"] or str(uuid.uuid4())
        payment["transaction"] = {
            "identifier": payment["txid"],
            "amount": payment["amount"],
            "currency": payment["currency"],
            "state": state,
            "error": {"message": error, "code": ""} if error else None,
            "createdAt": payment["createdAt"],
            "orderId": payment["orderIdentifier"],
            "resultUrl": payment["resultUrl"],
        }
        body = json.dumps(
            {
                "invoice": {
                    "id": payment["identifier"],
                    "status": invoice_status,
                    "txid": payment["txid"],
                    "metadata": {},
                },
                "transaction": {
                    "id": payment["txid"],
                    "state": ipn_state,
                    "order": {"id": payment["orderIdentifier"]},
                    "error": {"message": error, "code": ""},
                },
            }
        ).encode()
        # Payop's IPN URL is set per project in its dashboard, not per invoice.
        return f"{self.gateway_url}/ipn/payop", body, {"Content-Type": "application/json"}

    def on_checkout(self, request: Request, locale: str, invoice_id: str) -> Response:
        invoice = self.payments.get(invoice_id)
        if invoice is None:
            raise NotFound(f"no invoice {invoice_id}")
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Payop checkout</title></head><body>"
            f"<h1>Payop checkout</h1><p>Invoice <code>{html.escape(invoice_id)}</code>: "
            f"<strong>{html.escape(str(invoice['amount']))} {html.escape(str(invoice['currency']))}</strong>, "
            f"status {invoice['status']}.</p></body></html>"
        )
        return Response(page, content_type="text/html; charset=utf-8")


SIMULATOR = PayopSimulator
