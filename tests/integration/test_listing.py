"""GET /payments' use case on DynamoDB Local: pages through an account's payments, newest first, each
exactly once, under every combination of filters, checked against a brute-force answer; and a page costs
what the page holds, not what the account or the table holds."""

from __future__ import annotations

import itertools
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from local.dynamodb_local import client as dynamodb_client
from paygate.models import PaymentQuery, PaymentRecord, Status
from paygate.providers.catalog import SPECS
from paygate.store.payments import LIST_READ_BUDGET, created_key
from tests import factories
from tests.factories import FixedClock

pytestmark = pytest.mark.integration
ACCOUNT, CROWD = "acct_listing", "acct_crowd"
REFERENCES = [f"order-{n}" for n in range(8)]


def made(rng: random.Random, account: str, index: int, start) -> PaymentRecord:
    # Every 10th payment shares its creation time with the one before: the id decides between them.
    at = start + timedelta(seconds=37 * (index - index % 10 % 2))
    return factories.record(
        account_id=account,
        at=at,
        status=rng.choice(list(Status)),
        provider=rng.choice(list(SPECS)),
        reference=rng.choice([*REFERENCES, None]),
    )


@pytest.fixture(scope="module")
def listing(dynamodb_local):
    """One table: ACCOUNT's 250 payments, and 10,000 of another account."""
    client = dynamodb_client(dynamodb_local.endpoint)
    gateway = factories.lifecycle(client, FixedClock(), table=factories.new_table(client))
    rng = random.Random(12)
    start = factories.DEFAULT_NOW
    mine = [made(rng, ACCOUNT, n, start) for n in range(250)]
    crowd = [made(rng, CROWD, n, start) for n in range(10_000)]
    everyone = mine + crowd
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(gateway.payments.put_many, [everyone[n : n + 250] for n in range(0, len(everyone), 250)]))
    return gateway, mine


def brute_force(payments: list[PaymentRecord], query: PaymentQuery) -> list[str]:
    kept = [
        p
        for p in payments
        if (query.status is None or p.status is query.status)
        and (query.provider is None or p.provider == query.provider)
        and (query.reference is None or p.reference == query.reference)
        and (query.created_gte is None or p.created_at >= query.created_gte)
        and (query.created_lt is None or p.created_at < query.created_lt)
    ]
    return [p.id for p in sorted(kept, key=created_key, reverse=True)]


def page_through(gateway: factories.Lifecycle, query: PaymentQuery) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(1000):
        page = gateway.list(PaymentQuery(**{**query.__dict__, "starting_after": cursor}), account_id=ACCOUNT)
        assert len(page.records) <= query.limit
        seen += [record.id for record in page.records]
        if not page.has_more:
            return seen
        cursor = page.next_starting_after
        assert cursor
    raise AssertionError("the pages never ended")


def test_every_payment_once_newest_first(listing):
    gateway, mine = listing
    for limit in (1, 20, 100):
        assert page_through(gateway, PaymentQuery(limit=limit)) == brute_force(mine, PaymentQuery())


FILTERS = ("status", "provider", "reference", "created_gte", "created_lt")


def random_value(rng: random.Random, name: str, mine: list[PaymentRecord]):
    if name == "status":
        return rng.choice(list(Status))
    if name == "provider":
        return rng.choice(list(SPECS))
    if name == "reference":
        return rng.choice(REFERENCES)
    return rng.choice(mine).created_at + timedelta(seconds=rng.choice([-1, 0, 1]))


@pytest.mark.parametrize(
    "names",
    [combo for size in range(1, len(FILTERS) + 1) for combo in itertools.combinations(FILTERS, size)],
    ids=lambda names: "+".join(names),
)
def test_every_combination_of_filters_matches_the_brute_force_answer(listing, names):
    gateway, mine = listing
    rng = random.Random("+".join(names))
    for _ in range(3):
        query = PaymentQuery(limit=rng.choice([7, 100]), **{name: random_value(rng, name, mine) for name in names})
        assert page_through(gateway, query) == brute_force(mine, query), query


def test_every_single_filter_value(listing):
    gateway, mine = listing
    for query in [
        *(PaymentQuery(status=status) for status in Status),
        *(PaymentQuery(provider=provider) for provider in SPECS),
        *(PaymentQuery(reference=reference) for reference in [*REFERENCES, "no-such-order"]),
    ]:
        assert page_through(gateway, query) == brute_force(mine, query), query


def test_an_empty_or_backwards_time_range_is_an_empty_list(listing):
    gateway, mine = listing
    moment = mine[100].created_at
    page = gateway.list(PaymentQuery(created_gte=moment, created_lt=moment), account_id=ACCOUNT)
    assert (page.records, page.has_more) == ([], False)
    later = moment + timedelta(hours=1)
    assert gateway.list(PaymentQuery(created_gte=later, created_lt=moment), account_id=ACCOUNT).records == []


def test_a_page_costs_what_it_holds_not_what_the_account_or_table_holds(listing):
    gateway, _ = listing
    costs = {}
    for account in (ACCOUNT, CROWD):  # 250 payments, and 10,000
        gateway.payments.consumed_capacity = 0.0
        page = gateway.payments.list_page(account, PaymentQuery(limit=20))
        assert len(page.records) == 20
        costs[account] = gateway.payments.consumed_capacity
    assert costs[ACCOUNT] > 0
    assert costs[CROWD] <= costs[ACCOUNT] * 1.1, costs


def test_a_filter_that_skips_many_reads_a_bounded_amount_a_page_and_says_there_may_be_more(listing):
    gateway, _ = listing
    # A filter nothing matches, over the 10,000 payments of the crowd
    query = PaymentQuery(limit=20, provider="no-such-provider")
    cursor, costs, pages = None, [], 0
    while True:
        gateway.payments.consumed_capacity = 0.0
        after = gateway.payments.get(cursor) if cursor else None
        page = gateway.payments.list_page(CROWD, query, after=after)
        costs.append(gateway.payments.consumed_capacity)
        pages += 1
        # Each answer read at most its budget, found nothing, and said where to go on from
        assert page.records == []
        if not page.has_more:
            break
        cursor = page.next_starting_after
        assert cursor
    # Every item read once, a budget at a time (a last read that ends exactly at the end cannot know it)
    assert pages <= 10_000 // LIST_READ_BUDGET + 1
    assert max(costs) <= min(costs[:-1]) * 1.1 + 2, costs
