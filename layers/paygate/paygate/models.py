"""The domain's data: the request to create a payment, the public Payment and its history, the stored
record, and the facts a provider gives about how to pay. Pydantic only, no I/O."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
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
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from paygate.currencies import MINOR_UNITS
from paygate.providers import SPECS
from paygate.providers.options import ProviderOptions


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
# Each rule is checked by a validator (for a clear message and our error codes) and, where JSON Schema can
# say it, also written into the OpenAPI document (so clients and fuzzers see the real constraints).

# ASCII digits only, no leading zeros, no sign or exponent, nothing after: Python's `\d` and `$` would let
# Arabic-Indic or full-width digits and "10\n" through.
_AMOUNT_GRAMMAR = r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,18})?"
_AMOUNT = re.compile(_AMOUNT_GRAMMAR)
AMOUNT_PATTERN = f"^{_AMOUNT_GRAMMAR}$"
# C0 and C1 control characters, and lone surrogates (no UTF-8 encoder can write them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
TEXT_PATTERN = "^[^\x00-\x1f\x7f-\x9f]*$"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DURATION = TypeAdapter(timedelta)


def _check_amount(value: str) -> str:
    if not _AMOUNT.fullmatch(value):
        raise PydanticCustomError("validation_error", "must be a decimal string such as '10.50'")
    if Decimal(value) <= 0:
        raise PydanticCustomError("amount_out_of_range", "must be greater than zero")
    return value


def _check_text(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("validation_error", "must not contain control characters")
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
    if parts.scheme not in ("http", "https") or not parts.netloc or _CONTROL.search(value) or " " in value:
        raise PydanticCustomError("validation_error", "must be an absolute http(s) URL")
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.fullmatch(value) or _CONTROL.search(value):
        raise PydanticCustomError("validation_error", "must be an email address")
    return value


def _check_duration(value: str) -> str:
    # pydantic reads ISO 8601 durations; insisting on the leading "P" keeps "3600" or "1:00" out.
    try:
        lifetime = _DURATION.validate_python(value) if value.startswith("P") and not _CONTROL.search(value) else None
    except ValueError:
        lifetime = None
    if lifetime is None or lifetime <= timedelta(0):
        raise PydanticCustomError("validation_error", "must be a positive ISO 8601 duration such as 'PT30M'")
    return value


_NO_CONTROL = AfterValidator(_check_text)
_TEXT_SCHEMA = Field(json_schema_extra={"pattern": TEXT_PATTERN})

Amount = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_check_amount),
    Field(json_schema_extra={"pattern": AMOUNT_PATTERN, "examples": ["10.50"]}),
]
Currency = Annotated[
    str,
    StringConstraints(max_length=3),
    AfterValidator(_check_currency),
    Field(json_schema_extra={"enum": sorted(MINOR_UNITS)}),
]
Url = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_check_url),
    Field(json_schema_extra={"pattern": "^https?://[^\\s]+$"}),
]
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(_check_email),
    Field(json_schema_extra={"pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"}),
]
Duration = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_check_duration),
    Field(json_schema_extra={"pattern": "^P([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+S)?)?$", "examples": ["PT30M"]}),
]
Reference = Annotated[str, StringConstraints(max_length=255), _NO_CONTROL, _TEXT_SCHEMA]
Description = Annotated[str, StringConstraints(max_length=1000), _NO_CONTROL, _TEXT_SCHEMA]
ItemName = Annotated[str, StringConstraints(min_length=1, max_length=255), _NO_CONTROL, _TEXT_SCHEMA]
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=40), _NO_CONTROL, _TEXT_SCHEMA]
MetadataValue = Annotated[str, StringConstraints(max_length=500), _NO_CONTROL, _TEXT_SCHEMA]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=50)]


def decimals(amount: str) -> int:
    return len(amount.partition(".")[2])


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: ItemName
    amount: Amount
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1


# What a customer may be offered on the hosted checkout page (`test` is the sandbox).
METHOD_KINDS = ("card", "crypto", "test")
MethodKind = Literal["card", "crypto", "test"]


class CreatePaymentRequest(BaseModel):
    """The body of POST /payments. Strict: amounts are strings, never numbers, and unknown fields fail."""

    model_config = ConfigDict(extra="forbid", strict=True)

    amount: Amount
    currency: Currency
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
    reference: Reference | None = None
    description: Description | None = None
    customer_email: Email | None = None
    items: Annotated[list[Item], Field(max_length=100)] | None = None
    success_url: Url | None = None
    failure_url: Url | None = None
    expires_in: Duration | None = None
    metadata: Metadata | None = None
    provider_options: ProviderOptions | None = None
    # The kinds of method the customer may choose from on the hosted checkout page. Given (and no provider),
    # no provider is called at create: the payment waits, `provider: null`, for the customer's choice.
    methods: Annotated[list[MethodKind], Field(min_length=1, max_length=len(METHOD_KINDS))] | None = None
    # Where the customer is, when the merchant knows it (ISO 3166-1 alpha-2): routing rules may use it.
    customer_country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None

    @model_validator(mode="after")
    def _precision(self) -> CreatePaymentRequest:
        if decimals(self.amount) > MINOR_UNITS[self.currency]:
            raise PydanticCustomError(
                "validation_error",
                "amount: {currency} allows at most {places} decimal places",
                {"currency": self.currency, "places": MINOR_UNITS[self.currency]},
            )
        if self.methods is not None and len(set(self.methods)) != len(self.methods):
            raise PydanticCustomError("validation_error", "methods: each kind at most once")
        if self.methods is not None and self.provider is not None:
            raise PydanticCustomError(
                "validation_error",
                "methods: a payment naming a provider is bound to it; give a provider or methods, not both",
            )
        return self

    @property
    def lifetime(self) -> timedelta | None:
        return _DURATION.validate_python(self.expires_in) if self.expires_in else None


class PaymentMethod(BaseModel):
    """A way a customer could pay, at one provider (GET /payment-methods)."""

    provider: str
    # The provider's own id for it, to pass back as an option (Payop's payment method id), or its kind.
    method: str
    kind: Literal["card", "crypto", "bank_transfer", "wallet", "test", "other"]
    name: str
    # The price currencies it takes; None: any.
    currencies: list[str] | None = None
    # Where it is offered (ISO 3166 codes); None: anywhere.
    countries: list[str] | None = None
    # Crypto: the coins it takes (the customer picks one on the hosted page, unless the payment names one).
    pay_currencies: list[str] | None = None


# --- the payment ---------------------------------------------------------------------------------


# Who made a change: the merchant's API call, a provider's callback, a status read, or the sweeper's expiry.
ChangeSource = Literal["api", "callback", "sync", "expiry"]


class HistoryEntry(BaseModel):
    status: Status
    at: datetime
    source: ChangeSource
    provider_status: str | None = None
    event_id: str | None = None
    # Why a provider's report did not move the payment as it said (a money mismatch, an underpayment).
    note: str | None = None


@dataclass(frozen=True)
class Money:
    """An amount in a currency, as a provider reports it (the currency upper-cased: NOWPayments writes
    `usd`, crypto tickers are compared the same way)."""

    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: object, currency: object) -> Money | None:
        """From a provider's answer; None when either part is missing or unreadable."""
        if isinstance(amount, bool) or not isinstance(amount, str | int | float | Decimal):
            return None
        if not isinstance(currency, str) or not currency:
            return None
        try:
            value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        except InvalidOperation:
            return None
        return cls(value, currency.upper()) if value.is_finite() else None

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


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


AttemptOutcome = Literal["pending", "succeeded", "failed", "skipped"]


class Attempt(BaseModel):
    """One try at creating the payment at a provider: routing may try several before one takes it, and a
    customer on the hosted page may choose again after a provider failed."""

    provider: str
    # skipped: its circuit was open (it had been failing), so it was not called.
    outcome: AttemptOutcome
    at: datetime
    error_code: str | None = None


class Payment(ProviderFacts):
    """The Payment object of the API."""

    id: str
    object: Literal["payment"] = "payment"
    status: Status
    amount: str
    currency: str
    # None while the customer has still to choose how to pay (a payment created with `methods`).
    provider: str | None = None
    provider_payment_id: str | None = None
    # Paygate's hosted checkout page for this payment (public; its token is the customer's key to it).
    checkout_url: str | None = None
    # The method kinds the customer may choose from on the hosted page, for a payment created with them.
    methods: list[MethodKind] | None = None
    attempts: list[Attempt] = Field(default_factory=list)
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

    # The merchant account (API key id) that created it; every merchant route is scoped to it.
    account_id: str | None = None
    # When the sweeper checks this payment next; None once nothing can change any more.
    due_at: datetime | None = None
    # Provider-only facts an adapter needs later, and re-deposits noted on their parent; never shown.
    provider_data: dict[str, str] = Field(default_factory=dict)
    # The create request, kept while a provider may still be asked to create the payment (the customer
    # chooses later, on the hosted page); never shown.
    request: CreatePaymentRequest | None = None
    # Where the hosted page sends the customer at the end (the merchant's), and where it came back.
    success_url: str | None = None
    failure_url: str | None = None

    def public(self) -> Payment:
        return Payment.model_validate(self.model_dump(include=set(Payment.model_fields)))

    # The request is stored as its JSON text: stored as a map, its numbers would come back as Decimals,
    # which the strict request model rightly refuses.
    @field_serializer("request")
    def _request_as_json(self, request: CreatePaymentRequest | None) -> str | None:
        return request.model_dump_json(exclude_none=True) if request is not None else None

    @field_validator("request", mode="before")
    @classmethod
    def _request_from_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


# --- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentQuery:
    """GET /payments: a merchant's payments, newest first, a page at a time, with optional filters."""

    limit: int = 20
    starting_after: str | None = None  # a payment id from the previous page
    status: Status | None = None
    provider: str | None = None
    reference: str | None = None
    created_gte: datetime | None = None
    created_lt: datetime | None = None


class PaymentList(BaseModel):
    """A page of payments. `has_more`: there may be more after this page; ask again with
    `starting_after=<next_starting_after>` (the last payment of the page, or, when a filter skipped many,
    the last one read)."""

    object: Literal["list"] = "list"
    data: list[Payment]
    has_more: bool
    next_starting_after: str | None = None
