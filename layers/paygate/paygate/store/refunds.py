"""The refunds table: where each refund is found by its id. A refund itself lives on its payment's record
(paygate.refunds); this table holds one small item per refund naming its payment and account, written
before the refund is added to the payment (a pointer whose payment never got the refund finds nothing:
the refund is simply not found)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from paygate.models import Versioned, utcnow
from paygate.store.versioned import VersionedTable


class RefundPointer(Versioned):
    id: str
    payment_id: str
    account_id: str | None = None


class RefundIndex:
    def __init__(self, table_name: str, client: Any, *, clock: Callable[[], datetime] = utcnow):
        self.table = VersionedTable(client, table_name, RefundPointer, clock=clock)

    def add(self, refund_id: str, payment_id: str, account_id: str | None, at: datetime) -> None:
        self.table.insert(RefundPointer(id=refund_id, payment_id=payment_id, account_id=account_id, updated_at=at))

    def find(self, refund_id: str) -> RefundPointer | None:
        return self.table.get({"id": {"S": refund_id}})
