"""Due checks: each one asks a payment's provider for its status (a lost callback is found this way) and
for its refunds still pending there, expires what is still unpaid after `expires_at`, reconciles a create
that never finished, and sets the next check (paygate.lifecycle.next_check). One decision and at most one
write per payment.

The scheduled run finds what is due (paygate.lifecycle.due_checks) and hands it to the checkers' queue;
`check` is one handed-over check. Where no queue is configured, `sweep` does both in one process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from paygate.errors import NotFound, PaygateError, ProviderNotConfigured
from paygate.lifecycle import next_check, refund_rules
from paygate.lifecycle.due_checks import CheckQueue, DueCheck, DueFinder
from paygate.lifecycle.reports import Reports, moved_by
from paygate.lifecycle.status_machine import closed_attempts, with_status
from paygate.models import Clock, PaymentRecord, Status
from paygate.observability import count_for_provider
from paygate.providers.base import ProviderState, RefundState
from paygate.providers.catalog import Capability
from paygate.providers.rate_limits import RateLimits
from paygate.providers.registry import Registry
from paygate.refunds import RefundStatus
from paygate.store import due_index
from paygate.store.payments import PaymentStore

logger = Logger(service="paygate", child=True)

# A check is not started with less time than this left: reading, a status call cut to what remains, writing.
MIN_SECONDS_FOR_A_CHECK = 3.0
# A check waits at most this long for a place within its provider's rate limit.
MAX_WAIT_FOR_A_PLACE = 2.0


@dataclass
class Checker:
    payments: PaymentStore
    providers: Registry
    reports: Reports
    clock: Clock
    # Each provider's limit on checks a second (None: none held, as in tests of one check at a time).
    rate_limits: RateLimits | None = None
    claim_seconds: int = 300

    def finder(self, queue: CheckQueue) -> DueFinder:
        # Handed over at the pace the limiter lets them through, so that none waits for a place in vain.
        paces = self.rate_limits.paces if self.rate_limits else {}
        return DueFinder(self.payments, self.clock, queue, paces, claim_seconds=self.claim_seconds)

    def sweep(self, *, time_left: Callable[[], float]) -> dict[str, int]:
        """The whole cycle in this process: find what is due and check it at once, one after another,
        the time left checked before each (used where no queue is configured). A check that is not made
        (time ran short, or it failed unexpectedly) is due again at once, for the next run."""
        counts = {"checked": 0, "failed_checks": 0}
        checker = self

        class CheckNow:
            def send(self, checks: list[DueCheck]) -> int:
                for check in checks:
                    if time_left() < MIN_SECONDS_FOR_A_CHECK:
                        counts["stopped_early"] = 1
                        checker.release(check)
                        continue
                    try:
                        outcome = checker.check(check, time_left=time_left)
                        counts[outcome] = counts.get(outcome, 0) + 1
                    except Exception:  # one payment's check must never stop the others
                        counts["failed_checks"] += 1
                        logger.exception("due check failed unexpectedly", payment_id=check.payment_id)
                        checker.release(check)
                return len(checks)

        if self.finder(CheckNow()).run(time_left=time_left).stopped_early:
            counts["stopped_early"] = 1
        return counts

    def check(self, check: DueCheck, *, time_left: Callable[[], float]) -> str:
        """One handed-over check: "checked", "skipped" (its claim no longer holds: checked already, or
        the payment changed since), or "throttled" (no place within its provider's rate limit in the
        time there was: due again at once, and found by the next run in its order of priority)."""
        record = self.payments.get(check.payment_id)
        if record is None or record.due_at != check.claimed_until:
            return "skipped"
        if self.rate_limits and record.provider and record.provider_payment_id:
            wait = min(MAX_WAIT_FOR_A_PLACE, time_left() - MIN_SECONDS_FOR_A_CHECK)
            if not self.rate_limits.acquire(record.provider, max_wait=max(0.0, wait)):
                self.release(check)
                count_for_provider("DueChecksThrottled", record.provider)
                return "throttled"
        self._check(record, self.clock())
        count_for_provider("DueChecks", record.provider or due_index.NO_PROVIDER)
        return "checked"

    def release(self, check: DueCheck) -> None:
        """Give a claimed check back: due again at the time it fell due."""
        self.payments.claim_due(check.payment_id, check.claimed_until, check.due_at)

    def _check(self, record: PaymentRecord, now: datetime) -> PaymentRecord:
        if not record.provider or not record.provider_payment_id:
            return self._reconcile_unfinished(record, now)
        refunds = self._refund_states(record)
        # A payment that can still change is asked about; one that succeeded only about its pending refunds.
        may_change = not record.status.is_terminal or record.status in next_check.WATCHED_AFTER_THE_END
        state = self._status(record) if may_change else None

        def decide(current: PaymentRecord) -> PaymentRecord | None:
            updated = current
            for refund_id, refund_state in refunds:
                updated = refund_rules.moved_by(updated, refund_id, refund_state, at=now, source="sync") or updated
            if state is not None:
                updated = moved_by(current, state, at=now, source="sync") or current
            if not updated.status.is_terminal and updated.expires_at and updated.expires_at <= now:
                updated = with_status(updated, Status.EXPIRED, at=now, source="expiry") or updated
            due_at = next_check.after(updated, now)
            if updated is current and due_at == current.due_at:
                return None
            return updated.model_copy(update={"due_at": due_at})

        return self.payments.change(record, decide)

    def _status(self, record: PaymentRecord) -> ProviderState | None:
        """What the provider says now; None when it cannot be asked (then the payment only expires on time,
        and is asked again at its next check)."""
        assert record.provider is not None
        if not self.providers.can(record.provider, Capability.FETCH):
            # Disabled, or without a status API: parked, not checked, but it still expires on time.
            logger.info("due check without a status call", payment_id=record.id, provider=record.provider)
            return None
        try:
            return self.providers.get(record.provider).fetch(record)
        except (NotFound, ProviderNotConfigured) as error:
            # Its provider has no credentials: parked too (and checked again once they are back).
            logger.warning("due check parked", payment_id=record.id, provider=record.provider, code=error.code)
        except PaygateError as error:
            logger.warning("status call failed", payment_id=record.id, code=error.code)
        return None

    def _refund_states(self, record: PaymentRecord) -> list[tuple[str, RefundState]]:
        """What the provider says of each of the payment's refunds still pending there."""
        pending = [refund for refund in record.refunds if refund.status is RefundStatus.PENDING]
        assert record.provider is not None
        if not pending or not self.providers.can(record.provider, Capability.REFUND):
            return []
        found = []
        for refund in pending:
            try:
                found.append((refund.id, self.providers.get(record.provider).fetch_refund(record, refund)))
            except NotFound:
                reason = "the provider has no such refund"
                found.append((refund.id, RefundState(RefundStatus.FAILED, "not found", failure_reason=reason)))
            except PaygateError as error:
                logger.warning("refund status call failed", refund_id=refund.id, code=error.code)
        return found

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
                if not current.status.is_terminal and current.expires_at and current.expires_at <= now:
                    return with_status(current, Status.EXPIRED, at=now, source="expiry")
                due_at = next_check.waiting(current)
                return None if due_at == current.due_at else current.model_copy(update={"due_at": due_at})
            current = current.model_copy(
                update={"attempts": closed_attempts(current.attempts, ("failed", "unfinished"))}
            )
            if waiting:
                back = current.model_copy(update={"provider": None})
                return back.model_copy(update={"due_at": next_check.waiting(back)})
            reason = "reconciliation: the provider call never completed"
            failed = with_status(current, Status.FAILED, at=now, source="expiry", failure_reason=reason)
            return failed or current.model_copy(update={"due_at": next_check.after(current, now)})

        return self.payments.change(record, decide)
