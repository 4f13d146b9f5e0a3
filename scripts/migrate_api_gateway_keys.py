"""One-off: the merchants of a deployment from before accounts become accounts (see README, "From API Gateway
API keys").

    python scripts/migrate_api_gateway_keys.py --stack paygate --dry-run   # what it would do, writing nothing
    python scripts/migrate_api_gateway_keys.py --stack paygate

A merchant was an API Gateway API key: its payments, refunds and webhook endpoints are kept under the
key's id, as live ones. Each enabled key chosen (those of `--usage-plan ID`, those named with `--key-id`,
or, with `--all-keys`, every key of the region, other APIs' too) becomes an account with that id, and
the key's value a live key of it (kept hashed, as every key is): the merchant's integration works on
unchanged, and the merchant can then roll the key. A disabled key had locked its merchant out: it is left
so. Running it again changes nothing.

The update deletes the key the old stack made itself (its output `ApiKeyId`); keep its id and value
before updating and give them as OLD_API_KEYS="KEY_ID=VALUE" (comma-separated for more): those keys are
migrated too."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from accounts import Accounts, on_stack

from paygate.accounts.models import SHOWN_CHARACTERS, Merchant, key_hash

# What the API takes as a key's or an account's name (API Gateway's may be longer).
MAX_NAME = 100


@dataclass(frozen=True)
class OldKey:
    id: str
    name: str
    value: str
    enabled: bool = True


def api_gateway_keys(apigateway: Any, usage_plan: str | None = None, key_ids: set[str] | None = None) -> list[OldKey]:
    """The region's API Gateway keys with their values: all, or those of `usage_plan`, or of `key_ids`."""
    wanted = key_ids or None
    if usage_plan:
        members = apigateway.get_paginator("get_usage_plan_keys").paginate(usagePlanId=usage_plan)
        in_plan = {key["id"] for page in members for key in page["items"]}
        wanted = in_plan & wanted if wanted else in_plan
    pages = apigateway.get_paginator("get_api_keys").paginate(includeValues=True)
    return [
        OldKey(key["id"], key.get("name") or key["id"], key["value"], key.get("enabled", False))
        for page in pages
        for key in page["items"]
        if wanted is None or key["id"] in wanted
    ]


def given_keys(text: str) -> list[OldKey]:
    """OLD_API_KEYS: `KEY_ID=VALUE,...`, keys API Gateway no longer has."""
    pairs = (entry.strip().partition("=") for entry in text.split(",") if entry.strip())
    return [OldKey(key_id, key_id, value) for key_id, _, value in pairs if key_id and value]


def migrate(keys: list[OldKey], accounts: Accounts, *, dry_run: bool = False) -> Iterator[str]:
    """Each key's account opened and its value adopted as a live key, unless done already; a line for each
    thing done (or, dry, that would be)."""
    for old in keys:
        if not old.enabled:
            yield f"{old.id}: skipped, the key is disabled (its merchant stays locked out)"
            continue
        held = accounts.store.key(key_hash(old.value))
        if held and (held.account_id, held.mode) != (old.id, "live"):
            yield f"{old.id}: skipped, its value is already a {held.mode} key of account {held.account_id}"
            continue
        name = old.name[:MAX_NAME]
        if accounts.store.account(old.id) is None:
            if not dry_run:
                accounts.profiles.open(name, account_id=old.id)
            yield f"{old.id}: {'would open' if dry_run else 'opened'} account {old.id!r} ({name})"
        if held:
            yield f"{old.id}: already adopted as live key {held.id} ({held.shown}...)"
            continue
        if dry_run:
            yield f"{old.id}: would adopt its value as a live key ({old.value[:SHOWN_CHARACTERS]}...)"
            continue
        adopted = accounts.keys.adopt(Merchant(old.id, livemode=True), old.value, name)
        yield f"{old.id}: adopted its value as live key {adopted.id} ({adopted.shown}...)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="the updated stack (its accounts and keys tables)")
    parser.add_argument("--usage-plan", help="only the keys of this usage plan")
    parser.add_argument("--key-id", action="append", default=[], help="only this key (repeat for more)")
    parser.add_argument("--all-keys", action="store_true", help="every API key of the region, other APIs' too")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done; write nothing")
    args = parser.parse_args(argv)
    accounts = on_stack(args.stack)
    chosen = bool(args.usage_plan or args.key_id or args.all_keys)
    given = given_keys(os.environ.get("OLD_API_KEYS", ""))
    if not chosen and not given:  # never every key of the region by default: other APIs' keys are there too
        parser.error("choose the keys: --usage-plan ID, --key-id ID (repeat), --all-keys, or OLD_API_KEYS")
    keys = api_gateway_keys(boto3.client("apigateway"), args.usage_plan, set(args.key_id)) if chosen else []
    keys += given
    for line in migrate(keys, accounts, dry_run=args.dry_run):
        print(line)
    print(f"{len(keys)} API Gateway keys read" + ("; dry run: nothing written" if args.dry_run else ""))


if __name__ == "__main__":
    main()
