"""How urgent a payment's next check is, and where the `due-checks` index keeps it.

The index's partition key (`due_shard`) names the payment's provider, the priority of its next check
and a shard: `<provider>#<priority>#<shard>` (`-` for a payment no provider has yet). So the scheduled
run reads each provider's due checks in order of priority with key conditions only, and can hand a
rate-limited provider the most urgent first. Keys of the older form, a bare shard number, are still read."""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum

from paygate.models import PaymentRecord

# A payment this young, or this close to its expiry, at the time of its check, is checked first: the
# customer has just paid or is about to be too late.
YOUNG = timedelta(minutes=10)
NEAR_EXPIRY = timedelta(minutes=10)
NO_PROVIDER = "-"


class Priority(IntEnum):
    URGENT = 0  # young, near its expiry, or a create to reconcile
    OPEN = 1  # open, neither
    LATE = 2  # ended unpaid, watched for money that arrives late


def priority(record: PaymentRecord) -> Priority:
    """The priority of the record's next check (at its `due_at`)."""
    if record.status.is_terminal:
        return Priority.LATE
    due_at = record.due_at or record.updated_at
    if not record.provider_payment_id or due_at - record.created_at <= YOUNG:
        return Priority.URGENT
    if record.expires_at is not None and record.expires_at - due_at <= NEAR_EXPIRY:
        return Priority.URGENT
    return Priority.OPEN


def partition(provider: str | None, rank: Priority, shard: int) -> str:
    return f"{provider or NO_PROVIDER}#{int(rank)}#{shard}"


def partitions(provider: str | None, shards: int) -> list[str]:
    """Every partition of one provider's due checks, most urgent first."""
    return [partition(provider, rank, shard) for rank in Priority for shard in range(shards)]


def legacy_partitions(shards: int) -> list[str]:
    """The index's keys before they named provider and priority (a bare shard number)."""
    return [str(shard) for shard in range(shards)]
