"""What a provider's report (a callback, a status read) does to a payment: its money checked first, then
the status machine. Shared by callbacks, syncs and due checks, so every source is held to the same rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from paygate.lifecycle import money
from paygate.lifecycle.status_machine import with_note, with_status
from paygate.models import ChangeSource, Clock, PaymentRecord
from paygate.observability import metrics
from paygate.providers.base import ProviderState
from paygate.store.payments import PaymentStore

logger = Logger(service="paygate", child=True)


def moved_by(
    current: PaymentRecord, state: ProviderState, *, at: datetime, source: ChangeSource, event_id: str | None = None
) -> PaymentRecord | None:
    """The record as the provider's `state` moves it, or None. A success whose money does not match the
    payment moves nothing: it is noted in the history and counted. Facts the payment already has (the
    address and amount the customer was shown) are never replaced."""
    new, note = money.verdict(current, state)
    if new is None:
        if note is None:
            return None
        logger.warning("provider's money does not match the payment", payment_id=current.id, note=note)
        metrics.add_metric(name="PaymentMoneyMismatch", unit="Count", value=1)
        return with_note(current, note, at=at, source=source, provider_status=state.provider_status, event_id=event_id)
    moved = with_status(
        current, new, at=at, source=source, provider_status=state.provider_status, event_id=event_id, note=note
    )
    return moved and moved.model_copy(update=state.facts.missing_from(moved))


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
        return self.payments.change(
            record, lambda current: moved_by(current, state, at=self.clock(), source=source, event_id=event_id)
        )
