"""The provider's settlement on a payment: its fee, the net and what was actually sent, kept from every
believed report, the latest word winning; nothing from a report that is not believed."""

from __future__ import annotations

from paygate.lifecycle.reports import moved_by
from paygate.models import Money, Status
from paygate.providers.base import ProviderState
from paygate.settlement import Settlement
from tests.factories import DEFAULT_NOW, record

PAID = Settlement(fee="0.03", net="0.97", settlement_currency="USD")


def paid(settlement: Settlement, amount: str = "1.00") -> ProviderState:
    return ProviderState(
        Status.SUCCEEDED,
        "succeeded",
        price=Money.of("1.00", "USD"),
        paid=Money.of(amount, "USD"),
        settlement=settlement,
    )


def test_a_success_keeps_the_providers_fee_and_net():
    moved = moved_by(record(), paid(PAID), at=DEFAULT_NOW, source="callback")
    assert moved is not None and moved.status is Status.SUCCEEDED
    assert (moved.fee, moved.net, moved.settlement_currency) == ("0.03", "0.97", "USD")
    assert moved.public().fee == "0.03"  # shown on the Payment object


def test_the_same_report_again_writes_nothing_and_a_new_word_replaces_the_old():
    moved = moved_by(record(), paid(PAID), at=DEFAULT_NOW, source="callback")
    assert moved is not None
    assert moved_by(moved, paid(PAID), at=DEFAULT_NOW, source="sync") is None
    corrected = moved_by(moved, paid(Settlement(fee="0.04", net="0.96")), at=DEFAULT_NOW, source="sync")
    assert corrected is not None and corrected.status is Status.SUCCEEDED
    assert (corrected.fee, corrected.net, corrected.settlement_currency) == ("0.04", "0.96", "USD")
    assert len(corrected.history) == len(moved.history)  # no status change: no history entry


def test_a_provider_that_says_nothing_leaves_null_never_a_guess():
    moved = moved_by(record(), paid(Settlement()), at=DEFAULT_NOW, source="callback")
    assert moved is not None
    assert (moved.fee, moved.net, moved.settlement_currency, moved.actually_paid) == (None, None, None, None)


def test_a_report_that_is_not_believed_keeps_none_of_its_settlement():
    wrong = ProviderState(
        Status.SUCCEEDED, "succeeded", price=Money.of("5.00", "USD"), paid=Money.of("5.00", "USD"), settlement=PAID
    )
    noted = moved_by(record(), wrong, at=DEFAULT_NOW, source="sync")
    assert noted is not None and noted.status is Status.PENDING
    assert (noted.fee, noted.net) == (None, None)
