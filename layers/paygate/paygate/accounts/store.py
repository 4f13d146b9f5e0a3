"""The accounts and API keys tables.

- Accounts: key `id`; the profile a merchant keeps.
- API keys: key `hash` (the SHA-256 of the key: a presented key is found with one consistent read, and no
  key is ever stored in clear); GSI `by-account` (`account_id`, `created_at`) lists an account's keys;
  an item per account (`#count:<account>`, outside the index) counts them, written in each key's
  transaction.

Both are written only through the versioned write (paygate.store.versioned)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from paygate.accounts.models import AccountRecord, ApiKeyRecord
from paygate.models import Versioned, utcnow
from paygate.store.versioned import VersionedTable

BY_ACCOUNT = "by-account"
# The item counting an account's keys: `hash` is this and the account's id (a key's hash is hex).
COUNTER_PREFIX = "#count:"


class AccountStore:
    def __init__(self, accounts_table: str, keys_table: str, client: Any, *, clock: Callable[[], datetime] = utcnow):
        self.accounts = VersionedTable(client, accounts_table, AccountRecord, clock=clock)
        self.keys = VersionedTable(client, keys_table, ApiKeyRecord, key=("hash",), clock=clock)

    def account(self, account_id: str) -> AccountRecord | None:
        return self.accounts.get({"id": {"S": account_id}})

    def key(self, hash_: str) -> ApiKeyRecord | None:
        return self.keys.get({"hash": {"S": hash_}})

    def keys_of(self, account_id: str) -> list[ApiKeyRecord]:
        """The account's keys, newest first (an account has a few: every one is read)."""
        return _every(
            self.keys,
            "query",
            IndexName=BY_ACCOUNT,
            KeyConditionExpression="account_id = :account",
            ExpressionAttributeValues={":account": {"S": account_id}},
            ScanIndexForward=False,
        )

    def insert_key(self, record: ApiKeyRecord, *, at_most: int | None = None) -> bool:
        """Write a new key and count it on its account, in one transaction: False when the account has
        `at_most` keys already (None: no limit, counted all the same); AlreadyExists when it is there."""
        counter = {"hash": {"S": f"{COUNTER_PREFIX}{record.account_id}"}}  # not a key: no account_id, not listed
        found = len(self.keys_of(record.account_id))  # an account from before the count starts here
        return self.keys.insert_counted(record, counter, found=found, at_most=at_most)

    def every_account(self) -> list[AccountRecord]:
        """Every account, in no order: what an operator lists (a scan, never on a request's path)."""
        return _every(self.accounts, "scan")


def _every[R: Versioned](table: VersionedTable[R], operation: str, **request: Any) -> list[R]:
    """Every record a query or a scan finds, page after page."""
    found: list[R] = []
    start: dict | None = None
    while True:
        after = {"ExclusiveStartKey": start} if start else {}
        answer = table.call(operation, TableName=table.name, **request, **after)
        found += [table.decode(item) for item in answer["Items"]]
        start = answer.get("LastEvaluatedKey")
        if not start:
            return found
