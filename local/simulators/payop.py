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
than this simulator's state (e.g. posted by a test) is answered 200 and changes nothing.

Refunds (with `Authorization: Bearer <jwt>`; 401 otherwise): `POST /v1/refunds/create` takes
`transactionIdentifier` (an accepted transaction, else 422 `Transaction not found`), `refundType` (1 full,
2 partial), `amount` (a JSON number, required for a partial refund and, for a full one, absent or the
whole amount; any other is 422 with a field message) and `metadata`. It refuses more than the transaction
holds after its refunds that were not rejected (422 `Refund amount is bigger than transaction amount`),
and answers `{"data": "", "status": 1}` with the refund id in the `identifier` header.
`GET /v1/refunds/user-refunds` lists them all, or the one `?query[identifier]=` names (an empty list when
none). Control: `POST /refunds/<refund id>/status` with `{"state": 2}` (accepted), `3` or `4` (rejected)
or `1` sets the refund and sends the refund IPN, in the documented shape, to the gateway's `/ipn/payop`.
Faults: `refund` (create) and `refund_status` (reads); the stored refund keeps its create body
(`request`, as sent) for tests."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import time
import uuid
from decimal import Decimal
from typing import Any

from werkzeug.exceptions import BadRequest, NotFound
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
NOT_A_NUMBER = ["This value should be of type number."]
# Payop does not say what a full refund's amount may be: here it is the whole transaction's, or none.
FULL_IS_ALL = "A full refund is of the whole transaction amount."
REFUND_STATES = (1, 2, 3, 4)  # new, accepted, rejected, rejected
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

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.refunds: dict[str, dict] = {}  # by Payop's refund id

    def rules(self) -> list[Rule]:
        return [
            Rule("/v1/refunds/create", methods=["POST"], endpoint="refund"),
            Rule("/v1/refunds/user-refunds", methods=["GET"], endpoint="user_refunds"),
            Rule("/refunds/<refund_id>/status", methods=["POST"], endpoint="refund_control"),
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

    # --- refunds -----------------------------------------------------------------------------------

    def on_refund(self, request: Request) -> Response:
        refused = self._refused(request, "refund", "Full authentication is required to access this resource.")
        if refused is not None:
            return refused
        try:
            body = json.loads(request.get_data() or b"{}", parse_float=Decimal)  # amounts exactly as written
        except ValueError:
            return json_response({"message": "Invalid JSON"}, 400)
        body = body if isinstance(body, dict) else {}
        kind, amount, metadata = body.get("refundType"), body.get("amount"), body.get("metadata")
        if kind not in (1, 2) or isinstance(kind, bool):
            return json_response({"message": {"refundType": ["The value you selected is not a valid choice."]}}, 422)
        if (amount is not None or kind == 2) and (isinstance(amount, bool) or not isinstance(amount, int | Decimal)):
            return json_response({"message": {"amount": NOT_A_NUMBER}}, 422)
        with self.lock:
            invoice = self._paid_invoice(body.get("transactionIdentifier"))
            if invoice is None:
                return json_response({"message": "Transaction not found"}, 422)
            paid = Decimal(str(invoice["amount"]))
            wanted = paid if amount is None else Decimal(amount)
            if kind == 1 and wanted != paid:
                return json_response({"message": {"amount": [FULL_IS_ALL]}}, 422)
            if wanted <= 0:
                return json_response({"message": {"amount": ["This value should be positive."]}}, 422)
            if self._refunded(invoice["txid"]) + wanted > paid:
                return json_response({"message": "Refund amount is bigger than transaction amount"}, 422)
            refund_id = str(uuid.uuid4())
            self.refunds[refund_id] = {
                "identifier": refund_id,
                "status": 1,
                "type": kind,
                "amount": float(wanted),
                "currency": invoice["currency"],
                "createdAt": int(time.time()),
                "updatedAt": None,
                "txid": invoice["txid"],
                "error": None,
                "metadata": metadata if isinstance(metadata, dict) else {},
                "request": request.get_data(as_text=True),  # the body as sent, for tests
            }
        return json_response({"data": "", "status": 1}, headers={"identifier": refund_id})

    def _paid_invoice(self, txid: object) -> dict | None:
        """The invoice whose accepted transaction is `txid`: only those can be refunded."""
        for invoice in self.payments.values():
            if txid and invoice["txid"] == txid and invoice["transaction"]["state"] == 2:
                return invoice
        return None

    def _refunded(self, txid: str) -> Decimal:
        """What the transaction's refunds take, but those rejected."""
        taken = [
            Decimal(str(r["amount"])) for r in self.refunds.values() if r["txid"] == txid and r["status"] in (1, 2)
        ]
        return sum(taken, Decimal(0))

    def on_user_refunds(self, request: Request) -> Response:
        refused = self._refused(request, "refund_status", "Authorization token invalid")
        if refused is not None:
            return refused
        wanted = request.args.get("query[identifier]")
        found = [
            self._refund_answer(r) for r in list(self.refunds.values()) if wanted is None or r["identifier"] == wanted
        ]
        return json_response({"data": found, "status": 1})

    def on_refund_control(self, request: Request, refund_id: str) -> Response:
        state = (request.get_json(silent=True) or {}).get("state")
        if state not in REFUND_STATES or isinstance(state, bool):
            raise BadRequest(f"unknown state {state!r}; use one of {REFUND_STATES}")
        with self.lock:
            refund = self.refunds.get(refund_id)
            if refund is None:
                raise NotFound(f"no refund {refund_id}")
            refund["status"], refund["updatedAt"] = state, int(time.time())
            refund["error"] = {"message": "Refund was rejected", "code": ""} if state in (3, 4) else None
            body = json.dumps(
                {
                    "transaction": {
                        "refundId": refund_id,
                        "state": state,
                        "amount": refund["amount"],
                        "currency": refund["currency"],
                        "metadata": refund["metadata"],
                        "error": refund["error"] or {"message": "", "code": ""},
                    },
                    "sourceTransaction": {"id": refund["txid"], "state": 2},
                }
            ).encode()
        # The Refund IPN URL is a project setting, here the same as the checkout IPN's.
        status = self.deliver(f"{self.gateway_url}/ipn/payop", body, {"Content-Type": "application/json"})
        return json_response({"delivered": True, "response_status": status})

    def _refund_answer(self, refund: dict) -> dict:
        """A refund as the refund read answers it: its source transaction inside, our bookkeeping out."""
        invoice = next((i for i in self.payments.values() if i["txid"] == refund["txid"]), {})
        source = {
            "identifier": refund["txid"],
            "amount": float(invoice.get("amount", 0)),
            "currency": refund["currency"],
        }
        shown = {key: value for key, value in refund.items() if key not in ("txid", "request")}
        return {**shown, "sourceTransaction": source}

    def _refused(self, request: Request, operation: str, message: str) -> Response | None:
        """A fault queued for `operation` (the call counted), or Payop's 401 without the project's JWT."""
        fault = self.misbehave(operation)
        if fault is None and request.headers.get("Authorization") != f"Bearer {self.credentials['jwt']}":
            return json_response({"message": message}, 401)
        return fault

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
