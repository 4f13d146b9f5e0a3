"""What the stores derive for their indexes, written once: the time key that sorts as time does, and the
shard a record's id falls in."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paygate.models import PaymentRecord


def time_key(moment: datetime) -> str:
    """A time as the indexes sort it: fixed-width UTC to the microsecond, so text order is time order."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"  # the year padded: strftime writes year 999 as "999"


def shard(identifier: str, shards: int) -> int:
    """Which of `shards` partitions a record goes to: the same for the same id, spread evenly across ids."""
    return zlib.crc32(identifier.encode()) % shards


def provider_day(record: PaymentRecord) -> str:
    """The provider index's partition for a payment: its provider and the UTC day it was created on."""
    return f"{record.provider}#{record.created_at.astimezone(UTC).date().isoformat()}"
