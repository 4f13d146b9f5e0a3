"""The rate limiter's places: how a limit is dealt to counters, and why no second can hold more than it."""

from __future__ import annotations

import random

import pytest

from paygate.providers import rate_limits
from paygate.providers.rate_limits import MAX_LATE_SECONDS, PLACES_PER_SHARD, RateLimits, shards
from tests import factories


@pytest.mark.parametrize(("limit", "counters"), [(1, 1), (5, 1), (40, 4), (333, 34), (1000, 100)])
def test_a_limit_is_dealt_to_counters_of_at_most_ten_places(limit, counters):
    dealt = shards("p", limit, slot=7)
    assert len(dealt) == counters
    assert sum(shard.places for shard in dealt) == limit
    assert max(shard.places for shard in dealt) <= PLACES_PER_SHARD
    assert len({shard.key for shard in dealt}) == counters


@pytest.mark.parametrize("limit", [1, 3, 5, 40, 333, 1000])
def test_no_second_holds_more_calls_than_the_limit_even_when_each_starts_late(limit):
    # Given every place of ten slots taken, and each call starting anywhere up to the most it may be late
    late = random.Random(limit)
    starts = sorted(
        shard.time_of(place) + late.uniform(0, MAX_LATE_SECONDS)
        for slot in range(1000, 1010)
        for shard in shards("p", limit, slot)
        for place in range(shard.places)
    )
    # Then no one-second window holds more than the limit
    busiest, first = 0, 0
    for last, start in enumerate(starts):
        while starts[first] <= start - 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    assert busiest <= limit
    # And the limit is nearly used: a slot's places come every 1.1 s
    assert len(starts) == 10 * limit


def test_places_within_reach_are_those_between_now_and_the_deadline():
    [shard] = shards("p", 5, slot=100)  # places every 0.22 s from 110.0
    assert [round(shard.time_of(place), 2) for place in range(5)] == [110.0, 110.22, 110.44, 110.66, 110.88]
    assert shard.first_place_from(110.3) == 2 and shard.places_until(110.5) == 3
    assert shard.first_place_from(109.0) == 0 and shard.places_until(109.0) == 0
    assert shard.first_place_from(111.5) == 5 and shard.places_until(111.5) == 5


def test_a_quiet_provider_takes_a_place_with_one_write(dynamodb, clock):
    # Given a provider limited to 40 a second that nobody has called this slot
    writes = []

    class Recording:
        exceptions = dynamodb.exceptions

        def update_item(self, **kwargs):
            writes.append(kwargs["Key"]["id"]["S"])
            return dynamodb.update_item(**kwargs)

    limits = RateLimits(
        factories.TABLES["IdempotencyTable"],
        Recording(),
        {"sandbox": 40},
        now=lambda: clock().timestamp(),
        sleep=lambda seconds: clock.advance(seconds=seconds),
    )
    # When a check asks for a place, and a provider with no limit is asked for too
    assert limits.acquire("sandbox", max_wait=0.1)
    assert limits.acquire("nowpayments", max_wait=0)
    # Then one counter was written once, for the limited provider only
    assert len(writes) == 1 and writes[0].startswith("rate:sandbox:")
    assert limits.paces == {"sandbox": pytest.approx(40 / rate_limits.SLOT_SECONDS)}
