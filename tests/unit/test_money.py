"""The money rule, directly: what a provider's report of a payment means once its money is checked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paygate.lifecycle.money import refundable, verdict
from paygate.models import Money, Status
from paygate.providers.base import ProviderState
from paygate.refunds import Refund, RefundStatus
from tests import factories

S = Status
USD = factories.record(amount="10.50", currency="USD")
CRYPTO = factories.record(amount="10.50", currency="USD", pay_currency="btc", pay_amount="0.00011025")


def state(
    status: Status, *, price: tuple[str, str] | None = None, paid: tuple[str, str] | None = None, money: bool = True
):
    return ProviderState(
        status=status,
        provider_status=status.value,
        price=Money(Decimal(price[0]), price[1]) if price else None,
        paid=Money(Decimal(paid[0]), paid[1]) if paid else None,
        reports_money=money,
    )


@pytest.mark.parametrize(
    ("record", "report", "status", "note", "received"),
    [
        (USD, state(S.SUCCEEDED, money=False), S.SUCCEEDED, None, "10.50"),  # never reports money: its word stands
        (USD, state(S.SUCCEEDED), None, "no readable amount", None),  # reports money, but none could be read
        (USD, state(S.SUCCEEDED, price=("10.50", "USD")), None, "no readable amount", None),
        (USD, state(S.SUCCEEDED, price=("10.5", "USD"), paid=("10.50", "USD")), S.SUCCEEDED, None, "10.50"),
        (USD, state(S.SUCCEEDED, price=("1", "EUR")), None, "price mismatch", None),
        (USD, state(S.SUCCEEDED, price=("10.50", "EUR")), None, "price mismatch", None),
        (USD, state(S.SUCCEEDED, paid=("5.25", "USD")), S.PARTIALLY_PAID, "underpaid", "5.25"),
        (USD, state(S.SUCCEEDED, paid=("99.00", "USD")), S.SUCCEEDED, "overpaid", "99.00"),  # the excess refundable
        (USD, state(S.SUCCEEDED, paid=("10.50", "GBP")), None, "currency mismatch", None),
        (USD, state(S.PARTIALLY_PAID, paid=("1.00", "USD")), S.PARTIALLY_PAID, "underpaid", "1.00"),
        (USD, state(S.PARTIALLY_PAID, money=False), S.PARTIALLY_PAID, None, None),  # a part nobody said
        (USD, state(S.PARTIALLY_PAID), None, "no readable amount", None),
        (CRYPTO, state(S.SUCCEEDED, paid=("0.00011025", "BTC")), S.SUCCEEDED, None, "10.50"),
        # Crypto counts against the quote, in proportion: 0.0002 of 0.00011025 BTC for 10.50 USD is 19.04 USD
        (CRYPTO, state(S.SUCCEEDED, paid=("0.0002", "BTC")), S.SUCCEEDED, "overpaid", "19.04"),
        (CRYPTO, state(S.SUCCEEDED, paid=("0.00000001", "BTC")), S.PARTIALLY_PAID, "underpaid", "0.00"),
        (CRYPTO, state(S.SUCCEEDED, paid=("1", "ETH")), None, "currency mismatch", None),
        (USD, state(S.FAILED, price=("1", "EUR")), S.FAILED, None, None),  # only payment reports are checked
    ],
)
def test_verdict(record, report, status, note, received):
    found = verdict(record, report)
    assert found.status is status
    assert (found.note is None) if note is None else (note in found.note)
    assert found.received == received


def refund(amount: str, status: RefundStatus) -> Refund:
    at = factories.DEFAULT_NOW
    return Refund(
        id=f"re_{amount}_{status.value}", payment_id="pay_1", status=status, amount=amount, currency="USD",
        created_at=at, updated_at=at,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("payment", "expected"),
    [
        ({"status": S.SUCCEEDED, "amount_received": "10.50"}, "10.50"),
        ({"status": S.SUCCEEDED, "amount_received": "12.00"}, "12.00"),  # overpaid: all of it
        ({"status": S.PARTIALLY_PAID, "amount_received": "4.00"}, "4.00"),
        ({"status": S.EXPIRED, "amount_received": "4.00"}, "4.00"),  # underpaid, then it expired: still held
        ({"status": S.FAILED, "amount_received": "10.50"}, "0"),  # failed: it holds nothing
        ({"status": S.PENDING}, "0"),
        (
            {
                "status": S.SUCCEEDED,
                "amount_received": "10.50",
                "refunds": [
                    refund("3.00", RefundStatus.SUCCEEDED),
                    refund("2.00", RefundStatus.PENDING),
                    refund("1.00", RefundStatus.REQUIRES_ACTION),
                    refund("4.00", RefundStatus.FAILED),
                    refund("4.00", RefundStatus.CANCELLED),
                ],
            },
            "4.50",
        ),
    ],
)
def test_refundable_is_what_the_payment_holds_less_the_refunds_not_failed_or_cancelled(payment, expected):
    assert refundable(factories.record(amount="10.50", **payment)) == Decimal(expected)


def test_the_payment_shows_what_was_refunded_and_whether_that_is_all():
    paid = factories.record(amount="10.50", status=S.SUCCEEDED, amount_received="10.50")
    part = paid.model_copy(
        update={"refunds": [refund("3.00", RefundStatus.SUCCEEDED), refund("7.50", RefundStatus.PENDING)]}
    )
    assert (part.public().amount_refunded, part.public().refunded) == ("3.00", False)
    done = paid.model_copy(
        update={"refunds": [refund("3.00", RefundStatus.SUCCEEDED), refund("7.50", RefundStatus.SUCCEEDED)]}
    )
    assert (done.public().amount_refunded, done.public().refunded) == ("10.50", True)
