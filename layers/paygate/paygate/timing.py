"""Durations that more than one part of Paygate must agree on, each stated once."""

from __future__ import annotations

from datetime import timedelta

# An ended, unpaid payment (expired, cancelled) is watched this long for money that arrives late, and its
# checkout link lives as long after its expiry, so the customer can still see how it ended.
LATE_PAYMENT_WINDOW = timedelta(hours=24)
# Shorter than this, a payment could not be paid, and its first check would race its own create.
MIN_LIFETIME = timedelta(minutes=1)
# SQS holds a message back at most this long; a longer wait is the scheduled runs' to keep.
MAX_QUEUE_DELAY_SECONDS = 900
