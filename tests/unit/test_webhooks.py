"""Merchant webhooks on moto, with a recording sender and a clock the test moves: what is signed, when it
is retried, when it gives up, what disables an endpoint, and that a dying worker loses nothing."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from paygate.errors import NotFound, TooManyRotations, ValidationFailed
from paygate.events import BusEvent, PaymentEvent, RefundEvent
from paygate.models import Status
from paygate.refunds import Refund, RefundStatus
from paygate.webhooks.models import MAX_RETIRED_SECRETS, CreateEndpointRequest
from paygate.webhooks.sealing import SecretSealer
from paygate.webhooks.sender import SendResult
from paygate.webhooks.service import Webhooks
from paygate.webhooks.store import WebhookStore
from tests import factories

SCHEDULE = [5.0, 300.0, 1800.0]


@dataclass
class Merchant:
    """The merchant's server: answers each POST with the next status queued (200 when none is)."""

    answers: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)

    def __call__(self, url: str, body: bytes, headers: dict, *, allow_private: bool) -> SendResult:
        self.received.append({"url": url, "body": body, "headers": dict(headers)})
        status = self.answers.pop(0) if self.answers else 200
        return SendResult(http_status=status, latency_ms=3, error=None)


@pytest.fixture
def merchant() -> Merchant:
    return Merchant()


@pytest.fixture
def webhooks(dynamodb, clock, merchant) -> Webhooks:
    tables = factories.TABLES
    store = WebhookStore(tables["WebhookEndpointsTable"], tables["WebhookDeliveriesTable"], dynamodb, clock=clock)
    sealer = SecretSealer(boto3.client("kms"), factories.WEBHOOK_SECRETS_KEY)
    return Webhooks(
        store=store,
        clock=clock,
        sealer=sealer,
        retry_schedule=SCHEDULE,
        lease_seconds=30,
        send=merchant,
        resolve=public_dns,
    )


def public_dns(host: str, port: int) -> list[str]:
    """shop.example is a public address; literal addresses are themselves."""
    return ["93.184.216.34"] if host == "shop.example" else [host.strip("[]")]


def register(webhooks: Webhooks, account: str = factories.ACCOUNT, **fields):
    request = CreateEndpointRequest.model_validate({"url": "https://shop.example/hooks", **fields})
    return webhooks.register(account, request)


def event(payment_id: str = "pay_1", sequence: int = 2, status: str = "succeeded", account=factories.ACCOUNT) -> dict:
    """A payment event as EventBridge hands it on (publish_events' detail), as JSON."""
    payment = factories.record(id=payment_id, status=status, account_id=account).public()
    detail = PaymentEvent(
        event_id=f"{payment_id}:{sequence}",
        sequence=sequence,
        previous_status=Status.PENDING,
        account_id=account,
        payment=payment,
    )
    return {
        "detail-type": f"payment.{status}",
        "time": "2026-01-01T12:00:00Z",
        "detail": detail.model_dump(mode="json"),
    }


def deliver(webhooks: Webhooks, payment_event: dict) -> list:
    """What the worker does with one event: make its deliveries, and attempt each at once."""
    made = webhooks.fan_out(BusEvent.model_validate(payment_event))
    return [webhooks.deliver(delivery, endpoint) for delivery, endpoint in made]


def signed_by(secret: str, received: dict) -> bool:
    """Whether `secret` signed this delivery, by the standardwebhooks library's own signing (at any time)."""
    headers = received["headers"]
    stamp = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(headers["webhook-id"], stamp, received["body"].decode())
    return expected in headers["webhook-signature"].split()


def test_a_delivery_is_a_standard_webhook_the_library_verifies(webhooks, merchant, clock):
    clock.now = datetime.now(UTC)  # the library checks the timestamp against its own clock
    endpoint = register(webhooks)
    [delivery] = deliver(webhooks, event())
    assert delivery.status == "delivered"
    [received] = merchant.received
    payload = Webhook(endpoint.secret).verify(received["body"], received["headers"])
    assert payload["type"] == "payment.succeeded"
    assert payload["data"]["event_id"] == "pay_1:2" and payload["data"]["sequence"] == 2
    assert received["headers"]["webhook-id"] == "pay_1:2"
    assert received["headers"]["webhook-timestamp"] == str(int(clock().timestamp()))
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(received["body"], received["headers"])


def test_after_a_rotation_both_secrets_sign_for_24_hours_then_only_the_new(webhooks, merchant, clock):
    old = register(webhooks)
    new = webhooks.rotate_secret(factories.ACCOUNT, old.id)
    assert new.secret != old.secret
    deliver(webhooks, event(sequence=2))
    during = merchant.received[-1]
    assert len(during["headers"]["webhook-signature"].split()) == 2
    assert signed_by(old.secret, during) and signed_by(new.secret, during)
    clock.advance(hours=24, seconds=1)
    deliver(webhooks, event(sequence=3))
    after = merchant.received[-1]
    assert signed_by(new.secret, after) and not signed_by(old.secret, after)


def test_failures_are_retried_on_the_schedule_with_the_same_id_and_body(webhooks, merchant, clock):
    endpoint = register(webhooks)
    merchant.answers = [500, 503, 502]
    [first] = deliver(webhooks, event())
    assert (first.status, first.next_attempt_at) == ("pending", clock() + timedelta(seconds=5))
    for delay in SCHEDULE:
        assert webhooks.attempt_due(time_left=lambda: 60.0)["attempted"] == 0  # not due yet
        clock.advance(seconds=delay)
        webhooks.attempt_due(time_left=lambda: 60.0)
    [logged] = webhooks.deliveries(factories.ACCOUNT, endpoint.id)
    assert logged.status == "delivered"
    assert [attempt.http_status for attempt in logged.attempts] == [500, 503, 502, 200]
    assert {received["headers"]["webhook-id"] for received in merchant.received} == {"pay_1:2"}
    assert len({received["body"] for received in merchant.received}) == 1


def test_a_delivery_fails_after_the_last_retry(webhooks, merchant, clock):
    register(webhooks)
    merchant.answers = [500] * 10
    [delivery] = deliver(webhooks, event())
    for delay in SCHEDULE:
        clock.advance(seconds=delay)
        webhooks.attempt_due(time_left=lambda: 60.0)
    final = webhooks.store.delivery(delivery.id)
    assert (final.status, final.next_attempt_at, len(final.attempts)) == ("failed", None, 1 + len(SCHEDULE))
    clock.advance(days=1)
    assert webhooks.attempt_due(time_left=lambda: 60.0)["attempted"] == 0


def test_an_endpoint_answering_410_is_disabled_and_gets_nothing_more(webhooks, merchant):
    endpoint = register(webhooks)
    merchant.answers = [410]
    [delivery] = deliver(webhooks, event(sequence=2))
    assert delivery.status == "failed"
    disabled = webhooks.endpoint(factories.ACCOUNT, endpoint.id)
    assert (disabled.status, disabled.disabled_reason) == ("disabled", "the endpoint answered 410 Gone")
    assert deliver(webhooks, event(sequence=3)) == []
    assert len(merchant.received) == 1


def test_an_endpoint_failing_every_delivery_for_5_days_is_disabled(webhooks, merchant, clock):
    endpoint = register(webhooks)
    merchant.answers = [500] * 100
    for day in range(6):
        deliver(webhooks, event(sequence=day + 2))
        assert webhooks.endpoint(factories.ACCOUNT, endpoint.id).status == ("disabled" if day == 5 else "enabled")
        clock.advance(days=1)


def test_one_success_resets_the_5_days(webhooks, merchant, clock):
    endpoint = register(webhooks)
    merchant.answers = [500, 500, 500, 500, 200, 500, 500]
    for day in range(7):
        deliver(webhooks, event(sequence=day + 2))
        clock.advance(days=1)
    assert webhooks.endpoint(factories.ACCOUNT, endpoint.id).status == "enabled"


def test_only_subscribed_enabled_endpoints_of_the_events_account_get_it(webhooks, merchant):
    wanted = register(webhooks, events=["payment.succeeded"])
    register(webhooks, events=["payment.failed"])
    register(webhooks, account="acct_other")
    deliveries = deliver(webhooks, event(status="succeeded"))
    assert [delivery.endpoint_id for delivery in deliveries] == [wanted.id]
    assert deliver(webhooks, event(status="succeeded", account=None)) == []


def test_the_same_event_twice_is_one_delivery(webhooks, merchant):
    register(webhooks)
    first, second = deliver(webhooks, event()), deliver(webhooks, event())
    assert len(first) == 1 and second == []  # made once; the second copy of the event made nothing
    assert len(merchant.received) == 1


def test_a_worker_that_dies_mid_attempt_loses_nothing(webhooks, merchant, clock):
    # Given a worker that claimed a delivery and died (here: its POST raised, as a crash would)
    register(webhooks)
    [(delivery, endpoint)] = webhooks.fan_out(BusEvent.model_validate(event()))
    delivery_id = delivery.id

    def crash(*args, **kwargs):
        raise SystemExit("the worker died")

    webhooks.send = crash
    with pytest.raises(SystemExit):
        webhooks.deliver(delivery, endpoint)
    webhooks.send = merchant
    # Then nobody attempts it while its claim holds, and the scheduled run does once the claim runs out
    assert webhooks.attempt_due(time_left=lambda: 60.0)["attempted"] == 0
    clock.advance(seconds=31)
    assert webhooks.attempt_due(time_left=lambda: 60.0)["attempted"] == 1
    assert webhooks.store.delivery(delivery_id).status == "delivered"
    assert len(merchant.received) == 1


def test_a_manual_retry_sends_a_delivery_again(webhooks, merchant):
    endpoint = register(webhooks)
    [delivery] = deliver(webhooks, event())
    again = webhooks.retry(factories.ACCOUNT, endpoint.id, delivery.id)
    assert (again.status, again.next_attempt_at is not None) == ("pending", True)
    assert webhooks.attempt(delivery.id).status == "delivered"
    assert len(merchant.received) == 2 and merchant.received[0]["body"] == merchant.received[1]["body"]


def test_another_accounts_endpoints_and_deliveries_are_not_found(webhooks):
    endpoint = register(webhooks)
    [delivery] = deliver(webhooks, event())
    for call in (
        lambda: webhooks.endpoint("acct_other", endpoint.id),
        lambda: webhooks.deliveries("acct_other", endpoint.id),
        lambda: webhooks.rotate_secret("acct_other", endpoint.id),
        lambda: webhooks.delete("acct_other", endpoint.id),
        lambda: webhooks.retry("acct_other", endpoint.id, delivery.id),
    ):
        with pytest.raises(NotFound):
            call()
    assert webhooks.endpoints("acct_other") == []


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/hooks",  # not https
        "https://127.0.0.1/hooks",  # loopback
        "https://10.0.0.5/hooks",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local: the metadata service
        "https://[::1]/hooks",
    ],
)
def test_registration_refuses_what_is_not_a_public_https_url(webhooks, url):
    with pytest.raises(ValidationFailed) as refused:
        register(webhooks, url=url)
    assert refused.value.param == "url"
    assert webhooks.endpoints(factories.ACCOUNT) == []


def test_the_delivery_body_is_the_event(webhooks, merchant):
    register(webhooks)
    deliver(webhooks, event())
    body = json.loads(merchant.received[0]["body"])
    assert body == {"type": "payment.succeeded", "timestamp": "2026-01-01T12:00:00Z", "data": event()["detail"]}


def test_a_retry_or_rotation_racing_a_worker_reads_again_and_wins(webhooks, merchant):
    # Given a delivery and an endpoint that a worker changes between the API's read and its write
    endpoint = register(webhooks)
    [delivery] = deliver(webhooks, event())
    store = webhooks.store
    for table, act in (
        (store.deliveries, lambda: webhooks.retry(factories.ACCOUNT, endpoint.id, delivery.id)),
        (store.endpoints, lambda: webhooks.rotate_secret(factories.ACCOUNT, endpoint.id)),
    ):
        real_write, raced = table.write, []
        before = store.deliveries.get(store.deliveries.key_of(delivery)) if table is store.deliveries else endpoint
        assert before is not None

        def write_after_a_worker(record, *, over, real_write=real_write, raced=raced):
            if not raced:
                raced.append(True)
                real_write(over, over=over)  # the worker's write lands first: one version more
            return real_write(record, over=over)

        table.write = write_after_a_worker  # type: ignore[method-assign]
        done = act()
        table.write = real_write  # type: ignore[method-assign]
        # Then the API's write conflicted, read again and won
        assert raced and done.version == before.version + 2
    assert store.delivery(delivery.id).status == "pending"
    previous = store.endpoint(factories.ACCOUNT, endpoint.id).previous_secret
    assert webhooks.sealer.open(previous, factories.ACCOUNT, endpoint.id) == endpoint.secret


def test_a_refund_event_is_delivered_as_a_payment_event_is(webhooks, merchant):
    register(webhooks)
    payment = factories.record(status="succeeded", amount_received="1.00")
    refund = Refund(
        id="re_" + "1" * 24,
        payment_id=payment.id,
        status=RefundStatus.SUCCEEDED,
        amount="1.00",
        currency="USD",
        created_at=payment.created_at,
        updated_at=payment.created_at,
    )
    detail = RefundEvent(
        event_id=f"{refund.id}:5", sequence=5, previous_status=RefundStatus.PENDING, account_id=factories.ACCOUNT,
        payment_id=payment.id, refund=refund,
    )  # fmt: skip
    bus = {"detail-type": "refund.succeeded", "time": "2026-01-01T12:00:00Z", "detail": detail.model_dump(mode="json")}
    [delivered] = deliver(webhooks, bus)
    body = json.loads(merchant.received[0]["body"])
    assert (delivered.status, delivered.type, body["type"]) == ("delivered", "refund.succeeded", "refund.succeeded")
    assert (body["data"]["refund"]["id"], body["data"]["payment_id"]) == (refund.id, payment.id)


# --- secrets at rest ------------------------------------------------------------------------------


def stored_item(dynamodb, endpoint_id: str) -> dict:
    key = {"account_id": {"S": factories.ACCOUNT}, "id": {"S": endpoint_id}}
    return dynamodb.get_item(TableName=factories.TABLES["WebhookEndpointsTable"], Key=key)["Item"]


def test_a_stored_secret_is_sealed_with_kms_never_in_clear(webhooks, merchant, dynamodb, clock):
    clock.now = datetime.now(UTC)
    endpoint = register(webhooks)
    rotated = webhooks.rotate_secret(factories.ACCOUNT, endpoint.id)
    item = json.dumps(stored_item(dynamodb, endpoint.id))
    # Neither secret, nor its key bytes, is anywhere in the table's item
    for secret in (endpoint.secret, rotated.secret):
        assert secret.startswith("whsec_")
        assert secret not in item and secret.removeprefix("whsec_") not in item
    stored = stored_item(dynamodb, endpoint.id)
    assert stored["secret"]["S"].startswith("kms:") and stored["previous_secret"]["S"].startswith("kms:")
    # and what is sealed opens only as this endpoint's: the encryption context binds account and endpoint
    kms = boto3.client("kms")
    blob = base64.b64decode(stored["secret"]["S"].removeprefix("kms:"))
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"account_id": factories.ACCOUNT, "endpoint_id": "we_x"})
    # Delivery still signs with both, as the library verifies
    deliver(webhooks, event())
    [received] = merchant.received
    assert signed_by(endpoint.secret, received) and signed_by(rotated.secret, received)
    Webhook(rotated.secret).verify(received["body"], received["headers"])


def test_a_record_from_before_sealing_still_signs_and_is_sealed_at_its_rotation(webhooks, merchant, dynamodb, clock):
    # Given an endpoint written before secrets were sealed: its secret in clear
    clock.now = datetime.now(UTC)
    endpoint = register(webhooks)
    legacy = "whsec_" + base64.b64encode(b"a legacy secret of 24 byte").decode()
    table = factories.TABLES["WebhookEndpointsTable"]
    dynamodb.put_item(TableName=table, Item={**stored_item(dynamodb, endpoint.id), "secret": {"S": legacy}})
    # Then deliveries are signed with it as before
    deliver(webhooks, event(sequence=2))
    Webhook(legacy).verify(merchant.received[-1]["body"], merchant.received[-1]["headers"])
    # and its rotation seals both, the old one signing on through the overlap
    rotated = webhooks.rotate_secret(factories.ACCOUNT, endpoint.id)
    stored = stored_item(dynamodb, endpoint.id)
    assert legacy not in json.dumps(stored) and stored["previous_secret"]["S"].startswith("kms:")
    deliver(webhooks, event(sequence=3))
    assert signed_by(legacy, merchant.received[-1]) and signed_by(rotated.secret, merchant.received[-1])


def test_the_answer_to_register_and_rotate_shows_the_secret_in_clear_once(webhooks, dynamodb):
    endpoint = register(webhooks)
    assert endpoint.public(with_secret=True).secret == endpoint.secret
    assert endpoint.secret.startswith("whsec_")
    assert webhooks.endpoint(factories.ACCOUNT, endpoint.id).public().secret is None


def test_every_secret_a_rotation_replaced_signs_for_its_own_overlap(webhooks, merchant, clock):
    """Rotating twice keeps the first secret too, each for its own 24 h; beyond MAX_RETIRED_SECRETS
    rotations within the overlap, one more is refused (409) and nothing changes."""
    secrets_in_turn = [register(webhooks).secret]
    endpoint_id = webhooks.endpoints(factories.ACCOUNT)[0].id
    for _ in range(MAX_RETIRED_SECRETS):
        clock.advance(hours=1)
        secrets_in_turn.append(webhooks.rotate_secret(factories.ACCOUNT, endpoint_id).secret)
    deliver(webhooks, event())
    assert all(signed_by(secret, merchant.received[-1]) for secret in secrets_in_turn)
    with pytest.raises(TooManyRotations):
        webhooks.rotate_secret(factories.ACCOUNT, endpoint_id)
    # The first one's overlap ends 24 h after the rotation that replaced it; the others go on signing.
    clock.advance(hours=20)
    deliver(webhooks, event(payment_id="pay_2"))
    assert [signed_by(secret, merchant.received[-1]) for secret in secrets_in_turn] == [False] + [True] * 5
    webhooks.rotate_secret(factories.ACCOUNT, endpoint_id)  # room again
