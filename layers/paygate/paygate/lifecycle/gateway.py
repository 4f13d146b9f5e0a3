"""The use cases: create a payment (write-ahead), read it (and sync it), apply a provider's callback.

Every change to a payment goes through `Gateway.change`: read, decide, one conditional write on the
version that was read; when another writer got there first, read again and decide again. So two writers
never both win and no status ever moves backwards, whatever order the callbacks arrive in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from aws_lambda_powertools import Logger

from paygate import deadline
from paygate.checkout.links import CheckoutLinks
from paygate.errors import (
    PROVIDER_FAULTS,
    AuthenticationFailed,
    NotFound,
    PaygateError,
    PaymentNotCancellable,
    PaymentNotWaiting,
    ProviderUnavailable,
    ValidationFailed,
)
from paygate.lifecycle import money
from paygate.lifecycle.status_machine import closed_attempts, with_note, with_status
from paygate.models import (
    Attempt,
    AttemptOutcome,
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
from paygate.providers.base import (
    Callback,
    CallbackRequest,
    Clock,
    CreateContext,
    CreatedPayment,
    Provider,
    ProviderState,
)
from paygate.providers.circuits import Circuits, is_open
from paygate.providers.registry import Registry, polling_plan
from paygate.store import Page, PaymentStore, VersionConflict

logger = Logger(service="paygate", child=True)

MAX_WRITE_ATTEMPTS = 25
# How long a payment waits for the customer's choice on the hosted page, unless `expires_in` says.
WAITING_LIFETIME = timedelta(hours=1)
WAITING_MAX_LIFETIME = timedelta(hours=24)
# Failover goes on to the next provider only while it could still answer in time.
MIN_SECONDS_FOR_FAILOVER = 2.0
# The query of the hosted page's address when a provider sends the customer back to it.
RETURNED = "returned=1"
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
    links: CheckoutLinks
    circuits: Circuits

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
        """Create a payment. Naming a provider binds it there. Naming none, routing gives the eligible
        providers and each is tried in turn while the failure is the provider's (failover). Giving
        `methods` calls no provider: the payment waits for the customer's choice on the hosted page."""
        if request.methods:
            record = self._new_record(request, account_id, callback_base_url, lifetime=_waiting_lifetime(request))
            record = record.model_copy(update={"request": request})
            self.store.insert(record)
            return record
        providers = self.providers.route(request)
        record = self._new_record(request, account_id, callback_base_url, lifetime=providers[0].lifetime(request))
        return self._create_at(
            record, providers, request, callback_base_url, routed=request.provider is None, stored=False
        )

    def choose(
        self, record: PaymentRecord, provider_name: str, request: CreatePaymentRequest, base_url: str
    ) -> PaymentRecord:
        """The customer's choice on the hosted page: create the waiting payment at that provider, with
        `request` (the stored one, completed by the choice: a coin, a provider's own method). If the
        provider fails, the payment goes on waiting (the page offers the others) and the error is raised."""
        if record.provider is not None or record.request is None or record.status is not Status.PENDING:
            raise PaymentNotWaiting("This payment is no longer waiting for a choice")
        if provider_name not in self.providers.enabled:
            raise ValidationFailed(f"provider {provider_name!r} is not enabled", param="provider")
        provider = self.providers.get(provider_name)
        provider.accepts(request)
        return self._create_at(record, [provider], request, base_url, routed=True, stored=True, waiting=True)

    def _new_record(
        self, request: CreatePaymentRequest, account_id: str, base_url: str, *, lifetime: timedelta
    ) -> PaymentRecord:
        now = self.clock()
        payment_id = new_payment_id()
        expires_at = now + lifetime
        return PaymentRecord(
            id=payment_id,
            account_id=account_id,
            status=Status.PENDING,
            amount=request.amount,
            currency=request.currency,
            provider=None,
            methods=request.methods,
            checkout_url=self.links.url(base_url, payment_id, expires_at),
            pay_currency=request.pay_currency.lower() if request.pay_currency else None,
            reference=request.reference,
            description=request.description,
            metadata=request.metadata or {},
            success_url=request.success_url,
            failure_url=request.failure_url,
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
            history=[HistoryEntry(status=Status.PENDING, at=now, source="api")],
            # A waiting payment has nobody to ask: it is looked at when it expires.
            due_at=expires_at,
        )

    def _create_at(
        self,
        record: PaymentRecord,
        providers: list[Provider],
        request: CreatePaymentRequest,
        base_url: str,
        *,
        routed: bool,
        stored: bool,
        waiting: bool = False,
    ) -> PaymentRecord:
        """Try `providers` in turn. Before each call the attempt is written (write-ahead: a crash leaves a
        record to reconcile, never an unknown provider payment) with the outcome of the one before. A
        routed attempt goes through its provider's circuit and, when the failure is the provider's, on to
        the next; otherwise the first failure ends the create (the payment fails, or, waiting, waits on)."""
        last_error: PaygateError | None = None
        closing: tuple[AttemptOutcome, str | None] | None = None
        for provider in providers:
            left = deadline.remaining()
            if closing is not None and left is not None and left < MIN_SECONDS_FOR_FAILOVER:
                break  # no time to give the next provider a fair try: answer with the last failure
            record = self._begin_attempt(record, provider, request, closing, stored=stored)
            stored = True
            context = CreateContext(
                callback_url=f"{base_url.rstrip('/')}/ipn/{provider.name}",
                # Chosen on the hosted page, the customer comes back to it, and it sends them on.
                success_url=f"{record.checkout_url}?{RETURNED}" if waiting else request.success_url,
                failure_url=f"{record.checkout_url}?{RETURNED}" if waiting else request.failure_url,
            )
            try:
                if routed:
                    created = self.circuits.call(provider.name, provider.create, record, request, context)
                else:
                    created = provider.create(record, request, context)
            except PaygateError as error:
                last_error = error
                closing = ("failed", error.code)
                if routed and not waiting and isinstance(error, PROVIDER_FAULTS):
                    logger.warning(
                        "provider failed at create; trying the next", provider=provider.name, code=error.code
                    )
                    continue
                break
            except Exception as error:
                if is_open(error):  # its circuit is open: it was not called
                    count_for_provider("ProviderSkipped", provider.name)
                    last_error = ProviderUnavailable(f"{provider.name} is failing; it is not being called for a while")
                    closing = ("skipped", "circuit_open")
                    continue
                self._end_attempts(record, ("failed", "internal_error"), "internal_error: the provider call failed")
                raise
            return self.change(record, self._attach(created))
        assert last_error is not None and closing is not None
        if waiting:
            self._end_attempts(record, closing, None)
        else:
            self._end_attempts(record, closing, f"{last_error.code}: {last_error.message}")
        raise last_error

    def _begin_attempt(
        self,
        record: PaymentRecord,
        provider: Provider,
        request: CreatePaymentRequest,
        closing: tuple[AttemptOutcome, str | None] | None,
        *,
        stored: bool,
    ) -> PaymentRecord:
        now = self.clock()

        def decide(current: PaymentRecord) -> PaymentRecord:
            if stored and closing is None and (current.provider is not None or current.status is not Status.PENDING):
                raise PaymentNotWaiting("This payment is no longer waiting for a choice")
            expires_at = current.expires_at
            if current.request is None:  # routed or named: the provider's lifetime (a waiting payment keeps its own)
                expires_at = current.created_at + provider.lifetime(request)
            assert expires_at is not None
            return current.model_copy(
                update={
                    "provider": provider.name,
                    "expires_at": expires_at,
                    "due_at": min(now + polling_plan(provider.name).first, expires_at),
                    "attempts": [
                        *closed_attempts(current.attempts, closing),
                        Attempt(provider=provider.name, outcome="pending", at=now),
                    ],
                }
            )

        if not stored:
            started = decide(record)
            self.store.insert(started)
            return started
        return self.change(record, decide)

    def _end_attempts(
        self, record: PaymentRecord, closing: tuple[AttemptOutcome, str | None], failure_reason: str | None
    ) -> None:
        """No attempt took the payment: it fails with the last failure's reason or, waiting for the
        customer's choice, goes back to waiting (no provider) so another can be chosen."""

        def decide(current: PaymentRecord) -> PaymentRecord | None:
            closed = current.model_copy(update={"attempts": closed_attempts(current.attempts, closing)})
            if failure_reason is None:
                return closed.model_copy(update={"provider": None, "due_at": current.expires_at})
            return (
                with_status(closed, Status.FAILED, at=self.clock(), source="api", failure_reason=failure_reason)
                or closed
            )

        self.change(record, decide)

    def _attach(self, created: CreatedPayment) -> Decision:
        def attach(current: PaymentRecord) -> PaymentRecord:
            """The attempt's record, completed with what the provider answered to create."""
            attached = current.model_copy(
                update={
                    **created.facts.model_dump(exclude_none=True),
                    "provider_payment_id": created.provider_payment_id,
                    "expires_at": created.expires_at or current.expires_at,
                    "provider_data": {**current.provider_data, **created.data},
                    "attempts": closed_attempts(current.attempts, ("succeeded", None)),
                    "request": None,  # taken: nothing more will be created from it
                }
            )
            state = created.state
            if state.status is None:
                return attached
            moved = with_status(
                attached, state.status, at=self.clock(), source="api", provider_status=state.provider_status
            )
            return moved or attached

        return attach

    def get_payment(self, payment_id: str, *, account_id: str, sync: bool = False) -> PaymentRecord:
        record = self.get_record(payment_id, account_id=account_id)
        if sync and record.provider and record.provider_payment_id:
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


def _waiting_lifetime(request: CreatePaymentRequest) -> timedelta:
    asked = request.lifetime
    if asked is None:
        return WAITING_LIFETIME
    if asked < Provider.min_lifetime:
        raise ValidationFailed("expires_in: a payment needs at least 60 seconds", param="expires_in")
    return min(asked, WAITING_MAX_LIFETIME)
