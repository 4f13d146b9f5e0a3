"""The domain's data: the public Payment and its history, the stored record, the facts a provider gives
about how to pay, and lists of payments. Pydantic only, no I/O; nothing here knows any provider."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal, get_args

from pydantic import BaseModel, Field

from paygate.currencies import amount_text
from paygate.facts import Money as Money
from paygate.facts import PaymentMethod as PaymentMethod
from paygate.refunds import Refund, RefundStatus
from paygate.settlement import Settlement
from paygate.status import Status

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


# --- the payment ---------------------------------------------------------------------------------


# Who made a change: the merchant's API call, a provider's callback, a status read, or the sweeper's expiry.
ChangeSource = Literal["api", "callback", "sync", "expiry"]


class HistoryEntry(BaseModel):
    """One change of a payment's status (or a note of a report that changed none)."""

    status: Status = Field(description="The status the payment moved to (or kept, for a note)", examples=["succeeded"])
    at: datetime = Field(description="When (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])
    source: ChangeSource = Field(
        description=(
            "Who made the change: `api` (the merchant's call), `callback` (the provider's), `sync` (a status read), "
            "`expiry` (the sweeper)"
        ),
        examples=["callback"],
    )
    provider_status: str | None = Field(
        None, description="The provider's own word for the status, as it reported it", examples=["finished"]
    )
    event_id: str | None = Field(
        None, description="The provider's id for the report, where it gives one", examples=["evt_81c2f0"]
    )
    note: str | None = Field(
        None,
        description="Why a provider's report did not move the payment as it said (a money mismatch, an underpayment)",
        examples=["underpaid: 5.00 of 10.50 USD"],
    )


class ProviderFacts(BaseModel):
    """What a provider tells about how to pay: its page, or a deposit address with the amount and
    currency to send (and a memo for the chains that need one). Shared by the adapters' answers and the
    Payment, so no provider value ever lands on a payment field by name."""

    payment_url: str | None = Field(
        None,
        description="The provider's page where the customer pays, where it has one",
        examples=["https://sandbox.example/checkout/sbx_1f2e3d"],
    )
    pay_address: str | None = Field(
        None, description="Crypto: the address to send the money to", examples=["TQ8f1y6u7Ri1oFqKSzYx2L9fWJ3bVzZk9m"]
    )
    pay_amount: str | None = Field(
        None, description="Crypto: the amount to send, in `pay_currency` (a decimal string)", examples=["10.512034"]
    )
    pay_currency: str | None = Field(None, description="Crypto: the coin to send", examples=["usdttrc20"])
    pay_extra_id: str | None = Field(
        None, description="Crypto: the memo or tag to send with it, on the chains that need one", examples=["104839201"]
    )

    def missing_from(self, facts: ProviderFacts) -> dict[str, str]:
        """The facts of this answer that `facts` lacks: what the customer was shown first is never
        replaced by a later answer."""
        known = facts.model_dump()
        return {name: value for name, value in self.model_dump().items() if value is not None and known[name] is None}


AttemptOutcome = Literal["pending", "succeeded", "failed", "skipped"]


class Attempt(BaseModel):
    """One try at creating the payment at a provider: routing may try several before one takes it, and a
    customer on the hosted page may choose again after a provider failed."""

    provider: str = Field(description="The provider tried", examples=["sandbox"])
    outcome: AttemptOutcome = Field(
        description=(
            "`pending` (it took the payment), `succeeded`, `failed` (it failed: the next one was tried), or `skipped`"
            " (its circuit was open: it had been failing, so it was not called)"
        ),
        examples=["pending"],
    )
    at: datetime = Field(description="When (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])
    error_code: str | None = Field(None, description="Why it failed or was skipped", examples=["provider_timeout"])


class Payment(ProviderFacts, Settlement):
    """The Payment object of the API."""

    id: str = Field(description="Paygate's id of the payment", examples=["pay_3f9c2a7d1e5b4c8a9f0e1d2c"])
    object: Literal["payment"] = Field(default="payment", description="Always `payment`", examples=["payment"])
    status: Status = Field(description="Where it is in the status machine (see Status)", examples=["pending"])
    amount: str = Field(description="The price, a decimal string in `currency`", examples=["10.50"])
    currency: str = Field(description="The price's currency (ISO 4217)", examples=["USD"])
    provider: str | None = Field(
        None,
        description=(
            "The provider that takes it; null while the customer has still to choose how to pay (a payment created "
            "with `methods`)"
        ),
        examples=["sandbox"],
    )
    provider_payment_id: str | None = Field(
        None, description="The provider's own id of the payment", examples=["sbx_1f2e3d4c5b6a"]
    )
    livemode: bool = Field(
        default=True,
        description=(
            "False for a payment made with a test key: test money only (the sandbox), never mixed with live data"
        ),
        examples=[True],
    )
    checkout_url: str | None = Field(
        None,
        description=(
            "Paygate's hosted checkout page for this payment (public; its signed token is the customer's key to it)"
        ),
        examples=["https://pay.example.com/checkout/eyJwIjoicGF5XzNmOWMifQ.c2ln"],
    )
    methods: list[MethodKind] | None = Field(
        None,
        description="The method kinds the customer may choose from on the hosted page, for a payment created with them",
        examples=[["card", "crypto"]],
    )
    attempts: list[Attempt] = Field(
        default_factory=list,
        description="Each try at creating it at a provider, in order (routing may try several)",
        examples=[[]],
    )
    reference: str | None = Field(
        None, description="The merchant's own id for it (an order id)", examples=["order-1001"]
    )
    description: str | None = Field(
        None, description="What it is for, as the merchant wrote it", examples=["2 concert tickets"]
    )
    metadata: dict[str, str] = Field(
        default_factory=dict,
        description="The merchant's own key-value pairs, kept and given back as they were sent",
        examples=[{"customer": "c_42"}],
    )
    created_at: datetime = Field(description="When it was created (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])
    updated_at: datetime = Field(description="When it last changed (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])
    expires_at: datetime | None = Field(
        None, description="When it expires if not paid (RFC 3339, UTC)", examples=["2026-01-01T13:00:00Z"]
    )
    paid_late: bool = Field(
        default=False,
        description="True when money arrived after it had failed, expired or been cancelled (it is then `succeeded`)",
        examples=[False],
    )
    failure_reason: str | None = Field(
        None,
        description="Why it failed (`failed`): an error code and message",
        examples=["provider_rejected: declined"],
    )
    amount_received: str | None = Field(
        None,
        description=(
            "What was paid, in `currency` (null until money arrived): below `amount` when underpaid, above it when "
            "overpaid; a provider that reports no amount paid the amount asked"
        ),
        examples=["10.50"],
    )
    amount_refunded: str = Field(
        default="0", description="What its refunds have given back, in `currency`", examples=["0"]
    )
    refunded: bool = Field(
        default=False, description="True when all that was received was given back", examples=[False]
    )
    version: int = Field(
        default=1,
        description="Counts its changes: a later state of the payment has a higher one (events' `sequence`)",
        examples=[1],
    )
    history: list[HistoryEntry] = Field(
        default_factory=list,
        description="Its status changes, oldest first (the last 50), and notes of reports that changed nothing",
        examples=[[]],
    )


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

    object: Literal["list"] = Field(default="list", description="Always `list`", examples=["list"])
    data: list[Payment] = Field(description="The page's payments, newest first", examples=[[]])
    has_more: bool = Field(
        description=(
            "True when there may be more after this page: ask again with `starting_after=<next_starting_after>`"
        ),
        examples=[False],
    )
    next_starting_after: str | None = Field(
        None,
        description=(
            "Where the next page starts: the last payment of this page, or, when a filter skipped many, the last one "
            "read"
        ),
        examples=["pay_3f9c2a7d1e5b4c8a9f0e1d2c"],
    )
