"""Webhook endpoints, deliveries and attempts. Pydantic only, no I/O."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from paygate.accounts.models import Merchant
from paygate.errors import TooManyRotations
from paygate.events import EVENT_TYPES, EventType
from paygate.fields import NO_CONTROL, TEXT_SCHEMA, Strict
from paygate.models import Versioned

# An account may have this many endpoints: the fan-out of one event stays bounded.
MAX_ENDPOINTS = 20


ENDPOINT_ID_PREFIX = "we_"
# Replaced secrets signing beside the current one at most (webhook-signature carries one entry each).
MAX_RETIRED_SECRETS = 5


def new_endpoint_id() -> str:
    return ENDPOINT_ID_PREFIX + secrets.token_hex(12)


def delivery_id(event_id: str, endpoint_id: str) -> str:
    """The same event for the same endpoint is always the same delivery (a message delivered twice)."""
    return "del_" + hashlib.sha256(f"{event_id}|{endpoint_id}".encode()).hexdigest()[:24]


EndpointUrl = Annotated[str, StringConstraints(min_length=8, max_length=2048, pattern=r"^https?://[^\s]+$")]
EndpointEvents = Annotated[list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES))]
EndpointDescription = Annotated[str, StringConstraints(max_length=500), NO_CONTROL, TEXT_SCHEMA]


class CreateEndpointRequest(Strict):
    """The body of POST /webhook-endpoints."""

    url: EndpointUrl = Field(
        description="Where to POST the events (a public address; https in live mode)",
        examples=["https://acme.example/webhooks/paygate"],
    )
    events: EndpointEvents | None = Field(
        default=None,
        description="The event types to receive; all of them when omitted",
        examples=[["payment.succeeded", "refund.succeeded"]],
    )
    description: EndpointDescription | None = Field(
        default=None, description="What the endpoint is for", examples=["Order fulfilment"]
    )


class UpdateEndpointRequest(Strict):
    """The body of PATCH /webhook-endpoints/{endpoint_id}: the fields given change, the others stay as
    they are; null clears the description (and is refused for the other fields)."""

    url: EndpointUrl | SkipJsonSchema[None] = Field(
        default=None,
        description="Where its webhooks go from now on (pending retries too), checked as at registration:"
        " deployed, https to a public host",
        examples=["https://shop.example/hooks/paygate"],
    )
    events: EndpointEvents | SkipJsonSchema[None] = Field(
        default=None,
        description="The event types it receives from now on (the whole list, replacing the one before)",
        examples=[["payment.succeeded", "refund.succeeded"]],
    )
    description: EndpointDescription | None = Field(
        default=None, description="A note of the merchant's own; null clears it", examples=["Order fulfilment"]
    )
    enabled: bool | SkipJsonSchema[None] = Field(
        default=None,
        description="false: no more deliveries until it is enabled again. true: it receives the next events,"
        " also after it was disabled for answering 410 or failing for 5 days (its failures count afresh)",
        examples=[True],
    )

    @field_validator("url", "events", "enabled")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise PydanticCustomError("validation_error", "may not be null (leave it out to keep it)")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the merchant sent, as given."""
        return self.model_dump(include=self.model_fields_set)


class WebhookEndpoint(BaseModel):
    """An endpoint as the API shows it (never its secret, but at creation and rotation)."""

    id: str = Field(description="The endpoint's id", examples=["we_4a7c1e9b2d5f8a3c6e0b1d2f"])
    object: Literal["webhook_endpoint"] = Field(
        default="webhook_endpoint", description="Always `webhook_endpoint`", examples=["webhook_endpoint"]
    )
    url: str = Field(description="Where the events are POSTed", examples=["https://acme.example/webhooks/paygate"])
    events: list[str] = Field(
        description="The event types it receives", examples=[["payment.succeeded", "refund.succeeded"]]
    )
    description: str | None = Field(default=None, description="What the endpoint is for", examples=["Order fulfilment"])
    status: Literal["enabled", "disabled"] = Field(
        default="enabled", description="`enabled`, or `disabled` (nothing is sent to it)", examples=["enabled"]
    )
    disabled_reason: str | None = Field(
        default=None,
        description="Why it was disabled (it answered 410 Gone, or every delivery failed for 5 days)",
        examples=[None],
    )
    livemode: bool = Field(
        default=True,
        description="It receives the events of this mode only (the mode of the key that registered it)",
        examples=[True],
    )
    created_at: datetime = Field(
        description="When it was registered (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"]
    )
    secret: str | None = Field(
        default=None,
        description="The signing secret (`whsec_...`): only in the answers to create and rotate-secret",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class RetiredSecret(BaseModel):
    """A signing secret a rotation replaced: it still signs until `until`."""

    secret: str
    until: datetime


class EndpointRecord(WebhookEndpoint, Versioned):
    """An endpoint as stored: its account, its secrets, and how long it has been failing."""

    account_id: str
    # Sealed (paygate.webhooks.sealing); in clear only in records written before sealing.
    secret: str | None = None
    # During a rotation's overlap, deliveries are signed with both secrets until this time.
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    # Secrets of earlier rotations whose overlap has not ended yet (sealed), each signing until its time.
    older_secrets: list[RetiredSecret] = Field(default_factory=list)
    # Since when every delivery has failed (None while the last one succeeded).
    failing_since: datetime | None = None

    def public(self, *, with_secret: bool = False) -> WebhookEndpoint:
        shown = self.model_dump(include=set(WebhookEndpoint.model_fields))
        shown["secret"] = self.secret if with_secret else None
        shown["livemode"] = Merchant.of_scope(self.account_id).livemode
        return WebhookEndpoint.model_validate(shown)

    def subscribed(self, event_type: str) -> bool:
        return self.status == "enabled" and event_type in self.events

    def updated(self, changes: dict[str, Any]) -> EndpointRecord | None:
        """The endpoint with the merchant's changes (UpdateEndpointRequest.changes); None when they change
        nothing. Enabling a disabled endpoint forgets why it was disabled and how long it had been failing,
        so it gets the full 5 days again."""
        update: dict[str, Any] = {name: changes[name] for name in ("url", "events", "description") if name in changes}
        enable = changes.get("enabled")
        if enable is True and self.status == "disabled":
            update |= {"status": "enabled", "disabled_reason": None, "failing_since": None}
        elif enable is False and self.status == "enabled":
            update |= {"status": "disabled", "disabled_reason": "disabled by the merchant"}
        if all(getattr(self, name) == value for name, value in update.items()):
            return None
        return self.model_copy(update=update)

    def retired(self, now: datetime) -> list[RetiredSecret]:
        """The secrets replaced by rotations whose overlap has not ended, newest first."""
        previous = (
            [RetiredSecret(secret=self.previous_secret, until=self.previous_secret_until)]
            if self.previous_secret and self.previous_secret_until
            else []
        )
        return [retired for retired in [*previous, *self.older_secrets] if now < retired.until]

    def rotated(self, secret: str, *, seal: Callable[[str], str], now: datetime, overlap: timedelta) -> EndpointRecord:
        """The endpoint signing with `secret` (sealed), the one it replaces and every one replaced before
        still signing for their overlap (sealed too: a secret from before sealing is sealed now)."""
        retired = self.retired(now)
        if len(retired) >= MAX_RETIRED_SECRETS:
            raise TooManyRotations(
                f"At most {MAX_RETIRED_SECRETS} rotations in {overlap}: the secrets they replaced still sign;"
                " rotate again when the oldest overlap ends"
            )
        return self.model_copy(
            update={
                "secret": secret,
                "previous_secret": self.secret and seal(self.secret),
                "previous_secret_until": now + overlap,
                "older_secrets": [r.model_copy(update={"secret": seal(r.secret)}) for r in retired],
            }
        )

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery now, as stored: the current one, and every one a rotation
        replaced during its overlap."""
        return [*([self.secret] if self.secret else []), *(retired.secret for retired in self.retired(now))]


class DeliveryAttempt(BaseModel):
    """One try at sending a delivery to its endpoint."""

    at: datetime = Field(description="When it was made (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])
    http_status: int | None = Field(
        default=None,
        description="The endpoint's HTTP status; null when it gave none (no connection, a timeout)",
        examples=[200],
    )
    latency_ms: int = Field(description="How long the attempt took, in milliseconds", examples=[84])
    error: str | None = Field(default=None, description="What went wrong, when it did", examples=[None])


class Delivery(BaseModel):
    """One event for one endpoint, as the delivery log shows it."""

    id: str = Field(description="The delivery's id", examples=["del_9e2b5d8f1a4c7e0b3d6f9a2c"])
    object: Literal["webhook_delivery"] = Field(
        default="webhook_delivery", description="Always `webhook_delivery`", examples=["webhook_delivery"]
    )
    endpoint_id: str = Field(description="The endpoint it is sent to", examples=["we_4a7c1e9b2d5f8a3c6e0b1d2f"])
    event_id: str = Field(
        description="The event it sends (its `webhook-id` header)", examples=["pay_3f9c2a7d1e5b4c8a9f0e1d2c:2"]
    )
    type: str = Field(description="The event's type", examples=["payment.succeeded"])
    status: Literal["pending", "delivered", "failed"] = Field(
        default="pending",
        description="`pending` (being tried), `delivered` (a 2xx answered), or `failed` (after the last retry)",
        examples=["delivered"],
    )
    attempts: list[DeliveryAttempt] = Field(
        default_factory=list, description="Every attempt, oldest first", examples=[[]]
    )
    next_attempt_at: datetime | None = Field(
        default=None, description="When the next attempt is due; null once delivered or failed", examples=[None]
    )
    created_at: datetime = Field(
        description="When the event was first to be sent (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"]
    )


class DeliveryRecord(Delivery, Versioned):
    """A delivery as stored: its account and the exact body every attempt sends."""

    account_id: str
    body: str

    def public(self) -> Delivery:
        return Delivery.model_validate(self.model_dump(include=set(Delivery.model_fields)))
