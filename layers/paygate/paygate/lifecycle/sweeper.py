"""The sweeper (`expire_payments`, every minute): due checks, expiry, and the reconciliation of creates
that never finished.

It reads only the sparse `due-checks` index, shard by shard, so its cost follows the payments that are
due, never the size of the table. Each due payment's provider is asked for the status (a lost callback
is found this way), what is still unpaid after `expires_at` is expired, and the next check is set from
the provider's polling plan. Expired payments stay watched for LATE_PAYMENT_WINDOW, so money that
arrives late is still recorded (`paid_late`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from paygate import due
from paygate.errors import NotFound, PaygateError, ProviderNotConfigured
from paygate.lifecycle.due_checks import CheckQueue, DueCheck, DueFinder
from paygate.lifecycle.gateway import Gateway
from paygate.lifecycle.status_machine import closed_attempts, with_status
from paygate.models import PaymentRecord, Status
from paygate.observability import count_for_provider
from paygate.providers.base import ProviderState
from paygate.providers.rate_limits import RateLimits
from paygate.providers.registry import polling_plan

logger = Logger(service="paygate", child=True)

LATE_PAYMENT_WINDOW = timedelta(hours=24)
# A check is not started with less time than this left: reading, a status call cut to what remains, writing.
MIN_SECONDS_FOR_A_CHECK = 3.0
# A check waits at most this long for a place within its provider's rate limit.
MAX_WAIT_FOR_A_PLACE = 2.0
# Ended without the provider saying it was paid, yet the customer may still pay: watched a while longer.
_WATCHED_AFTER_THE_END = frozenset({Status.EXPIRED, Status.CANCELLED})


@dataclass
class Sweeper:
    gateway: Gateway
    # Each provider's limit on checks a second (None: none held, as in tests of one check at a time).
    rate_limits: RateLimits | None = None
    claim_seconds: int = 300

    def finder(self, queue: CheckQueue) -> DueFinder:
        limits = self.rate_limits.limits if self.rate_limits else {}
        return DueFinder(self.gateway.store, self.gateway.clock, queue, limits, claim_seconds=self.claim_seconds)

    def sweep(self, *, time_left: Callable[[], float]) -> dict[str, int]:
        """The whole cycle in this process: find what is due and check it at once, one after another,
        the time left checked before each (used where no queue is configured). A check that is not made
        (time ran short, or it failed unexpectedly) is due again at once, for the next run."""
        counts = {"checked": 0, "failed_checks": 0}

        sweeper = self

        class CheckNow:
            def send(self, checks: list[DueCheck]) -> int:
                for check in checks:
                    if time_left() < MIN_SECONDS_FOR_A_CHECK:
                        counts["stopped_early"] = 1
                        sweeper.release(check)
                        continue
                    try:
                        outcome = sweeper.check(check, time_left=time_left)
                        counts[outcome] = counts.get(outcome, 0) + 1
                    except Exception:  # one payment's check must never stop the others
                        counts["failed_checks"] += 1
                        logger.exception("due check failed unexpectedly", payment_id=check.payment_id)
                        sweeper.release(check)
                return len(checks)

        if self.finder(CheckNow()).run(time_left=time_left).stopped_early:
            counts["stopped_early"] = 1
        return counts

    def check(self, check: DueCheck, *, time_left: Callable[[], float]) -> str:
        """One handed-over check: "checked", "skipped" (its claim no longer holds: checked already, or
        the payment changed since), or "throttled" (no place within its provider's rate limit in the
        time there was: due again at once, and found by the next run in its order of priority)."""
        record = self.gateway.store.get(check.payment_id)
        if record is None or record.due_at != check.claimed_until:
            return "skipped"
        if self.rate_limits and record.provider and record.provider_payment_id:
            wait = min(MAX_WAIT_FOR_A_PLACE, time_left() - MIN_SECONDS_FOR_A_CHECK)
            if not self.rate_limits.acquire(record.provider, max_wait=max(0.0, wait)):
                self.release(check)
                count_for_provider("DueChecksThrottled", record.provider)
                return "throttled"
        self._check(record, self.gateway.clock())
        count_for_provider("DueChecks", record.provider or due.NO_PROVIDER)
        return "checked"

    def release(self, check: DueCheck) -> None:
        """Give a claimed check back: due again at the time it fell due."""
        self.gateway.store.claim_due(check.payment_id, check.claimed_until, check.due_at)

    def check_due(self, payment_id: str) -> PaymentRecord:
        """One due check: ask the provider, apply its answer, expire what is unpaid past `expires_at`,
        and set the next check (or none, once nothing can change any more). One write at most."""
        record = self.gateway.get_record(payment_id)
        now = self.gateway.clock()
        if record.due_at is None or record.due_at > now:
            return record  # already handled by someone else
        return self._check(record, now)

    def _check(self, record: PaymentRecord, now: datetime) -> PaymentRecord:
        if not record.provider or not record.provider_payment_id:
            return self._reconcile_unfinished(record, now)
        try:
            state: ProviderState | None = self.gateway.providers.get(record.provider).fetch(record)
        except (NotFound, ProviderNotConfigured) as error:
            # Its provider was disabled, or has no credentials: the payment is parked, not checked, but
            # still expires on time (and is checked again once its provider is back).
            logger.warning("due check parked", payment_id=record.id, provider=record.provider, code=error.code)
            state = None
        except PaygateError as error:
            logger.warning("status call failed", payment_id=record.id, code=error.code)
            state = None

        def decide(current: PaymentRecord) -> PaymentRecord | None:
            updated = current
            if state is not None:
                updated = self.gateway.moved_by(current, state, at=now, source="sync") or current
            if not updated.status.is_terminal and updated.expires_at and updated.expires_at <= now:
                updated = with_status(updated, Status.EXPIRED, at=now, source="expiry") or updated
            due_at = self._next_due(updated, now)
            if updated is current and due_at == current.due_at:
                return None
            return updated.model_copy(update={"due_at": due_at})

        return self.gateway.change(record, decide)

    def _reconcile_unfinished(self, record: PaymentRecord, now: datetime) -> PaymentRecord:
        """A payment no provider has created. Waiting for the customer's choice, it only expires. Else it
        is a write-ahead record whose provider call never finished (the function died in between):
        nobody was shown its payment URL, so nothing can be paid on it. Routed, it fails; chosen on the
        hosted page, it goes back to waiting, so the customer can choose again."""

        def decide(current: PaymentRecord) -> PaymentRecord | None:
            if current.provider_payment_id:
                return None  # the create finished after all
            waiting = current.request is not None
            if waiting and current.provider is None:
                if current.status.is_terminal:
                    return current.model_copy(update={"due_at": None})  # no provider was asked: nothing to watch
                if current.expires_at and current.expires_at <= now:
                    return with_status(current, Status.EXPIRED, at=now, source="expiry")
                return current.model_copy(update={"due_at": current.expires_at})
            current = current.model_copy(
                update={"attempts": closed_attempts(current.attempts, ("failed", "unfinished"))}
            )
            if waiting:
                return current.model_copy(update={"provider": None, "due_at": current.expires_at})
            reason = "reconciliation: the provider call never completed"
            failed = with_status(current, Status.FAILED, at=now, source="expiry", failure_reason=reason)
            return failed or current.model_copy(update={"due_at": None})

        return self.gateway.change(record, decide)

    @staticmethod
    def _next_due(record: PaymentRecord, now: datetime) -> datetime | None:
        every = polling_plan(record.provider).every
        if not record.status.is_terminal:
            next_check = now + every
            # Look again right when it expires, not up to `every` later.
            if record.expires_at and record.expires_at > now:
                return min(next_check, record.expires_at)
            return next_check
        if record.status in _WATCHED_AFTER_THE_END:
            watch_until = _ended_at(record) + LATE_PAYMENT_WINDOW
            return now + every if now + every <= watch_until else None
        return None


def _ended_at(record: PaymentRecord) -> datetime:
    """When the payment reached its status (an expired one, at its expiry time at the latest)."""
    ended = next((entry.at for entry in reversed(record.history) if entry.status is record.status), record.updated_at)
    return min(ended, record.expires_at) if record.status is Status.EXPIRED and record.expires_at else ended
