"""scripts/migrate_api_gateway_keys.py (moto): the merchants of a deployment from before accounts, each an
API Gateway key whose id its payments are kept under, become accounts whose adopted key lists those
payments over HTTP; a second run changes nothing; a dry run writes nothing. And ApiKeys.adopt, which makes
it safe to run again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from werkzeug.test import Client

from local.emulator import ApiEmulator
from paygate import service
from paygate.accounts.models import Merchant
from paygate.errors import ValidationFailed
from paygate.store.payments import PaymentStore
from tests.factories import TABLES, record
from tests.operators import deployed_stack, script


@dataclass
class OldDeployment:
    """API Gateway keys as the old stack left them: two merchants and a disabled one in its usage plan,
    and a key of another API beside it."""

    plan: str
    keys: dict[str, dict]  # name -> the key, with its value

    def id(self, name: str) -> str:
        return self.keys[name]["id"]

    def value(self, name: str) -> str:
        return self.keys[name]["value"]


@pytest.fixture
def old(dynamodb) -> Iterator[OldDeployment]:
    apigateway = boto3.client("apigateway")
    plan = apigateway.create_usage_plan(name="paygate-old")["id"]
    keys = {}
    for name, enabled in (("shop-a", True), ("shop-b", True), ("shop-gone", False), ("other-api", True)):
        keys[name] = apigateway.create_api_key(name=name, enabled=enabled)
        if name != "other-api":
            apigateway.create_usage_plan_key(usagePlanId=plan, keyId=keys[name]["id"], keyType="API_KEY")
    deployed_stack()
    service.reset()
    yield OldDeployment(plan, keys)
    service.reset()


def migrate(capsys, *args: str) -> list[str]:
    script("migrate_api_gateway_keys").main(["--stack", "paygate", *args])
    return capsys.readouterr().out.splitlines()


def old_payment(account_id: str) -> str:
    """A payment as stored before accounts: under the key's id, with no `livemode` at all."""
    client = boto3.client("dynamodb")
    payment = PaymentStore(TABLES["PaymentsTable"], client).insert(record(account_id=account_id, livemode=True))
    key = {"id": {"S": payment.id}}
    client.update_item(TableName=TABLES["PaymentsTable"], Key=key, UpdateExpression="REMOVE livemode")
    return payment.id


def snapshot() -> dict[str, list[dict]]:
    client = boto3.client("dynamodb")
    tables = (TABLES["AccountsTable"], TABLES["ApiKeysTable"])
    return {name: sorted(client.scan(TableName=name)["Items"], key=repr) for name in tables}


def test_each_key_becomes_an_account_whose_old_payments_its_key_lists(old, capsys):
    paid = old_payment(old.id("shop-a"))
    said = migrate(capsys, "--usage-plan", old.plan)
    accounts = service.accounts()
    for name in ("shop-a", "shop-b"):
        assert accounts.account(old.id(name)).display_name == name
        [key] = accounts.keys_of(old.id(name))
        assert (key.mode, key.name, key.shown) == ("live", name, old.value(name)[:12])
        assert service.authorize()(old.value(name)) == Merchant(old.id(name), livemode=True)
    # the disabled key stays locked out, and a key outside the plan is left alone
    assert accounts.account(old.id("shop-gone")) is None and accounts.account(old.id("other-api")) is None
    assert service.authorize()(old.value("shop-gone")) is None
    assert any("disabled" in line for line in said) and not any(old.id("other-api") in line for line in said)
    # Over HTTP, as the merchant's integration calls: its key lists its payments from before
    http = Client(ApiEmulator(domain_name="localhost"))
    listed = http.get("/payments", headers={"X-API-Key": old.value("shop-a")})
    assert listed.status_code == 200, listed.get_data(as_text=True)
    assert [payment["id"] for payment in listed.get_json()["data"]] == [paid]
    assert http.get("/payments", headers={"X-API-Key": old.value("shop-b")}).get_json()["data"] == []


def test_a_second_run_changes_nothing(old, capsys):
    migrate(capsys, "--usage-plan", old.plan)
    before = snapshot()
    said = migrate(capsys, "--usage-plan", old.plan)
    assert snapshot() == before
    assert sum("already adopted" in line for line in said) == 2
    assert not any("opened" in line or "adopted its value" in line for line in said)


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(old, capsys):
    said = migrate(capsys, "--dry-run", "--key-id", old.id("shop-a"))
    assert snapshot() == {TABLES["AccountsTable"]: [], TABLES["ApiKeysTable"]: []}
    assert [line.split(": ", 1)[1].split(" (")[0] for line in said[:2]] == [
        f"would open account {old.id('shop-a')!r}",
        "would adopt its value as a live key",
    ]


def test_a_key_api_gateway_no_longer_has_is_given_by_value(old, capsys, monkeypatch):
    monkeypatch.setenv("OLD_API_KEYS", "deletedkey1=" + "v" * 40)
    migrate(capsys, "--key-id", old.id("shop-a"))
    assert service.authorize()("v" * 40) == Merchant("deletedkey1", livemode=True)
    assert service.authorize()(old.value("shop-a")) == Merchant(old.id("shop-a"), livemode=True)
    assert service.accounts().account(old.id("shop-b")) is None


def test_without_a_choice_of_keys_it_refuses_and_writes_nothing(old, capsys):
    with pytest.raises(SystemExit) as refused:
        migrate(capsys)
    assert refused.value.code == 2 and "choose the keys" in capsys.readouterr().err
    assert snapshot() == {TABLES["AccountsTable"]: [], TABLES["ApiKeysTable"]: []}


def test_keys_given_by_value_alone_are_the_only_ones_migrated(old, capsys, monkeypatch):
    monkeypatch.setenv("OLD_API_KEYS", "deletedkey2=" + "w" * 40)
    migrate(capsys)
    assert service.authorize()("w" * 40) == Merchant("deletedkey2", livemode=True)
    assert all(service.accounts().account(old.id(name)) is None for name in ("shop-a", "shop-b", "other-api"))


def test_all_keys_takes_every_enabled_key_of_the_region(old, capsys):
    migrate(capsys, "--all-keys")
    assert all(service.accounts().account(old.id(name)) for name in ("shop-a", "shop-b", "other-api"))
    assert service.accounts().account(old.id("shop-gone")) is None


# --- adopting a key ------------------------------------------------------------------------------------


def test_adopting_a_key_again_answers_the_same_key_and_writes_nothing(dynamodb):
    service.reset()
    keys, merchant = service.api_keys(), Merchant("acct-1", livemode=True)
    first = keys.adopt(merchant, "k" * 40, "old")
    assert keys.adopt(merchant, "k" * 40, "old") == first
    assert service.accounts().keys_of("acct-1") == [first]
    # a key revoked since stays revoked
    revoked = keys.revoke(merchant, first.id)
    assert keys.adopt(merchant, "k" * 40, "old") == revoked


@pytest.mark.parametrize("other", [Merchant("acct-2", livemode=True), Merchant("acct-1", livemode=False)])
def test_a_key_of_another_account_or_mode_is_not_adopted(dynamodb, other):
    service.reset()
    keys = service.api_keys()
    keys.adopt(Merchant("acct-1", livemode=True), "k" * 40, "old")
    with pytest.raises(ValidationFailed):
        keys.adopt(other, "k" * 40, "old")
    # the key still acts for the first account, in live mode only
    [kept] = service.accounts().keys_of("acct-1") + service.accounts().keys_of("acct-2")
    assert (kept.account_id, kept.mode) == ("acct-1", "live")
