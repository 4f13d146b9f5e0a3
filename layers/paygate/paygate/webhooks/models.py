"""Webhook endpoints, deliveries and attempts. Pydantic only, no I/O."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from paygate.accounts.models import Merchant
from paygate.events import EVENT_TYPES, EventType
from paygate.fields import NO_CONTROL, TEXT_SCHEMA, Strict
from paygate.models import Versioned

# An account may have this many endpoints: the fan-out of one event stays bounded.
MAX_ENDPOINTS = 20


def new_endpoint_id() -> str:
    return "we_" + secrets.token_hex(12)


def delivery_id(event_id: str, endpoint_id: str) -> str:
    """The same event for the same endpoint is always the same delivery (a message delivered twice)."""
    return "del_" + hashlib.sha256(f"{event_id}|{endpoint_id}".encode()).hexdigest()[:24]


class CreateEndpointRequest(Strict):
    """The body of POST /webhook-endpoints."""

    url: Annotated[str, StringConstraints(min_length=8, max_length=2048, pattern=r"^https?://[^\s]+$")]
    # The event types to receive; all of them when omitted.
    events: Annotated[list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES))] | None = None
    description: Annotated[str, StringConstraints(max_length=500), NO_CONTROL, TEXT_SCHEMA] | None = None


class WebhookEndpoint(BaseModel):
    """An endpoint as the API shows it (never its secret, but at creation and rotation)."""

    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    events: list[str]
    description: str | None = None
    status: Literal["enabled", "disabled"] = "enabled"
    disabled_reason: str | None = None
    # It receives the events of this mode only (the mode of the key that registered it).
    livemode: bool = True
    created_at: datetime
    # Shown once, in the answer to create and to rotate-secret.
    secret: str | None = None


class EndpointRecord(WebhookEndpoint, Versioned):
    """An endpoint as stored: its account, its secrets, and how long it has been failing."""

    account_id: str
    # Sealed (paygate.webhooks.sealing); in clear only in records written before sealing.
    secret: str | None = None
    # During a rotation's overlap, deliveries are signed with both secrets until this time.
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    # Since when every delivery has failed (None while the last one succeeded).
    failing_since: datetime | None = None

    def public(self, *, with_secret: bool = False) -> WebhookEndpoint:
        shown = self.model_dump(include=set(WebhookEndpoint.model_fields))
        shown["secret"] = self.secret if with_secret else None
        shown["livemode"] = Merchant.of_scope(self.account_id).livemode
        return WebhookEndpoint.model_validate(shown)

    def subscribed(self, event_type: str) -> bool:
        return self.status == "enabled" and event_type in self.events

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery now, as stored: the current one, and the previous during its overlap."""
        current = [self.secret] if self.secret else []
        overlap = self.previous_secret and self.previous_secret_until and now < self.previous_secret_until
        return [*current, self.previous_secret] if overlap and self.previous_secret else current


class Attempt(BaseModel):
    at: datetime
    http_status: int | None = None
    latency_ms: int
    error: str | None = None


class Delivery(BaseModel):
    """One event for one endpoint, as the delivery log shows it."""

    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    endpoint_id: str
    event_id: str
    type: str
    status: Literal["pending", "delivered", "failed"] = "pending"
    attempts: list[Attempt] = Field(default_factory=list)
    next_attempt_at: datetime | None = None
    created_at: datetime


class DeliveryRecord(Delivery, Versioned):
    """A delivery as stored: its account and the exact body every attempt sends."""

    account_id: str
    body: str

    def public(self) -> Delivery:
        return Delivery.model_validate(self.model_dump(include=set(Delivery.model_fields)))
