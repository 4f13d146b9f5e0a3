"""When a payment is looked at next (`due_at`): the one policy, for every write that sets it.

A payment is checked while anything about it can still change: open, on its provider's polling plan and
right at its expiry; ended unpaid (expired, cancelled) at a provider, for the late-payment window after
it ended, so money that arrives late is still recorded (`paid_late`); ended with a refund pending at its
provider, until the provider confirms the refund or its failure. Otherwise it has no next check and leaves the
`due-checks` index. DynamoDB TTL is never used for business expiry."""

from __future__ import annotations

from datetime import datetime

from paygate.models import PaymentRecord, Status
from paygate.providers.catalog import polling_plan
from paygate.refunds import RefundStatus
from paygate.timing import LATE_PAYMENT_WINDOW

# Ended without the provider saying it was paid, yet the customer may still pay: watched a while longer.
WATCHED_AFTER_THE_END = frozenset({Status.EXPIRED, Status.CANCELLED})


def waiting(record: PaymentRecord) -> datetime | None:
    """A payment no provider has (waiting for the customer's choice): nobody to ask, so it is looked at
    when it expires."""
    return None if record.status.is_terminal else record.expires_at


def first(record: PaymentRecord, provider: str, now: datetime) -> datetime:
    """A payment whose provider is being asked to create it: the provider's first check, no later than its
    expiry (a create that never finishes is reconciled then)."""
    return _no_later_than_expiry(record, now, now + polling_plan(provider).first)


def after(record: PaymentRecord, now: datetime) -> datetime | None:
    """A payment as it is now, after a check or a change that ended it: the next check on its provider's
    plan (right at its expiry if that comes first), within the late-payment window once it ended unpaid,
    or none."""
    every = polling_plan(record.provider).every
    if not record.status.is_terminal:
        return _no_later_than_expiry(record, now, now + every)
    if any(refund.status is RefundStatus.PENDING for refund in record.refunds):
        return now + every  # a refund at its provider, not confirmed yet: asked about on the same plan
    if not record.provider_payment_id:
        return None  # no provider ever took it: there is nobody to ask about money arriving late
    if record.status in WATCHED_AFTER_THE_END and now + every <= ended_at(record) + LATE_PAYMENT_WINDOW:
        return now + every
    return None


def ended_at(record: PaymentRecord) -> datetime:
    """When the payment reached its status (an expired one, at its expiry time at the latest)."""
    ended = next((entry.at for entry in reversed(record.history) if entry.status is record.status), record.updated_at)
    assert ended is not None  # a stored record has a history, or at least its last write's time
    return min(ended, record.expires_at) if record.status is Status.EXPIRED and record.expires_at else ended


def _no_later_than_expiry(record: PaymentRecord, now: datetime, moment: datetime) -> datetime:
    # Look again right when it expires, not up to a polling interval later.
    if record.expires_at and record.expires_at > now:
        return min(moment, record.expires_at)
    return moment
