"""Limits kept in the same write as what they limit, on DynamoDB Local (Amazon's own engine, its
transactions): 40 creates of API keys for one account at once make exactly as many as the limit allows."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from local import template
from local.dynamodb_local import client as dynamodb_client
from paygate.accounts.manage import MAX_KEYS, ApiKeys
from paygate.accounts.models import CreateKeyRequest, Merchant
from paygate.accounts.store import AccountStore
from paygate.errors import Busy, ValidationFailed
from paygate.models import utcnow


@pytest.fixture
def keys(dynamodb_local) -> ApiKeys:
    client = dynamodb_client(dynamodb_local.endpoint)
    suffix = uuid.uuid4().hex[:8]
    names = {"AccountsTable": f"accounts-{suffix}", "ApiKeysTable": f"keys-{suffix}"}
    template.create_tables(client, names, streams=False)
    return ApiKeys(AccountStore(names["AccountsTable"], names["ApiKeysTable"], client), utcnow)


@pytest.mark.integration
def test_racing_creates_of_api_keys_never_pass_the_limit(keys):
    merchant = Merchant("acct_race", livemode=False)
    keys.create(merchant, CreateKeyRequest(name="first"))

    def create(_: int) -> str:
        try:
            keys.create(merchant, CreateKeyRequest())
            return "created"
        except ValidationFailed:
            return "refused"
        except Busy:
            return "busy"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(create, range(40)))
    created = outcomes.count("created")
    assert set(outcomes) <= {"created", "refused", "busy"} and outcomes.count("refused") >= 1
    # Exactly the keys created exist, never more than the limit; all of it used unless a create gave up
    assert len(keys.list(merchant)) == 1 + created <= MAX_KEYS
    assert created == MAX_KEYS - 1 or "busy" in outcomes
