"""Editing a webhook endpoint and sending it a test event, on moto with the recording merchant and the
clock of test_webhooks: what PATCH changes and what it leaves, bringing back an endpoint that was
disabled, two edits at once, and the test event's delivery, signature and limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from standardwebhooks import Webhook

from paygate.errors import NotFound, ValidationFailed, WebhookEndpointDisabled
from paygate.webhooks.models import MAX_ENDPOINTS, UpdateEndpointRequest
from paygate.webhooks.service import Webhooks
from paygate.webhooks.store import COUNTER_ID
from tests import factories
from tests.unit.test_webhooks import deliver, event, merchant, register, webhooks

__all__ = ["merchant", "webhooks"]  # the fixtures, shared with test_webhooks


def edit(webhooks: Webhooks, endpoint_id: str, account: str = factories.ACCOUNT, **fields):
    return webhooks.update(account, endpoint_id, UpdateEndpointRequest.model_validate(fields))


def count_item(dynamodb) -> dict:
    key = {"account_id": {"S": factories.ACCOUNT}, "id": {"S": COUNTER_ID}}
    return dynamodb.get_item(TableName=factories.TABLES["WebhookEndpointsTable"], Key=key)["Item"]


# --- PATCH ------------------------------------------------------------------------------------------


def test_an_edit_changes_the_fields_sent_and_leaves_the_others(webhooks, dynamodb):
    endpoint = register(webhooks, events=["payment.succeeded"], description="Orders")
    counted = count_item(dynamodb)

    moved = edit(webhooks, endpoint.id, url="https://shop.example/v2/hooks")
    assert (moved.url, moved.events, moved.description) == (
        "https://shop.example/v2/hooks",
        ["payment.succeeded"],
        "Orders",
    )
    cleared = edit(webhooks, endpoint.id, events=["refund.succeeded", "payment.failed"], description=None)
    assert (cleared.url, cleared.events, cleared.description) == (
        "https://shop.example/v2/hooks",
        ["refund.succeeded", "payment.failed"],
        None,
    )
    stored = webhooks.endpoint(factories.ACCOUNT, endpoint.id)
    assert stored == cleared and stored.version == endpoint.version + 2
    assert stored.secret == webhooks.store.endpoint(factories.ACCOUNT, endpoint.id).secret  # still sealed, same
    assert edit(webhooks, endpoint.id) == stored  # nothing sent, nothing written
    assert count_item(dynamodb) == counted  # the account's count is the registrations' alone


def test_edits_leave_the_endpoint_limit_as_it_was(webhooks):
    endpoints = [register(webhooks) for _ in range(MAX_ENDPOINTS)]
    for endpoint in endpoints[:3]:
        edit(webhooks, endpoint.id, description="edited", enabled=False)
    with pytest.raises(ValidationFailed):
        register(webhooks)
    webhooks.delete(factories.ACCOUNT, endpoints[0].id)
    assert register(webhooks).id


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.7/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/hooks",
        "http://shop.example/hooks",
        "https://[::1]/hooks",
    ],
)
def test_a_new_url_is_checked_as_at_registration(webhooks, url):
    endpoint = register(webhooks)
    with pytest.raises(ValidationFailed) as refused:
        edit(webhooks, endpoint.id, url=url)
    assert refused.value.param == "url"
    assert webhooks.endpoint(factories.ACCOUNT, endpoint.id).url == endpoint.url


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"url": None}, "url"),
        ({"events": None}, "events"),
        ({"enabled": None}, "enabled"),
        ({"events": []}, "events"),
        ({"events": ["payment.refunded"]}, "events"),
        ({"events": ["webhook.ping"]}, "events"),  # a test event is asked for, never subscribed to
        ({"enabled": "true"}, "enabled"),
        ({"secret": "whsec_mine"}, "secret"),
        ({"status": "enabled"}, "status"),
    ],
)
def test_an_edit_refuses_null_where_it_means_nothing_and_fields_it_does_not_know(body, where):
    with pytest.raises(ValidationError) as refused:
        UpdateEndpointRequest.model_validate(body)
    assert refused.value.errors()[0]["loc"][0] == where


def test_an_endpoint_disabled_after_a_410_is_enabled_again_and_gets_the_next_event(webhooks, merchant):
    endpoint = register(webhooks)
    merchant.answers = [410]
    deliver(webhooks, event(sequence=2))
    assert webhooks.endpoint(factories.ACCOUNT, endpoint.id).status == "disabled"

    enabled = edit(webhooks, endpoint.id, enabled=True)
    assert (enabled.status, enabled.disabled_reason, enabled.failing_since) == ("enabled", None, None)
    [delivery] = deliver(webhooks, event(sequence=3))
    assert delivery.status == "delivered" and len(merchant.received) == 2


def test_enabling_again_starts_the_5_days_afresh(webhooks, merchant, clock):
    endpoint = register(webhooks)
    merchant.answers = [500] * 100
    for day in range(6):
        deliver(webhooks, event(sequence=day + 2))
        clock.advance(days=1)
    assert webhooks.endpoint(factories.ACCOUNT, endpoint.id).disabled_reason == "every delivery failed for 5 days"

    edit(webhooks, endpoint.id, enabled=True)
    for day in range(5):  # failing again, but for less than 5 days since it was enabled
        deliver(webhooks, event(sequence=day + 10))
        assert webhooks.endpoint(factories.ACCOUNT, endpoint.id).status == "enabled"
        clock.advance(hours=23)


def test_disabling_stops_deliveries_and_enabling_an_enabled_one_changes_nothing(webhooks, merchant):
    endpoint = register(webhooks)
    disabled = edit(webhooks, endpoint.id, enabled=False)
    assert (disabled.status, disabled.disabled_reason) == ("disabled", "disabled by the merchant")
    assert deliver(webhooks, event(sequence=2)) == [] and merchant.received == []
    enabled = edit(webhooks, endpoint.id, enabled=True)
    assert edit(webhooks, endpoint.id, enabled=True).version == enabled.version


def test_two_edits_at_once_both_land(webhooks, monkeypatch):
    """The second writer read the endpoint before the first wrote: its write is refused, it reads again
    and applies its own change to what the first wrote."""
    endpoint = register(webhooks)
    write = webhooks.store.endpoints.write
    raced = []

    def write_after_another_edit(record, **kwargs):
        if not raced:
            raced.append(True)
            edit(webhooks, endpoint.id, url="https://shop.example/other")  # lands between the read and the write
        return write(record, **kwargs)

    monkeypatch.setattr(webhooks.store.endpoints, "write", write_after_another_edit)
    edit(webhooks, endpoint.id, description="Fulfilment", events=["payment.succeeded"])
    stored = webhooks.endpoint(factories.ACCOUNT, endpoint.id)
    assert (stored.url, stored.description, stored.events) == (
        "https://shop.example/other",
        "Fulfilment",
        ["payment.succeeded"],
    )
    assert stored.version == endpoint.version + 2


def test_another_accounts_endpoint_is_not_found_to_edit_or_test(webhooks):
    endpoint = register(webhooks)
    with pytest.raises(NotFound):
        edit(webhooks, endpoint.id, account="acct_other", enabled=False)
    with pytest.raises(NotFound):  # not found first: another account's id is never checked, nor its url looked up
        edit(webhooks, endpoint.id, account="acct_other", url="https://10.0.0.7/hooks")
    with pytest.raises(NotFound):
        webhooks.send_test("acct_other", endpoint.id)
    assert webhooks.endpoint(factories.ACCOUNT, endpoint.id).status == "enabled"


def test_an_endpoint_deleted_while_it_is_edited_is_not_found(webhooks, monkeypatch):
    endpoint = register(webhooks)
    write = webhooks.store.endpoints.write

    def deleted_first(record, **kwargs):
        webhooks.store.delete_endpoint(factories.ACCOUNT, endpoint.id)
        return write(record, **kwargs)

    monkeypatch.setattr(webhooks.store.endpoints, "write", deleted_first)
    with pytest.raises(NotFound):
        edit(webhooks, endpoint.id, description="too late")


# --- the test event ---------------------------------------------------------------------------------


@pytest.fixture
def queued(webhooks) -> list[tuple[str, float]]:
    """What the endpoint API puts on the delivery queue."""
    messages: list[tuple[str, float]] = []
    webhooks.enqueue_retry = lambda delivery_id, delay: messages.append((delivery_id, delay))
    return messages


def test_a_test_event_is_a_signed_delivery_of_its_own_type(webhooks, merchant, clock, queued):
    clock.now = datetime.now(UTC)  # the library checks the timestamp against its own clock
    endpoint = register(webhooks, events=["refund.succeeded"])  # whatever it subscribes to
    pending = webhooks.send_test(factories.ACCOUNT, endpoint.id)
    assert (pending.status, pending.type, pending.attempts) == ("pending", "webhook.ping", [])
    assert queued == [(pending.id, 0)]
    assert [d.id for d in webhooks.deliveries(factories.ACCOUNT, endpoint.id)] == [pending.id]

    delivered = webhooks.attempt(pending.id)  # what the worker does with the queue's message
    assert delivered is not None and delivered.status == "delivered"
    [received] = merchant.received
    payload = Webhook(endpoint.secret).verify(received["body"], received["headers"])
    assert payload["type"] == "webhook.ping"
    assert payload["data"] == {
        "version": "1",
        "event_id": pending.event_id,
        "test": True,
        "endpoint_id": endpoint.id,
        "account_id": "acct_test",
        "livemode": False,
        "correlation_id": None,
    }
    assert received["headers"]["webhook-id"] == pending.event_id
    assert json.loads(received["body"])["timestamp"]


def test_one_test_event_per_endpoint_and_minute(webhooks, clock, queued):
    clock.now = datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC)
    endpoint, other = register(webhooks), register(webhooks)
    first = webhooks.send_test(factories.ACCOUNT, endpoint.id)
    clock.advance(seconds=50)
    assert webhooks.send_test(factories.ACCOUNT, endpoint.id).id == first.id
    assert webhooks.send_test(factories.ACCOUNT, other.id).id != first.id  # each endpoint its own
    clock.advance(seconds=10)
    later = webhooks.send_test(factories.ACCOUNT, endpoint.id)
    assert later.id != first.id
    [others] = webhooks.deliveries(factories.ACCOUNT, other.id)
    assert [message for message, _ in queued] == [first.id, others.id, later.id]
    assert len(webhooks.deliveries(factories.ACCOUNT, endpoint.id)) == 2


def test_a_failed_test_event_is_retried_as_any_delivery(webhooks, merchant, clock, queued):
    endpoint = register(webhooks)
    merchant.answers = [500]
    pending = webhooks.send_test(factories.ACCOUNT, endpoint.id)
    failed_once = webhooks.attempt(pending.id)
    assert failed_once is not None and failed_once.status == "pending"
    clock.advance(seconds=5)
    again = webhooks.attempt(pending.id)
    assert again is not None and again.status == "delivered"
    assert [a.http_status for a in again.attempts] == [500, 200]


def test_a_disabled_endpoint_gets_no_test_event(webhooks, queued):
    endpoint = register(webhooks)
    edit(webhooks, endpoint.id, enabled=False)
    with pytest.raises(WebhookEndpointDisabled) as refused:
        webhooks.send_test(factories.ACCOUNT, endpoint.id)
    assert refused.value.http_status == 409 and refused.value.code == "endpoint_disabled"
    assert queued == [] and webhooks.deliveries(factories.ACCOUNT, endpoint.id) == []
