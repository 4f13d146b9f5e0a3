"""The merchant accepts a payment that received less than it asked: it is `succeeded` as it is, with its
`amount_received` below its `amount`, and a history entry saying the merchant accepted it. Also after it
expired or was cancelled: the money it received is what counts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from paygate.errors import PaymentNotAcceptable
from paygate.lifecycle import money
from paygate.lifecycle.status_machine import with_status
from paygate.models import Clock, PaymentRecord, Status
from paygate.store.payments import PaymentStore


@dataclass
class AcceptPayment:
    payments: PaymentStore
    clock: Clock

    def __call__(self, payment_id: str, *, account_id: str) -> PaymentRecord:
        record = self.payments.owned(payment_id, account_id=account_id)

        def accept(current: PaymentRecord) -> PaymentRecord | None:
            held = money.held(current)
            if current.status is Status.SUCCEEDED or not 0 < held < Decimal(current.amount):
                raise PaymentNotAcceptable(
                    f"Only a payment that received less than it asks can be accepted (it is {current.status.value}, "
                    f"received {current.amount_received or 'nothing'} of {current.amount} {current.currency})"
                )
            note = f"accepted by the merchant: {current.amount_received} of {current.amount} {current.currency}"
            moved = with_status(current, Status.SUCCEEDED, at=self.clock(), source="api", note=note)
            # It was paid before it ended, not late: the merchant settles for what arrived in time.
            return moved and moved.model_copy(update={"paid_late": current.paid_late})

        return self.payments.change(record, accept)
