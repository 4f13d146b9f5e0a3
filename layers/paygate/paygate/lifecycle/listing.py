"""A page of an account's payments, newest first (see PaymentStore.list_page)."""

from __future__ import annotations

from dataclasses import dataclass

from paygate.models import PaymentQuery
from paygate.store.payments import Page, PaymentStore


@dataclass
class ListPayments:
    payments: PaymentStore

    def __call__(self, query: PaymentQuery, *, account_id: str) -> Page:
        after = (
            self.payments.owned(query.starting_after, account_id=account_id, param="starting_after")
            if query.starting_after
            else None
        )
        return self.payments.list_page(account_id, query, after=after)
