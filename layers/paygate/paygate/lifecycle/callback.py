"""Apply a provider's callback: authenticate it, find the one payment it belongs to, and apply it.

Nothing is read or changed before the adapter has authenticated it. An authentic callback about nothing
Paygate tracks is acknowledged and ignored; one that names a payment of another provider, or another
provider payment than the payment's, changes nothing (misbound); a repeated delivery changes nothing; a
re-deposit is noted on its parent; an unsigned callback is only a hint, confirmed with the provider's
status API, and so is a signed report of money received whose amount cannot be read. Every outcome is
acknowledged to the provider, which would otherwise retry for hours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_lambda_powertools import Logger

from paygate.errors import AuthenticationFailed, NotFound
from paygate.lifecycle.reports import Reports
from paygate.models import PaymentRecord
from paygate.observability import count_for_provider, metrics
from paygate.providers.base import Callback, CallbackRequest, RefundReport
from paygate.providers.catalog import Capability
from paygate.providers.registry import Registry
from paygate.store.payments import PaymentStore
from paygate.store.refunds import RefundIndex

logger = Logger(service="paygate", child=True)


@dataclass(frozen=True)
class CallbackResult:
    """What became of an authentic callback; only `applied` can have changed the payment."""

    outcome: Literal["applied", "duplicate", "ignored", "misbound"]
    record: PaymentRecord | None = None


@dataclass
class ApplyCallback:
    payments: PaymentStore
    providers: Registry
    reports: Reports
    refunds: RefundIndex

    def __call__(self, provider_name: str, request: CallbackRequest) -> CallbackResult:
        provider = self.providers.get(provider_name)
        try:
            callback = provider.verify_callback(request)  # nothing is read or changed before this passes
        except AuthenticationFailed:
            count_for_provider("CallbacksRefused", provider_name)  # a spike: forgeries, or a rotated secret
            raise
        if callback.ignored:
            return CallbackResult("ignored")
        if callback.refund is not None:
            return self._refund(provider_name, callback.refund, callback.payment_id)
        record = self._match(provider_name, callback)
        if record is None:
            metrics.add_metric(name="CallbacksMisbound", unit="Count", value=1)
            return CallbackResult("misbound")
        if callback.event_id and any(entry.event_id == callback.event_id for entry in record.history):
            return CallbackResult("duplicate", record)  # the same delivery again
        if callback.parent_payment_id:
            return CallbackResult("applied", self._record_child(record, callback))
        # Unsigned callbacks are hints: believe only what the provider's status API says.
        if callback.state is None and not self.providers.can(provider_name, Capability.FETCH):
            logger.warning("unsigned callback left unconfirmed: its provider has no status API", payment_id=record.id)
            return CallbackResult("ignored", record)
        state = callback.state
        if state is not None and state.unreadable_payment and self.providers.can(provider_name, Capability.FETCH):
            # Signed, but its amount cannot be read: what the status API says moves the payment, or nothing.
            logger.warning("callback without a readable amount: confirmed with the status API", payment_id=record.id)
            state = None
        state = state or provider.fetch(record)
        return CallbackResult(
            "applied", self.reports.apply(record, state, source="callback", event_id=callback.event_id)
        )

    def _match(self, provider_name: str, callback: Callback) -> PaymentRecord | None:
        """The payment the callback belongs to. NotFound when it names none Paygate has; None when what it
        names disagrees (our id names a payment of another provider, or one whose provider id is another
        than the callback's): such a callback changes nothing, whatever its signature."""
        provider_payment_id = callback.parent_payment_id or callback.provider_payment_id
        named = self.payments.get(callback.payment_id) if callback.payment_id else None
        if named is not None:
            if named.provider != provider_name:
                _misbound(callback, named, "names a payment of another provider")
                return None
            if provider_payment_id and named.provider_payment_id and provider_payment_id != named.provider_payment_id:
                _misbound(callback, named, "carries another provider payment id than the payment")
                return None
            return named
        found = self.payments.find_by_provider_id(provider_name, provider_payment_id) if provider_payment_id else None
        if found is None:
            raise NotFound("The callback matches no payment of this provider")
        if callback.payment_id and callback.payment_id != found.id:
            _misbound(callback, found, "names another payment than its provider payment id")
            return None
        return found

    def _refund(self, provider_name: str, report: RefundReport, payment_id: str | None) -> CallbackResult:
        """A callback about a refund: applied to it, if it is a refund of a payment of this provider."""
        pointer = self.refunds.find(report.refund_id) if report.refund_id else None
        record = self.payments.get(pointer.payment_id if pointer else payment_id or "")
        refund = record.refund(report.refund_id or "") if record else None
        if record is None or refund is None:
            raise NotFound("The callback matches no refund of this provider", code="refund_not_found")
        known = refund.provider_refund_id
        if record.provider != provider_name or (payment_id and payment_id != record.id):
            _misbound_refund(refund.id, "names a refund of another payment or provider")
            return CallbackResult("misbound")
        if known and report.provider_refund_id and known != report.provider_refund_id:
            _misbound_refund(refund.id, "carries another provider refund id than the refund")
            return CallbackResult("misbound")
        # An unsigned refund callback is a hint too: believe only what the provider's refund status says.
        if report.state is None and not self.providers.can(provider_name, Capability.REFUND):
            logger.warning("unsigned refund callback left unconfirmed: no refund API here", refund_id=refund.id)
            return CallbackResult("ignored", record)
        state = report.state or self.providers.get(provider_name).fetch_refund(record, refund)
        return CallbackResult("applied", self.reports.apply_refund(record, refund.id, state, source="callback"))

    def _record_child(self, parent: PaymentRecord, callback: Callback) -> PaymentRecord:
        """A re-deposit arrives as its own provider payment: note it on the parent, never fulfil with it."""
        child_id = callback.provider_payment_id or callback.event_id or "unknown"
        status = callback.state.provider_status if callback.state else "unconfirmed"
        key = f"child:{child_id}"

        def note(current: PaymentRecord) -> PaymentRecord | None:
            if current.provider_data.get(key) == status:
                return None
            return current.model_copy(update={"provider_data": {**current.provider_data, key: status}})

        logger.info("child payment recorded on its parent", payment_id=parent.id, child=child_id)
        return self.payments.change(parent, note)


def _misbound_refund(refund_id: str, why: str) -> None:
    logger.warning("refund callback refused: it " + why, refund_id=refund_id)
    metrics.add_metric(name="CallbacksMisbound", unit="Count", value=1)


def _misbound(callback: Callback, record: PaymentRecord, why: str) -> None:
    """Logged; the caller answers None: the callback belongs to no payment."""
    logger.warning(
        "callback refused: it " + why,
        payment_id=record.id,
        callback_payment_id=callback.payment_id,
        callback_provider_payment_id=callback.parent_payment_id or callback.provider_payment_id,
    )
