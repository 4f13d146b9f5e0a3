"""Durations that more than one part of Paygate must agree on, each stated once."""

from __future__ import annotations

from datetime import timedelta

from paygate.errors import ValidationFailed

# An ended, unpaid payment (expired, cancelled) is watched this long for money that arrives late, and its
# checkout link lives as long after its expiry, so the customer can still see how it ended.
LATE_PAYMENT_WINDOW = timedelta(hours=24)
# Shorter than this, a payment could not be paid, and its first check would race its own create.
MIN_LIFETIME = timedelta(minutes=1)
# SQS holds a message back at most this long; a longer wait is the scheduled runs' to keep.
MAX_QUEUE_DELAY_SECONDS = 900


def iso_duration(lifetime: timedelta) -> str:
    """A timedelta as an ISO 8601 duration (`P30D`, `PT30M`, `P1DT2H`), whole seconds."""
    days, rest = divmod(int(lifetime.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if not days and not time:
        return "PT0S"
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


def bounded_lifetime(asked: timedelta, *, minimum: timedelta, maximum: timedelta, who: str) -> timedelta:
    """`asked` (a request's `expires_in`) when `who` can keep a payment that long; else a ValidationFailed
    naming the bound. Never cut silently: a payment that lives less than asked surprises its merchant."""
    if asked < minimum:
        raise ValidationFailed(
            f"expires_in: {who} needs at least {iso_duration(minimum)} ({int(minimum.total_seconds())} seconds)",
            param="expires_in",
        )
    if asked > maximum:
        raise ValidationFailed(
            f"expires_in: {who} keeps a payment at most {iso_duration(maximum)} "
            f"({int(maximum.total_seconds())} seconds)",
            param="expires_in",
        )
    return asked
