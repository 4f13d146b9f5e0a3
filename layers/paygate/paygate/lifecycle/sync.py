"""Read a payment: as stored, or, with `force_sync`, after asking its provider (when it has a status API)."""

from __future__ import annotations

from dataclasses import dataclass

from paygate.lifecycle.reports import Reports
from paygate.models import PaymentRecord
from paygate.providers.catalog import Capability
from paygate.providers.registry import Registry
from paygate.store.payments import PaymentStore


@dataclass
class ReadPayment:
    payments: PaymentStore
    providers: Registry
    reports: Reports

    def __call__(self, payment_id: str, *, account_id: str, sync: bool = False) -> PaymentRecord:
        record = self.payments.owned(payment_id, account_id=account_id)
        if sync and record.provider_payment_id and self.providers.can(record.provider, Capability.FETCH):
            assert record.provider is not None
            state = self.providers.get(record.provider).fetch(record)
            record = self.reports.apply(record, state, source="sync")
        return record
