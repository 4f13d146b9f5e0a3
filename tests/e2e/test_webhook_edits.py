"""Editing webhook endpoints and sending them test events, over HTTP against the local stack, delivered for
real to the /_sim/merchant receiver and verified as a merchant would (the standardwebhooks library)."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

import paygate
from paygate import service
from tests.e2e.test_webhooks import quiet, receiver, receiver_url, register, succeed_a_payment, webhook_id

__all__ = ["quiet", "receiver"]  # the fixtures, shared with test_webhooks


def header(receipt: dict, name: str) -> str:
    return next(value for key, value in receipt["headers"].items() if key.lower() == name)


def test_an_endpoint_disabled_after_a_410_is_enabled_again_by_patch_and_gets_the_next_event(api, stack, receiver):
    endpoint = register(api, receiver, events=["payment.succeeded"])
    stack.merchant.configure(receiver, status=410)
    succeed_a_payment(api, stack)
    assert api.get(f"/webhook-endpoints/{endpoint['id']}").json()["status"] == "disabled"
    succeed_a_payment(api, stack)
    assert len(stack.merchant.received(receiver)) == 1  # disabled: nothing after the 410

    stack.merchant.configure(receiver)  # the merchant's server is back
    answer = api.patch(f"/webhook-endpoints/{endpoint['id']}", {"enabled": True})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {**api.get(f"/webhook-endpoints/{endpoint['id']}").json()}
    assert (answer.json()["status"], answer.json()["disabled_reason"]) == ("enabled", None)
    assert answer.json()["secret"] is None

    created = succeed_a_payment(api, stack)
    last = stack.merchant.received(receiver)[-1]
    assert last["status"] == 200 and webhook_id(last) == f"{created['id']}:{created['version'] + 1}"
    assert Webhook(endpoint["secret"]).verify(last["body"], last["headers"])["type"] == "payment.succeeded"


def test_patch_changes_only_what_it_sends_and_refuses_what_it_does_not_know(api, receiver):
    endpoint = register(api, receiver, description="Orders")
    answer = api.patch(f"/webhook-endpoints/{endpoint['id']}", {"events": ["refund.succeeded"]})
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert (shown["url"], shown["events"], shown["description"]) == (endpoint["url"], ["refund.succeeded"], "Orders")
    for body, param in (
        ({"secret": "whsec_mine"}, "secret"),
        ({"url": None}, "url"),
        ({"events": ["webhook.ping"]}, "events.0"),
        ({"enabled": "yes"}, "enabled"),
    ):
        refused = api.patch(f"/webhook-endpoints/{endpoint['id']}", body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["param"] == param
    assert api.get(f"/webhook-endpoints/{endpoint['id']}").json()["events"] == ["refund.succeeded"]


@pytest.mark.parametrize(
    "url", ["https://10.0.0.7/hooks", "https://169.254.169.254/latest/meta-data/", "https://127.0.0.1/hooks"]
)
def test_patch_refuses_a_private_address_as_a_deployed_stack_does(api, receiver, monkeypatch, url):
    """The local stack lets webhooks reach 127.0.0.1 (its receiver is there); deployed, none may go to a
    private, loopback or metadata address, and that is the setting this test takes."""
    endpoint = register(api, receiver)
    monkeypatch.setattr(service.webhooks(), "allow_private", False)
    answer = api.patch(f"/webhook-endpoints/{endpoint['id']}", {"url": url})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["param"] == "url"
    assert "url" in answer.json()["error"]["message"]
    monkeypatch.undo()
    assert api.get(f"/webhook-endpoints/{endpoint['id']}").json()["url"] == receiver_url(api, receiver)


def test_a_test_event_is_delivered_signed_verifiable_with_our_user_agent_and_logged(api, stack, receiver):
    endpoint = register(api, receiver, events=["refund.failed"])  # a test goes whatever it subscribes to
    answer = api.post(f"/webhook-endpoints/{endpoint['id']}/test")
    assert answer.status_code == 202, answer.text
    delivery = answer.json()
    assert (delivery["object"], delivery["type"], delivery["endpoint_id"]) == (
        "webhook_delivery",
        "webhook.ping",
        endpoint["id"],
    )
    stack.deliver_webhooks()

    [received] = stack.merchant.received(receiver)
    payload = Webhook(endpoint["secret"]).verify(received["body"], received["headers"])
    assert payload["type"] == "webhook.ping"
    assert payload["data"]["test"] is True and payload["data"]["livemode"] is False
    assert payload["data"]["endpoint_id"] == endpoint["id"]
    assert webhook_id(received) == delivery["event_id"]
    assert header(received, "user-agent") == f"Paygate-Webhooks/{paygate.__version__}"
    tampered = json.dumps({**json.loads(received["body"]), "type": "payment.succeeded"})
    with pytest.raises(Exception, match="signature"):
        Webhook(endpoint["secret"]).verify(tampered, received["headers"])

    [logged] = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["data"]
    assert (logged["id"], logged["status"]) == (delivery["id"], "delivered")
    assert [attempt["http_status"] for attempt in logged["attempts"]] == [200]

    # Asked again at once: the same delivery, nothing more sent
    again = api.post(f"/webhook-endpoints/{endpoint['id']}/test")
    assert again.status_code == 202 and again.json()["id"] == delivery["id"]
    stack.deliver_webhooks()
    assert len(stack.merchant.received(receiver)) == 1


def test_every_webhook_carries_our_user_agent(api, stack, receiver):
    register(api, receiver)
    succeed_a_payment(api, stack)
    received = stack.merchant.received(receiver)
    assert received and {header(r, "user-agent") for r in received} == {f"Paygate-Webhooks/{paygate.__version__}"}


def test_a_disabled_endpoint_gets_no_test_event(api, stack, receiver):
    endpoint = register(api, receiver)
    assert api.patch(f"/webhook-endpoints/{endpoint['id']}", {"enabled": False}).json()["status"] == "disabled"
    answer = api.post(f"/webhook-endpoints/{endpoint['id']}/test")
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "endpoint_disabled"
    stack.deliver_webhooks()
    assert stack.merchant.received(receiver) == []


def test_another_accounts_endpoint_is_not_found_to_edit_or_test(api, other_merchant, stack, receiver):
    endpoint = register(api, receiver)
    for answer in (
        other_merchant.patch(f"/webhook-endpoints/{endpoint['id']}", {"enabled": False}),
        other_merchant.patch(f"/webhook-endpoints/{endpoint['id']}", {"url": "https://shop.example/steal"}),
        other_merchant.post(f"/webhook-endpoints/{endpoint['id']}/test"),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "endpoint_not_found"
    shown = api.get(f"/webhook-endpoints/{endpoint['id']}").json()
    assert (shown["status"], shown["url"]) == ("enabled", receiver_url(api, receiver))
    stack.deliver_webhooks()
    assert stack.merchant.received(receiver) == []
    assert api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["data"] == []
