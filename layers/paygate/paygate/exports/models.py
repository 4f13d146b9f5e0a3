"""The Export object and the body of POST /exports. Pydantic only, no I/O."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from paygate.fields import Strict
from paygate.models import Versioned

EXPORT_ID_PREFIX = "ex_"
# The longest period one export covers: a year, leap day included.
MAX_WINDOW = timedelta(days=366)
# How long a file (and the export's record) is kept; the bucket's lifecycle rule says the same.
KEPT_FOR = timedelta(days=7)
# How long a pre-signed URL opens the file.
URL_LIFETIME = timedelta(hours=1)


def new_export_id() -> str:
    return EXPORT_ID_PREFIX + secrets.token_hex(12)


class ExportType(StrEnum):
    """What an export lists: `payments` (a row a payment) or `balance` (a row a money movement)."""

    PAYMENTS = "payments"  # one row per payment
    BALANCE = "balance"  # one row per payment that received money, one per refund


class ExportFormat(StrEnum):
    """An export's file: `csv` (RFC 4180, one header line) or `jsonl` (one JSON object a line)."""

    CSV = "csv"
    JSONL = "jsonl"


class ExportStatus(StrEnum):
    """Where an export is: `pending` (queued), `running`, `succeeded` (its file is ready) or `failed`."""

    PENDING = "pending"  # queued for the worker
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class CreateExportRequest(Strict):
    """The body of POST /exports."""

    type: ExportType = Field(
        description="`payments`: one row per payment created in the period. `balance`: one row per payment"
        " created in the period that received money, and one per refund of those payments (negative gross).",
        examples=["balance"],
    )
    created_gte: datetime = Field(
        description="The period's start (RFC 3339; included): payments created at or after it.",
        examples=["2026-11-01T00:00:00Z"],
    )
    created_lt: datetime = Field(
        description="The period's end (RFC 3339; excluded): payments created before it. At most 366 days"
        " after `created_gte`.",
        examples=["2026-12-01T00:00:00Z"],
    )
    format: ExportFormat = Field(
        default=ExportFormat.CSV,
        description="`csv` (one header line, RFC 4180 quoting) or `jsonl` (one JSON object a line).",
        examples=["csv"],
    )

    # Unknown fields refused as every request's are; times and enums arrive as JSON strings.
    model_config = ConfigDict(extra="forbid", strict=False)

    @field_validator("created_gte", "created_lt")
    @classmethod
    def _in_utc(cls, moment: datetime) -> datetime:
        """RFC 3339 asks for a zone; a time without one is taken as UTC, as GET /payments takes it."""
        try:
            return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+00:01 is a time, but not one UTC can write
            raise _refused("out of the range of times (years 1 to 9999 in UTC)") from None

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.created_lt <= self.created_gte:
            raise _refused("created_lt: must be after created_gte")
        if self.created_lt - self.created_gte > MAX_WINDOW:
            raise _refused("created_lt: the period is at most 366 days")
        return self


def _refused(message: str) -> PydanticCustomError:
    """A 422 `validation_error` whose `param` is the field the message starts with."""
    return PydanticCustomError("validation_error", message)


class Export(BaseModel):
    """The Export object of the API."""

    id: str = Field(description="The export's id.", examples=["ex_4f1c2a9b8e7d6c5b4a392817"])
    object: Literal["export"] = Field(default="export", description="Always `export`.", examples=["export"])
    type: ExportType = Field(description="What the file lists (see POST /exports).", examples=["balance"])
    format: ExportFormat = Field(description="The file's format.", examples=["csv"])
    status: ExportStatus = Field(
        description="`pending` (queued), `running`, `succeeded` (the file is ready: `url`) or `failed`.",
        examples=["succeeded"],
    )
    created_gte: datetime = Field(description="The period's start (included), UTC.", examples=["2026-11-01T00:00:00Z"])
    created_lt: datetime = Field(description="The period's end (excluded), UTC.", examples=["2026-12-01T00:00:00Z"])
    livemode: bool = Field(description="False for an export of test payments.", examples=[True])
    rows: int | None = Field(
        default=None, description="The file's data rows (the header not counted), once succeeded.", examples=[10500]
    )
    url: str | None = Field(
        default=None,
        description="Once succeeded: a pre-signed HTTPS GET URL of the file, valid 1 hour from this answer (read"
        " the export again for a fresh one). The file is kept 7 days.",
        examples=[
            "https://paygate-exports.s3.amazonaws.com/exports/acct_1/ex_4f1c2a9b8e7d6c5b4a392817.csv?X-Amz-Expires=3600"
        ],
    )
    url_expires_at: datetime | None = Field(
        default=None, description="When `url` stops working.", examples=["2026-12-01T13:00:00Z"]
    )
    failure_reason: str | None = Field(
        default=None, description="Why a failed export failed.", examples=["internal_error"]
    )
    created_at: datetime = Field(description="When the export was asked for.", examples=["2026-12-01T12:00:00Z"])
    completed_at: datetime | None = Field(
        default=None, description="When the file was written (or the export failed).", examples=["2026-12-01T12:00:41Z"]
    )


class ExportRecord(Versioned):
    """An export as its table keeps it: the Export and whose it is, and where its file is."""

    id: str
    account_id: str
    type: ExportType
    format: ExportFormat
    status: ExportStatus = ExportStatus.PENDING
    created_gte: datetime
    created_lt: datetime
    livemode: bool = True
    rows: int | None = None
    failure_reason: str | None = None
    created_at: datetime
    completed_at: datetime | None = None

    @property
    def object_key(self) -> str:
        """Where its file is in the exports bucket (under `exports/`, the only prefix the worker may write)."""
        return f"exports/{self.account_id}/{self.id}.{self.format.value}"

    def public(self, url: str | None = None, url_expires_at: datetime | None = None) -> Export:
        fields = self.model_dump(exclude={"account_id", "version", "updated_at", "correlation_id"})
        return Export(**fields, url=url, url_expires_at=url_expires_at)
