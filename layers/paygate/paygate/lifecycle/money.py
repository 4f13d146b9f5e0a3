"""Money is checked before a success is believed: what a provider reports as the payment's price must be
the payment's, and what it reports as paid must cover it. Pure: no I/O.

- A success (or partial payment) whose price is another amount or currency changes no status.
- Paid in the payment's own currency (or its crypto `pay_currency`), less than asked: `partially_paid`.
- Paid more than asked in the payment's own currency: no status change (a card or invoice provider that
  reports another amount is reporting another payment). More in crypto is a customer's overpayment.
- Paid in any other currency: no status change.
Where a provider reports no money (IVPAY), its word stands, as the only thing there is to check."""

from __future__ import annotations

from decimal import Decimal

from paygate.models import Money, PaymentRecord, Status
from paygate.providers.base import ProviderState

_PAYMENT_REPORTS = frozenset({Status.SUCCEEDED, Status.PARTIALLY_PAID})


def verdict(record: PaymentRecord, state: ProviderState) -> tuple[Status | None, str | None]:
    """The status a provider's report means for this payment once its money is checked, and a note on
    why it differs from what the provider said (None when it does not)."""
    if state.status not in _PAYMENT_REPORTS:
        return state.status, None
    asked = Money(Decimal(record.amount), record.currency.upper())
    if state.price is not None and state.price != asked:
        return None, f"price mismatch: the provider holds {state.price}, the payment is {asked}"
    if state.paid is None:
        return state.status, None
    expected = _expected(record, state.paid.currency)
    if expected is _OTHER_CURRENCY:
        return None, f"currency mismatch: paid {state.paid}, the payment is {asked}"
    if not isinstance(expected, Decimal):
        return state.status, None  # paid in its crypto, which no quote tells how much of
    if state.paid.amount < expected:
        return Status.PARTIALLY_PAID, f"underpaid: {state.paid} of {expected} {state.paid.currency}"
    if state.paid.amount > expected and state.paid.currency == asked.currency:
        return None, f"amount mismatch: paid {state.paid}, the payment is {asked}"
    return state.status, None


_OTHER_CURRENCY = object()


def _expected(record: PaymentRecord, currency: str) -> Decimal | object | None:
    """What the payment asks in `currency`: its amount, or in its crypto the amount the provider quoted
    (None if none was quoted), or _OTHER_CURRENCY."""
    if currency == record.currency.upper():
        return Decimal(record.amount)
    if record.pay_currency and currency == record.pay_currency.upper():
        return Decimal(record.pay_amount) if record.pay_amount else None
    return _OTHER_CURRENCY
