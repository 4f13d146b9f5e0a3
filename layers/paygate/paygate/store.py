"""The only code that touches DynamoDB: one item per payment (a PaymentRecord) in the payments table."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from paygate.models import PaymentRecord

BY_PROVIDER_PAYMENT = "by-provider-payment"
DUE_CHECKS = "due-checks"

_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


class VersionConflict(Exception):
    """Another writer changed the payment first: re-read it and decide again."""


class AlreadyExists(Exception):
    pass


class PaymentStore:
    def __init__(self, table_name: str, client: Any, *, due_shards: int = 4):
        self.table_name = table_name
        self.client = client
        self.due_shards = due_shards
        # Capacity units consumed through this store, summed; read by benchmarks and tests.
        self.consumed_capacity = 0.0

    # --- reads ---------------------------------------------------------------------------------

    def get(self, payment_id: str) -> PaymentRecord | None:
        answer = self._call("get_item", TableName=self.table_name, Key={"id": {"S": payment_id}}, ConsistentRead=True)
        return record_from_item(answer["Item"]) if "Item" in answer else None

    def find_by_provider_id(self, provider: str, provider_payment_id: str) -> PaymentRecord | None:
        answer = self._call(
            "query",
            TableName=self.table_name,
            IndexName=BY_PROVIDER_PAYMENT,
            KeyConditionExpression="provider_key = :key",
            ExpressionAttributeValues={":key": {"S": f"{provider}#{provider_payment_id}"}},
            Limit=1,
        )
        # The index is eventually consistent and holds keys only: read the item itself consistently.
        return self.get(answer["Items"][0]["id"]["S"]) if answer["Items"] else None

    def due_ids(
        self, shard: int, now: datetime, *, limit: int = 100, start_key: dict | None = None
    ) -> tuple[list[str], dict | None]:
        """Ids of one shard's payments whose next check is due, a page at a time."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": DUE_CHECKS,
            "KeyConditionExpression": "due_shard = :shard AND due_at <= :now",
            "ExpressionAttributeValues": {":shard": {"S": str(shard)}, ":now": {"N": str(int(now.timestamp()))}},
            "Limit": limit,
        }
        if start_key:
            query["ExclusiveStartKey"] = start_key
        answer = self._call("query", **query)
        return [item["id"]["S"] for item in answer["Items"]], answer.get("LastEvaluatedKey")

    # --- writes --------------------------------------------------------------------------------

    def insert(self, record: PaymentRecord) -> None:
        try:
            self._call(
                "put_item",
                TableName=self.table_name,
                Item=self._to_item(record),
                ConditionExpression="attribute_not_exists(id)",
            )
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise AlreadyExists(record.id) from error

    def replace(self, record: PaymentRecord, *, expected_version: int) -> None:
        """Write the record over the stored one if that one is still at `expected_version`, else
        VersionConflict (another writer got there first)."""
        try:
            self._call(
                "put_item",
                TableName=self.table_name,
                Item=self._to_item(record),
                ConditionExpression="version = :expected",
                ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise VersionConflict(record.id) from error

    # --- mapping -------------------------------------------------------------------------------

    def _to_item(self, record: PaymentRecord) -> dict[str, Any]:
        data = record.model_dump(mode="json", exclude_none=True)
        if record.provider_payment_id:
            data["provider_key"] = f"{record.provider}#{record.provider_payment_id}"
        if record.due_at is not None:
            data["due_shard"] = str(zlib.crc32(record.id.encode()) % self.due_shards)
            data["due_at"] = int(record.due_at.timestamp())
        return {key: _serialize(value) for key, value in data.items()}

    def _call(self, operation: str, **kwargs: Any) -> dict:
        answer = getattr(self.client, operation)(ReturnConsumedCapacity="TOTAL", **kwargs)
        self.consumed_capacity += float(answer.get("ConsumedCapacity", {}).get("CapacityUnits", 0))
        return answer


def record_from_item(item: dict[str, Any]) -> PaymentRecord:
    """A payment record from its DynamoDB item (also the form of the table stream's images). The index
    keys derived in `_to_item` are dropped: they are the store's, not the record's."""
    data = {key: _deserialize(value) for key, value in item.items() if key not in _INDEX_KEYS}
    data["version"] = int(data["version"])
    if "due_at" in item:
        data["due_at"] = datetime.fromtimestamp(int(data["due_at"]), UTC)
    return PaymentRecord.model_validate(data)


_INDEX_KEYS = {"provider_key", "due_shard"}
