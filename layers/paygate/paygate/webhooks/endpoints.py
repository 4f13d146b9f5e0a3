"""The endpoint API of the webhooks: register, list, read, edit, delete, rotate the secret, the delivery
log, sending a delivery again, and a test event. Delivery itself is paygate.webhooks.service, whose
`Webhooks` is this API and delivery in one.

Every change of an endpoint is one versioned write of what the merchant asked applied to the endpoint as
last read: two edits at once both land (the second is applied again to what the first wrote), and none
touches the account's count of endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from paygate import correlation
from paygate.accounts.models import Merchant
from paygate.errors import NotFound, ValidationFailed, WebhookEndpointDisabled
from paygate.events import EVENT_TYPES, PING, PingEvent, WebhookPayload
from paygate.models import Clock
from paygate.store.versioned import VersionConflict
from paygate.webhooks import addresses, signing
from paygate.webhooks.models import (
    MAX_ENDPOINTS,
    CreateEndpointRequest,
    DeliveryRecord,
    EndpointRecord,
    UpdateEndpointRequest,
    delivery_id,
    new_endpoint_id,
)
from paygate.webhooks.sealing import SecretSealer
from paygate.webhooks.store import WebhookStore

SECRET_OVERLAP = timedelta(hours=24)
# One test event per endpoint in each such window: asking again inside it answers the same delivery, so
# the test cannot be turned into a flood of requests to someone else's server.
TEST_EVENT_WINDOW_SECONDS = 60


@dataclass(kw_only=True)
class EndpointApi:
    store: WebhookStore
    clock: Clock
    # Endpoint secrets are kept sealed (KMS): sealed at registration and rotation, opened to sign.
    sealer: SecretSealer
    lease_seconds: float = 60.0
    allow_private: bool = False
    # Queue a delivery to be attempted after a delay (seconds); None: the scheduled run alone attempts it.
    enqueue_retry: Callable[[str, float], None] | None = None
    # How a registered URL's host is looked up (the sender resolves again, itself, at every delivery).
    resolve: Callable[[str, int], list[str]] = field(default=addresses.resolve_host)

    def register(self, account_id: str, request: CreateEndpointRequest) -> EndpointRecord:
        """The endpoint as stored, but for its secret: in clear here, to be shown once, sealed in the table."""
        self._check_url(request.url)
        now = self.clock()
        endpoint_id, secret = new_endpoint_id(), signing.new_secret()
        endpoint = EndpointRecord(
            id=endpoint_id,
            account_id=account_id,
            url=request.url,
            events=list(request.events or EVENT_TYPES),
            description=request.description,
            created_at=now,
            updated_at=now,
            secret=self.sealer.seal(secret, account_id, endpoint_id),
        )
        if not self.store.insert_endpoint(endpoint, at_most=MAX_ENDPOINTS):
            raise ValidationFailed(f"An account may have at most {MAX_ENDPOINTS} webhook endpoints", param="url")
        return endpoint.model_copy(update={"secret": secret})

    def endpoints(self, account_id: str) -> list[EndpointRecord]:
        return sorted(self.store.endpoints_of(account_id), key=lambda endpoint: endpoint.created_at, reverse=True)

    def endpoint(self, account_id: str, endpoint_id: str) -> EndpointRecord:
        endpoint = self.store.endpoint(account_id, endpoint_id)
        if endpoint is None:
            raise NotFound(f"No webhook endpoint with id {endpoint_id!r}", code="endpoint_not_found", param="id")
        return endpoint

    def update(self, account_id: str, endpoint_id: str, request: UpdateEndpointRequest) -> EndpointRecord:
        """The endpoint with the fields the merchant sent changed (see EndpointRecord.updated)."""
        endpoint = self.endpoint(account_id, endpoint_id)  # first: another account's id is not found, not checked
        changes = request.changes()
        if "url" in changes:
            self._check_url(changes["url"])
        return self._change(endpoint, lambda current: current.updated(changes))

    def delete(self, account_id: str, endpoint_id: str) -> None:
        self.endpoint(account_id, endpoint_id)
        self.store.delete_endpoint(account_id, endpoint_id)

    def rotate_secret(self, account_id: str, endpoint_id: str) -> EndpointRecord:
        """A new secret; for SECRET_OVERLAP the previous one signs too (two entries in webhook-signature),
        so the merchant can switch without losing a delivery. Returns the endpoint with its new secret in
        clear, to be shown once; both are sealed in the table (a secret in clear from before, too)."""
        secret = signing.new_secret()
        sealed = self.sealer.seal(secret, account_id, endpoint_id)

        def rotate(endpoint: EndpointRecord) -> EndpointRecord:
            seal = partial(self.sealer.seal, account_id=account_id, endpoint_id=endpoint_id)
            return endpoint.rotated(sealed, seal=seal, now=self.clock(), overlap=SECRET_OVERLAP)

        rotated = self._change(self.endpoint(account_id, endpoint_id), rotate)
        return rotated.model_copy(update={"secret": secret})

    def deliveries(self, account_id: str, endpoint_id: str, *, limit: int = 20) -> list[DeliveryRecord]:
        self.endpoint(account_id, endpoint_id)
        return self.store.deliveries_of(endpoint_id, limit=limit)

    def retry(self, account_id: str, endpoint_id: str, delivery_id_: str) -> DeliveryRecord:
        """Send a delivery again, whatever became of it: due now, attempted from the queue."""
        self.endpoint(account_id, endpoint_id)
        delivery = self.store.delivery(delivery_id_)
        if delivery is None or delivery.endpoint_id != endpoint_id or delivery.account_id != account_id:
            raise NotFound(f"No delivery with id {delivery_id_!r}", code="delivery_not_found", param="delivery_id")
        again = self.store.deliveries.change(
            delivery, lambda current: current.model_copy(update={"status": "pending", "next_attempt_at": self.clock()})
        )
        if self.enqueue_retry:
            self.enqueue_retry(again.id, 0)
        return again

    def send_test(self, account_id: str, endpoint_id: str) -> DeliveryRecord:
        """A `webhook.ping` for this endpoint alone, whatever it subscribes to: a delivery like any other
        (signed, retried, logged), due now and attempted from the queue. One per endpoint and
        TEST_EVENT_WINDOW_SECONDS: asking again within the window answers the same delivery."""
        endpoint = self.endpoint(account_id, endpoint_id)
        if endpoint.status != "enabled":
            raise WebhookEndpointDisabled(
                f"The endpoint is disabled ({endpoint.disabled_reason}): enable it first (PATCH enabled: true)"
            )
        now = self.clock()
        window = int(now.timestamp()) // TEST_EVENT_WINDOW_SECONDS
        ping = PingEvent(
            event_id=f"ping_{endpoint.id.removeprefix('we_')}_{window}",
            endpoint_id=endpoint.id,
            account_id=Merchant.of_scope(account_id).account_id,
            livemode=Merchant.of_scope(account_id).livemode,
            correlation_id=correlation.current(),
        )
        delivery = DeliveryRecord(
            id=delivery_id(ping.event_id, endpoint.id),
            account_id=account_id,
            endpoint_id=endpoint.id,
            event_id=ping.event_id,
            type=PING,
            body=WebhookPayload(type=PING, timestamp=now, data=ping).model_dump_json(),
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
            correlation_id=ping.correlation_id,
        )
        if not self.store.insert_delivery(delivery):  # asked already in this window: that one
            return self.store.delivery(delivery.id) or delivery
        if self.enqueue_retry:
            self.enqueue_retry(delivery.id, 0)
        return delivery

    def _change(
        self, endpoint: EndpointRecord, decide: Callable[[EndpointRecord], EndpointRecord | None]
    ) -> EndpointRecord:
        """One versioned write of `decide` applied to the endpoint as last read; 404 if it was deleted meanwhile."""
        try:
            return self.store.endpoints.change(endpoint, decide)
        except VersionConflict as gone:
            raise NotFound(
                f"No webhook endpoint with id {endpoint.id!r}", code="endpoint_not_found", param="id"
            ) from gone

    def _check_url(self, url: str) -> None:
        try:
            addresses.check_url(url, allow_private=self.allow_private, resolve=self.resolve)
        except addresses.UnsafeUrl as refusal:
            raise ValidationFailed(f"url: {refusal}", param="url") from refusal
