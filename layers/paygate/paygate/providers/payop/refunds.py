"""Payop's refunds: the refund half of its adapter (docs/providers/payop.md, "Refunds").

Create: `POST /v1/refunds/create` with `Authorization: Bearer <jwt>` and `{"transactionIdentifier": <the
invoice's txid>, "refundType": 1 (full) or 2 (partial), "amount": <a JSON number>, "metadata": {...}}`,
answered `{"data": "", "status": 1}` with the refund id in the `identifier` header. Payop documents no
idempotency, so our refund id rides in `metadata` (`paygate_refund_id`), which its reads and IPNs echo: a
refund whose create ended unknown is found again among the merchant's refunds.

Status: `GET /v1/refunds/user-refunds?query[identifier]=<refund id>` (the same JWT) answers `data` as a list;
`status` 1 is new, 2 accepted, 3 and 4 rejected. Without the query it lists all the merchant's refunds.

IPN: `{"transaction": {"refundId", "state", "amount", "currency", "metadata", "error"}, "sourceTransaction":
{"id", "state"}}`, unsigned like Payop's payment IPNs: the adapter checks its sender, and it is only a hint,
which the gateway confirms with `fetch_refund` before anything changes."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from paygate.errors import InvalidRequest, NotFound, ProviderError, ProviderInvalidResponse, ProviderRejected
from paygate.models import Money, Payment
from paygate.providers.base import Callback, Provider, RefundReport, RefundState
from paygate.providers.payop.wire import REFUND_STATUS, integer, message_of
from paygate.refunds import Refund, RefundStatus

if TYPE_CHECKING:
    import requests

CREATE_PATH = "/v1/refunds/create"
REFUNDS_PATH = "/v1/refunds/user-refunds"
FULL, PARTIAL = 1, 2
# Our refund id in the refund's metadata, under this key.
REFERENCE = "paygate_refund_id"
_OUR_ID = re.compile(r"re_[0-9a-f]{1,64}")
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")


class PayopRefunds(Provider):
    """Refunds through Payop's refund API, and the invoice read they share with status (a refund names the
    invoice's transaction)."""

    def refund(self, payment: Payment, refund: Refund) -> RefundState:
        jwt = self.credentials.get("jwt")
        if not jwt:
            raise ProviderRejected("payop: no jwt is configured, so nothing can be refunded through Payop")
        txid = self._transaction_of(payment)
        # The whole payment is a full refund (Payop takes no partial payments, so it is all it was paid).
        kind = FULL if Decimal(refund.amount) == Decimal(payment.amount) else PARTIAL
        response = self.request(
            "POST",
            CREATE_PATH,
            headers=_headers(jwt),
            data=create_body(txid, kind, refund.amount, {REFERENCE: refund.id}),
        )
        answer = self.json(response)
        if response.status_code not in (200, 201):
            raise ProviderRejected(f"payop: refund refused: {_hidden(message_of(answer, response.status_code), jwt)}")
        provider_refund_id = response.headers.get("identifier")
        if not provider_refund_id:
            # Made or not, Payop did not say which: fetch_refund finds it by our id, or finds none.
            raise ProviderInvalidResponse("payop: the refund answer names no refund")
        return RefundState(RefundStatus.PENDING, "refund 1", provider_refund_id=provider_refund_id)

    def fetch_refund(self, payment: Payment, refund: Refund) -> RefundState:
        jwt = self.credentials.get("jwt")
        if not jwt:
            raise ProviderError("payop: no jwt is configured, so its refunds cannot be read")
        known = refund.provider_refund_id
        # By Payop's id when its create told it; otherwise among all the merchant's refunds, by our id.
        path = f"{REFUNDS_PATH}?query[identifier]={quote(known, safe='')}" if known else REFUNDS_PATH
        response = self.request("GET", path, headers=_headers(jwt))
        body = self.json(response, exact=True)
        if response.status_code != 200:
            message = _hidden(message_of(body, response.status_code), jwt)
            raise ProviderRejected(f"payop: refund read refused: {message}")
        data = body.get("data")
        if not isinstance(data, list):
            raise ProviderInvalidResponse("payop: the refunds answer has no list")
        found = [
            item
            for item in data
            if isinstance(item, dict)
            and (item.get("identifier") == known if known else reference_of(item.get("metadata")) == refund.id)
        ]
        if not found:
            raise NotFound(f"payop has no refund {known or refund.id}", code="refund_not_found")
        if len(found) > 1:
            raise ProviderInvalidResponse(f"payop: more than one refund answers to {known or refund.id}")
        return _state(found[0], refund)

    def _transaction_of(self, payment: Payment) -> str:
        """The Payop transaction that paid the invoice (a refund names it, not the invoice)."""
        kept = (getattr(payment, "provider_data", None) or {}).get("txid")
        if kept:
            return str(kept)
        invoice = self._invoice(payment)
        txid = invoice.get("txid") or invoice.get("transactionIdentifier")
        if not txid or not isinstance(txid, str):
            raise ProviderRejected("payop: the invoice names no transaction to refund")
        return txid

    def _invoice(self, payment: Payment) -> dict:
        """`GET /v1/invoices/{id}`, with the JWT when there is one; an invoice of another order is not ours."""
        jwt = self.credentials.get("jwt")
        headers = {"Authorization": f"Bearer {jwt}"} if jwt else {}
        response = self.request("GET", f"/v1/invoices/{payment.provider_payment_id}", headers=headers)
        invoice = self._data(response, "invoice")
        if str(invoice.get("orderIdentifier", payment.id)) != payment.id:
            raise ProviderInvalidResponse("payop: the invoice belongs to another order")
        return invoice

    def _data(self, response: requests.Response, what: str) -> dict:
        body = self.json(response, exact=True)
        if response.status_code != 200:
            raise ProviderRejected(f"payop: {what} read refused: {message_of(body, response.status_code)}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderInvalidResponse(f"payop: the {what} answer has no data")
        return data


def create_body(txid: str, kind: int, amount: str, metadata: dict[str, str]) -> bytes:
    """The create body in the documented order, `amount` a JSON number of exactly the refund's digits (a
    float could round them)."""
    if not _AMOUNT.fullmatch(amount):
        raise ProviderRejected(f"payop: {amount!r} cannot be sent as an amount")
    head = json.dumps({"transactionIdentifier": txid, "refundType": kind})[:-1]
    return f'{head}, "amount": {amount}, "metadata": {json.dumps(metadata)}}}'.encode()


def is_refund_ipn(event: dict) -> bool:
    transaction = event.get("transaction")
    return "invoice" not in event and isinstance(transaction, dict) and "refundId" in transaction


def refund_callback(event: dict) -> Callback:
    """A refund IPN from an allowed sender: a hint about the refund its metadata names."""
    transaction = event["transaction"]
    refund_id = transaction.get("refundId")
    if not isinstance(refund_id, str) or not refund_id:
        raise InvalidRequest("payop: the refund IPN names no refund", code="invalid_json")
    reference = reference_of(transaction.get("metadata"))
    if reference is None:
        return Callback(ignored=True)  # a refund made elsewhere (Payop's dashboard): none of ours
    # Unsigned: its `state` is not believed; the gateway asks fetch_refund (Payop's own answer).
    return Callback(refund=RefundReport(None, refund_id=reference, provider_refund_id=refund_id))


def reference_of(metadata: object) -> str | None:
    """Our refund id in a refund's metadata, if it is there (Payop may write empty metadata as [])."""
    value = metadata.get(REFERENCE) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and _OUR_ID.fullmatch(value) else None


def _state(item: dict[str, Any], refund: Refund) -> RefundState:
    reference = reference_of(item.get("metadata"))
    if reference is not None and reference != refund.id:
        raise ProviderInvalidResponse("payop: that refund was made for another of our refunds")
    told = Money.of(item.get("amount"), item.get("currency"))
    if told is not None and told != Money.of(refund.amount, refund.currency):
        raise ProviderInvalidResponse(f"payop: the refund is of {told}, not {refund.amount} {refund.currency}")
    native = integer(item.get("status"))
    status = REFUND_STATUS.get(native) if native is not None else None
    identifier = item.get("identifier")
    return RefundState(
        status,
        f"refund {item.get('status')}",
        provider_refund_id=identifier if isinstance(identifier, str) and identifier else None,
        failure_reason=_error_of(item.get("error")) if status is RefundStatus.FAILED else None,
    )


def _error_of(error: object) -> str | None:
    """Payop's reason for a rejected refund: `error` is null, a text, or `{"message", "code"}`."""
    message = error.get("message") if isinstance(error, dict) else error
    return f"payop: {message}" if isinstance(message, str) and message else None


def _headers(jwt: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {jwt}"}


def _hidden(message: str, jwt: str) -> str:
    return message.replace(jwt, "***")  # never echo the token
