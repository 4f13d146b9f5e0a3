"""Accounts and their keys, on moto: the authorizer's verdict on a key, the keys a merchant manages
(create, revoke, roll with an overlap, never another account's or mode's), the profile, and test and live
kept apart (providers and lists)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from pydantic import ValidationError

from paygate.accounts.authorize import Authorize
from paygate.accounts.manage import MAX_KEYS, ApiKeys, Profiles
from paygate.accounts.models import (
    CreateKeyRequest,
    Merchant,
    RollKeyRequest,
    UpdateAccountRequest,
    key_hash,
    new_key,
)
from paygate.accounts.store import AccountStore
from paygate.errors import NotFound, ValidationFailed
from paygate.lifecycle.listing import ListPayments
from paygate.models import PaymentQuery
from paygate.providers.request import CreatePaymentRequest
from paygate.store.payments import PaymentStore
from tests import factories
from tests.factories import TABLES


class Accounts:
    """The accounts' use cases on the test's tables and clock."""

    def __init__(self, client, clock):
        self.client = client
        self.clock = clock
        self.store = AccountStore(TABLES["AccountsTable"], TABLES["ApiKeysTable"], client, clock=clock)
        self.keys = ApiKeys(self.store, clock)
        self.profiles = Profiles(self.store, clock)
        self.authorize = Authorize(self.store, clock)

    def open(self, name: str = "Shop") -> tuple[str, str, str]:
        """A new account with a test and a live key: (account id, test key, live key)."""
        account = self.profiles.open(name).id
        test = self.keys.issue(Merchant(account, livemode=False), "first test key")[1]
        live = self.keys.issue(Merchant(account, livemode=True), "first live key")[1]
        return account, test, live

    def items(self) -> list[dict]:
        return self.client.scan(TableName=TABLES["ApiKeysTable"])["Items"]


@pytest.fixture
def accounts(dynamodb, clock) -> Accounts:
    return Accounts(dynamodb, clock)


def test_a_key_is_its_modes_prefix_and_32_random_base62_characters():
    keys = {new_key("test") for _ in range(50)} | {new_key("live") for _ in range(50)}
    assert len(keys) == 100
    assert all(re.fullmatch(r"pg_(test|live)_[A-Za-z0-9]{32}", key) for key in keys)


def test_a_key_acts_for_its_account_in_its_mode(accounts):
    account, test, live = accounts.open()
    assert accounts.authorize(test) == Merchant(account, livemode=False)
    assert accounts.authorize(live) == Merchant(account, livemode=True)


@pytest.mark.parametrize(
    "presented",
    [None, "", "pg_test_" + "0" * 32, "pg_live_", "x" * 10_000, "pg_test_\udcff", "' OR 1=1 --"],
)
def test_a_key_that_is_none_of_ours_acts_for_nobody(accounts, presented):
    accounts.open()
    assert accounts.authorize(presented) is None


def test_the_keys_table_holds_no_key_in_clear(accounts):
    _, test, live = accounts.open()
    created = accounts.keys.create(Merchant("acct_other", livemode=False), CreateKeyRequest(name="ci"))[1]
    items = accounts.items()
    stored = json.dumps(items)
    for key in (test, live, created):
        assert key not in stored and key[12:] not in stored  # nor its random part
    keys = [item for item in items if "account_id" in item]  # the others count each account's keys
    assert sorted(item["hash"]["S"] for item in keys) == sorted(key_hash(key) for key in (test, live, created))
    assert {item["hash"]["S"] for item in items if "account_id" not in item} == {
        f"#count:{account}" for account in {item["account_id"]["S"] for item in keys}
    }


def test_a_revoked_key_acts_for_nobody_and_revoking_it_again_changes_nothing(accounts, clock):
    account, test, _ = accounts.open()
    merchant = Merchant(account, livemode=False)
    [key] = accounts.keys.list(merchant)
    revoked = accounts.keys.revoke(merchant, key.id)
    assert revoked.revoked_at == clock()
    clock.advance(minutes=5)
    again = accounts.keys.revoke(merchant, key.id)
    assert (again.revoked_at, again.version) == (revoked.revoked_at, revoked.version)
    assert accounts.authorize(test) is None


def test_a_rolled_key_works_until_its_expiry_and_the_new_one_from_now(accounts, clock):
    account, old, _ = accounts.open()
    merchant = Merchant(account, livemode=False)
    [key] = accounts.keys.list(merchant)
    until = clock() + timedelta(days=7)
    rolled, new = accounts.keys.roll(merchant, key.id, RollKeyRequest(expires_at=until))
    assert (rolled.name, rolled.mode, rolled.expires_at) == (key.name, "test", None)
    assert [k.expires_at for k in accounts.keys.list(merchant) if k.id == key.id] == [until]
    clock.advance(days=7, seconds=-1)
    assert accounts.authorize(old) == accounts.authorize(new) == merchant
    clock.advance(seconds=1)
    assert accounts.authorize(old) is None
    assert accounts.authorize(new) == merchant
    with pytest.raises(ValidationFailed) as expired:
        accounts.keys.roll(merchant, key.id, RollKeyRequest())
    assert (expired.value.code, expired.value.http_status) == ("api_key_inactive", 422)


def test_rolling_without_an_expiry_ends_the_old_key_now_and_a_second_roll_never_lengthens_it(accounts, clock):
    account, old, _ = accounts.open()
    merchant = Merchant(account, livemode=False)
    [key] = accounts.keys.list(merchant)
    accounts.keys.roll(merchant, key.id, RollKeyRequest(expires_at=clock() + timedelta(hours=1)))
    accounts.keys.roll(merchant, key.id, RollKeyRequest(expires_at=clock() + timedelta(days=2)))
    assert [k.expires_at for k in accounts.keys.list(merchant) if k.id == key.id] == [clock() + timedelta(hours=1)]
    newest = next(k for k in accounts.keys.list(merchant) if k.id != key.id)  # one made by a roll
    accounts.keys.roll(merchant, newest.id, RollKeyRequest())
    assert [k.expires_at for k in accounts.keys.list(merchant) if k.id == newest.id] == [clock()]
    assert accounts.authorize(old) is not None  # the first key's overlap is its own


@pytest.mark.parametrize(
    "expires_at",
    [
        "2026-01-08T12:00:01Z",  # more than 7 days on
        "2025-12-31T23:59:59Z",  # in the past
        "2026-01-02T00:00:00",  # no zone
    ],
)
def test_a_roll_whose_expiry_is_out_of_bounds_is_422_naming_it_and_changes_nothing(accounts, expires_at):
    account, _, _ = accounts.open()
    merchant = Merchant(account, livemode=False)
    before = accounts.items()
    [key] = accounts.keys.list(merchant)
    with pytest.raises(ValidationFailed) as refused:
        accounts.keys.roll(merchant, key.id, RollKeyRequest.model_validate({"expires_at": expires_at}))
    assert (refused.value.param, refused.value.http_status) == ("expires_at", 422)
    assert accounts.items() == before


def test_a_key_of_another_account_or_mode_is_not_found_and_untouched(accounts):
    account_a, key_a, live_a = accounts.open("A")
    account_b, _, _ = accounts.open("B")
    b, a_test = Merchant(account_b, livemode=False), Merchant(account_a, livemode=False)
    [a_live_key] = accounts.keys.list(Merchant(account_a, livemode=True))
    [a_test_key] = accounts.keys.list(a_test)
    for merchant, key_id in ((b, a_test_key.id), (a_test, a_live_key.id)):  # B's key; A's test key on A's live key
        with pytest.raises(NotFound) as revoking:
            accounts.keys.revoke(merchant, key_id)
        with pytest.raises(NotFound) as rolling:
            accounts.keys.roll(merchant, key_id, RollKeyRequest())
        for missing in (revoking, rolling):
            assert (missing.value.code, missing.value.http_status) == ("api_key_not_found", 404)
    assert [key.id for key in accounts.keys.list(b)] != [a_test_key.id]
    assert accounts.authorize(key_a) == a_test and accounts.authorize(live_a) == Merchant(account_a, livemode=True)


def test_a_key_lists_and_makes_only_keys_of_its_own_mode(accounts):
    account, _, _ = accounts.open()
    test, live = Merchant(account, livemode=False), Merchant(account, livemode=True)
    record, secret = accounts.keys.create(test, CreateKeyRequest(name="staging"))
    assert secret.startswith("pg_test_") and record.mode == "test"
    assert {key.mode for key in accounts.keys.list(test)} == {"test"}
    assert [key.name for key in accounts.keys.list(live)] == ["first live key"]


def test_an_account_has_at_most_max_keys(accounts):
    account, _, _ = accounts.open()
    merchant = Merchant(account, livemode=False)
    for _ in range(MAX_KEYS - 2):
        accounts.keys.create(merchant, CreateKeyRequest())
    with pytest.raises(ValidationFailed, match="at most 20"):
        accounts.keys.create(merchant, CreateKeyRequest())


def test_a_key_of_a_disabled_account_acts_for_nobody(accounts):
    account, test, _ = accounts.open()
    record = accounts.store.account(account)
    accounts.store.accounts.change(record, lambda current: current.model_copy(update={"status": "disabled"}))
    assert accounts.authorize(test) is None


def test_last_use_is_kept_coarse_at_most_one_write_a_minute(accounts, clock):
    account, test, _ = accounts.open()
    merchant = Merchant(account, livemode=False)

    def shown():
        [key] = accounts.keys.list(merchant)
        return key.last_used_at, key.version

    accounts.authorize(test)
    first = shown()
    assert first[0] == clock()
    clock.advance(seconds=59)
    accounts.authorize(test)
    assert shown() == first
    clock.advance(seconds=1)
    accounts.authorize(test)
    assert shown() == (clock(), first[1] + 1)


def test_the_profile_changes_only_the_fields_given_and_null_clears_one(accounts):
    account, _, _ = accounts.open("Shop")
    merchant = Merchant(account, livemode=True)
    accounts.profiles.update(merchant, UpdateAccountRequest(support_url="https://shop.example/help"))
    changed = accounts.profiles.update(merchant, UpdateAccountRequest.model_validate({"display_name": None}))
    assert (changed.display_name, changed.support_url) == (None, "https://shop.example/help")
    assert accounts.profiles.get(Merchant(account, livemode=False)) == changed  # one profile, both modes


@pytest.mark.parametrize(
    "body",
    [
        {"logo_url": "http://shop.example/logo.png"},
        {"brand_color": "red"},
        {"display_name": "x" * 101},
        {"support_email": "not an address"},
        {"id": "acct_someone_else"},
        {"status": "active"},
    ],
)
def test_a_bad_profile_change_is_refused(body):
    with pytest.raises(ValidationError):
        UpdateAccountRequest.model_validate(body)


def test_an_account_that_does_not_exist_is_404(accounts):
    with pytest.raises(NotFound) as missing:
        accounts.profiles.get(Merchant("acct_nobody", livemode=True))
    assert missing.value.http_status == 404


def test_a_test_key_reaches_only_test_providers_and_a_live_key_only_live_ones(clock):
    # A deployment with every provider live but the sandbox, then with payop pointed at its own sandbox
    live = factories.registry(
        clock, config=factories.settings(enabled_providers=["sandbox", "payop"], test_providers=[])
    )
    request = CreatePaymentRequest(amount="10.00", currency="EUR", customer_email="payer@example.com")
    for provider, livemode in (("payop", False), ("sandbox", True)):
        with pytest.raises(ValidationFailed) as mismatch:
            live.route(request.model_copy(update={"provider": provider}), livemode=livemode)
        assert (mismatch.value.code, mismatch.value.http_status, mismatch.value.param) == (
            "provider_mode_mismatch",
            422,
            "provider",
        )
    assert [p.name for p in live.route(request, livemode=False)] == ["sandbox"]
    assert [p.name for p in live.route(request, livemode=True)] == ["payop"]
    pointed = factories.registry(
        clock, config=factories.settings(enabled_providers=["sandbox", "payop"], test_providers=["payop"])
    )
    assert [p.name for p in pointed.route(request, livemode=False)] == ["sandbox", "payop"]
    with pytest.raises(ValidationFailed, match="no enabled provider"):
        pointed.route(request, livemode=True)


def test_lists_never_mix_an_accounts_test_and_live_payments(dynamodb):
    test, live = Merchant("acct_a", livemode=False), Merchant("acct_a", livemode=True)
    payments = PaymentStore(TABLES["PaymentsTable"], dynamodb)
    for merchant, provider_payment_id in ((test, "t1"), (test, "t2"), (live, "l1")):
        payments.insert(
            factories.record(
                account_id=merchant.scope, livemode=merchant.livemode, provider_payment_id=provider_payment_id
            )
        )
    listed = ListPayments(payments)
    for merchant, expected in ((test, {"t1", "t2"}), (live, {"l1"})):
        page = listed(PaymentQuery(limit=100), account_id=merchant.scope)
        assert {p.provider_payment_id for p in page.records} == expected
        assert {p.livemode for p in page.records} == {merchant.livemode}


def test_a_last_use_that_cannot_be_written_never_refuses_the_key(accounts, monkeypatch):
    account, test, _ = accounts.open()

    def throttled(*args, **kwargs):
        raise accounts.client.exceptions.ProvisionedThroughputExceededException(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "PutItem"
        )

    monkeypatch.setattr(accounts.store.keys, "write", throttled)
    assert accounts.authorize(test) == Merchant(account, livemode=False)
