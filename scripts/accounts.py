"""Merchant accounts and their API keys, for operators (see README, "Accounts and keys").

    python scripts/accounts.py open --stack paygate --name "Shop" [--account-id ID] [--support-email EMAIL]
    python scripts/accounts.py accounts --stack paygate
    python scripts/accounts.py keys ACCOUNT_ID --stack paygate
    python scripts/accounts.py issue ACCOUNT_ID --mode test|live [--name NAME] --stack paygate
    python scripts/accounts.py revoke ACCOUNT_ID KEY_ID --stack paygate

Where: `--stack NAME`, a deployed stack (its tables from the stack's outputs; region and credentials as the
AWS CLI finds them), or `--local` (`--local-url URL` elsewhere than 127.0.0.1:3000), the local stack
(`make run`; it tells where its tables are at /_local/dynamodb). `--json` prints one JSON document
instead of text, for scripts.

`open` opens an account and issues its first keys, one test and one live. A key is printed once, when it
is issued: only its SHA-256 is kept, so it can never be shown again. What each command does is
paygate.accounts, the code the key and account routes run."""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from pydantic import ValidationError
from redrive import outputs

from paygate.accounts.manage import ApiKeys, Profiles
from paygate.accounts.models import Account, AccountRecord, ApiKeyRecord, Merchant, UpdateAccountRequest
from paygate.accounts.store import AccountStore
from paygate.errors import NotFound, PaygateError, ValidationFailed
from paygate.models import utcnow
from paygate.store.versioned import AlreadyExists

LOCAL = "http://127.0.0.1:3000"
SHOWN_ONCE = (
    "Each key is shown only now: store it safely. Only its hash is kept, so it cannot be shown again;"
    " a lost key is revoked and replaced."
)
# An account id is part of what its records are kept under (`<id>`, `<id>:test`): letters, digits, _ and -.
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PROFILE = ("support_email", "support_url", "website_url")


@dataclass
class Accounts:
    """The accounts and keys of one deployment, managed as the API manages them."""

    store: AccountStore
    keys: ApiKeys
    profiles: Profiles

    @classmethod
    def on(cls, accounts_table: str, keys_table: str, client: Any) -> Accounts:
        store = AccountStore(accounts_table, keys_table, client)
        return cls(store, ApiKeys(store, utcnow), Profiles(store, utcnow))


def on_stack(name: str) -> Accounts:
    found = outputs(boto3.client("cloudformation"), name)
    return Accounts.on(found["AccountsTableName"], found["ApiKeysTableName"], boto3.client("dynamodb"))


def on_local(url: str) -> Accounts:
    """The local stack's tables: its DynamoDB's port is chosen when it starts, so it is asked."""
    try:
        found = requests.get(url.rstrip("/") + "/_local/dynamodb", timeout=10).json()
    except requests.RequestException:
        raise SystemExit(f"error: no local stack answers at {url} (start it with `make run`)") from None
    client = boto3.client(
        "dynamodb",
        endpoint_url=found["endpoint"],
        region_name=found["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return Accounts.on(found["tables"]["AccountsTable"], found["tables"]["ApiKeysTable"], client)


# --- what each command does ------------------------------------------------------------------------------


def open_account(
    accounts: Accounts, name: str, account_id: str | None = None, **profile: str | None
) -> tuple[AccountRecord, list[tuple[ApiKeyRecord, str]]]:
    """A new account with its profile, and its first keys (one test, one live) with their secrets."""
    if account_id is not None and not ACCOUNT_ID.match(account_id):
        raise ValidationFailed("--account-id: 1 to 64 letters, digits, _ or -", param="account_id")
    given = {"display_name": name, **{field: value for field, value in profile.items() if value is not None}}
    try:  # the whole profile is checked before anything is written
        request = UpdateAccountRequest.model_validate(given)
    except ValidationError as error:
        raise ValidationFailed(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        ) from None
    try:
        opened = accounts.profiles.open(name, account_id=account_id)
    except AlreadyExists:
        raise ValidationFailed(f"Account {account_id} exists already: issue it keys with `issue`") from None
    opened = accounts.profiles.update(Merchant(opened.id, livemode=True), request)
    keys = [accounts.keys.issue(Merchant(opened.id, livemode=live), "first key") for live in (False, True)]
    return opened, keys


def issue_key(accounts: Accounts, account_id: str, mode: str, name: str | None) -> tuple[ApiKeyRecord, str]:
    merchant = Merchant(account_id, livemode=mode == "live")
    accounts.profiles.get(merchant)  # NotFound: no key for an account that does not exist
    return accounts.keys.issue(merchant, name)


def keys_of(accounts: Accounts, account_id: str) -> list[ApiKeyRecord]:
    accounts.profiles.get(Merchant(account_id, livemode=True))
    return accounts.store.keys_of(account_id)


def revoke_key(accounts: Accounts, account_id: str, key_id: str) -> ApiKeyRecord:
    """The key stops working within the authorizer's cache (60 s); revoking it again changes nothing."""
    found = next((key for key in keys_of(accounts, account_id) if key.id == key_id), None)
    if found is None:
        raise NotFound(f"Account {account_id} has no API key {key_id}", code="api_key_not_found")
    return accounts.keys.revoke(Merchant(account_id, livemode=found.mode == "live"), key_id)


# --- how it is shown -------------------------------------------------------------------------------------


def shown_account(record: AccountRecord) -> dict:
    return record.model_dump(mode="json", include=set(Account.model_fields))


def shown_key(record: ApiKeyRecord, secret: str | None = None) -> dict:
    """A key as the API shows it: never its hash; its secret only when it was just issued."""
    return record.public(secret=secret).model_dump(mode="json", exclude=None if secret else {"secret"})


def table(rows: list[dict], columns: dict[str, str]) -> str:
    """`rows` as aligned text, one column per `columns` entry (field -> heading)."""
    cells = [list(columns.values())] + [["" if row.get(f) is None else str(row[f]) for f in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells)


KEY_COLUMNS = {
    "id": "ID",
    "mode": "MODE",
    "name": "NAME",
    "shown": "STARTS WITH",
    "created_at": "CREATED",
    "last_used_at": "LAST USED",
    "expires_at": "EXPIRES",
    "revoked_at": "REVOKED",
}
ACCOUNT_COLUMNS = {
    "id": "ID",
    "status": "STATUS",
    "display_name": "NAME",
    "support_email": "EMAIL",
    "created_at": "CREATED",
}


def run(args: argparse.Namespace, accounts: Accounts) -> tuple[Any, str]:
    """What the command did: as JSON, and as text."""
    if args.command == "open":
        profile = {field: getattr(args, field) for field in PROFILE}
        account, issued = open_account(accounts, args.name, args.account_id, **profile)
        keys = [shown_key(record, secret) for record, secret in issued]
        lines = [f"Opened account {account.id} ({account.display_name}); its keys:"]
        lines += [f"  {key['mode']:<4}  {key['id']}  {key['secret']}" for key in keys]
        return {"account": shown_account(account), "keys": keys}, "\n".join(lines)
    if args.command == "accounts":
        found = sorted((shown_account(record) for record in accounts.store.every_account()), key=lambda a: a["id"])
        return found, table(found, ACCOUNT_COLUMNS)
    if args.command == "keys":
        keys = [shown_key(record) for record in keys_of(accounts, args.account_id)]
        return keys, table(keys, KEY_COLUMNS)
    if args.command == "issue":
        key = shown_key(*issue_key(accounts, args.account_id, args.mode, args.name))
        return key, f"Issued {key['mode']} key {key['id']} of {args.account_id}:\n  {key['secret']}"
    key = shown_key(revoke_key(accounts, args.account_id, args.key_id))
    return key, f"Revoked {key['id']} ({key['shown']}...): it stops working within 60 s (the authorizer's cache)"


def parser() -> argparse.ArgumentParser:
    where = argparse.ArgumentParser(add_help=False)
    target = where.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", help="a deployed stack's name")
    target.add_argument("--local", action="store_const", const=LOCAL, help=f"the local stack at {LOCAL}")
    target.add_argument("--local-url", dest="local", metavar="URL", help="the local stack at another address")
    where.add_argument("--json", action="store_true", help="print JSON")
    main = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = main.add_subparsers(dest="command", required=True)
    opening = commands.add_parser("open", parents=[where], help="open an account and issue its first keys")
    opening.add_argument("--name", required=True, help="its display name")
    opening.add_argument("--account-id", help="keep an existing merchant's id (default: a new acct_ id)")
    for field in PROFILE:
        opening.add_argument("--" + field.replace("_", "-"))
    commands.add_parser("accounts", parents=[where], help="list the accounts")
    commands.add_parser("keys", parents=[where], help="list an account's keys").add_argument("account_id")
    issuing = commands.add_parser("issue", parents=[where], help="issue an account a key")
    issuing.add_argument("account_id")
    issuing.add_argument("--mode", required=True, choices=["test", "live"])
    issuing.add_argument("--name")
    revoking = commands.add_parser("revoke", parents=[where], help="revoke a key")
    revoking.add_argument("account_id")
    revoking.add_argument("key_id")
    return main


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    accounts = on_stack(args.stack) if args.stack else on_local(args.local)
    try:
        document, text = run(args, accounts)
    except PaygateError as error:
        raise SystemExit(f"error: {error.message}") from None
    print(json.dumps(document, indent=2) if args.json else text)
    if args.command in ("open", "issue"):  # on stderr: the JSON on stdout stays one document
        print(SHOWN_ONCE, file=sys.stderr)


if __name__ == "__main__":
    main()
