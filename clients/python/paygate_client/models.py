"""The API's objects as typed models. Each mirrors the schema the gateway's OpenAPI document gives the answers it
reads: the same fields, required where the document requires them (a test compares them). Amounts stay the
decimal strings the API sends (`"10.50"`): `decimal.Decimal(payment.amount)` for arithmetic. Fields the
gateway adds later are ignored, so an older client keeps working."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["pending", "processing", "partially_paid", "succeeded", "failed", "expired", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "expired", "cancelled"})
RefundStatus = Literal["pending", "requires_action", "succeeded", "failed", "cancelled"]


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PaymentAttempt(Model):
    """One try at creating the payment at a provider (routing may try several; `skipped`: its circuit was
    open)."""

    provider: str
    outcome: Literal["pending", "succeeded", "failed", "skipped"]
    at: datetime
    error_code: str | None = None


class DeliveryAttempt(Model):
    """One POST of a webhook to its endpoint."""

    at: datetime
    http_status: int | None = None
    latency_ms: int
    error: str | None = None


class HistoryEntry(Model):
    status: Status
    at: datetime
    source: Literal["api", "callback", "sync", "expiry"]
    provider_status: str | None = None
    event_id: str | None = None
    note: str | None = None


class Payment(Model):
    id: str
    object: Literal["payment"] = "payment"
    status: Status
    amount: str
    currency: str
    provider: str | None = None
    provider_payment_id: str | None = None
    payment_url: str | None = None
    pay_address: str | None = None
    pay_amount: str | None = None
    pay_currency: str | None = None
    pay_extra_id: str | None = None
    livemode: bool = True
    checkout_url: str | None = None
    methods: list[Literal["card", "crypto", "test"]] | None = None
    attempts: list[PaymentAttempt] = Field(default_factory=list)
    reference: str | None = None
    description: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    paid_late: bool = False
    failure_reason: str | None = None
    amount_received: str | None = None
    actually_paid: str | None = None
    # What the provider reports of the money's settlement (null where it says nothing).
    fee: str | None = None
    net: str | None = None
    settlement_currency: str | None = None
    amount_refunded: str = "0"
    refunded: bool = False
    version: int = 1
    history: list[HistoryEntry] = Field(default_factory=list)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class PaymentList(Model):
    """One page of payments, newest first; the next starts after `next_starting_after`."""

    object: Literal["list"] = "list"
    data: list[Payment]
    has_more: bool
    next_starting_after: str | None = None


class RefundChange(Model):
    status: RefundStatus
    at: datetime
    source: Literal["api", "callback", "sync"]
    provider_status: str | None = None
    note: str | None = None


class Refund(Model):
    id: str
    object: Literal["refund"] = "refund"
    payment_id: str
    status: RefundStatus
    amount: str
    currency: str
    reason: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    livemode: bool = True
    manual: bool = False
    provider: str | None = None
    provider_refund_id: str | None = None
    external_reference: str | None = None
    failure_reason: str | None = None
    fee: str | None = None
    net: str | None = None
    settlement_currency: str | None = None
    created_at: datetime
    updated_at: datetime
    history: list[RefundChange] = Field(default_factory=list)


class RefundList(Model):
    object: Literal["list"] = "list"
    data: list[Refund]


class PaymentMethod(Model):
    provider: str
    method: str
    kind: Literal["card", "crypto", "bank_transfer", "wallet", "test", "other"]
    name: str
    currencies: list[str] | None = None
    countries: list[str] | None = None
    pay_currencies: list[str] | None = None


class PaymentMethodList(Model):
    object: Literal["list"] = "list"
    data: list[PaymentMethod]


class WebhookEndpoint(Model):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    events: list[str]
    description: str | None = None
    status: Literal["enabled", "disabled"] = "enabled"
    disabled_reason: str | None = None
    livemode: bool = True
    created_at: datetime
    # Only in the answer of a create or a rotation.
    secret: str | None = None


class EndpointList(Model):
    object: Literal["list"] = "list"
    data: list[WebhookEndpoint]


class Deleted(Model):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    deleted: bool = True


class Delivery(Model):
    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    endpoint_id: str
    event_id: str
    type: str
    status: Literal["pending", "delivered", "failed"] = "pending"
    attempts: list[DeliveryAttempt] = Field(default_factory=list)
    next_attempt_at: datetime | None = None
    created_at: datetime


class DeliveryList(Model):
    object: Literal["list"] = "list"
    data: list[Delivery]


class Account(Model):
    id: str
    object: Literal["account"] = "account"
    status: Literal["active", "disabled"] = "active"
    created_at: datetime
    display_name: str | None = None
    support_email: str | None = None
    support_url: str | None = None
    website_url: str | None = None
    logo_url: str | None = None
    brand_color: str | None = None


class ApiKey(Model):
    id: str
    object: Literal["api_key"] = "api_key"
    name: str | None = None
    mode: Literal["test", "live"]
    shown: str
    created_at: datetime
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    # The key itself: only in the answer of a create or a roll.
    secret: str | None = None


class ApiKeyList(Model):
    object: Literal["list"] = "list"
    data: list[ApiKey]


class Export(Model):
    """A file of a period's payments (`type` `payments`) or money movements (`balance`); `url` opens it for an
    hour once `status` is `succeeded`."""

    id: str
    object: Literal["export"] = "export"
    type: Literal["payments", "balance"]
    format: Literal["csv", "jsonl"]
    status: Literal["pending", "running", "succeeded", "failed"]
    created_gte: datetime
    created_lt: datetime
    livemode: bool
    rows: int | None = None
    url: str | None = None
    url_expires_at: datetime | None = None
    failure_reason: str | None = None
    created_at: datetime
    completed_at: datetime | None = None


class Reconciliation(Model):
    """One run comparing a provider's payments of a period with the gateway's: what was checked, repaired
    (through the status machine) and found different; `complete` False when time ran out first."""

    object: Literal["reconciliation"] = "reconciliation"
    provider: str
    created_gte: datetime
    created_lt: datetime
    method: Literal["status_checks"] = "status_checks"
    checked: int = 0
    repaired: int = 0
    differences: int = 0
    unreachable: int = 0
    complete: bool = True


class Difference(Model):
    """What reconciliation found and could not repair: the money or the status the provider reports."""

    id: str
    object: Literal["reconciliation_difference"] = "reconciliation_difference"
    provider: str
    kind: Literal[
        "amount_mismatch",
        "currency_mismatch",
        "unreadable_amount",
        "status_refused",
        "unknown_status",
        "unknown_payment",
    ]
    payment_id: str | None = None
    provider_payment_id: str | None = None
    status: Status | None = None
    provider_status: str | None = None
    detail: str
    livemode: bool = True
    found_at: datetime
    seen_at: datetime


class DifferenceList(Model):
    object: Literal["list"] = "list"
    data: list[Difference]
    has_more: bool
    next_starting_after: str | None = None


class WebhookEvent(Model):
    """A verified webhook: `type` (`payment.succeeded`, `refund.created`...), `timestamp`, and `data`, the
    event's detail (`event_id`, `sequence`, `previous_status`, `payment` or `refund`...)."""

    type: str
    timestamp: datetime
    data: dict[str, Any]

    @property
    def payment(self) -> Payment | None:
        """The payment the event carries (payment events), as a Payment."""
        payment = self.data.get("payment")
        return Payment.model_validate(payment) if isinstance(payment, dict) else None

    @property
    def refund(self) -> Refund | None:
        refund = self.data.get("refund")
        return Refund.model_validate(refund) if isinstance(refund, dict) else None
