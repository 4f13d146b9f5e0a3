"""Payop's wire vocabulary: its invoice, transaction, refund and legacy IPN statuses, its method types, and
how its answers write numbers and errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from paygate.models import Status
from paygate.refunds import RefundStatus

INVOICE_STATUS = {
    0: Status.PENDING,  # new
    4: Status.PENDING,  # a transaction was started
    1: Status.SUCCEEDED,
    2: Status.EXPIRED,  # overdue (24 h)
    5: Status.FAILED,
}
TRANSACTION_STATUS = {
    1: Status.PENDING,
    4: Status.PENDING,
    9: Status.PROCESSING,  # pre-approved: can still be accepted or fail, so never fulfil on it
    2: Status.SUCCEEDED,
    3: Status.FAILED,
    5: Status.FAILED,
    15: Status.EXPIRED,
}
REFUND_STATUS = {
    1: RefundStatus.PENDING,  # new
    2: RefundStatus.SUCCEEDED,  # accepted
    3: RefundStatus.FAILED,  # rejected
    4: RefundStatus.FAILED,  # rejected
}
LEGACY_STATUS = {"wait": Status.PENDING, "success": Status.SUCCEEDED, "error": Status.FAILED}


def method_kind(payop_type: object) -> Literal["card", "bank_transfer", "wallet", "other"]:
    """Our `kind` for Payop's method `type` (`cards_local`, `bank_transfer`, `ewallet`...)."""
    text = str(payop_type or "").lower()
    if "card" in text:
        return "card"
    if "bank" in text:  # bank_transfer included
        return "bank_transfer"
    if "wallet" in text:  # ewallet included
        return "wallet"
    return "other"


def integer(value: object) -> int | None:
    """A Payop status code (a JSON integer), however the number was read."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return int(value) if value == int(value) else None


def message_of(body: dict, status_code: int) -> str:
    """Payop's error message; on validation errors it is an object of field -> [messages]."""
    message = body.get("message")
    if isinstance(message, dict):
        return "; ".join(
            f"{field}: {' '.join(map(str, texts)) if isinstance(texts, list) else texts}"
            for field, texts in message.items()
        )
    return str(message) if message else f"HTTP {status_code}"
