"""The domain's data: the request to create a payment, the public Payment and its history, the stored
record, and the facts a provider gives about how to pay. Pydantic only, no I/O."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    model_validator,
)
from pydantic_core import PydanticCustomError

from paygate.currencies import MINOR_UNITS
from paygate.providers import SPECS


class Status(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    PARTIALLY_PAID = "partially_paid"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.EXPIRED, Status.CANCELLED})
HISTORY_LIMIT = 50


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_payment_id() -> str:
    return "pay_" + secrets.token_hex(12)


# --- request fields ---------------------------------------------------------------------------

_AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,18})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DURATION = TypeAdapter(timedelta)


def _check_amount(value: str) -> str:
    if not _AMOUNT.match(value):
        raise PydanticCustomError("validation_error", "must be a decimal string such as '10.50'")
    if Decimal(value) <= 0:
        raise PydanticCustomError("amount_out_of_range", "must be greater than zero")
    return value


def _check_currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise PydanticCustomError("unsupported_currency", "not an upper-case ISO 4217 fiat currency code")
    return value


def _check_provider(value: str) -> str:
    if value not in SPECS:
        raise PydanticCustomError("validation_error", "must be one of {names}", {"names": ", ".join(SPECS)})
    return value


def _provider_names(schema: dict[str, Any]) -> None:
    schema["enum"] = list(SPECS)  # the catalog as the OpenAPI document is written


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("validation_error", "must be an absolute http(s) URL")
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise PydanticCustomError("validation_error", "must be an email address")
    return value


def _check_duration(value: str) -> str:
    # pydantic reads ISO 8601 durations; insisting on the leading "P" keeps "3600" or "1:00" out.
    try:
        lifetime = _DURATION.validate_python(value) if value.startswith("P") else None
    except ValueError:
        lifetime = None
    if lifetime is None or lifetime <= timedelta(0):
        raise PydanticCustomError("validation_error", "must be a positive ISO 8601 duration such as 'PT30M'")
    return value


Amount = Annotated[str, StringConstraints(max_length=40), AfterValidator(_check_amount)]
Url = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_check_url)]
Text = Annotated[str, StringConstraints(max_length=255)]
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
MetadataValue = Annotated[str, StringConstraints(max_length=500)]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=50)]


def decimals(amount: str) -> int:
    return len(amount.partition(".")[2])


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    amount: Amount
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1


class CreatePaymentRequest(BaseModel):
    """The body of POST /payments. Strict: amounts are strings, never numbers, and unknown fields fail."""

    model_config = ConfigDict(extra="forbid", strict=True)

    amount: Amount
    currency: Annotated[str, StringConstraints(max_length=3), AfterValidator(_check_currency)]
    provider: (
        Annotated[
            str,
            StringConstraints(max_length=32),
            AfterValidator(_check_provider),
            Field(json_schema_extra=_provider_names),
        ]
        | None
    ) = None
    pay_currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{2,20}$")] | None = None
    reference: Text | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    customer_email: Annotated[str, StringConstraints(max_length=254), AfterValidator(_check_email)] | None = None
    items: Annotated[list[Item], Field(max_length=100)] | None = None
    success_url: Url | None = None
    failure_url: Url | None = None
    expires_in: Annotated[str, StringConstraints(max_length=40), AfterValidator(_check_duration)] | None = None
    metadata: Metadata | None = None

    @model_validator(mode="after")
    def _precision(self) -> CreatePaymentRequest:
        if decimals(self.amount) > MINOR_UNITS[self.currency]:
            raise PydanticCustomError(
                "validation_error",
                "amount: {currency} allows at most {places} decimal places",
                {"currency": self.currency, "places": MINOR_UNITS[self.currency]},
            )
        return self

    @property
    def lifetime(self) -> timedelta | None:
        return _DURATION.validate_python(self.expires_in) if self.expires_in else None


# --- the payment ---------------------------------------------------------------------------------


# Who made a change: the merchant's API call, a provider's callback, a status read, or the sweeper's expiry.
ChangeSource = Literal["api", "callback", "sync", "expiry"]


class HistoryEntry(BaseModel):
    status: Status
    at: datetime
    source: ChangeSource
    provider_status: str | None = None
    event_id: str | None = None


class ProviderFacts(BaseModel):
    """What a provider tells about how to pay: its page, or a deposit address with the amount and
    currency to send (and a memo for the chains that need one). Shared by the adapters' answers and the
    Payment, so no provider value ever lands on a payment field by name."""

    payment_url: str | None = None
    pay_address: str | None = None
    pay_amount: str | None = None
    pay_currency: str | None = None
    pay_extra_id: str | None = None

    def missing_from(self, facts: ProviderFacts) -> dict[str, str]:
        """The facts of this answer that `facts` lacks: what the customer was shown first is never
        replaced by a later answer."""
        known = facts.model_dump()
        return {name: value for name, value in self.model_dump().items() if value is not None and known[name] is None}


class Payment(ProviderFacts):
    """The Payment object of the API."""

    id: str
    object: Literal["payment"] = "payment"
    status: Status
    amount: str
    currency: str
    provider: str
    provider_payment_id: str | None = None
    reference: str | None = None
    description: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    paid_late: bool = False
    failure_reason: str | None = None
    version: int = 1
    history: list[HistoryEntry] = Field(default_factory=list)


class PaymentRecord(Payment):
    """A payment as it is stored: the public object plus the bookkeeping of the store and the sweeper,
    which never leaves the API (`public()` keeps exactly the fields of Payment)."""

    # When the sweeper checks this payment next; None once nothing can change any more.
    due_at: datetime | None = None
    # Provider-only facts an adapter needs later, and re-deposits noted on their parent; never shown.
    provider_data: dict[str, str] = Field(default_factory=dict)

    def public(self) -> Payment:
        return Payment.model_validate(self.model_dump(include=set(Payment.model_fields)))
