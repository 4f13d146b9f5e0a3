"""Each provider's limit on due checks a second, held across every concurrent checker, with no hot item.

Time is cut into slots of SLOT_SECONDS (a second and a guard). A provider limited to L checks a second
has floor(L) places in every slot, dealt to shards of at most PLACES_PER_SHARD; a shard's places are
spread evenly over the slot, each at its own time, and the shards are offset from one another so that
they do not all start together. Each shard of each slot is one small counter in DynamoDB
(`rate:<provider>:<slot>:<shard>`, in the idempotency table, removed by its TTL), and a place is taken
with one conditional UpdateItem that moves the counter on by one only if the place it points at is
neither past nor later than the caller can wait (a counter left behind the clock, its places unused, is
moved to the next place to come instead: a second write). The caller then sleeps until its place's time.

Why this holds the limit in any one-second window, whatever the number of checkers: a shard's places are
SLOT_SECONDS / places apart, across the slots' edges too, and every call starts no later than
MAX_LATE_SECONDS after its place's time (a place taken too slowly is left unused: one call fewer, never one
more). Any second's calls therefore belong to places within less than one slot, at most `places` of each
shard: L in all. A token bucket would allow bursts above the limit, and reserved concurrency per
provider bounds calls in flight, not calls a second.

Why there is no hot item: each counter is written for one slot only, PLACES_PER_SHARD times for its
places and once more for each checker that finds it full. A checker tries one shard of a slot, at random:
checkers spread evenly over the shards, so a full shard most likely means a full slot, and it goes on to
the next slot rather than round the others."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WINDOW_SECONDS = 1.0
# The slot is longer than the window by this much: between the place taken and the request arriving at
# the provider lie scheduling and the network, which do not keep the spacing exactly.
GUARD_SECONDS = 0.1
SLOT_SECONDS = WINDOW_SECONDS + GUARD_SECONDS
# Of that guard, the most a call may start after its place's time (taking the place and waking included).
MAX_LATE_SECONDS = GUARD_SECONDS / 2
# Places of one slot in one counter: 10 in 1.1 s are 9 writes a second, which leaves room under 50 a
# second for the checkers that find the counter full or behind (each of those is a write too).
PLACES_PER_SHARD = 10
# A slot's counters are removed by the table's TTL this long after the slot (never read again by then).
_KEEP_SECONDS = 3600


@dataclass(frozen=True)
class Shard:
    """One counter: some of a provider's places in one slot, spaced evenly over it."""

    provider: str
    slot: int
    index: int
    places: int
    # How far into its first spacing this shard's first place lies (0 to 1), so shards interleave.
    offset: float

    @property
    def key(self) -> str:
        return f"rate:{self.provider}:{self.slot}:{self.index}"

    def time_of(self, place: int) -> float:
        return (self.slot + (place + self.offset) / self.places) * SLOT_SECONDS

    def first_place_from(self, moment: float) -> int:
        """The first of its places whose time is not before `moment` (`places`: none is)."""
        return max(0, min(self.places, math.ceil((moment / SLOT_SECONDS - self.slot) * self.places - self.offset)))

    def places_until(self, moment: float) -> int:
        """How many of its places have their time at or before `moment`."""
        return max(0, min(self.places, math.floor((moment / SLOT_SECONDS - self.slot) * self.places - self.offset) + 1))


def places_per_slot(limit: float) -> int:
    return max(1, int(limit * WINDOW_SECONDS))


def granted_per_second(limit: float) -> float:
    """The most checks a second let through under `limit`, kept up for long (a slot's places, over the slot)."""
    return places_per_slot(limit) / SLOT_SECONDS


def shards(provider: str, limit: float, slot: int) -> list[Shard]:
    """A provider's counters in one slot: its places, in as few shards as PLACES_PER_SHARD allows."""
    places = places_per_slot(limit)
    count = math.ceil(places / PLACES_PER_SHARD)
    return [
        Shard(provider, slot, index, places // count + (index < places % count), offset=index / count)
        for index in range(count)
    ]


@dataclass
class RateLimits:
    table_name: str
    client: Any
    # Checks a second, per provider; a provider not named has no limit.
    limits: dict[str, float]
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    chance: random.Random = field(default_factory=random.Random)

    @property
    def paces(self) -> dict[str, float]:
        """Each limited provider's checks a second kept up for long: the pace to hand its checks over at."""
        return {provider: granted_per_second(limit) for provider, limit in self.limits.items()}

    def acquire(self, provider: str | None, *, max_wait: float) -> bool:
        """Take a place within the provider's limit and wait for its time, at most `max_wait` seconds in all.
        False: no place in that time (nothing to do, the caller tries again later)."""
        limit = self.limits.get(provider or "")
        if not limit or not provider:
            return True
        deadline = self.now() + max_wait
        while (at := self._take_place(provider, limit, deadline)) is not None:
            if at > self.now():
                self.sleep(at - self.now())
            if self.now() - at <= MAX_LATE_SECONDS:
                return True
            # Taking the place, or waking, took so long that the call would start too long after the place's
            # time: the place is left unused and another taken.
        return False

    def _take_place(self, provider: str, limit: float, deadline: float) -> float | None:
        """The time of the earliest place taken between now and `deadline`; None: every one is taken."""
        slot = int(self.now() // SLOT_SECONDS)
        while slot * SLOT_SECONDS <= deadline:
            within_reach = [
                shard
                for shard in shards(provider, limit, slot)
                if shard.first_place_from(self.now()) < shard.places_until(deadline)
            ]
            if within_reach:
                shard = self.chance.choice(within_reach)
                if (place := self._take(shard, deadline)) is not None:
                    return shard.time_of(place)
            slot += 1
        return None

    def _take(self, shard: Shard, deadline: float) -> int | None:
        """Move the shard's counter on by one if the place it points at lies between now and `deadline`;
        if the counter points at a place already past (the places in between went unused), move it to
        the first place to come. The place taken, or None when those within reach are taken."""
        while (first := shard.first_place_from(self.now())) < (end := shard.places_until(deadline)):
            try:
                return self._move(
                    shard,
                    "if_not_exists(n, :first)",
                    "attribute_not_exists(n) OR n BETWEEN :first AND :last",
                    first=first,
                    last=end - 1,
                )
            except self.client.exceptions.ConditionalCheckFailedException as failed:
                if int(failed.response["Item"]["n"]["N"]) >= first:
                    return None  # what is left of this shard lies beyond the deadline, or nothing is
            try:
                return self._move(shard, ":first", "n <= :first", first=first)
            except self.client.exceptions.ConditionalCheckFailedException:
                continue  # another checker moved it first: look again
        return None

    def _move(self, shard: Shard, start: str, condition: str, **places: int) -> int:
        """Set the shard's counter to `start` + 1 if `condition` holds: the place taken (the old item on
        ConditionalCheckFailedException's response, to tell why not)."""
        answer = self.client.update_item(
            TableName=self.table_name,
            Key={"id": {"S": shard.key}},
            UpdateExpression=f"SET n = {start} + :one, expiration = :expiration",
            ConditionExpression=condition,
            ExpressionAttributeValues=self._values(shard, **places),
            ReturnValues="UPDATED_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return int(answer["Attributes"]["n"]["N"]) - 1

    @staticmethod
    def _values(shard: Shard, **places: int) -> dict[str, Any]:
        expiration = int((shard.slot + 1) * SLOT_SECONDS) + _KEEP_SECONDS
        numbers = {"one": 1, "expiration": expiration, **places}
        return {f":{name}": {"N": str(value)} for name, value in numbers.items()}
