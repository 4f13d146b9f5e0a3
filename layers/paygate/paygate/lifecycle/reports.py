"""What a provider's report (a callback, a status read) does to a payment, or to one of its refunds: its
money checked first, then the status machine. Shared by callbacks, syncs, refunds and due checks, so
every source is held to the same rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from aws_lambda_powertools import Logger

from paygate.lifecycle import money, refund_rules
from paygate.lifecycle.status_machine import with_note, with_status
from paygate.models import ChangeSource, Clock, PaymentRecord
from paygate.observability import metrics
from paygate.providers.base import ProviderState, RefundState
from paygate.refunds import RefundSource
from paygate.store.payments import PaymentStore

logger = Logger(service="paygate", child=True)


def moved_by(
    current: PaymentRecord, state: ProviderState, *, at: datetime, source: ChangeSource, event_id: str | None = None
) -> PaymentRecord | None:
    """The record as the provider's `state` moves it, or None. A success whose money does not match the
    payment moves nothing: it is noted in the history and counted. Facts the payment already has (the
    address and amount the customer was shown) are never replaced; the provider's settlement (its fee, the
    net, what was actually sent) is its latest word, kept with every report that is believed."""
    found = money.verdict(current, state)
    if found.status is None:
        if found.note is None:
            return None
        return with_note(
            current, found.note, at=at, source=source, provider_status=state.provider_status, event_id=event_id
        )
    moved = with_status(
        current,
        found.status,
        at=at,
        source=source,
        provider_status=state.provider_status,
        event_id=event_id,
        note=found.note,
    )
    settled = state.settlement.changes_to(current)
    if moved is None:
        # The same status again: only more money received (a partial payment topped up), or the provider's
        # settlement told for the first time or otherwise, is news.
        more = found.received and (
            not current.amount_received or Decimal(found.received) > Decimal(current.amount_received)
        )
        news = settled | ({"amount_received": found.received} if more else {})
        return current.model_copy(update=news) if news else None
    update = state.facts.missing_from(moved) | ({"amount_received": found.received} if found.received else {})
    return moved.model_copy(update=update | settled)


@dataclass
class Reports:
    payments: PaymentStore
    clock: Clock

    def apply(
        self, record: PaymentRecord, state: ProviderState, *, source: ChangeSource, event_id: str | None = None
    ) -> PaymentRecord:
        """Apply what the provider says to the payment (one versioned write, or none)."""
        if state.status is None:
            logger.warning(
                "unknown provider status left unchanged", payment_id=record.id, provider_status=state.provider_status
            )
            return record
        refused = money.verdict(record, state)
        if refused.status is None and refused.note:
            # Said once per report (the decision below may be made again and again under contention).
            logger.warning("provider's money does not match the payment", payment_id=record.id, note=refused.note)
            metrics.add_metric(name="PaymentMoneyMismatch", unit="Count", value=1)
        return self.payments.change(
            record, lambda current: moved_by(current, state, at=self.clock(), source=source, event_id=event_id)
        )

    def apply_refund(
        self, record: PaymentRecord, refund_id: str, state: RefundState, *, source: RefundSource
    ) -> PaymentRecord:
        """Apply what the provider says of one of the payment's refunds (one versioned write, or none)."""
        return self.payments.change(
            record, lambda current: refund_rules.moved_by(current, refund_id, state, at=self.clock(), source=source)
        )
