"""Accounts that outlive their keys, over HTTP against the local stack, whose authorizer runs as API
Gateway runs it (its answers cached `stack.authorizer_ttl` seconds: 60 when deployed, 2 here): a key
rolled with an overlap, a revoked key on every route, test and live kept apart, keys stored only hashed,
and one account's keys and profile out of another's reach. Each test opens its own accounts."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from local import template
from local.stack import seed_accounts
from paygate import service
from paygate.accounts.models import Merchant, key_hash, new_account_id, new_key
from tests import factories
from tests.e2e.conftest import Api


class Account:
    """A new account with a test key and a live one, as the clients of each."""

    def __init__(self, stack):
        self.id = new_account_id()
        keys = {new_key("test"): self.id, new_key("live"): self.id}
        seed_accounts(keys)
        test_key, live_key = keys
        self.test, self.live = Api(stack, api_key=test_key), Api(stack, api_key=live_key)


def ids(client: Api) -> list[str]:
    answer = client.get("/payments", limit="100")
    assert answer.status_code == 200, answer.text
    return [payment["id"] for payment in answer.json()["data"]]


def assert_refused(answer) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == {
        "type": "authentication_error",
        "code": "invalid_api_key",
        "message": "Missing or invalid X-API-Key",
        "param": None,
    }


def wait_past(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


@pytest.fixture
def receiver(stack):
    name = f"shop-{uuid.uuid4().hex[:8]}"
    yield name
    stack.merchant.configure(name)


def received(stack, name: str) -> dict[str, list[str]]:
    """What an endpoint was sent: each payment's event types, in order (the order of one payment's changes
    is kept; different payments' interleave)."""
    found: dict[str, list[str]] = {}
    for receipt in stack.merchant.received(name):
        body = json.loads(receipt["body"])
        found.setdefault(body["data"]["payment"]["id"], []).append(body["type"])
    return found


def test_a_key_rolled_with_an_overlap_keeps_payments_and_webhooks_and_ends_at_expires_at(stack, receiver):
    old = Account(stack).test
    stack.deliver_webhooks()  # what earlier tests left, delivered before this account's endpoint exists
    endpoint = old.post("/webhook-endpoints", {"url": f"{old.base}/_sim/merchant/{receiver}"}).json()
    before = old.create()
    [key] = old.get("/api-keys").json()["data"]
    expires_at = datetime.now(UTC) + timedelta(seconds=3)
    answer = old.post(f"/api-keys/{key['id']}/roll", {"expires_at": expires_at.isoformat()})
    assert answer.status_code == 201, answer.text
    rolled = answer.json()
    assert rolled["secret"].startswith("pg_test_") and rolled["id"] != key["id"]
    new = Api(stack, api_key=rolled["secret"])

    # During the overlap both keys act for the account: the new one sees what the old one made
    assert before["id"] in ids(new)
    during = old.create()
    new.control("sandbox", during["provider_payment_id"], "succeeded")
    assert {before["id"], during["id"]} <= set(ids(new))
    shown = {k["id"]: k for k in new.get("/api-keys").json()["data"]}
    assert abs(datetime.fromisoformat(shown[key["id"]]["expires_at"]) - expires_at) < timedelta(seconds=1)
    assert shown[key["id"]]["secret"] is None and shown[rolled["id"]]["secret"] is None  # shown once, at the roll
    stack.deliver_webhooks()

    # After expires_at (and the authorizer's cache time) the old key is refused, the new one works on
    wait_past(expires_at.timestamp() + stack.authorizer_ttl + 0.5)
    assert_refused(old.get("/payments"))
    assert_refused(old.post("/payments", {"amount": "1.00", "currency": "USD", "provider": "sandbox"}))
    after = new.create()
    new.control("sandbox", before["provider_payment_id"], "succeeded")
    new.control("sandbox", after["provider_payment_id"], "succeeded")
    stack.deliver_webhooks()

    # and the endpoint registered with the old key delivered every change, before and after the roll
    assert received(stack, receiver) == {
        payment["id"]: ["payment.pending", "payment.succeeded"] for payment in (before, during, after)
    }
    assert new.get(f"/webhook-endpoints/{endpoint['id']}").json()["status"] == "enabled"
    assert set(ids(new)) == {before["id"], during["id"], after["id"]}


def authorized_routes() -> list[tuple[str, str]]:
    """Every route behind the key authorizer, its path parameters filled in with ids that exist nowhere."""
    return [
        (route.method, re.sub(r"\{[^}]+\}", "id_that_exists_nowhere", route.path))
        for route in template.routes()
        if route.authorized
    ]


def test_a_revoked_key_is_401_on_every_route_within_the_authorizers_cache_time(stack):
    manager = Account(stack).test
    created = manager.post("/api-keys", {"name": "to revoke"}).json()
    doomed = Api(stack, api_key=created["secret"])
    routes = authorized_routes()
    assert {("POST", "/payments"), ("GET", "/api-keys"), ("PATCH", "/account")} <= set(routes)

    def answers() -> dict[tuple[str, str], int]:
        # A body no route accepts: a key that works gets a 4xx of the route, never a change
        return {
            (method, path): doomed.http.request(
                method, doomed.base + path, data="[", headers={"X-API-Key": doomed.api_key}, timeout=30
            ).status_code
            for method, path in routes
        }

    assert 401 not in answers().values()
    assert manager.post(f"/api-keys/{created['id']}/revoke").json()["revoked_at"] is not None
    deadline = time.monotonic() + stack.authorizer_ttl + 1.0
    statuses = answers()
    while set(statuses.values()) != {401} and time.monotonic() < deadline:
        time.sleep(0.2)
        statuses = answers()
    assert set(statuses.values()) == {401}, statuses
    assert_refused(doomed.get("/payments"))
    assert manager.get("/payments").status_code == 200  # the account's other keys work on


def test_test_and_live_never_mix(stack, receiver):
    account = Account(stack)
    test, live = account.test, account.live
    stack.deliver_webhooks()
    test.post("/webhook-endpoints", {"url": f"{test.base}/_sim/merchant/{receiver}"})
    # A test key's payment, its events and its webhooks say livemode: false
    made = test.create()
    assert made["livemode"] is False and test.payment(made["id"])["livemode"] is False
    stack.deliver_webhooks()
    events = test.http.get(f"{test.base}/_local/events", timeout=30).json()["events"]
    [event] = [e for e in events if e["detail"].get("payment", {}).get("id") == made["id"]]
    assert (event["detail"]["livemode"], event["detail"]["payment"]["livemode"]) == (False, False)
    [delivered] = [json.loads(r["body"]) for r in stack.merchant.received(receiver)]
    assert delivered["data"]["payment"]["livemode"] is False
    # A live key takes no test money here (the local providers are all test ones)
    refused = live.post("/payments", {"amount": "1.00", "currency": "USD", "provider": "sandbox"})
    assert refused.status_code == 422, refused.text
    assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == ("provider_mode_mismatch", "provider")
    # A live payment of the same account (as a live provider would have made it) is in live lists only
    live_payment = service.payments().insert(
        factories.record(account_id=Merchant(account.id, livemode=True).scope, livemode=True, provider="sandbox")
    )
    assert ids(live) == [live_payment.id] and ids(test) == [made["id"]]
    assert (
        live.get(f"/payments/{made['id']}").status_code == test.get(f"/payments/{live_payment.id}").status_code == 404
    )
    assert [k["mode"] for k in live.get("/api-keys").json()["data"]] == ["live"]
    assert live.get("/webhook-endpoints").json()["data"] == []


def test_the_stored_keys_table_holds_no_key_in_clear(stack):
    account = Account(stack)
    client = account.test
    made = [client.post("/api-keys", {"name": f"key {n}"}).json() for n in range(3)]
    rolled = client.post(f"/api-keys/{made[0]['id']}/roll", {}).json()
    secrets = [
        client.api_key,
        account.live.api_key,
        rolled["secret"],
        *(key["secret"] for key in made),
        *stack.api_keys,
    ]
    dynamodb = boto3.client("dynamodb")
    items, start = [], None
    while True:
        page = dynamodb.scan(TableName=stack.tables["ApiKeysTable"], **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    stored = json.dumps(items)
    assert len(items) >= len(secrets)
    for secret in secrets:
        assert secret not in stored and secret[12:] not in stored
    assert {key_hash(secret) for secret in secrets} <= {item["hash"]["S"] for item in items}


def test_one_account_can_manage_none_of_anothers_keys_or_profile(stack):
    first = Account(stack)
    a, a_live, b = first.test, first.live, Account(stack).test
    a_keys = [key["id"] for key in a.get("/api-keys").json()["data"] + a_live.get("/api-keys").json()["data"]]
    for key_id in a_keys:
        for action in ("revoke", "roll"):
            answer = b.post(f"/api-keys/{key_id}/{action}", {})
            assert answer.status_code == 404, answer.text
            assert answer.json()["error"]["code"] == "api_key_not_found"
    # nor does a test key reach the same account's live keys
    assert a.post(f"/api-keys/{a_keys[-1]}/revoke").status_code == 404
    assert not set(a_keys) & {key["id"] for key in b.get("/api-keys").json()["data"]}
    # B's profile changes are B's: A's is untouched, and no body names another account
    profile = {"display_name": "Shop A", "support_url": "https://a.example/help"}
    assert a.http.patch(f"{a.base}/account", json=profile, headers={"X-API-Key": a.api_key}).status_code == 200
    changed = b.http.patch(f"{b.base}/account", json={"display_name": "B"}, headers={"X-API-Key": b.api_key})
    assert changed.status_code == 200 and changed.json()["display_name"] == "B"
    naming = b.http.patch(f"{b.base}/account", json={"id": "acct_x"}, headers={"X-API-Key": b.api_key})
    assert naming.status_code == 422
    shown = a.get("/account").json()
    assert (shown["display_name"], shown["support_url"]) == ("Shop A", "https://a.example/help")
    assert a.get("/payments").status_code == a_live.get("/payments").status_code == 200  # A's keys all work
