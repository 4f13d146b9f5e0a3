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
from paygate.models import utcnow
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
        found: list[ApiKeyRecord] = []
        start: dict | None = None
        while True:
            query: dict[str, Any] = {
                "TableName": self.keys.name,
                "IndexName": BY_ACCOUNT,
                "KeyConditionExpression": "account_id = :account",
                "ExpressionAttributeValues": {":account": {"S": account_id}},
                "ScanIndexForward": False,
            }
            if start:
                query["ExclusiveStartKey"] = start
            answer = self.keys.call("query", **query)
            found += [self.keys.decode(item) for item in answer["Items"]]
            start = answer.get("LastEvaluatedKey")
            if not start:
                return found
