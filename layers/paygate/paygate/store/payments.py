"""The payments table: one item per payment (a PaymentRecord), written only through the versioned write
(paygate.store.versioned), and the queries of its indexes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paygate.errors import NotFound
from paygate.models import PaymentQuery, PaymentRecord, Status, utcnow
from paygate.store import due_index
from paygate.store.keys import provider_day, shard, time_key
from paygate.store.versioned import VersionedTable, from_item, to_item

BY_PROVIDER_PAYMENT = "by-provider-payment"
DUE_CHECKS = "due-checks"
BY_ACCOUNT_CREATED = "by-account-created"
BY_ACCOUNT_REFERENCE = "by-account-reference"
# A filtered page reads at most this many items, however few match: its cost is bounded, and the
# caller is told there may be more (`has_more`) and where to go on from.
LIST_READ_BUDGET = 500


@dataclass(frozen=True)
class Page:
    records: list[PaymentRecord]
    has_more: bool
    # Where the next page starts: the last record of this page, or the last item read when a filter
    # skipped the rest of the budget.
    next_starting_after: str | None


class PaymentStore:
    def __init__(self, table_name: str, client: Any, *, due_shards: int = 4, clock: Callable[[], datetime] = utcnow):
        self.table_name = table_name
        self.client = client
        self.due_shards = due_shards
        self.table = VersionedTable(
            client, table_name, PaymentRecord, clock=clock, encode=self._to_item, decode=record_from_item
        )

    @property
    def consumed_capacity(self) -> float:
        """Capacity units consumed through this store, summed; read by benchmarks and tests."""
        return self.table.consumed_capacity

    @consumed_capacity.setter
    def consumed_capacity(self, value: float) -> None:
        self.table.consumed_capacity = value

    # --- reads ---------------------------------------------------------------------------------

    def get(self, payment_id: str) -> PaymentRecord | None:
        return self.table.get({"id": {"S": payment_id}})

    def owned(self, payment_id: str, *, account_id: str | None, param: str = "payment_id") -> PaymentRecord:
        """The payment; with `account_id`, only if that account owns it: another account's payment is not
        found, exactly as an id that does not exist."""
        record = self.get(payment_id)
        if record is None or (account_id is not None and record.account_id != account_id):
            raise NotFound(f"No payment with id {payment_id!r}", param=param)
        return record

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

    def due_page(
        self, partition: str, now: datetime, *, limit: int = 1000, start_key: dict | None = None
    ) -> tuple[list[tuple[str, datetime]], dict | None]:
        """One partition's payments whose next check is due (id and due time), oldest due first, a page
        at a time (paygate.store.due_index names the partitions)."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": DUE_CHECKS,
            "KeyConditionExpression": "due_shard = :shard AND due_at <= :now",
            "ExpressionAttributeValues": {":shard": {"S": partition}, ":now": {"N": str(int(now.timestamp()))}},
            "Limit": limit,
        }
        if start_key:
            query["ExclusiveStartKey"] = start_key
        answer = self._call("query", **query)
        found = [(item["id"]["S"], datetime.fromtimestamp(int(item["due_at"]["N"]), UTC)) for item in answer["Items"]]
        return found, answer.get("LastEvaluatedKey")

    def claim_due(self, payment_id: str, seen: datetime, until: datetime) -> bool:
        """Move a due check to `until` if it is still due at `seen`: whoever claims it checks it, and
        nobody else finds it due until then. False: it was checked or changed meanwhile."""
        try:
            self._call(
                "update_item",
                TableName=self.table_name,
                Key={"id": {"S": payment_id}},
                UpdateExpression="SET due_at = :until",
                ConditionExpression="due_at = :seen",
                ExpressionAttributeValues={
                    ":seen": {"N": str(int(seen.timestamp()))},
                    ":until": {"N": str(int(until.timestamp()))},
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def account_pages(
        self, account_id: str, created_gte: datetime, created_lt: datetime, *, page_size: int = 100
    ) -> Iterator[list[PaymentRecord]]:
        """Every payment of an account created in [created_gte, created_lt), oldest first, a page of at
        most `page_size` at a time (a Query of the account index, then one BatchGetItem): whatever the
        number of payments, one page is held at a time."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": BY_ACCOUNT_CREATED,
            # A key is "<time>#<id>": every payment created before `created_lt` sorts before its bare time.
            "KeyConditionExpression": "account_id = :account AND created_key BETWEEN :lower AND :upper",
            "ExpressionAttributeValues": {
                ":account": {"S": account_id},
                ":lower": {"S": time_key(created_gte)},
                ":upper": {"S": time_key(created_lt)},
            },
            "Limit": min(page_size, 100),  # a BatchGetItem takes 100 keys
        }
        while True:
            answer = self._call("query", **request)
            if answer["Items"]:
                yield self.records([item["id"]["S"] for item in answer["Items"]])
            if not answer.get("LastEvaluatedKey"):
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def list_page(self, account_id: str, query: PaymentQuery, after: PaymentRecord | None = None) -> Page:
        """One page of an account's payments, newest first, from the account indexes (never the table):
        the time range and the cursor are key conditions, status and provider a filter over at most
        LIST_READ_BUDGET items."""
        if query.reference is not None:
            index, partition = BY_ACCOUNT_REFERENCE, ("account_reference", f"{account_id}#{query.reference}")
        else:
            index, partition = BY_ACCOUNT_CREATED, ("account_id", account_id)
        lower = time_key(query.created_gte) if query.created_gte else None
        # Every key of a payment created before `created_lt` sorts before its bare time (keys are
        # "<time>#<id>"); a cursor's own key is excluded below.
        uppers = [
            key
            for key in (time_key(query.created_lt) if query.created_lt else None, after and created_key(after))
            if key
        ]
        upper = min(uppers) if uppers else None
        if lower and upper and lower >= upper:
            return Page([], False, None)
        condition = "#partition = :partition"
        values: dict[str, Any] = {":partition": {"S": partition[1]}}
        if lower and upper:
            condition += " AND created_key BETWEEN :lower AND :upper"
            values |= {":lower": {"S": lower}, ":upper": {"S": upper}}
        elif lower:
            condition += " AND created_key >= :lower"
            values[":lower"] = {"S": lower}
        elif upper:
            condition += " AND created_key < :upper"
            values[":upper"] = {"S": upper}
        names = {"#partition": partition[0]}
        filters = []
        if query.status is not None:
            filters.append("#status = :status")
            names["#status"], values[":status"] = "status", {"S": query.status.value}
        if query.provider is not None:
            filters.append("#provider = :provider")
            names["#provider"], values[":provider"] = "provider", {"S": query.provider}
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,  # newest first
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        wanted = query.limit + 1  # one more than the page tells whether there is more
        found: list[str] = []  # ids, newest first
        read, last_key = 0, None
        while len(found) < wanted and read < LIST_READ_BUDGET:
            chunk = {**request, "Limit": min(wanted, LIST_READ_BUDGET - read)}
            if last_key:
                chunk["ExclusiveStartKey"] = last_key
            answer = self._call("query", **chunk)
            read += answer["ScannedCount"]
            ids = [item["id"]["S"] for item in answer["Items"] if item["created_key"]["S"] != upper]
            if query.money is not None:  # how the money went is not in the index: read the payments themselves
                ids = [record.id for record in self.records(ids) if money_flag(record) == query.money]
            found += ids
            last_key = answer.get("LastEvaluatedKey")
            if not last_key:
                break
        if len(found) >= wanted:
            ids = found[: query.limit]
            return Page(self.records(ids), True, ids[-1])
        # The budget ran out before the page filled: there may be more beyond the last item read.
        return Page(self.records(found), bool(last_key), last_key["id"]["S"] if last_key else None)

    def records(self, ids: list[str]) -> list[PaymentRecord]:
        """The records of `ids`, in that order (the indexes hold only keys, status and provider)."""
        found: dict[str, PaymentRecord] = {}
        keys = [{"id": {"S": payment_id}} for payment_id in ids]
        while keys:  # at most 100 keys a call; the limit of a page is 100
            answer = self._call("batch_get_item", RequestItems={self.table_name: {"Keys": keys[:100]}})
            for item in answer["Responses"].get(self.table_name, []):
                found[item["id"]["S"]] = record_from_item(item)
            keys = keys[100:] + answer.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
        return [found[payment_id] for payment_id in ids if payment_id in found]

    # --- writes --------------------------------------------------------------------------------

    def insert(self, record: PaymentRecord) -> PaymentRecord:
        """A new payment (AlreadyExists if its id is taken)."""
        return self.table.insert(record)

    def change(self, record: PaymentRecord, decide: Callable[[PaymentRecord], PaymentRecord | None]) -> PaymentRecord:
        """The payment as `decide` makes it, written as its next version (paygate.store.versioned)."""
        return self.table.change(record, decide)

    def put_many(self, records: list[PaymentRecord]) -> None:
        """Bulk load, without conditions (backfills, benchmarks, tests): 25 items a BatchWriteItem, with
        what DynamoDB leaves unprocessed sent again."""
        requests = [{"PutRequest": {"Item": self._to_item(record)}} for record in records]
        while requests:
            answer = self._call("batch_write_item", RequestItems={self.table_name: requests[:25]})
            requests = requests[25:] + answer.get("UnprocessedItems", {}).get(self.table_name, [])

    # --- mapping -------------------------------------------------------------------------------

    def _to_item(self, record: PaymentRecord) -> dict[str, Any]:
        data = record.model_dump(mode="json", exclude_none=True)
        data["created_key"] = created_key(record)
        if record.account_id and record.reference is not None:
            data["account_reference"] = f"{record.account_id}#{record.reference}"
        if record.provider_payment_id:
            data["provider_key"] = f"{record.provider}#{record.provider_payment_id}"
            data["provider_day"] = provider_day(record)
        if record.due_at is not None:
            rank = due_index.priority(record)
            data["due_shard"] = due_index.partition(record.provider, rank, shard(record.id, self.due_shards))
            data["due_at"] = int(record.due_at.timestamp())
        return to_item(data)

    def _call(self, operation: str, **kwargs: Any) -> dict:
        return self.table.call(operation, **kwargs)


def record_from_item(item: dict[str, Any]) -> PaymentRecord:
    """A payment record from its DynamoDB item (also the form of the table stream's images). The index
    keys derived in `_to_item` are dropped: they are the store's, not the record's."""
    data = from_item(item, leave_out=_INDEX_KEYS)
    if "due_at" in data:
        data["due_at"] = datetime.fromtimestamp(int(data["due_at"]), UTC)
    return PaymentRecord.model_validate(data)


_INDEX_KEYS = frozenset({"provider_key", "due_shard", "created_key", "account_reference", "provider_day"})


def money_flag(record: PaymentRecord) -> str | None:
    """How the payment's money did not match, for `GET /payments?money=`: `late` (paid after it ended),
    `overpaid` (received more than asked) or `underpaid` (received less, and not accepted as it is)."""
    received = Decimal(record.amount_received) if record.amount_received else None
    if record.paid_late:
        return "late"
    if received is not None and received > Decimal(record.amount):
        return "overpaid"
    if received is not None and 0 < received < Decimal(record.amount) and record.status is not Status.SUCCEEDED:
        return "underpaid"
    return None


def created_key(record: PaymentRecord) -> str:
    """The account indexes' sort key: creation time, then id (payments created in the same microsecond)."""
    return f"{time_key(record.created_at)}#{record.id}"
