"""The merchant gives up on a payment that has not ended. A provider that can cancel is asked to first,
so its customer can no longer pay (a refusal leaves the payment as it was). Otherwise the customer could
still pay: the payment stays watched for the late-payment window, and money that arrives is recorded
(`succeeded`, `paid_late`). Cancelling a cancelled payment changes nothing; one that succeeded, failed or
expired cannot be cancelled."""

from __future__ import annotations

from dataclasses import dataclass

from paygate.errors import PaymentNotCancellable
from paygate.lifecycle.status_machine import with_status
from paygate.models import Clock, PaymentRecord, Status
from paygate.providers.catalog import Capability
from paygate.providers.registry import Registry
from paygate.store.payments import PaymentStore


@dataclass
class CancelPayment:
    payments: PaymentStore
    providers: Registry
    clock: Clock

    def __call__(self, payment_id: str, *, account_id: str) -> PaymentRecord:
        record = self.payments.owned(payment_id, account_id=account_id)
        if record.status is Status.CANCELLED:
            return record
        _cancellable(record)
        if record.provider and record.provider_payment_id and self.providers.can(record.provider, Capability.CANCEL):
            self.providers.get(record.provider).cancel(record)

        def cancel(current: PaymentRecord) -> PaymentRecord | None:
            if current.status is Status.CANCELLED:
                return None
            _cancellable(current)
            return with_status(current, Status.CANCELLED, at=self.clock(), source="api")

        return self.payments.change(record, cancel)


def _cancellable(record: PaymentRecord) -> None:
    if record.status.is_terminal:
        raise PaymentNotCancellable(f"The payment is {record.status.value} and cannot be cancelled")
