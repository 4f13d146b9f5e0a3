"""The exports table: one item per export, removed by DynamoDB's TTL (attribute `expires_at`) when its
file is gone from the bucket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from paygate.errors import NotFound
from paygate.exports.models import KEPT_FOR, ExportRecord
from paygate.models import utcnow
from paygate.store.versioned import VersionedTable, from_item, to_item


def _to_item(record: ExportRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json", exclude_none=True)
    data["expires_at"] = int((record.created_at + KEPT_FOR).timestamp())
    return to_item(data)


def _from_item(item: dict[str, Any]) -> ExportRecord:
    return ExportRecord.model_validate(from_item(item, leave_out=frozenset({"expires_at"})))


class ExportStore:
    def __init__(self, table_name: str, client: Any, *, clock: Callable[[], datetime] = utcnow):
        self.table = VersionedTable(client, table_name, ExportRecord, clock=clock, encode=_to_item, decode=_from_item)

    def insert(self, record: ExportRecord) -> ExportRecord:
        return self.table.insert(record)

    def get(self, export_id: str) -> ExportRecord | None:
        return self.table.get({"id": {"S": export_id}})

    def owned(self, export_id: str, account_id: str) -> ExportRecord:
        """The export, if `account_id` owns it: another account's is not found, as an id that does not exist."""
        record = self.get(export_id)
        if record is None or record.account_id != account_id:
            raise NotFound(f"No export with id {export_id!r}", code="export_not_found", param="export_id")
        return record

    def change(self, record: ExportRecord, decide: Callable[[ExportRecord], ExportRecord | None]) -> ExportRecord:
        return self.table.change(record, decide)
