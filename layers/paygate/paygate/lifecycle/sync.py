"""Read a payment: as stored, or, with `force_sync`, after asking its provider (when it has a status API).

A provider too slow to answer within the call's budget leaves the payment as stored: that is still the
best answer there is, and a read that waits for nothing new must not fail (the due checks ask again)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger

from paygate.errors import ProviderTimeout
from paygate.lifecycle.reports import Reports
from paygate.models import PaymentRecord
from paygate.providers.catalog import Capability
from paygate.providers.registry import Registry
from paygate.store.payments import PaymentStore

logger = Logger(service="paygate", child=True)


@dataclass
class ReadPayment:
    payments: PaymentStore
    providers: Registry
    reports: Reports

    def __call__(self, payment_id: str, *, account_id: str, sync: bool = False) -> PaymentRecord:
        record = self.payments.owned(payment_id, account_id=account_id)
        if sync and record.provider_payment_id and self.providers.can(record.provider, Capability.FETCH):
            assert record.provider is not None
            try:
                state = self.providers.get(record.provider).fetch(record)
            except ProviderTimeout as error:
                logger.warning("force_sync answered the stored status", payment_id=record.id, reason=str(error))
                return record
            record = self.reports.apply(record, state, source="sync")
        return record
