"""The rate limiter at 1,000 checks a second on DynamoDB Local: no item is written more than 50 times in
any second, and no second lets more checks through than the limit.

Threads ask for places through the real limiter and a client that records every UpdateItem (item, moment,
whether its condition held). The limiter's clock runs at a tenth of real time (bench.rate_limiter), so
that DynamoDB Local on a small machine keeps up with a thousand checks of the limiter's seconds; all is
counted in those seconds."""

from __future__ import annotations

import uuid

import pytest

from bench.rate_limiter import Run, drive
from local import template
from local.dynamodb_local import client as dynamodb_client
from paygate.providers.rate_limits import granted_per_second


@pytest.fixture
def table(dynamodb_local) -> str:
    """An idempotency table of the template's shape (the counters' table) of this test's own."""
    name = f"rates-{uuid.uuid4().hex[:8]}"
    template.create_tables(dynamodb_client(dynamodb_local.endpoint), {"IdempotencyTable": name}, streams=False)
    return name


@pytest.mark.integration
@pytest.mark.parametrize("limit", [1000, 500])
def test_a_thousand_checks_a_second_write_no_item_more_than_fifty_times_a_second(dynamodb_local, table, limit):
    # Given a provider limited to `limit` checks a second, when 1,000 checks a second ask for a place for
    # 4 seconds, each waiting at most 2 seconds as the checkers do
    run: Run = drive(dynamodb_local.endpoint, table, limit=limit, checks_per_second=1000, seconds=4)
    # Then they did come at about 1,000 a second
    assert run.asked_per_second() > 900
    # And no counter was written more than 50 times in any second, failed conditions included
    assert run.most_writes_of_an_item_in_a_second() <= 50
    # And no second, whole or sliding, let through more than the limit, while the limit was used
    assert run.most_granted_in_a_second() <= limit
    assert 0.85 * granted_per_second(limit) <= run.granted_per_second() <= limit
