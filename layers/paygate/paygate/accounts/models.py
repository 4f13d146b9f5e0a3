"""Accounts, API keys, and the merchant a request acts for. Pydantic only, no I/O.

A key is `pg_test_` or `pg_live_` and 32 random base62 characters; only its SHA-256 is ever stored, with
its first characters to tell keys apart. A request acts for a `Merchant`: an account, in one mode. Test and
live data of one account never mix: everything it owns is kept under its scope, `<account>` (live) or
`<account>:test`."""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from paygate.fields import NO_CONTROL, TEXT_SCHEMA, Email, Strict, Url
from paygate.models import Versioned

Mode = Literal["test", "live"]
KEY_PREFIXES: dict[Mode, str] = {"test": "pg_test_", "live": "pg_live_"}
KEY_RANDOM_CHARACTERS = 32
_BASE62 = string.ascii_letters + string.digits
# How much of a key is kept and shown, to tell keys apart: its prefix and four characters of it.
SHOWN_CHARACTERS = 12
_TEST_SCOPE = ":test"


@dataclass(frozen=True)
class Merchant:
    """Whom a request acts for: an account, in test or live mode."""

    account_id: str
    livemode: bool

    @property
    def mode(self) -> Mode:
        return "live" if self.livemode else "test"

    @property
    def scope(self) -> str:
        """What the account owns in this mode is kept under: `<account>` live, `<account>:test` in test."""
        return self.account_id if self.livemode else self.account_id + _TEST_SCOPE

    @classmethod
    def of_scope(cls, scope: str) -> Merchant:
        if scope.endswith(_TEST_SCOPE):
            return cls(scope.removesuffix(_TEST_SCOPE), livemode=False)
        return cls(scope, livemode=True)


def new_key(mode: Mode) -> str:
    return KEY_PREFIXES[mode] + "".join(secrets.choice(_BASE62) for _ in range(KEY_RANDOM_CHARACTERS))


def key_hash(key: str) -> str:
    """What is stored of a key: its SHA-256, hex. A key's random part is long enough that no salt is needed."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def mode_of(key: str) -> Mode | None:
    return next((mode for mode, prefix in KEY_PREFIXES.items() if key.startswith(prefix)), None)


def new_account_id() -> str:
    return "acct_" + secrets.token_hex(8)


def new_key_id() -> str:
    return "key_" + secrets.token_hex(8)


DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=100), NO_CONTROL, TEXT_SCHEMA]
# The hosted checkout checks a stored colour against this again before it writes it into a style block.
BRAND_COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
BrandColor = Annotated[str, StringConstraints(pattern=BRAND_COLOR_PATTERN)]
KeyName = Annotated[str, StringConstraints(min_length=1, max_length=100), NO_CONTROL, TEXT_SCHEMA]


class Profile(BaseModel):
    """How the account shows itself to its customers (the hosted checkout)."""

    display_name: str | None = None
    support_email: str | None = None
    support_url: str | None = None
    # Where "back to the shop" goes.
    website_url: str | None = None
    logo_url: str | None = None
    brand_color: str | None = None


class Account(Profile):
    """The Account object of the API."""

    id: str
    object: Literal["account"] = "account"
    status: Literal["active", "disabled"] = "active"
    created_at: datetime


class AccountRecord(Account, Versioned):
    pass


class UpdateAccountRequest(Strict):
    """The body of PATCH /account: the fields given change; null clears one."""

    display_name: DisplayName | None = None
    support_email: Email | None = None
    support_url: Url | None = None
    website_url: Url | None = None
    logo_url: Annotated[str, StringConstraints(max_length=2048, pattern=r"^https://[^\s]+$")] | None = None
    brand_color: BrandColor | None = None


class ApiKey(BaseModel):
    """An API key as the API shows it: never the key itself, but once, at creation (`secret`)."""

    id: str
    object: Literal["api_key"] = "api_key"
    name: str | None = None
    mode: Mode
    # Its first characters (`pg_live_AbCd`), to tell it apart.
    shown: str
    created_at: datetime
    last_used_at: datetime | None = None
    # It stops working at this time (a rolled key's overlap), or never.
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    secret: str | None = None


class ApiKeyRecord(ApiKey, Versioned):
    """A key as stored: its SHA-256 (the table's key), and the account it acts for."""

    hash: str
    account_id: str

    def public(self, *, secret: str | None = None) -> ApiKey:
        return ApiKey.model_validate({**self.model_dump(include=set(ApiKey.model_fields)), "secret": secret})

    def works_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class CreateKeyRequest(Strict):
    """The body of POST /api-keys: a key of the mode of the key that asks."""

    name: KeyName | None = None


class RollKeyRequest(BaseModel):
    """The body of POST /api-keys/{id}/roll: until when the old key keeps working (at most 7 days; now when
    omitted). Not strict: a time arrives as text."""

    model_config = ConfigDict(extra="forbid")

    expires_at: datetime | None = None


class ApiKeyList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ApiKey]
