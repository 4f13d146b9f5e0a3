"""The accounts and API keys tables.

- Accounts: key `id`; the profile a merchant keeps.
- API keys: key `hash` (the SHA-256 of the key: a presented key is found with one consistent read, and no
  key is ever stored in clear); GSI `by-account` (`account_id`, `created_at`) lists an account's keys.

Both are written only through the versioned write (paygate.store.versioned)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from paygate.accounts.models import AccountRecord, ApiKeyRecord
from paygate.models import Versioned, utcnow
from paygate.store.versioned import VersionedTable

BY_ACCOUNT = "by-account"


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
