"""The columns of each export type and the rows a payment makes (docs/exports.md describes them).

Fees and net amounts are written where the payment or refund carries them (what its provider reported);
a field a record does not have is an empty cell, never a computed guess. Amounts are decimal strings as
the API writes them, times ISO 8601 in UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paygate.exports.models import ExportType
from paygate.models import PaymentRecord

PAYMENT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "status",
    "amount",
    "currency",
    "gross",
    "fee",
    "net",
    "settlement_currency",
    "amount_refunded",
    "pay_amount",
    "pay_currency",
    "actually_paid",
    "provider",
    "provider_payment_id",
    "reference",
    "livemode",
    "paid_late",
    "failure_reason",
)
BALANCE_COLUMNS = (
    "type",
    "id",
    "payment_id",
    "created_at",
    "status",
    "gross",
    "fee",
    "net",
    "currency",
    "settlement_currency",
    "provider",
    "provider_payment_id",
    "provider_refund_id",
    "reference",
    "livemode",
)
COLUMNS = {ExportType.PAYMENTS: PAYMENT_COLUMNS, ExportType.BALANCE: BALANCE_COLUMNS}


def rows(kind: ExportType, payment: PaymentRecord) -> Iterator[dict[str, str]]:
    """The rows one payment makes in an export of `kind`, every column a string ('' where nothing is known)."""
    if kind is ExportType.PAYMENTS:
        yield _cells(PAYMENT_COLUMNS, _payment_row(payment))
        return
    if payment.amount_received is not None and Decimal(payment.amount_received) != 0:
        yield _cells(BALANCE_COLUMNS, {"type": "payment", "payment_id": payment.id, **_payment_row(payment)})
    for refund in payment.refunds:
        yield _cells(
            BALANCE_COLUMNS,
            {
                "type": "refund",
                "id": refund.id,
                "payment_id": payment.id,
                "created_at": refund.created_at,
                "status": refund.status.value,
                # Money going back out: gross and net (what leaves the balance) negative; a fee is a cost,
                # positive on every row, so that gross - fee = net here as on a payment's row.
                "gross": _negative(refund.amount),
                "fee": getattr(refund, "fee", None),
                "net": _negative(getattr(refund, "net", None)),
                "currency": refund.currency,
                "settlement_currency": getattr(refund, "settlement_currency", None),
                "provider": refund.provider or payment.provider,
                "provider_payment_id": payment.provider_payment_id,
                "provider_refund_id": refund.provider_refund_id,
                "reference": payment.reference,
                "livemode": refund.livemode,
            },
        )


def _payment_row(payment: PaymentRecord) -> dict[str, Any]:
    return {
        "id": payment.id,
        "created_at": payment.created_at,
        "updated_at": payment.updated_at,
        "status": payment.status.value,
        "amount": payment.amount,
        "currency": payment.currency,
        "gross": payment.amount_received,  # what the customer paid, in the payment's currency
        "fee": getattr(payment, "fee", None),
        "net": getattr(payment, "net", None),
        "settlement_currency": getattr(payment, "settlement_currency", None),
        "amount_refunded": payment.amount_refunded,
        # Crypto: what the customer was asked to send, in which coin, and what it sent.
        "pay_amount": payment.pay_amount,
        "pay_currency": payment.pay_currency,
        "actually_paid": getattr(payment, "actually_paid", None),
        "provider": payment.provider,
        "provider_payment_id": payment.provider_payment_id,
        "reference": payment.reference,
        "livemode": payment.livemode,
        "paid_late": payment.paid_late,
        "failure_reason": payment.failure_reason,
    }


def _negative(amount: str | None) -> str | None:
    return None if amount is None else str(0 - Decimal(amount))  # 0 - x: never "-0"


def _cells(columns: tuple[str, ...], values: dict[str, Any]) -> dict[str, str]:
    return {column: _text(values.get(column)) for column in columns}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)
