"""The domain's data: the public Payment and its history, the stored record, the facts a provider gives
about how to pay, and lists of payments. Pydantic only, no I/O; nothing here knows any provider."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Literal, get_args

from pydantic import BaseModel, Field

from paygate.currencies import amount_text
from paygate.refunds import Refund, RefundStatus


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
# Notes (reports that changed no status) are kept apart: at most this many, the latest.
NOTES_LIMIT = 10


Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_payment_id() -> str:
    return "pay_" + secrets.token_hex(12)


# What a customer may be offered on the hosted checkout page (`test` is the sandbox).
MethodKind = Literal["card", "crypto", "test"]
METHOD_KINDS: tuple[MethodKind, ...] = get_args(MethodKind)


class Versioned(BaseModel):
    """A record as it is kept: `version` counts its writes and is the condition of the next one (0: not
    stored yet); `updated_at` is the time of the last; `correlation_id` the id of the work that wrote it
    (see paygate.correlation). Only the store's versioned write moves them."""

    version: int = 1
    updated_at: datetime | None = None
    correlation_id: str | None = None


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
        """From a provider's answer; None when either part is missing or unreadable (a negative amount
        is no amount a customer paid or a price holds)."""
        if isinstance(amount, bool) or not isinstance(amount, str | int | float | Decimal):
            return None
        if not isinstance(currency, str) or not currency:
            return None
        try:
            value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        except InvalidOperation:
            return None
        return cls(value, currency.upper()) if value.is_finite() and value >= 0 else None

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


class Settlement(BaseModel):
    """The money's way to the merchant, as the provider reports it (decimal strings; None where it says
    nothing, never a guess): its `fee` and the `net` it settles, both in `settlement_currency`, and for
    crypto what the customer `actually_paid` (in `pay_currency`). A later report replaces an earlier one:
    the provider's last word on its own books is the one kept."""

    fee: str | None = Field(
        default=None,
        description="What the provider keeps of this payment, in `settlement_currency`; null where it reports none.",
        examples=["0.88"],
    )
    net: str | None = Field(
        default=None,
        description="What the provider settles to the merchant, in `settlement_currency`; null where it reports none.",
        examples=["29.12"],
    )
    settlement_currency: str | None = Field(
        default=None,
        description="The currency of `fee` and `net` (upper-case), as the provider reports it.",
        examples=["USD"],
    )
    actually_paid: str | None = Field(
        default=None,
        description="Crypto: what the customer actually sent, in `pay_currency` (null until the provider says).",
        examples=["0.00031742"],
    )

    def changes_to(self, current: Settlement) -> dict[str, str]:
        """What this report says that `current` does not say yet, or says otherwise."""
        known = current.model_dump(include=set(Settlement.model_fields))
        return {name: value for name, value in self._told().items() if known[name] != value}

    def _told(self) -> dict[str, str]:
        return {name: value for name, value in self.model_dump().items() if value is not None}


AttemptOutcome = Literal["pending", "succeeded", "failed", "skipped"]


class Attempt(BaseModel):
    """One try at creating the payment at a provider: routing may try several before one takes it, and a
    customer on the hosted page may choose again after a provider failed."""

    provider: str
    # skipped: its circuit was open (it had been failing), so it was not called.
    outcome: AttemptOutcome
    at: datetime
    error_code: str | None = None


class Payment(ProviderFacts, Settlement):
    """The Payment object of the API."""

    id: str
    object: Literal["payment"] = "payment"
    status: Status
    amount: str
    currency: str
    # None while the customer has still to choose how to pay (a payment created with `methods`).
    provider: str | None = None
    provider_payment_id: str | None = None
    # False for a payment made with a test key: test money only (the sandbox), never mixed with live data.
    livemode: bool = True
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
    # What was paid, in the payment's currency (None until money arrived): below `amount` when underpaid,
    # above it when overpaid. A provider that reports no amount paid the amount asked.
    amount_received: str | None = None
    # What refunds have given back, and whether that is all that was received.
    amount_refunded: str = "0"
    refunded: bool = False
    version: int = 1
    history: list[HistoryEntry] = Field(default_factory=list)


class PaymentRecord(Payment, Versioned):
    """A payment as it is stored: the public object plus the bookkeeping of the store and the sweeper,
    which never leaves the API (`public()` keeps exactly the fields of Payment)."""

    # The merchant account (API key id) that created it; every merchant route is scoped to it.
    account_id: str | None = None
    # When the sweeper checks this payment next; None once nothing can change any more.
    due_at: datetime | None = None
    # Provider-only facts an adapter needs later, and re-deposits noted on their parent; never shown.
    provider_data: dict[str, str] = Field(default_factory=dict)
    # The create request as its JSON text, kept while a provider may still be asked to create the payment
    # (the customer chooses later, on the hosted page); never shown. Text, not a map: as a map, its
    # numbers would come back from DynamoDB as Decimals, which the strict request model rightly refuses.
    request: str | None = None
    # Where the hosted page sends the customer at the end (the merchant's), and where it came back.
    success_url: str | None = None
    failure_url: str | None = None
    # Its refunds, oldest first: each a resource of its own, kept here so that reserving a refund's
    # amount and recording the refund are one write.
    refunds: list[Refund] = Field(default_factory=list)

    def public(self) -> Payment:
        refunded = sum((Decimal(r.amount) for r in self.refunds if r.status is RefundStatus.SUCCEEDED), Decimal(0))
        received = Decimal(self.amount_received) if self.amount_received else Decimal(0)
        shown = self.model_dump(include=set(Payment.model_fields))
        shown |= {"amount_refunded": amount_text(refunded, self.currency), "refunded": 0 < received <= refunded}
        return Payment.model_validate(shown)

    def refund(self, refund_id: str) -> Refund | None:
        return next((refund for refund in self.refunds if refund.id == refund_id), None)


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
    # Payments whose money did not match: paid less than asked, more, or after they ended.
    money: Literal["underpaid", "overpaid", "late"] | None = None


class PaymentList(BaseModel):
    """A page of payments. `has_more`: there may be more after this page; ask again with
    `starting_after=<next_starting_after>` (the last payment of the page, or, when a filter skipped many,
    the last one read)."""

    object: Literal["list"] = "list"
    data: list[Payment]
    has_more: bool
    next_starting_after: str | None = None
