"""The reconciliation differences table: what reconciliation found and could not repair, one item per
payment (or provider payment) and kind of difference, under the account it belongs to.

Key: `account_id` (partition; `-` for a provider payment Paygate does not know, which belongs to no
account) and `id` (sort), the same id for the same difference: a daily run that finds it again updates
`seen_at` and `detail`, never adds a second one, and keeps the `found_at` of the first run."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from paygate.reconciliation import Difference
from paygate.store.versioned import from_item, to_item

NO_ACCOUNT = "-"


def difference_id(provider: str, subject: str, kind: str) -> str:
    """The same id for the same difference of the same payment, run after run."""
    return "dif_" + hashlib.sha256(f"{provider}|{subject}|{kind}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class DifferencePage:
    data: list[Difference]
    has_more: bool
    next_starting_after: str | None


class DifferenceStore:
    def __init__(self, table_name: str, client: Any):
        self.table_name = table_name
        self.client = client

    def record(self, difference: Difference, *, account_id: str | None) -> None:
        """Write it, or, found again, update what it says now (its `found_at` stays the first run's)."""
        item = to_item(difference.model_dump(mode="json", exclude={"found_at"}, exclude_none=True))
        names = {f"#{name}": name for name in item}
        values = {f":{name}": value for name, value in item.items()}
        sets = [f"#{name} = :{name}" for name in item if name != "id"]
        sets.append("found_at = if_not_exists(found_at, :found_at)")
        values[":found_at"] = {"S": difference.found_at.isoformat()}
        names.pop("#id")
        values.pop(":id")
        self.client.update_item(
            TableName=self.table_name,
            Key={"account_id": {"S": account_id or NO_ACCOUNT}, "id": {"S": difference.id}},
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def list_page(self, account_id: str, *, limit: int, starting_after: str | None = None) -> DifferencePage:
        """One page of an account's differences, in the order of their ids (stable: a cursor is an id)."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "account_id = :account",
            "ExpressionAttributeValues": {":account": {"S": account_id}},
            "Limit": limit + 1,
        }
        if starting_after:
            request["ExclusiveStartKey"] = {"account_id": {"S": account_id}, "id": {"S": starting_after}}
        items = self.client.query(**request)["Items"]
        data = [_difference(item) for item in items[:limit]]
        has_more = len(items) > limit
        return DifferencePage(data, has_more, data[-1].id if has_more and data else None)


def _difference(item: dict[str, Any]) -> Difference:
    return Difference.model_validate(from_item(item, leave_out=frozenset({"account_id"})))
