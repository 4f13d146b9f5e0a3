"""The webhook tables, and the only code of the webhooks that touches DynamoDB.

- Endpoints: key (`account_id`, `id`): an account's endpoints are one Query.
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
from paygate.webhooks.models import DeliveryRecord, EndpointRecord

BY_ENDPOINT = "by-endpoint"
DUE_DELIVERIES = "due-deliveries"
DELIVERY_LOG_DAYS = 30
_DERIVED = frozenset({"created_key", "due_shard", "next_attempt_epoch", "expires_epoch"})


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

    def endpoints_of(self, account_id: str, limit: int = 100) -> list[EndpointRecord]:
        answer = self.endpoints.call(
            "query",
            TableName=self.endpoints.name,
            KeyConditionExpression="account_id = :account",
            ExpressionAttributeValues={":account": {"S": account_id}},
            ConsistentRead=True,
            Limit=limit,
        )
        return [self.endpoints.decode(item) for item in answer["Items"]]

    def all_endpoints(self) -> Iterator[EndpointRecord]:
        """Every endpoint of every account: an operator's scan (scripts/), never on a request's path."""
        for page in self.client.get_paginator("scan").paginate(TableName=self.endpoints.name, ConsistentRead=True):
            yield from (self.endpoints.decode(item) for item in page["Items"])

    def delete_endpoint(self, account_id: str, endpoint_id: str) -> None:
        key = {"account_id": {"S": account_id}, "id": {"S": endpoint_id}}
        self.endpoints.call("delete_item", TableName=self.endpoints.name, Key=key)

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
