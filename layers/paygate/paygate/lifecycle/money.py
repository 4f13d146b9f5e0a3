"""Money is checked before a success is believed: what a provider reports as the payment's price must be
the payment's, and what it reports as paid is what the payment received. Pure: no I/O.

- A success (or partial payment) whose price is another amount or currency changes no status.
- Paid in the payment's own currency, or in its crypto `pay_currency` (counted against the quoted
  `pay_amount`, in proportion), less than asked: `partially_paid`; as much or more: `succeeded`, and what
  is above the price is the customer's overpayment, which the merchant may refund.
- Paid in any other currency: no status change.
- A success or partial payment whose amount cannot be read (missing, "NaN") changes no status: no check
  fails open. Only where a provider never reports money (IVPAY) does its word stand: the payment received
  what it asked."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from paygate.currencies import amount_text
from paygate.models import Money, PaymentRecord, Status
from paygate.providers.base import ProviderState
from paygate.refunds import RefundStatus

_PAYMENT_REPORTS = frozenset({Status.SUCCEEDED, Status.PARTIALLY_PAID})
# The statuses in which a payment holds what it received (a failed one was never paid, or paid back).
_HOLDING = frozenset({Status.SUCCEEDED, Status.PARTIALLY_PAID, Status.EXPIRED, Status.CANCELLED})


# Why a provider's report of money moved nothing: what reconciliation records as a difference.
Mismatch = Literal["amount_mismatch", "currency_mismatch", "unreadable_amount"]


@dataclass(frozen=True)
class Verdict:
    """What a provider's report means for a payment: its status (None: no change), why it differs from
    what the provider said (None: it does not), what the payment received (None: nothing known), and, for
    a report not believed, the kind of mismatch."""

    status: Status | None
    note: str | None = None
    received: str | None = None
    mismatch: Mismatch | None = None


def verdict(record: PaymentRecord, state: ProviderState) -> Verdict:
    if state.status not in _PAYMENT_REPORTS:
        return Verdict(state.status)
    asked = Money(Decimal(record.amount), record.currency.upper())
    if state.price is not None and state.price != asked:
        kind: Mismatch = "currency_mismatch" if state.price.currency != asked.currency else "amount_mismatch"
        return Verdict(None, f"price mismatch: the provider holds {state.price}, the payment is {asked}", None, kind)
    if state.unreadable_payment:
        note = f"no readable amount: a report of {state.status} is not believed without one"
        return Verdict(None, note, None, "unreadable_amount")
    if state.paid is None:
        # A provider that never reports money: a success is the price, a partial payment an unknown part.
        return Verdict(state.status, received=record.amount if state.status is Status.SUCCEEDED else None)
    received = _in_payment_currency(record, state.paid)
    if received is _OTHER_CURRENCY:
        return Verdict(None, f"currency mismatch: paid {state.paid}, the payment is {asked}", None, "currency_mismatch")
    if not isinstance(received, Decimal):
        return Verdict(state.status)  # paid in its crypto, which no quote tells the worth of
    text = amount_text(received, record.currency)
    if received < asked.amount:
        return Verdict(Status.PARTIALLY_PAID, f"underpaid: {state.paid} of {_asked_in(record, state.paid)}", text)
    if received > asked.amount:
        return Verdict(Status.SUCCEEDED, f"overpaid: {state.paid} for {_asked_in(record, state.paid)}", text)
    return Verdict(state.status, received=text)


def held(record: PaymentRecord) -> Decimal:
    """What the payment holds of the customer's money: what it received, unless it failed."""
    if record.status not in _HOLDING or not record.amount_received:
        return Decimal(0)
    return Decimal(record.amount_received)


def refundable(record: PaymentRecord) -> Decimal:
    """What may still be refunded: what it holds less the refunds given back or on their way."""
    taken = sum((Decimal(refund.amount) for refund in record.refunds if refund.status.holds_money), Decimal(0))
    return max(Decimal(0), held(record) - taken)


def has_pending_refund(record: PaymentRecord) -> bool:
    return any(refund.status is RefundStatus.PENDING for refund in record.refunds)


_OTHER_CURRENCY = object()


def _in_payment_currency(record: PaymentRecord, paid: Money) -> Decimal | object | None:
    """What `paid` is worth in the payment's currency: itself, or in its crypto the share of the quoted
    `pay_amount` (None if none was quoted), or _OTHER_CURRENCY."""
    if paid.currency == record.currency.upper():
        return paid.amount
    if record.pay_currency and paid.currency == record.pay_currency.upper():
        if not record.pay_amount or Decimal(record.pay_amount) <= 0:
            return None
        return Decimal(record.amount) * paid.amount / Decimal(record.pay_amount)
    return _OTHER_CURRENCY


def _asked_in(record: PaymentRecord, paid: Money) -> str:
    """What the payment asks, in the currency `paid` was paid in."""
    if paid.currency == record.currency.upper():
        return f"{record.amount} {paid.currency}"
    return f"{record.pay_amount} {paid.currency}"
