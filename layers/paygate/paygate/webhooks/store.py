"""The webhook tables, and the only code of the webhooks that touches DynamoDB.

- Endpoints: key (`account_id`, `id`): an account's endpoints are one Query; beside them, the item that
  counts them (`id` `#count`), written in the same transaction as each registration and removal.
- Deliveries: key `id`; GSI `by-endpoint` (`endpoint_id`, `created_key`) for an endpoint's delivery log,
  newest first; sparse GSI `due-deliveries` (`due_shard`, `next_attempt_epoch`) holding the deliveries
  still to be attempted, which the scheduled run reads (its cost follows what is due, not the table);
  TTL on `expires_epoch`: the log is kept 30 days.

Both are written only through the versioned write (paygate.store.versioned)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from paygate.models import utcnow
from paygate.store.keys import shard, time_key
from paygate.store.versioned import AlreadyExists, VersionedTable, from_item, to_item
from paygate.webhooks.models import ENDPOINT_ID_PREFIX, DeliveryRecord, EndpointRecord

BY_ENDPOINT = "by-endpoint"
DUE_DELIVERIES = "due-deliveries"
DELIVERY_LOG_DAYS = 30
_DERIVED = frozenset({"created_key", "due_shard", "next_attempt_epoch", "expires_epoch"})
# The item of an account's endpoints that counts them (an endpoint's id always starts ENDPOINT_ID_PREFIX).
COUNTER_ID = "#count"


class WebhookStore:
    def __init__(
        self,
        endpoints_table: str,
        deliveries_table: str,
        client: Any,
        *,
        due_shards: int = 4,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.client = client
        self.due_shards = due_shards
        self.endpoints = VersionedTable(client, endpoints_table, EndpointRecord, key=("account_id", "id"), clock=clock)
        self.deliveries = VersionedTable(
            client,
            deliveries_table,
            DeliveryRecord,
            clock=clock,
            encode=self._delivery_item,
            decode=lambda item: DeliveryRecord.model_validate(from_item(item, leave_out=_DERIVED)),
        )

    # --- endpoints -----------------------------------------------------------------------------------

    def endpoint(self, account_id: str, endpoint_id: str) -> EndpointRecord | None:
        return self.endpoints.get({"account_id": {"S": account_id}, "id": {"S": endpoint_id}})

    def endpoints_of(self, account_id: str) -> list[EndpointRecord]:
        """Every endpoint of the account, all pages read: a fan-out reaches each one."""
        found, start_key = [], None
        while True:
            answer = self.endpoints.call(
                "query",
                TableName=self.endpoints.name,
                KeyConditionExpression="account_id = :account AND begins_with(id, :endpoint)",
                ExpressionAttributeValues={":account": {"S": account_id}, ":endpoint": {"S": ENDPOINT_ID_PREFIX}},
                ConsistentRead=True,
                **({"ExclusiveStartKey": start_key} if start_key else {}),
            )
            found += [self.endpoints.decode(item) for item in answer["Items"]]
            start_key = answer.get("LastEvaluatedKey")
            if not start_key:
                return found

    def all_endpoints(self) -> Iterator[EndpointRecord]:
        """Every endpoint of every account: an operator's scan (scripts/), never on a request's path."""
        for page in self.client.get_paginator("scan").paginate(TableName=self.endpoints.name, ConsistentRead=True):
            yield from (self.endpoints.decode(item) for item in page["Items"] if item["id"]["S"] != COUNTER_ID)

    def insert_endpoint(self, endpoint: EndpointRecord, *, at_most: int) -> bool:
        """Write a new endpoint and count it, in one transaction: False when the account has `at_most`."""
        counter = self._counter_key(endpoint.account_id)
        found = len(self.endpoints_of(endpoint.account_id))  # an account from before the count starts here
        return self.endpoints.insert_counted(endpoint, counter, found=found, at_most=at_most)

    def delete_endpoint(self, account_id: str, endpoint_id: str) -> None:
        key = {"account_id": {"S": account_id}, "id": {"S": endpoint_id}}
        self.endpoints.delete_counted(key, self._counter_key(account_id))

    def _counter_key(self, account_id: str) -> dict[str, Any]:
        return {"account_id": {"S": account_id}, "id": {"S": COUNTER_ID}}

    # --- deliveries ----------------------------------------------------------------------------------

    def insert_delivery(self, delivery: DeliveryRecord) -> bool:
        """False when it is there already (the same event for the same endpoint, delivered twice to us)."""
        try:
            self.deliveries.insert(delivery)
        except AlreadyExists:
            return False
        return True

    def delivery(self, delivery_id: str) -> DeliveryRecord | None:
        return self.deliveries.get({"id": {"S": delivery_id}})

    def deliveries_of(self, endpoint_id: str, *, limit: int = 20) -> list[DeliveryRecord]:
        """An endpoint's delivery log, newest first."""
        answer = self.deliveries.call(
            "query",
            TableName=self.deliveries.name,
            IndexName=BY_ENDPOINT,
            KeyConditionExpression="endpoint_id = :endpoint",
            ExpressionAttributeValues={":endpoint": {"S": endpoint_id}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [self.deliveries.decode(item) for item in answer["Items"]]

    def due_delivery_ids(
        self, shard_number: int, now: datetime, *, limit: int = 100, start_key: dict | None = None
    ) -> tuple[list[str], dict | None]:
        query: dict[str, Any] = {
            "TableName": self.deliveries.name,
            "IndexName": DUE_DELIVERIES,
            "KeyConditionExpression": "due_shard = :shard AND next_attempt_epoch <= :now",
            "ExpressionAttributeValues": {
                ":shard": {"S": str(shard_number)},
                ":now": {"N": str(int(now.timestamp()))},
            },
            "Limit": limit,
        }
        if start_key:
            query["ExclusiveStartKey"] = start_key
        answer = self.deliveries.call("query", **query)
        return [item["id"]["S"] for item in answer["Items"]], answer.get("LastEvaluatedKey")

    # --- mapping -------------------------------------------------------------------------------------

    def _delivery_item(self, delivery: DeliveryRecord) -> dict[str, Any]:
        data = delivery.model_dump(mode="json", exclude_none=True)
        data["created_key"] = f"{time_key(delivery.created_at)}#{delivery.id}"
        data["expires_epoch"] = int((delivery.created_at + timedelta(days=DELIVERY_LOG_DAYS)).timestamp())
        if delivery.status == "pending" and delivery.next_attempt_at is not None:
            data["due_shard"] = str(shard(delivery.id, self.due_shards))
            data["next_attempt_epoch"] = int(delivery.next_attempt_at.timestamp())
        return to_item(data)
