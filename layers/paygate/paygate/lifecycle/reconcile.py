"""Reconciliation: Paygate's payments of one provider and a time window held against what the provider
says of them, so that a missed callback or a wrong one is found within the day.

None of the providers here documents a way to list its payments by time (Paygentic lists by offset only,
with no date filter; docs/providers/), so every run reads the provider's side the one way they all have:
a status call for every payment of the window that is not final. What the provider says then goes the
usual path (paygate.lifecycle.reports, source `sync`): what the status machine takes repairs the payment
(a lost callback becomes a sync entry in its history), and what it cannot take is recorded as a
Difference, counted (`ReconciliationDifferences`, by provider) and listed for the merchant. A run stops
before its time runs out and says so (`complete: false`); the next run, or a narrower window, goes on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from paygate.errors import PaygateError
from paygate.lifecycle import money, status_machine
from paygate.lifecycle.reports import Reports
from paygate.models import Clock, PaymentRecord
from paygate.observability import count_for_provider
from paygate.providers.base import ProviderState
from paygate.providers.catalog import Capability
from paygate.providers.registry import Registry
from paygate.reconciliation import Difference, DifferenceKind, Reconciliation
from paygate.store.differences import DifferenceStore, difference_id
from paygate.store.payments import PaymentStore
from paygate.store.windows import open_payments

logger = Logger(service="paygate", child=True)

# A payment is not started with less time than this left: a status call, a write, a difference.
MIN_SECONDS_PER_PAYMENT = 3.0


@dataclass
class Reconcile:
    payments: PaymentStore
    providers: Registry
    reports: Reports
    differences: DifferenceStore
    clock: Clock

    def __call__(
        self,
        provider: str,
        created_gte: datetime,
        created_lt: datetime,
        *,
        time_left: Callable[[], float],
        account_id: str | None = None,
    ) -> Reconciliation:
        """Reconcile `provider`'s payments created in [created_gte, created_lt): every account's (the
        scheduled run), or only `account_id`'s (a merchant's run)."""
        result = Reconciliation(provider=provider, created_gte=created_gte, created_lt=created_lt)
        if not self.providers.can(provider, Capability.FETCH):
            logger.info("reconciliation skipped: the provider has no status call here", provider=provider)
            return result
        for page in open_payments(self.payments, provider, created_gte, created_lt, account_id=account_id):
            for record in page:
                if time_left() < MIN_SECONDS_PER_PAYMENT:
                    result.complete = False
                    return result
                try:
                    self._reconcile(record, result)
                except Exception:  # one payment's trouble must never stop the others
                    logger.exception("reconciliation of a payment failed unexpectedly", payment_id=record.id)
                    result.unreachable += 1
        logger.info("reconciliation done", **result.model_dump(mode="json", exclude={"object"}))
        return result

    def _reconcile(self, record: PaymentRecord, result: Reconciliation) -> None:
        assert record.provider is not None
        try:
            state = self.providers.get(record.provider).fetch(record)
        except PaygateError as error:
            logger.warning("reconciliation: status call failed", payment_id=record.id, code=error.code)
            result.unreachable += 1
            return
        result.checked += 1
        difference = _difference(record, state)
        after = self.reports.apply(record, state, source="sync")
        if after.status is not record.status:
            result.repaired += 1
            logger.info("reconciliation repaired a payment", payment_id=record.id, status=after.status.value)
        if difference is not None:
            kind, detail = difference
            self._record(after, state, kind, detail)
            result.differences += 1

    def _record(self, record: PaymentRecord, state: ProviderState, kind: DifferenceKind, detail: str) -> None:
        assert record.provider is not None
        now = self.clock()
        difference = Difference(
            id=difference_id(record.provider, record.id, kind),
            provider=record.provider,
            kind=kind,
            payment_id=record.id,
            provider_payment_id=record.provider_payment_id,
            status=record.status,
            provider_status=state.provider_status,
            detail=detail,
            livemode=record.livemode,
            found_at=now,
            seen_at=now,
        )
        self.differences.record(difference, account_id=record.account_id)
        count_for_provider("ReconciliationDifferences", record.provider)
        logger.warning("reconciliation difference", payment_id=record.id, kind=kind, detail=detail)


def _difference(record: PaymentRecord, state: ProviderState) -> tuple[DifferenceKind, str] | None:
    """What in the provider's report the status machine cannot take, and why; None when it takes it all
    (or there is nothing to take: the provider says what Paygate holds)."""
    if state.status is None:
        return "unknown_status", f"the provider says {state.provider_status!r}, a status Paygate does not know"
    verdict = money.verdict(record, state)
    if verdict.mismatch is not None:
        return verdict.mismatch, verdict.note or verdict.mismatch
    moved = verdict.status is not None and verdict.status is not record.status
    if moved and verdict.status is not None and not status_machine.accepts(record.status, verdict.status):
        return "status_refused", f"the provider says {verdict.status.value}, the payment is {record.status.value}"
    return None
