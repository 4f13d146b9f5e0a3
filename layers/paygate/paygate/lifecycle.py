"""The status machine and the use cases: create, read (and sync), apply a callback.

Every change to a payment goes through `Gateway.change`: read, decide, one conditional write on
`version`; when another writer got there first, read again and decide again. So two writers never both
win and no status ever moves backwards, whatever order the callbacks arrive in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from paygate.errors import NotFound, PaygateError
from paygate.models import (
    HISTORY_LIMIT,
    CreatePaymentRequest,
    HistoryEntry,
    Payment,
    Status,
    new_payment_id,
)
from paygate.providers import Registry
from paygate.providers.base import Callback, CallbackRequest, Clock, CreateContext, CreatedPayment, ProviderState
from paygate.store import PaymentStore, VersionConflict

logger = Logger(service="paygate", child=True)

# Non-terminal statuses only move forward, in this order.
_FORWARD = {Status.PENDING: 0, Status.PROCESSING: 1, Status.PARTIALLY_PAID: 2}
_UNPAID_ENDINGS = frozenset({Status.EXPIRED, Status.FAILED, Status.CANCELLED})

# When the sweeper looks at a payment next, so a lost callback is caught: data, per provider.
# (first check after creation, then every `every`). A write-ahead record is looked at after `first`
# too: if its provider call never finished by then, the sweeper fails it.
POLLING_PLANS: dict[str, dict[str, timedelta]] = {
    "default": {"first": timedelta(minutes=1), "every": timedelta(minutes=5)},
    # On-chain payments confirm slowly: no use asking every minute.
    "nowpayments": {"first": timedelta(minutes=2), "every": timedelta(minutes=10)},
}
# Expired payments stay watched this long, so money that arrives late is still recorded (paid_late).
LATE_PAYMENT_WINDOW = timedelta(hours=24)
MAX_WRITE_ATTEMPTS = 25


def polling_plan(provider: str) -> dict[str, timedelta]:
    return POLLING_PLANS.get(provider, POLLING_PLANS["default"])


def accepts(current: Status, new: Status) -> bool:
    """The rules of the status machine: may a payment in `current` move to `new`?"""
    if new == current:
        return False  # a duplicate: no change, no event
    if new is Status.SUCCEEDED:
        return True  # money received is never dropped, even after a terminal status
    if current.is_terminal:
        return False
    if new.is_terminal:
        return True
    return _FORWARD[new] > _FORWARD[current]


def with_status(
    payment: Payment,
    new: Status,
    *,
    at: datetime,
    source: str,
    provider_status: str | None = None,
    event_id: str | None = None,
    failure_reason: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> Payment | None:
    """The payment moved to `new` (with the provider's `fields`), or None when the status machine refuses."""
    if not accepts(payment.status, new):
        return None
    entry = HistoryEntry(status=new, at=at, source=source, provider_status=provider_status, event_id=event_id)
    return payment.model_copy(
        update={
            "status": new,
            "updated_at": at,
            "version": payment.version + 1,
            "history": [*payment.history, entry][-HISTORY_LIMIT:],
            "paid_late": payment.paid_late or (new is Status.SUCCEEDED and payment.status in _UNPAID_ENDINGS),
            "failure_reason": failure_reason if new is Status.FAILED else payment.failure_reason,
            "due_at": None if new.is_terminal else payment.due_at,
            **(fields or {}),
        }
    )


@dataclass
class Gateway:
    store: PaymentStore
    providers: Registry
    clock: Clock

    # --- the write path ----------------------------------------------------------------------------

    def change(self, payment: Payment, decide: Callable[[Payment], Payment | None]) -> Payment:
        """Apply `decide` to the payment with optimistic concurrency; None from `decide` means no change."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            updated = decide(payment)
            if updated is None:
                return payment
            try:
                self.store.replace(updated)
                return updated
            except VersionConflict:
                payment = self._get(payment.id)
        raise PaygateError(f"payment {payment.id} is changing too fast to update; try again")

    def apply(self, payment: Payment, state: ProviderState, *, source: str, event_id: str | None = None) -> Payment:
        if state.status is None:
            logger.warning(
                "unknown provider status left unchanged", payment_id=payment.id, provider_status=state.provider_status
            )
            return payment
        status = state.status

        return self.change(
            payment,
            lambda current: with_status(
                current,
                status,
                at=self.clock(),
                source=source,
                provider_status=state.provider_status,
                event_id=event_id,
                fields=state.fields,
            ),
        )

    # --- use cases ---------------------------------------------------------------------------------

    def create_payment(self, request: CreatePaymentRequest, *, callback_base_url: str) -> Payment:
        provider = self.providers.route(request)
        now = self.clock()
        expires_at = now + provider.lifetime(request)
        payment = Payment(
            id=new_payment_id(),
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
            due_at=min(now + polling_plan(provider.name)["first"], expires_at),
        )
        # Write-ahead: the record exists before the provider hears of the payment, so a crash in
        # between leaves a record for the sweeper to reconcile, never an unknown provider payment.
        self.store.insert(payment)
        context = CreateContext(
            callback_url=f"{callback_base_url.rstrip('/')}/ipn/{provider.name}",
            success_url=request.success_url,
            failure_url=request.failure_url,
        )
        try:
            created = provider.create(payment, request, context)
        except PaygateError as error:  # refused or failed at the provider: the outcome is known
            self._fail(payment, f"{error.code}: {error.message}")
            raise
        except Exception:
            self._fail(payment, "internal_error: the provider call could not be completed")
            raise

        def decide(current: Payment) -> Payment:
            attached = _attach(current, created)
            state = created.state
            moved = state.status and with_status(
                attached, state.status, at=self.clock(), source="api", provider_status=state.provider_status
            )
            return moved or attached.model_copy(update={"version": current.version + 1})

        return self.change(payment, decide)

    def get_payment(self, payment_id: str, *, sync: bool = False) -> Payment:
        payment = self._get(payment_id)
        if sync and payment.provider_payment_id:
            provider = self.providers.get(payment.provider)
            payment = self.apply(payment, provider.fetch(payment), source="sync")
        return payment

    def handle_callback(self, provider_name: str, request: CallbackRequest) -> Payment | None:
        """Apply a callback; None for an authentic one that concerns no payment (acknowledged all the same)."""
        provider = self.providers.get(provider_name)
        callback = provider.verify_callback(request)  # nothing is read or changed before this passes
        if callback.ignored:
            return None
        payment = self._match(provider_name, callback)
        if callback.event_id and any(entry.event_id == callback.event_id for entry in payment.history):
            return payment  # the same delivery again
        if callback.parent_payment_id:
            return self._record_child(payment, callback)
        # Unsigned callbacks are hints: believe only what the provider's status API says.
        state = callback.state or provider.fetch(payment)
        return self.apply(payment, state, source="callback", event_id=callback.event_id)

    # --- the sweeper ---------------------------------------------------------------------------------

    def sweep(self, *, shards: int, time_left: Callable[[], float], page_size: int = 100) -> dict[str, int]:
        """Check every payment whose `due_at` has come, shard by shard, a page at a time, stopping
        cleanly when less than a few seconds of the invocation remain (the next run goes on)."""
        counts = {"checked": 0, "failed_checks": 0}
        for shard in range(shards):
            start_key = None
            while True:
                if time_left() < 5:
                    counts["stopped_early"] = 1
                    return counts
                ids, start_key = self.store.due_ids(shard, self.clock(), limit=page_size, start_key=start_key)
                for payment_id in ids:
                    try:
                        self.check_due(payment_id)
                        counts["checked"] += 1
                    except PaygateError as error:  # one provider's trouble must not stop the sweep
                        counts["failed_checks"] += 1
                        logger.warning("due check failed", payment_id=payment_id, code=error.code)
                if not start_key:
                    break
        return counts

    def check_due(self, payment_id: str) -> Payment:
        """One due check: ask the provider, apply its answer, expire what is unpaid past `expires_at`,
        and set the next check (or none, once nothing can change any more)."""
        payment = self._get(payment_id)
        now = self.clock()
        if payment.due_at is None or payment.due_at > now:
            return payment  # already handled by someone else
        if not payment.provider_payment_id:
            return self._reconcile_unfinished(payment, now)
        provider = self.providers.get(payment.provider)
        try:
            state: ProviderState | None = provider.fetch(payment)
        except PaygateError as error:
            logger.warning("status call failed", payment_id=payment.id, code=error.code)
            state = None

        def decide(current: Payment) -> Payment | None:
            updated = current
            if state is not None and state.status is not None:
                moved = with_status(
                    updated,
                    state.status,
                    at=now,
                    source="sync",
                    provider_status=state.provider_status,
                    fields=state.fields,
                )
                updated = moved or updated
            if not updated.status.is_terminal and updated.expires_at and updated.expires_at <= now:
                updated = with_status(updated, Status.EXPIRED, at=now, source="expiry") or updated
            due_at = self._next_due(updated, now)
            if updated is current and due_at == current.due_at:
                return None
            version = current.version + 1
            return updated.model_copy(update={"due_at": due_at, "version": version})

        return self.change(payment, decide)

    def _reconcile_unfinished(self, payment: Payment, now: datetime) -> Payment:
        """A write-ahead record whose provider call never finished (the function died in between).
        Nobody was ever shown its payment URL, so nothing can be paid on it: it fails."""

        def decide(current: Payment) -> Payment | None:
            if current.provider_payment_id:
                return None  # the create finished after all
            reason = "reconciliation: the provider call never completed"
            failed = with_status(current, Status.FAILED, at=now, source="expiry", failure_reason=reason)
            return failed or current.model_copy(update={"due_at": None, "version": current.version + 1})

        return self.change(payment, decide)

    def _next_due(self, payment: Payment, now: datetime) -> datetime | None:
        every = polling_plan(payment.provider)["every"]
        if not payment.status.is_terminal:
            next_check = now + every
            # Look again right when it expires, not up to `every` later.
            return (
                min(next_check, payment.expires_at) if payment.expires_at and payment.expires_at > now else next_check
            )
        if payment.status is Status.EXPIRED and payment.expires_at:
            watch_until = payment.expires_at + LATE_PAYMENT_WINDOW
            return now + every if now + every <= watch_until else None
        return None

    # --- helpers -----------------------------------------------------------------------------------

    def _get(self, payment_id: str) -> Payment:
        payment = self.store.get(payment_id)
        if payment is None:
            raise NotFound(f"No payment with id {payment_id!r}", param="payment_id")
        return payment

    def _match(self, provider_name: str, callback: Callback) -> Payment:
        payment = None
        if callback.payment_id:
            payment = self.store.get(callback.payment_id)
        provider_payment_id = callback.parent_payment_id or callback.provider_payment_id
        if payment is None and provider_payment_id:
            payment = self.store.find_by_provider_id(provider_name, provider_payment_id)
        if payment is None or payment.provider != provider_name:
            raise NotFound("The callback matches no payment of this provider")
        return payment

    def _record_child(self, parent: Payment, callback: Callback) -> Payment:
        """A re-deposit arrives as its own provider payment: note it on the parent, never fulfil with it."""
        child_id = callback.provider_payment_id or callback.event_id or "unknown"
        status = callback.state.provider_status if callback.state else "unconfirmed"
        key = f"child:{child_id}"

        def decide(current: Payment) -> Payment | None:
            if current.provider_data.get(key) == status:
                return None
            return current.model_copy(
                update={
                    "provider_data": {**current.provider_data, key: status},
                    "version": current.version + 1,
                    "updated_at": self.clock(),
                }
            )

        logger.info("child payment recorded on its parent", payment_id=parent.id, child=child_id)
        return self.change(parent, decide)

    def _fail(self, payment: Payment, reason: str) -> None:
        self.change(
            payment,
            lambda current: with_status(current, Status.FAILED, at=self.clock(), source="api", failure_reason=reason),
        )


def _attach(payment: Payment, created: CreatedPayment) -> Payment:
    """The write-ahead record, completed with what the provider answered to create."""
    update = {
        "provider_payment_id": created.provider_payment_id,
        "payment_url": created.payment_url,
        "pay_address": created.pay_address,
        "pay_amount": created.pay_amount,
        "pay_currency": created.pay_currency or payment.pay_currency,
        "pay_extra_id": created.pay_extra_id,
        "expires_at": created.expires_at or payment.expires_at,
        "provider_data": {**payment.provider_data, **created.data},
    }
    return payment.model_copy(update=update)
