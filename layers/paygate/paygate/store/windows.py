"""A provider's payments of a time window, from the payments table's `by-provider-created` index: one
partition a day (`<provider>#<YYYY-MM-DD>`, see paygate.store.keys), sorted by creation time. Reconciliation
reads a window of one provider through it, whatever the account."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from paygate.models import PaymentRecord
from paygate.status import TERMINAL
from paygate.store.keys import time_key
from paygate.store.payments import PaymentStore

BY_PROVIDER_CREATED = "by-provider-created"
PAGE = 100


def open_payments(
    store: PaymentStore, provider: str, created_gte: datetime, created_lt: datetime, *, account_id: str | None = None
) -> Iterator[list[PaymentRecord]]:
    """The provider's payments not final yet, created in [created_gte, created_lt) (only `account_id`'s, if
    given), a page at a time, day partition after day partition."""
    finals = {f":final{i}": {"S": status.value} for i, status in enumerate(sorted(TERMINAL))}
    filters = ["NOT #status IN (" + ", ".join(finals) + ")"]
    names = {"#status": "status"}
    values: dict[str, Any] = {":lower": {"S": time_key(created_gte)}, ":upper": {"S": time_key(created_lt)}, **finals}
    if account_id is not None:
        filters.append("#account = :account")
        names["#account"], values[":account"] = "account_id", {"S": account_id}
    first, last = created_gte.astimezone(UTC).date(), created_lt.astimezone(UTC).date()
    for day in (first + timedelta(days=offset) for offset in range((last - first).days + 1)):
        request: dict[str, Any] = {
            "TableName": store.table_name,
            "IndexName": BY_PROVIDER_CREATED,
            # Keys are "<time>#<id>": those created before `created_lt` sort before its bare time.
            "KeyConditionExpression": "provider_day = :day AND created_key BETWEEN :lower AND :upper",
            "FilterExpression": " AND ".join(filters),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {**values, ":day": {"S": f"{provider}#{day.isoformat()}"}},
            "Limit": PAGE,
        }
        while True:
            answer = store.table.call("query", **request)
            if answer["Items"]:
                yield store.records([item["id"]["S"] for item in answer["Items"]])
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
