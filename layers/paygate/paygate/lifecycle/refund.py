"""Money back: create a refund, read it, and, for manual ones, confirm or cancel it.

A refund's amount is reserved on its payment in the same versioned write that records the refund, so
concurrent refunds can never give back more than the payment holds. Where the payment's provider can
refund (its spec's REFUND capability), the refund goes there with our refund id as its reference, and is
followed by callbacks and due checks; a refusal fails it and releases its amount. A call whose outcome is
unknown (a timeout) is settled by asking the provider about that reference: no such refund, it failed;
no answer, it stays pending and the due checks ask again. Without the capability the refund is manual:
`requires_action` until the merchant gives the money back and confirms it, or cancels it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aws_lambda_powertools import Logger

from paygate.currencies import MINOR_UNITS, amount_text
from paygate.errors import (
    AmountExceedsRefundable,
    NotFound,
    PaygateError,
    PaymentNotRefundable,
    ProviderRejected,
    RefundNotConfirmable,
    ValidationFailed,
)
from paygate.fields import decimals
from paygate.lifecycle import money
from paygate.lifecycle.refund_rules import with_new_refund, with_refund_status
from paygate.lifecycle.reports import Reports
from paygate.models import Clock, PaymentRecord
from paygate.providers.base import Provider, RefundState
from paygate.providers.catalog import Capability
from paygate.providers.registry import Registry
from paygate.refunds import (
    MAX_REFUNDS,
    ConfirmRefundRequest,
    CreateRefundRequest,
    Refund,
    RefundChange,
    RefundStatus,
    new_refund_id,
)
from paygate.store.payments import PaymentStore
from paygate.store.refunds import RefundIndex

logger = Logger(service="paygate", child=True)


@dataclass
class Refunds:
    payments: PaymentStore
    index: RefundIndex
    providers: Registry
    reports: Reports
    clock: Clock

    def create(self, payment_id: str, request: CreateRefundRequest, *, account_id: str) -> Refund:
        record = self.payments.owned(payment_id, account_id=account_id)
        if money.held(record) <= 0:
            raise PaymentNotRefundable(f"The payment is {record.status.value} and holds no money to refund")
        provider = self._refunding_provider(record)  # before anything is written: a 503 leaves nothing behind
        now = self.clock()
        refund_id = new_refund_id()
        self.index.add(refund_id, record.id, record.account_id, now)

        def reserve(current: PaymentRecord) -> PaymentRecord:
            amount = self._amount(current, request)
            status = RefundStatus.PENDING if provider else RefundStatus.REQUIRES_ACTION
            refund = Refund(
                id=refund_id,
                payment_id=current.id,
                status=status,
                amount=amount_text(amount, current.currency),
                currency=current.currency,
                reason=request.reason,
                metadata=request.metadata or {},
                manual=provider is None,
                livemode=current.livemode,
                provider=current.provider,
                created_at=now,
                updated_at=now,
                history=[RefundChange(status=status, at=now, source="api")],
            )
            return with_new_refund(current, refund)

        record = self.payments.change(record, reserve)
        refund = record.refund(refund_id)
        assert refund is not None
        return self._send(provider, record, refund) if provider else refund

    def get(self, refund_id: str, *, account_id: str) -> Refund:
        return self._located(refund_id, account_id)[1]

    def of_payment(self, payment_id: str, *, account_id: str) -> list[Refund]:
        """The payment's refunds, newest first."""
        return list(reversed(self.payments.owned(payment_id, account_id=account_id).refunds))

    def confirm(self, refund_id: str, request: ConfirmRefundRequest, *, account_id: str) -> Refund:
        """The merchant gave a manual refund's money back: it succeeded (confirming it again with the same
        reference changes nothing)."""
        record, _ = self._located(refund_id, account_id)

        def confirm(current: PaymentRecord) -> PaymentRecord | None:
            now = current.refund(refund_id)
            assert now is not None
            if now.status is RefundStatus.SUCCEEDED and now.external_reference == request.external_reference:
                return None
            moved = with_refund_status(
                current,
                refund_id,
                RefundStatus.SUCCEEDED,
                at=self.clock(),
                source="api",
                external_reference=request.external_reference,
            )
            if not now.manual or moved is None:
                raise RefundNotConfirmable(f"The refund is {now.status.value}: only a manual refund waiting for you is")
            return moved

        return self._refund_of(self.payments.change(record, confirm), refund_id)

    def cancel(self, refund_id: str, *, account_id: str) -> Refund:
        """The merchant will not give a manual refund's money back after all: its amount is refundable again."""
        record, _ = self._located(refund_id, account_id)

        def cancel(current: PaymentRecord) -> PaymentRecord | None:
            now = current.refund(refund_id)
            assert now is not None
            if now.status is RefundStatus.CANCELLED:
                return None
            moved = with_refund_status(current, refund_id, RefundStatus.CANCELLED, at=self.clock(), source="api")
            if moved is None:
                raise RefundNotConfirmable(f"The refund is {now.status.value} and cannot be cancelled")
            return moved

        return self._refund_of(self.payments.change(record, cancel), refund_id)

    # --- helpers -------------------------------------------------------------------------------------

    def _refunding_provider(self, record: PaymentRecord) -> Provider | None:
        """The provider that gives the money back through its API, or None: a manual refund."""
        if record.provider and record.provider_payment_id and self.providers.can(record.provider, Capability.REFUND):
            return self.providers.get(record.provider)
        return None

    @staticmethod
    def _amount(record: PaymentRecord, request: CreateRefundRequest) -> Decimal:
        left = money.refundable(record)
        if len(record.refunds) >= MAX_REFUNDS:
            raise ValidationFailed(f"A payment may have at most {MAX_REFUNDS} refunds", param="amount")
        if request.amount is None:
            if left <= 0:
                raise AmountExceedsRefundable("Nothing of the payment is left to refund", param="amount")
            return left
        if decimals(request.amount) > MINOR_UNITS[record.currency]:
            raise ValidationFailed(
                f"amount: {record.currency} allows at most {MINOR_UNITS[record.currency]} decimal places",
                param="amount",
            )
        amount = Decimal(request.amount)
        if amount > left:
            shown = amount_text(left, record.currency)
            raise AmountExceedsRefundable(f"amount: at most {shown} {record.currency} is refundable", param="amount")
        return amount

    def _send(self, provider: Provider, record: PaymentRecord, refund: Refund) -> Refund:
        state: RefundState | None
        try:
            state = provider.refund(record, refund)
        except ProviderRejected as refusal:
            state = RefundState(RefundStatus.FAILED, "refused", failure_reason=f"{refusal.code}: {refusal.message}")
        except PaygateError as error:  # a timeout, an unreachable provider, an unreadable answer: did it happen?
            state = self._settle_unknown(provider, record, refund, error)
        if state is None:
            return refund  # unknown still: pending, and the due checks ask again
        return self._refund_of(self.reports.apply_refund(record, refund.id, state, source="api"), refund.id)

    @staticmethod
    def _settle_unknown(
        provider: Provider, record: PaymentRecord, refund: Refund, error: PaygateError
    ) -> RefundState | None:
        try:
            return provider.fetch_refund(record, refund)
        except NotFound:
            reason = f"{error.code}: {error.message}; the provider has no such refund"
            return RefundState(RefundStatus.FAILED, "not found", failure_reason=reason)
        except PaygateError as again:
            logger.warning("refund outcome unknown; left pending", refund_id=refund.id, code=again.code)
            return None

    def _located(self, refund_id: str, account_id: str) -> tuple[PaymentRecord, Refund]:
        """The refund and its payment, if that account owns them: another account's refund is not found,
        exactly as an id that does not exist."""
        pointer = self.index.find(refund_id) if refund_id.startswith("re_") else None
        record = self.payments.get(pointer.payment_id) if pointer and pointer.account_id == account_id else None
        refund = record.refund(refund_id) if record else None
        if record is None or refund is None:
            raise NotFound(f"No refund with id {refund_id!r}", code="refund_not_found", param="refund_id")
        return record, refund

    @staticmethod
    def _refund_of(record: PaymentRecord, refund_id: str) -> Refund:
        refund = record.refund(refund_id)
        assert refund is not None
        return refund
