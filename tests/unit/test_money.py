"""The money rule, directly: what a provider's report of a payment means once its money is checked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paygate.lifecycle.money import verdict
from paygate.models import Money, Status
from paygate.providers.base import ProviderState
from tests import factories

S = Status
USD = factories.record(amount="10.50", currency="USD")
CRYPTO = factories.record(amount="10.50", currency="USD", pay_currency="btc", pay_amount="0.00011025")


def state(status: Status, *, price: tuple[str, str] | None = None, paid: tuple[str, str] | None = None):
    return ProviderState(
        status=status,
        provider_status=status.value,
        price=Money(Decimal(price[0]), price[1]) if price else None,
        paid=Money(Decimal(paid[0]), paid[1]) if paid else None,
    )


@pytest.mark.parametrize(
    ("record", "report", "status", "note"),
    [
        (USD, state(S.SUCCEEDED), S.SUCCEEDED, None),  # reports no money: nothing to check
        (USD, state(S.SUCCEEDED, price=("10.5", "USD"), paid=("10.50", "USD")), S.SUCCEEDED, None),
        (USD, state(S.SUCCEEDED, price=("1", "EUR")), None, "price mismatch"),
        (USD, state(S.SUCCEEDED, price=("10.50", "EUR")), None, "price mismatch"),
        (USD, state(S.SUCCEEDED, paid=("5.25", "USD")), S.PARTIALLY_PAID, "underpaid"),
        (USD, state(S.SUCCEEDED, paid=("99.00", "USD")), None, "amount mismatch"),
        (USD, state(S.SUCCEEDED, paid=("10.50", "GBP")), None, "currency mismatch"),
        (USD, state(S.PARTIALLY_PAID, paid=("1.00", "USD")), S.PARTIALLY_PAID, "underpaid"),
        (CRYPTO, state(S.SUCCEEDED, paid=("0.00011025", "BTC")), S.SUCCEEDED, None),
        (CRYPTO, state(S.SUCCEEDED, paid=("0.0002", "BTC")), S.SUCCEEDED, None),  # a customer's overpayment
        (CRYPTO, state(S.SUCCEEDED, paid=("0.00000001", "BTC")), S.PARTIALLY_PAID, "underpaid"),
        (CRYPTO, state(S.SUCCEEDED, paid=("1", "ETH")), None, "currency mismatch"),
        (USD, state(S.FAILED, price=("1", "EUR")), S.FAILED, None),  # only payment reports are checked
    ],
)
def test_verdict(record, report, status, note):
    decided, why = verdict(record, report)
    assert decided is status
    assert (why is None) if note is None else (note in why)
