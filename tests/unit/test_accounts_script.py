"""scripts/accounts.py against a deployed stack's tables (moto): an operator opens an account and hands
over its keys, which the authorizer takes; lists show every key but never one's secret; a revoked key is
refused; and what cannot be done is said, with nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from paygate import service
from paygate.accounts.models import Merchant
from tests.operators import deployed_stack, script


class Admin:
    """Runs the command on the stack (with --json unless told otherwise): answers what it printed (the
    JSON read), and keeps what it said on stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str]):
        self.capsys, self.command, self.err = capsys, script("accounts"), ""

    def __call__(self, command: str, *args: str, json_output: bool = True) -> Any:
        self.command.main([command, "--stack", "paygate", *(["--json"] if json_output else []), *args])
        printed = self.capsys.readouterr()
        self.err = printed.err
        return json.loads(printed.out) if json_output else printed.out


@pytest.fixture
def admin(dynamodb, capsys) -> Iterator[Admin]:
    deployed_stack()
    service.reset()
    yield Admin(capsys)
    service.reset()


def opened(admin: Admin, *args: str) -> tuple[str, dict[str, str]]:
    """A new account's id and its first keys' secrets by mode."""
    answer = admin("open", "--name", "Shop", *args)
    return answer["account"]["id"], {key["mode"]: key["secret"] for key in answer["keys"]}


def test_open_issues_a_test_and_a_live_key_that_the_authorizer_takes(admin):
    answer = admin("open", "--name", "Shop", "--support-email", "help@shop.example")
    account = answer["account"]
    assert (account["display_name"], account["support_email"], account["status"]) == (
        "Shop",
        "help@shop.example",
        "active",
    )
    assert account["id"].startswith("acct_")
    keys = {key["mode"]: key for key in answer["keys"]}
    assert keys["test"]["secret"].startswith("pg_test_") and keys["live"]["secret"].startswith("pg_live_")
    authorize = service.authorize()
    assert authorize(keys["test"]["secret"]) == Merchant(account["id"], livemode=False)
    assert authorize(keys["live"]["secret"]) == Merchant(account["id"], livemode=True)


def test_the_keys_are_printed_once_with_a_warning(admin):
    text = admin("open", "--name", "Shop", "--account-id", "shop-1", json_output=False)
    assert "shown only now" in admin.err
    assert text.startswith("Opened account shop-1 (Shop)")
    assert text.count("pg_test_") == text.count("pg_live_") == 1


def test_the_lists_show_every_key_but_never_a_secret(admin):
    account_id, secrets = opened(admin, "--account-id", "shop-1")
    admin("issue", account_id, "--mode", "live", "--name", "checkout")
    listed = admin("keys", account_id)
    assert sorted(key["mode"] for key in listed) == ["live", "live", "test"]
    assert {key["name"] for key in listed} == {"first key", "checkout"}
    for key in listed:
        assert "secret" not in key and "hash" not in key and "account_id" not in key
        assert key["id"].startswith("key_") and key["shown"].startswith(f"pg_{key['mode']}_")
    text = admin("keys", account_id, json_output=False)
    assert "STARTS WITH" in text.splitlines()[0] and "LAST USED" in text and "REVOKED" in text
    assert all(secret not in text for secret in secrets.values())
    assert [account["id"] for account in admin("accounts")] == ["shop-1"]
    assert "shop-1" in admin("accounts", json_output=False)


def test_an_issued_key_works_and_a_revoked_one_is_refused(admin):
    account_id, secrets = opened(admin)
    issued = admin("issue", account_id, "--mode", "test", "--name", "staging")
    authorize = service.authorize()
    assert authorize(issued["secret"]) == Merchant(account_id, livemode=False)
    revoked = admin("revoke", account_id, issued["id"])
    assert revoked["revoked_at"] and "secret" not in revoked
    assert authorize(issued["secret"]) is None
    # revoking it again changes nothing; the account's other keys work on
    assert admin("revoke", account_id, issued["id"])["revoked_at"] == revoked["revoked_at"]
    assert authorize(secrets["test"]) == Merchant(account_id, livemode=False)
    assert [key["revoked_at"] is not None for key in admin("keys", account_id)].count(True) == 1


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["issue", "acct_missing", "--mode", "live"], "No such account"),
        (["keys", "acct_missing"], "No such account"),
        (["revoke", "acct_missing", "key_1"], "No such account"),
        (["open", "--name", "Shop", "--support-email", "not an address"], "support_email"),
        (["open", "--name", "Shop", "--account-id", "shop:test"], "--account-id"),
    ],
)
def test_what_cannot_be_done_is_said_and_nothing_is_written(admin, command, said):
    with pytest.raises(SystemExit) as refused:
        admin(*command)
    assert said in str(refused.value)
    assert admin("accounts") == []


def test_an_account_is_opened_once(admin):
    opened(admin, "--account-id", "shop-1")
    with pytest.raises(SystemExit, match="exists already"):
        admin("open", "--name", "Again", "--account-id", "shop-1")
    assert len(admin("keys", "shop-1")) == 2


def test_a_key_of_another_account_is_not_found(admin):
    first, _ = opened(admin)
    second, _ = opened(admin)
    [key, *_] = admin("keys", first)
    with pytest.raises(SystemExit, match="has no API key"):
        admin("revoke", second, key["id"])
    assert admin("keys", first)[0]["revoked_at"] is None
