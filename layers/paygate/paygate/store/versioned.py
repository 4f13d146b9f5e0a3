"""The one way Paygate writes what it keeps: a versioned record, put only while the stored one is still
the version that was read.

Every record kept in DynamoDB (a payment, a webhook endpoint, a delivery) is a `Versioned` model.
`VersionedTable.write` is the only code that moves its `version` (by one, on every write) and its
`updated_at` (the write's time), and its condition (`version = <the version read>`) is what makes two
writers unable to both win. `change` is the one retry policy: decide on the record as read,
write; when another writer got there first, read again (consistently) and decide again, at most
MAX_WRITE_ATTEMPTS times, then `Busy` (409: the caller may simply ask again)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from paygate import correlation
from paygate.errors import Busy
from paygate.models import Versioned, utcnow

MAX_WRITE_ATTEMPTS = 25

_serialize = TypeSerializer().serialize


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


_deserialize = TypeDeserializer().deserialize


def _correlated[R: Versioned](record: R) -> R:
    """The record stamped with the id of the work writing it, when that is known."""
    working_for = correlation.current()
    return record.model_copy(update={"correlation_id": working_for}) if working_for else record


class VersionConflict(Exception):
    """Another writer changed the record first: read it again and decide again."""


class AlreadyExists(Exception):
    pass


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Plain values as DynamoDB attributes (floats as the Decimals DynamoDB's numbers are)."""
    return {key: _serialize(_exact(value)) for key, value in data.items()}


def from_item(item: dict[str, Any], *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """DynamoDB attributes as plain values (whole numbers as ints), less the attributes in `leave_out`."""
    return {key: _plain(_deserialize(value)) for key, value in item.items() if key not in leave_out}


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: _exact(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_exact(inner) for inner in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


class VersionedTable[R: Versioned]:
    """One table of `model` records, keyed by the attributes `key`.

    `encode` and `decode` map a record to its item and back; by default its fields as they dump to JSON.
    A store whose indexes need attributes of their own derives them in `encode` and drops them in `decode`."""

    def __init__(
        self,
        client: Any,
        name: str,
        model: type[R],
        *,
        key: tuple[str, ...] = ("id",),
        clock: Callable[[], datetime] = utcnow,
        encode: Callable[[R], dict[str, Any]] | None = None,
        decode: Callable[[dict[str, Any]], R] | None = None,
    ):
        self.client, self.name, self.model, self.key, self.clock = client, name, model, key, clock
        self.encode = encode or (lambda record: to_item(record.model_dump(mode="json", exclude_none=True)))
        self.decode = decode or (lambda item: model.model_validate(from_item(item)))
        # Capacity units consumed through this table, summed; read by benchmarks and tests.
        self.consumed_capacity = 0.0

    def key_of(self, record: R) -> dict[str, Any]:
        return {name: _serialize(getattr(record, name)) for name in self.key}

    def get(self, key: dict[str, Any]) -> R | None:
        """The record with `key` (attribute values, `{"id": {"S": ...}}`), read consistently."""
        answer = self.call("get_item", TableName=self.name, Key=key, ConsistentRead=True)
        return self.decode(answer["Item"]) if "Item" in answer else None

    def insert(self, record: R) -> R:
        """Write a new record as it is (its first version); AlreadyExists when its key is taken."""
        record = _correlated(record)
        self._put(record, None, AlreadyExists)
        return record

    def write(self, record: R, *, over: R) -> R:
        """Put `record` in place of `over`, as its next version, if the stored record is still `over`'s
        version (`over` at version 0: none is stored yet); VersionConflict otherwise. Nothing else moves
        a version."""
        written = _correlated(record).model_copy(update={"version": over.version + 1, "updated_at": self.clock()})
        self._put(written, over.version, VersionConflict)
        return written

    def change(self, current: R, decide: Callable[[R], R | None]) -> R:
        """The record as `decide` makes it from `current` (None: no change, nothing written), written
        with the one retry policy (see the module). Returns what was written, or the record as last read
        when `decide` chose no change."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            decided = decide(current)
            if decided is None:
                return current
            try:
                return self.write(decided, over=current)
            except VersionConflict:
                again = self.get(self.key_of(current))
                if again is None:
                    raise
                current = again
        raise Busy(f"{self.model.__name__} {self.key_of(current)} is changing too fast to update; try again")

    def insert_counted(self, record: R, counter: dict[str, Any], *, found: int, at_most: int | None) -> bool:
        """Write a new record and count it on the item `counter` of this table (attribute `count`), in one
        transaction: False when the count is at `at_most` already (None: no limit, counted all the same),
        so a limit holds whatever number of writers race; AlreadyExists when the record's key is taken.
        `found`: the count to start from where the counter has none yet (records from before it)."""
        values = {":found": _n(found), ":one": _n(1)}
        limit = {}
        if at_most is not None:
            values[":most"] = _n(at_most)
            limit = {"ConditionExpression": "(attribute_not_exists(#count) AND :found < :most) OR #count < :most"}
        count = {
            "Update": {
                "TableName": self.name,
                "Key": counter,
                "UpdateExpression": "SET #count = if_not_exists(#count, :found) + :one",
                "ExpressionAttributeNames": {"#count": "count"},
                "ExpressionAttributeValues": values,
                **limit,
            }
        }
        put = {
            "TableName": self.name,
            "Item": self.encode(_correlated(record)),
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": {"#key": self.key[0]},
        }
        failed = self._transact([count, {"Put": put}])
        if failed == 1:
            raise AlreadyExists(str(self.key_of(record)))
        return failed is None

    def delete_counted(self, key: dict[str, Any], counter: dict[str, Any]) -> None:
        """Remove a record and count it out, in one transaction (where no count was kept yet, the record
        alone; one that is gone already changes nothing)."""
        delete = {
            "Delete": {
                "TableName": self.name,
                "Key": key,
                "ConditionExpression": "attribute_exists(#key)",
                "ExpressionAttributeNames": {"#key": self.key[0]},
            }
        }
        uncount = {
            "Update": {
                "TableName": self.name,
                "Key": counter,
                "UpdateExpression": "SET #count = #count - :one",
                "ConditionExpression": "#count > :zero",
                "ExpressionAttributeNames": {"#count": "count"},
                "ExpressionAttributeValues": {":one": _n(1), ":zero": _n(0)},
            }
        }
        if self._transact([delete, uncount]) == 1:
            self.call("delete_item", TableName=self.name, Key=key)

    def _transact(self, items: list[dict[str, Any]], attempts: int = 10) -> int | None:
        """One transaction; None when written, else the index of the item whose condition failed. One that
        collides with another transaction on the same items is tried again; Busy when it keeps colliding."""
        for attempt in range(attempts):
            try:
                self.client.transact_write_items(TransactItems=items)
                return None
            except self.client.exceptions.TransactionCanceledException as error:
                codes = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in codes:
                    return codes.index("ConditionalCheckFailed")
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
        raise Busy(f"{self.model.__name__} records are changing too fast to update; try again")

    def _put(self, record: R, expected_version: int | None, conflict: type[Exception]) -> None:
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(#key)", "ExpressionAttributeNames": {"#key": self.key[0]}}
            if not expected_version
            else {
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
            }
        )
        try:
            self.call("put_item", TableName=self.name, Item=self.encode(record), **condition)
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise conflict(str(self.key_of(record))) from error

    def call(self, operation: str, **kwargs: Any) -> dict:
        """One DynamoDB call, its consumed capacity counted."""
        answer = getattr(self.client, operation)(ReturnConsumedCapacity="TOTAL", **kwargs)
        consumed = answer.get("ConsumedCapacity", {})
        for part in consumed if isinstance(consumed, list) else [consumed]:  # BatchGetItem: one per table
            self.consumed_capacity += float(part.get("CapacityUnits", 0))
        return answer
