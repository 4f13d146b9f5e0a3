"""The use cases: create a payment (write-ahead), read it (and sync it), apply a provider's callback.

Every change to a payment goes through `Gateway.change`: read, decide, one conditional write on the
version that was read; when another writer got there first, read again and decide again. So two writers
never both win and no status ever moves backwards, whatever order the callbacks arrive in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from aws_lambda_powertools import Logger

from paygate.errors import AuthenticationFailed, NotFound, PaygateError, PaymentNotCancellable
from paygate.lifecycle import money
from paygate.lifecycle.status_machine import with_note, with_status
from paygate.models import (
    ChangeSource,
    CreatePaymentRequest,
    HistoryEntry,
    PaymentMethod,
    PaymentQuery,
    PaymentRecord,
    Status,
    new_payment_id,
)
from paygate.observability import count_for_provider, metrics
from paygate.providers.base import Callback, CallbackRequest, Clock, CreateContext, ProviderState
from paygate.providers.registry import Registry, polling_plan
from paygate.store import Page, PaymentStore, VersionConflict

logger = Logger(service="paygate", child=True)

MAX_WRITE_ATTEMPTS = 25
# What `decide` answers: the record as it should be written, or None for "no change".
Decision = Callable[[PaymentRecord], PaymentRecord | None]


@dataclass(frozen=True)
class CallbackResult:
    """What became of an authentic callback. Every outcome is acknowledged to the provider (it would
    otherwise retry for hours); only `applied` can have changed the payment."""

    outcome: Literal["applied", "duplicate", "ignored", "misbound"]
    record: PaymentRecord | None = None


@dataclass
class Gateway:
    store: PaymentStore
    providers: Registry
    clock: Clock

    # --- the write path ----------------------------------------------------------------------------

    def change(self, record: PaymentRecord, decide: Decision) -> PaymentRecord:
        """Apply `decide` with optimistic concurrency. Each write is one change: `version` rises by
        exactly one and `updated_at` is its time, here and nowhere else."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            decided = decide(record)
            if decided is None:
                return record
            written = decided.model_copy(update={"version": record.version + 1, "updated_at": self.clock()})
            try:
                self.store.replace(written, expected_version=record.version)
                return written
            except VersionConflict:
                record = self.get_record(record.id)
        raise PaygateError(f"payment {record.id} is changing too fast to update; try again")

    def apply(
        self, record: PaymentRecord, state: ProviderState, *, source: ChangeSource, event_id: str | None = None
    ) -> PaymentRecord:
        """Apply what the provider says, through the money check and the status machine."""
        if state.status is None:
            logger.warning(
                "unknown provider status left unchanged", payment_id=record.id, provider_status=state.provider_status
            )
            return record
        return self.change(
            record, lambda current: self.moved_by(current, state, at=self.clock(), source=source, event_id=event_id)
        )

    def moved_by(
        self,
        current: PaymentRecord,
        state: ProviderState,
        *,
        at: datetime,
        source: ChangeSource,
        event_id: str | None = None,
    ) -> PaymentRecord | None:
        """The record as the provider's `state` moves it, or None. A success whose money does not match
        the payment moves nothing: it is noted in the history and counted. Facts the payment already has
        (the address and amount the customer was shown) are never replaced."""
        new, note = money.verdict(current, state)
        if new is None:
            if note is None:
                return None
            logger.warning("provider's money does not match the payment", payment_id=current.id, note=note)
            metrics.add_metric(name="PaymentMoneyMismatch", unit="Count", value=1)
            return with_note(
                current, note, at=at, source=source, provider_status=state.provider_status, event_id=event_id
            )
        moved = with_status(
            current, new, at=at, source=source, provider_status=state.provider_status, event_id=event_id, note=note
        )
        return moved and moved.model_copy(update=state.facts.missing_from(moved))

    # --- use cases ---------------------------------------------------------------------------------

    def create_payment(
        self, request: CreatePaymentRequest, *, account_id: str, callback_base_url: str
    ) -> PaymentRecord:
        provider = self.providers.route(request)
        now = self.clock()
        expires_at = now + provider.lifetime(request)
        record = PaymentRecord(
            id=new_payment_id(),
            account_id=account_id,
            status=Status.PENDING,
            amount=request.amount,
            currency=request.currency,
            provider=provider.name,
            pay_currency=request.pay_currency.lower() if request.pay_currency else None,
            reference=request.reference,
            description=request.description,
            metadata=request.metadata or {},
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
            history=[HistoryEntry(status=Status.PENDING, at=now, source="api")],
            due_at=min(now + polling_plan(provider.name).first, expires_at),
        )
        # Write-ahead: the record exists before the provider hears of the payment, so a crash in
        # between leaves a record for the sweeper to reconcile, never an unknown provider payment.
        self.store.insert(record)
        context = CreateContext(
            callback_url=f"{callback_base_url.rstrip('/')}/ipn/{provider.name}",
            success_url=request.success_url,
            failure_url=request.failure_url,
        )
        try:
            created = provider.create(record, request, context)
        except PaygateError as error:  # refused or failed at the provider: the outcome is known
            self._fail(record, f"{error.code}: {error.message}")
            raise
        except Exception:
            self._fail(record, "internal_error: the provider call could not be completed")
            raise

        def attach(current: PaymentRecord) -> PaymentRecord:
            """The write-ahead record, completed with what the provider answered to create."""
            attached = current.model_copy(
                update={
                    **created.facts.model_dump(exclude_none=True),
                    "provider_payment_id": created.provider_payment_id,
                    "expires_at": created.expires_at or current.expires_at,
                    "provider_data": {**current.provider_data, **created.data},
                }
            )
            state = created.state
            if state.status is None:
                return attached
            moved = with_status(
                attached, state.status, at=self.clock(), source="api", provider_status=state.provider_status
            )
            return moved or attached

        return self.change(record, attach)

    def get_payment(self, payment_id: str, *, account_id: str, sync: bool = False) -> PaymentRecord:
        record = self.get_record(payment_id, account_id=account_id)
        if sync and record.provider_payment_id:
            provider = self.providers.get(record.provider)
            record = self.apply(record, provider.fetch(record), source="sync")
        return record

    def cancel_payment(self, payment_id: str, *, account_id: str) -> PaymentRecord:
        """The merchant gives up on a payment that has not ended. No provider documents a cancel call, so
        the customer could still pay: the payment stays watched for the late-payment window, and money
        that arrives is recorded (`succeeded`, `paid_late`). Cancelling a cancelled payment changes
        nothing; one that succeeded, failed or expired cannot be cancelled."""
        record = self.get_record(payment_id, account_id=account_id)

        def decide(current: PaymentRecord) -> PaymentRecord | None:
            if current.status is Status.CANCELLED:
                return None
            if current.status.is_terminal:
                raise PaymentNotCancellable(f"The payment is {current.status.value} and cannot be cancelled")
            now = self.clock()
            cancelled = with_status(current, Status.CANCELLED, at=now, source="api")
            assert cancelled is not None  # a non-terminal payment may always be cancelled
            return cancelled.model_copy(update={"due_at": now + polling_plan(current.provider).every})

        return self.change(record, decide)

    def list_payments(self, query: PaymentQuery, *, account_id: str) -> Page:
        """A page of the account's payments, newest first (see PaymentStore.list_page)."""
        after = (
            self.get_record(query.starting_after, account_id=account_id, param="starting_after")
            if (query.starting_after)
            else None
        )
        return self.store.list_page(account_id, query, after=after)

    def handle_callback(self, provider_name: str, request: CallbackRequest) -> CallbackResult:
        """Authenticate a callback, find the one payment it belongs to, and apply it."""
        provider = self.providers.get(provider_name)
        try:
            callback = provider.verify_callback(request)  # nothing is read or changed before this passes
        except AuthenticationFailed:
            count_for_provider("CallbacksRefused", provider_name)  # a spike: forgeries, or a rotated secret
            raise
        if callback.ignored:
            return CallbackResult("ignored")
        record = self._match(provider_name, callback)
        if record is None:
            metrics.add_metric(name="CallbacksMisbound", unit="Count", value=1)
            return CallbackResult("misbound")
        if callback.event_id and any(entry.event_id == callback.event_id for entry in record.history):
            return CallbackResult("duplicate", record)  # the same delivery again
        if callback.parent_payment_id:
            return CallbackResult("applied", self._record_child(record, callback))
        # Unsigned callbacks are hints: believe only what the provider's status API says.
        state = callback.state or provider.fetch(record)
        return CallbackResult("applied", self.apply(record, state, source="callback", event_id=callback.event_id))

    def payment_methods(self, currency: str, amount: Decimal | None) -> list[PaymentMethod]:
        """What a customer could pay with, across the enabled providers in routing order. A provider
        that cannot be asked right now is left out (and logged), not the whole answer."""
        found: list[PaymentMethod] = []
        for name in self.providers.enabled:
            try:
                found += self.providers.get(name).payment_methods(currency, amount)
            except PaygateError as error:
                logger.warning("payment methods unavailable", provider=name, code=error.code, detail=error.message)
            except Exception:  # its credentials, say, could not be read: still no reason to fail the others
                logger.exception("payment methods unavailable", provider=name)
        return found

    # --- helpers -----------------------------------------------------------------------------------

    def get_record(self, payment_id: str, *, account_id: str | None = None, param: str = "payment_id") -> PaymentRecord:
        """The stored payment; with `account_id`, only if that account owns it: another account's
        payment is not found, exactly as an id that does not exist."""
        record = self.store.get(payment_id)
        if record is None or (account_id is not None and record.account_id != account_id):
            raise NotFound(f"No payment with id {payment_id!r}", param=param)
        return record

    def _match(self, provider_name: str, callback: Callback) -> PaymentRecord | None:
        """The payment the callback belongs to. NotFound when it names none Paygate has; None when what it
        names disagrees (our id names a payment of another provider, or one whose provider id is another
        than the callback's): such a callback changes nothing, whatever its signature."""
        provider_payment_id = callback.parent_payment_id or callback.provider_payment_id
        named = self.store.get(callback.payment_id) if callback.payment_id else None
        if named is not None:
            if named.provider != provider_name:
                return self._misbound(callback, named, "names a payment of another provider")
            if provider_payment_id and named.provider_payment_id and provider_payment_id != named.provider_payment_id:
                return self._misbound(callback, named, "carries another provider payment id than the payment")
            return named
        found = self.store.find_by_provider_id(provider_name, provider_payment_id) if provider_payment_id else None
        if found is None:
            raise NotFound("The callback matches no payment of this provider")
        if callback.payment_id and callback.payment_id != found.id:
            return self._misbound(callback, found, "names another payment than its provider payment id")
        return found

    @staticmethod
    def _misbound(callback: Callback, record: PaymentRecord, why: str) -> None:
        logger.warning(
            "callback refused: it " + why,
            payment_id=record.id,
            callback_payment_id=callback.payment_id,
            callback_provider_payment_id=callback.parent_payment_id or callback.provider_payment_id,
        )
        return None

    def _record_child(self, parent: PaymentRecord, callback: Callback) -> PaymentRecord:
        """A re-deposit arrives as its own provider payment: note it on the parent, never fulfil with it."""
        child_id = callback.provider_payment_id or callback.event_id or "unknown"
        status = callback.state.provider_status if callback.state else "unconfirmed"
        key = f"child:{child_id}"

        def decide(current: PaymentRecord) -> PaymentRecord | None:
            if current.provider_data.get(key) == status:
                return None
            return current.model_copy(update={"provider_data": {**current.provider_data, key: status}})

        logger.info("child payment recorded on its parent", payment_id=parent.id, child=child_id)
        return self.change(parent, decide)

    def _fail(self, record: PaymentRecord, reason: str) -> None:
        self.change(
            record,
            lambda current: with_status(current, Status.FAILED, at=self.clock(), source="api", failure_reason=reason),
        )
