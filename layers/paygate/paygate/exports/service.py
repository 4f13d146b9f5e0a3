"""The export use cases: ask for one (recorded, then queued for the worker), read one (with a fresh
pre-signed URL once its file is written), and run one (the worker: the account's payments page by page
to a file bounded in memory, uploaded to S3)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any

from paygate.exports.models import (
    URL_LIFETIME,
    CreateExportRequest,
    Export,
    ExportFormat,
    ExportRecord,
    ExportStatus,
    new_export_id,
)
from paygate.exports.rows import COLUMNS, rows
from paygate.exports.store import ExportStore
from paygate.models import PaymentRecord

# The file is kept in memory up to this size, on disk (Lambda's /tmp) beyond it.
IN_MEMORY_BYTES = 8 * 1024 * 1024
# Payments read a page (one Query of the account index, one BatchGetItem).
PAGE_SIZE = 100


class Exports:
    def __init__(
        self,
        table: str,
        dynamodb: Any,
        s3: Any,
        bucket: str,
        sqs: Any,
        queue_url: str,
        account_payments: Callable[[str, datetime, datetime], Iterator[list[PaymentRecord]]],
        clock: Callable[[], datetime],
    ):
        self.store = ExportStore(table, dynamodb, clock=clock)
        self.s3, self.bucket, self.sqs, self.queue_url = s3, bucket, sqs, queue_url
        self.account_payments, self.clock = account_payments, clock

    def create(self, account_id: str, request: CreateExportRequest, *, livemode: bool) -> Export:
        record = ExportRecord(
            id=new_export_id(),
            account_id=account_id,
            type=request.type,
            format=request.format,
            created_gte=request.created_gte,
            created_lt=request.created_lt,
            livemode=livemode,
            created_at=self.clock(),
            updated_at=self.clock(),
        )
        self.store.insert(record)
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps({"export_id": record.id}))
        return record.public()

    def read(self, account_id: str, export_id: str) -> Export:
        record = self.store.owned(export_id, account_id)
        if record.status is not ExportStatus.SUCCEEDED:
            return record.public()
        url = self.s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": record.object_key},
            ExpiresIn=int(URL_LIFETIME.total_seconds()),
        )
        return record.public(url=url, url_expires_at=self.clock() + URL_LIFETIME)

    def run(self, export_id: str) -> ExportRecord | None:
        """Write the export's file and record its row count. An export already written (a message
        delivered twice) is left as it is; one that fails raises, and the queue tries it again."""
        record = self.store.get(export_id)
        if record is None or record.status is ExportStatus.SUCCEEDED:
            return record
        record = self.store.change(record, lambda current: current.model_copy(update={"status": ExportStatus.RUNNING}))
        with tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES) as spool:
            count = self._write(record, spool)
            spool.seek(0)
            # boto3's managed transfer: one PutObject, or a multipart upload for a large file.
            content_type = "text/csv" if record.format is ExportFormat.CSV else "application/x-ndjson"
            self.s3.upload_fileobj(spool, self.bucket, record.object_key, ExtraArgs={"ContentType": content_type})
        done = {"status": ExportStatus.SUCCEEDED, "rows": count, "completed_at": self.clock()}
        return self.store.change(record, lambda current: current.model_copy(update=done))

    def fail(self, export_id: str, reason: str) -> None:
        """The export given up on (its last try failed)."""
        record = self.store.get(export_id)
        if record is None or record.status is ExportStatus.SUCCEEDED:
            return
        failed = {"status": ExportStatus.FAILED, "failure_reason": reason, "completed_at": self.clock()}
        self.store.change(record, lambda current: current.model_copy(update=failed))

    def _write(self, record: ExportRecord, spool: IO[bytes]) -> int:
        """The rows of every payment of the period, a page at a time, into `spool`; returns how many."""
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
        columns = COLUMNS[record.type]
        writer = csv.DictWriter(text, fieldnames=columns) if record.format is ExportFormat.CSV else None
        if writer:
            writer.writeheader()
        count = 0
        for page in self.account_payments(record.account_id, record.created_gte, record.created_lt):
            for payment in page:
                for row in rows(record.type, payment):
                    if writer:
                        writer.writerow(row)
                    else:
                        # JSON says what is not known as null, where CSV can only leave a cell empty.
                        known = {column: value or None for column, value in row.items()}
                        text.write(json.dumps(known, separators=(",", ":")) + "\n")
                    count += 1
        text.detach()  # the spool stays open for the upload
        return count
