"""The refund rules: which status may follow which, and what one accepted change records. Pure: no I/O
and no clock (the time comes in); `version` and `updated_at` of the payment are the store's.

    pending -> succeeded | failed            (sent to the provider)
    requires_action -> succeeded | cancelled (manual: the merchant confirms, or gives up)

Final statuses never move. A refund lives on its payment's record, so every change is a change of the
payment, and the payment's next check follows its pending refunds (paygate.lifecycle.next_check)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from paygate.lifecycle import next_check
from paygate.models import PaymentRecord
from paygate.providers.base import RefundState
from paygate.refunds import REFUND_HISTORY_LIMIT, Refund, RefundChange, RefundSource, RefundStatus

_NEXT = {
    RefundStatus.PENDING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.REQUIRES_ACTION: frozenset({RefundStatus.SUCCEEDED, RefundStatus.CANCELLED}),
}


def accepts(current: RefundStatus, new: RefundStatus) -> bool:
    return new in _NEXT.get(current, frozenset())


def with_new_refund(record: PaymentRecord, refund: Refund) -> PaymentRecord:
    """The payment with `refund` added (its amount now held by it)."""
    return _settled(record.model_copy(update={"refunds": [*record.refunds, refund]}), refund.created_at)


def with_refund_status(
    record: PaymentRecord,
    refund_id: str,
    new: RefundStatus,
    *,
    at: datetime,
    source: RefundSource,
    provider_status: str | None = None,
    note: str | None = None,
    **fields: Any,
) -> PaymentRecord | None:
    """The payment with its refund moved to `new` (and `fields` set on it), or None when the rules refuse."""
    refund = record.refund(refund_id)
    if refund is None or not accepts(refund.status, new):
        return None
    entry = RefundChange(status=new, at=at, source=source, provider_status=provider_status, note=note)
    history = [*refund.history, entry][-REFUND_HISTORY_LIMIT:]
    moved = refund.model_copy(update={"status": new, "updated_at": at, "history": history, **fields})
    refunds = [moved if r.id == refund_id else r for r in record.refunds]
    return _settled(record.model_copy(update={"refunds": refunds}), at)


def moved_by(
    record: PaymentRecord, refund_id: str, state: RefundState, *, at: datetime, source: RefundSource
) -> PaymentRecord | None:
    """The payment as the provider's word on one of its refunds moves it; None when it changes nothing.
    The provider's id for the refund is kept the first time it is told."""
    refund = record.refund(refund_id)
    if refund is None:
        return None
    learned = {"provider_refund_id": state.provider_refund_id} if state.provider_refund_id else {}
    if state.status is None or state.status is refund.status or state.status is RefundStatus.PENDING:
        if not learned or refund.provider_refund_id:
            return None
        refunds = [r.model_copy(update=learned) if r.id == refund_id else r for r in record.refunds]
        return record.model_copy(update={"refunds": refunds})
    failure = {"failure_reason": state.failure_reason or f"the provider says {state.provider_status}"}
    return with_refund_status(
        record,
        refund_id,
        state.status,
        at=at,
        source=source,
        provider_status=state.provider_status,
        **learned,
        **(failure if state.status is RefundStatus.FAILED else {}),
    )


def _settled(record: PaymentRecord, at: datetime) -> PaymentRecord:
    # An open payment keeps its plan; an ended one is checked while a refund of it is pending.
    return (
        record if not record.status.is_terminal else record.model_copy(update={"due_at": next_check.after(record, at)})
    )
