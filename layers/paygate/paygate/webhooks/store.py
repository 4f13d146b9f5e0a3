"""The webhook tables, and the only code of the webhooks that touches DynamoDB.

- Endpoints: key (`account_id`, `id`): an account's endpoints are one Query.
- Deliveries: key `id`; GSI `by-endpoint` (`endpoint_id`, `created_key`) for an endpoint's delivery log,
  newest first; sparse GSI `due-deliveries` (`due_shard`, `next_attempt_epoch`) holding the deliveries
  still to be attempted, which the scheduled run reads (its cost follows what is due, not the table);
  TTL on `expires_epoch`: the log is kept 30 days."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from paygate.store import AlreadyExists, VersionConflict
from paygate.webhooks.models import DeliveryRecord, EndpointRecord

BY_ENDPOINT = "by-endpoint"
DUE_DELIVERIES = "due-deliveries"
DELIVERY_LOG_DAYS = 30
_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize
_DERIVED = {"created_key", "due_shard", "next_attempt_epoch", "expires_epoch"}


class WebhookStore:
    def __init__(self, endpoints_table: str, deliveries_table: str, client: Any, *, due_shards: int = 4):
        self.endpoints_table = endpoints_table
        self.deliveries_table = deliveries_table
        self.client = client
        self.due_shards = due_shards

    # --- endpoints -----------------------------------------------------------------------------------

    def insert_endpoint(self, endpoint: EndpointRecord) -> None:
        self._put(self.endpoints_table, _item(endpoint), expected_version=None, conflict=AlreadyExists(endpoint.id))

    def endpoint(self, account_id: str, endpoint_id: str) -> EndpointRecord | None:
        key = {"account_id": {"S": account_id}, "id": {"S": endpoint_id}}
        answer = self.client.get_item(TableName=self.endpoints_table, Key=key, ConsistentRead=True)
        return EndpointRecord.model_validate(_data(answer["Item"])) if "Item" in answer else None

    def endpoints(self, account_id: str, limit: int = 100) -> list[EndpointRecord]:
        answer = self.client.query(
            TableName=self.endpoints_table,
            KeyConditionExpression="account_id = :account",
            ExpressionAttributeValues={":account": {"S": account_id}},
            ConsistentRead=True,
            Limit=limit,
        )
        return [EndpointRecord.model_validate(_data(item)) for item in answer["Items"]]

    def replace_endpoint(self, endpoint: EndpointRecord, *, expected_version: int) -> None:
        item = _item(endpoint)
        self._put(self.endpoints_table, item, expected_version=expected_version, conflict=VersionConflict(endpoint.id))

    def delete_endpoint(self, account_id: str, endpoint_id: str) -> None:
        key = {"account_id": {"S": account_id}, "id": {"S": endpoint_id}}
        self.client.delete_item(TableName=self.endpoints_table, Key=key)

    # --- deliveries ----------------------------------------------------------------------------------

    def insert_delivery(self, delivery: DeliveryRecord) -> bool:
        """False when it is there already (the same event for the same endpoint, delivered twice to us)."""
        try:
            self._put(self.deliveries_table, self._delivery_item(delivery), expected_version=None)
        except AlreadyExists:
            return False
        return True

    def delivery(self, delivery_id: str) -> DeliveryRecord | None:
        answer = self.client.get_item(
            TableName=self.deliveries_table, Key={"id": {"S": delivery_id}}, ConsistentRead=True
        )
        return DeliveryRecord.model_validate(_data(answer["Item"])) if "Item" in answer else None

    def replace_delivery(self, delivery: DeliveryRecord, *, expected_version: int) -> None:
        item = self._delivery_item(delivery)
        self._put(self.deliveries_table, item, expected_version=expected_version, conflict=VersionConflict(delivery.id))

    def deliveries_of(self, endpoint_id: str, *, limit: int = 20) -> list[DeliveryRecord]:
        """An endpoint's delivery log, newest first."""
        answer = self.client.query(
            TableName=self.deliveries_table,
            IndexName=BY_ENDPOINT,
            KeyConditionExpression="endpoint_id = :endpoint",
            ExpressionAttributeValues={":endpoint": {"S": endpoint_id}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [DeliveryRecord.model_validate(_data(item)) for item in answer["Items"]]

    def due_delivery_ids(
        self, shard: int, now: datetime, *, limit: int = 100, start_key: dict | None = None
    ) -> tuple[list[str], dict | None]:
        query: dict[str, Any] = {
            "TableName": self.deliveries_table,
            "IndexName": DUE_DELIVERIES,
            "KeyConditionExpression": "due_shard = :shard AND next_attempt_epoch <= :now",
            "ExpressionAttributeValues": {":shard": {"S": str(shard)}, ":now": {"N": str(int(now.timestamp()))}},
            "Limit": limit,
        }
        if start_key:
            query["ExclusiveStartKey"] = start_key
        answer = self.client.query(**query)
        return [item["id"]["S"] for item in answer["Items"]], answer.get("LastEvaluatedKey")

    # --- mapping -------------------------------------------------------------------------------------

    def _delivery_item(self, delivery: DeliveryRecord) -> dict[str, Any]:
        item = _item(delivery)
        created = delivery.created_at.astimezone(UTC)
        item["created_key"] = _serialize(f"{created.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{delivery.id}")
        item["expires_epoch"] = _serialize(int((created + timedelta(days=DELIVERY_LOG_DAYS)).timestamp()))
        if delivery.status == "pending" and delivery.next_attempt_at is not None:
            item["due_shard"] = _serialize(str(zlib.crc32(delivery.id.encode()) % self.due_shards))
            item["next_attempt_epoch"] = _serialize(int(delivery.next_attempt_at.timestamp()))
        return item

    def _put(self, table: str, item: dict, *, expected_version: int | None, conflict: Exception | None = None) -> None:
        """Write a new item (expected_version None: none may exist) or replace the one still at
        `expected_version`; raise `conflict` (AlreadyExists by default) when the condition fails."""
        arguments: dict[str, Any] = {"TableName": table, "Item": item}
        if expected_version is None:
            arguments["ConditionExpression"] = "attribute_not_exists(id)"
        else:
            arguments["ConditionExpression"] = "version = :expected"
            arguments["ExpressionAttributeValues"] = {":expected": {"N": str(expected_version)}}
        try:
            self.client.put_item(**arguments)
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise (conflict or AlreadyExists(item["id"]["S"])) from error


def _item(model: EndpointRecord | DeliveryRecord) -> dict[str, Any]:
    return {key: _serialize(value) for key, value in model.model_dump(mode="json", exclude_none=True).items()}


def _data(item: dict[str, Any]) -> dict[str, Any]:
    data = {key: _deserialize(value) for key, value in item.items() if key not in _DERIVED}
    data["version"] = int(data["version"])
    return data
