"""The webhook use cases: the endpoint API (paygate.webhooks.endpoints), fanning a payment event out to
deliveries, and attempting them.

A delivery is the source of truth for its event and endpoint: the exact body, every attempt, and when the
next one is due. An attempt first claims the delivery (one conditional write moves `next_attempt_at` a
lease ahead), then POSTs, then records the outcome. A worker that dies anywhere in between loses
nothing: the claim's lease runs out and the delivery is due again. Delivery is at least once; receivers
dedupe on `webhook-id` (the event id) and order by `data.sequence`.

Retries follow the schedule (about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h): short delays come back
through the queue (`enqueue_retry`, an SQS message with a delay), and the scheduled run over the
`due-deliveries` index attempts whatever is due, long delays and any retry whose message was lost.
After the last retry the delivery is `failed`. An endpoint that answers 410 Gone, or whose every delivery
has failed for 5 days, is disabled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from paygate import correlation
from paygate.accounts.models import Merchant
from paygate.events import BusEvent, WebhookPayload
from paygate.observability import metrics
from paygate.timing import MAX_QUEUE_DELAY_SECONDS
from paygate.webhooks import sender, signing
from paygate.webhooks.endpoints import EndpointApi
from paygate.webhooks.models import DeliveryAttempt, DeliveryRecord, EndpointRecord, delivery_id

logger = Logger(service="paygate", child=True)

DISABLE_AFTER_FAILING_FOR = timedelta(days=5)


@dataclass(kw_only=True)
class Webhooks(EndpointApi):
    retry_schedule: list[float]
    send: Callable[..., sender.SendResult] = field(default=sender.send)

    # --- delivery ------------------------------------------------------------------------------------

    def fan_out(self, event: BusEvent) -> list[tuple[DeliveryRecord, EndpointRecord]]:
        """The deliveries of one payment event (as EventBridge hands it on): one per enabled endpoint of
        its account subscribed to its type, each made already claimed by this worker, to be attempted
        at once (`deliver`). Made once: an event handed on twice makes no second delivery (and if the
        worker dies before attempting, the claim runs out and the scheduled run attempts it)."""
        if not event.detail.account_id:
            return []
        # The endpoints of the account in the event's mode: test events never reach live endpoints.
        account_id = Merchant(event.detail.account_id, livemode=event.detail.livemode).scope
        body = WebhookPayload.of(event).model_dump_json()
        now = self.clock()
        made = []
        for endpoint in self.store.endpoints_of(account_id):
            if not endpoint.subscribed(event.detail_type):
                continue
            delivery = DeliveryRecord(
                id=delivery_id(event.detail.event_id, endpoint.id),
                account_id=account_id,
                endpoint_id=endpoint.id,
                event_id=event.detail.event_id,
                type=event.detail_type,
                body=body,
                next_attempt_at=now + timedelta(seconds=self.lease_seconds),
                created_at=now,
                updated_at=now,
                correlation_id=event.detail.correlation_id,
            )
            if self.store.insert_delivery(delivery):  # False: made already by an earlier copy of the event
                made.append((delivery, endpoint))
        return made

    def deliver(self, delivery: DeliveryRecord, endpoint: EndpointRecord) -> DeliveryRecord:
        """The first attempt of a delivery `fan_out` just made (and so holds)."""
        return self._send(delivery, endpoint, self.clock())

    def deliver_all(self, made: list[tuple[DeliveryRecord, EndpointRecord]], time_left: Callable[[], float]) -> None:
        """Attempt what `fan_out` made while time is left; the rest go to the queue for when their claim runs out."""
        for delivery, endpoint in made:
            if time_left() >= sender.SECONDS_FOR_AN_ATTEMPT:
                self.deliver(delivery, endpoint)
            elif self.enqueue_retry:  # without a queue, the scheduled run finds it when its claim runs out
                self.enqueue_retry(delivery.id, self.lease_seconds)

    def attempt(self, delivery_id_: str) -> DeliveryRecord | None:
        """Attempt a delivery that is due: claim it, POST it, record what happened. None when it is not
        this worker's to attempt (not due, done already, or claimed by another)."""
        delivery = self.store.delivery(delivery_id_)
        now = self.clock()
        if delivery is None or delivery.status != "pending":
            return delivery
        correlation.use(delivery.correlation_id)  # a retry is still the work of the event's cause
        claimed = False

        def claim(current: DeliveryRecord) -> DeliveryRecord | None:
            nonlocal claimed
            # Not due: another worker holds it, or its retry is later.
            due = current.next_attempt_at is None or current.next_attempt_at <= now + timedelta(seconds=1)
            claimed = current.status == "pending" and due
            lease = now + timedelta(seconds=self.lease_seconds)
            return current.model_copy(update={"next_attempt_at": lease}) if claimed else None

        held = self.store.deliveries.change(delivery, claim)
        if not claimed:
            return None
        endpoint = self.store.endpoint(held.account_id, held.endpoint_id)
        if endpoint is None or endpoint.status != "enabled":
            why = "the endpoint was deleted" if endpoint is None else "the endpoint is disabled"
            return self._record(held, DeliveryAttempt(at=now, latency_ms=0, error=why), final=True)
        return self._send(held, endpoint, now)

    def _send(self, claimed: DeliveryRecord, endpoint: EndpointRecord, now: datetime) -> DeliveryRecord:
        """POST a delivery this worker holds, and record the outcome."""
        delivery = claimed
        owner = endpoint.account_id, endpoint.id
        secrets = [self.sealer.open(stored, *owner) for stored in endpoint.signing_secrets(now)]
        headers = signing.headers(secrets, delivery.event_id, int(now.timestamp()), delivery.body.encode())
        if delivery.correlation_id:  # not signed: it tells where to look in our logs, and nothing more
            headers[correlation.WEBHOOK_HEADER] = delivery.correlation_id
        result = self.send(endpoint.url, delivery.body.encode(), headers, allow_private=self.allow_private)
        attempt = DeliveryAttempt(
            at=now, http_status=result.http_status, latency_ms=result.latency_ms, error=result.error
        )
        delivered = result.http_status is not None and 200 <= result.http_status < 300
        gone = result.http_status == 410
        self._endpoint_outcome(endpoint, delivered=delivered, gone=gone, now=now)
        recorded = self._record(claimed, attempt, final=gone, delivered=delivered)
        metrics.add_metric(name="WebhookDelivered" if delivered else "WebhookAttemptFailed", unit="Count", value=1)
        return recorded

    def attempt_due(self, *, time_left: Callable[[], float], page_size: int = 100) -> dict[str, int]:
        """The scheduled run: attempt every delivery whose next attempt is due, shard by shard."""
        counts = {"attempted": 0}
        for shard in range(self.store.due_shards):
            start_key = None
            while True:
                ids, start_key = self.store.due_delivery_ids(shard, self.clock(), limit=page_size, start_key=start_key)
                for due_id in ids:
                    if time_left() < sender.SECONDS_FOR_AN_ATTEMPT:
                        counts["stopped_early"] = 1
                        return counts
                    if self.attempt(due_id) is not None:
                        counts["attempted"] += 1
                if not start_key:
                    break
        return counts

    # --- helpers -------------------------------------------------------------------------------------

    def _record(
        self, claimed: DeliveryRecord, attempt: DeliveryAttempt, *, final: bool, delivered: bool = False
    ) -> DeliveryRecord:
        """Every attempt is recorded, even on a delivery that changed meanwhile (a merchant's retry)."""

        def record(current: DeliveryRecord) -> DeliveryRecord:
            attempts = [*current.attempts, attempt]
            # Automatic retries follow the schedule; an attempt beyond it (a manual retry) gets no more.
            retries_used = len(attempts) - 1
            if delivered:
                status, next_attempt = "delivered", None
            elif final or retries_used >= len(self.retry_schedule):
                status, next_attempt = "failed", None
            else:
                status, next_attempt = "pending", attempt.at + timedelta(seconds=self.retry_schedule[retries_used])
            return current.model_copy(update={"attempts": attempts, "status": status, "next_attempt_at": next_attempt})

        done = self.store.deliveries.change(claimed, record)
        if done.next_attempt_at and done.status == "pending" and self.enqueue_retry:
            delay = (done.next_attempt_at - self.clock()).total_seconds()
            if delay <= MAX_QUEUE_DELAY_SECONDS:
                self.enqueue_retry(done.id, max(delay, 0))
        return done

    def _endpoint_outcome(self, endpoint: EndpointRecord, *, delivered: bool, gone: bool, now: datetime) -> None:
        """Keep `failing_since`, and disable an endpoint that answered 410 or failed for 5 days."""

        def outcome(current: EndpointRecord) -> EndpointRecord | None:
            if delivered:
                update: dict[str, Any] = {"failing_since": None}
            else:
                failing_since = current.failing_since or now
                update = {"failing_since": failing_since}
                if gone:
                    update |= {"status": "disabled", "disabled_reason": "the endpoint answered 410 Gone"}
                elif now - failing_since >= DISABLE_AFTER_FAILING_FOR:
                    update |= {"status": "disabled", "disabled_reason": "every delivery failed for 5 days"}
            if all(getattr(current, name) == value for name, value in update.items()):
                return None
            return current.model_copy(update=update)

        changed = self.store.endpoints.change(endpoint, outcome)
        if endpoint.status == "enabled" and changed.status == "disabled":
            logger.warning("webhook endpoint disabled", endpoint_id=endpoint.id, reason=changed.disabled_reason)
            metrics.add_metric(name="WebhookEndpointDisabled", unit="Count", value=1)
