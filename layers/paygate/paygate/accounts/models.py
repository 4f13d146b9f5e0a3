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

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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

    display_name: str | None = Field(
        default=None, description="The name customers see on the hosted checkout", examples=["Acme Tickets"]
    )
    support_email: str | None = Field(
        default=None, description="Where customers write for help", examples=["help@acme.example"]
    )
    support_url: str | None = Field(
        default=None, description="Where customers find help", examples=["https://acme.example/help"]
    )
    website_url: str | None = Field(
        default=None,
        description='The shop, where the page\'s "back to the shop" goes',
        examples=["https://acme.example"],
    )
    logo_url: str | None = Field(
        default=None,
        description="The logo the hosted checkout shows (https)",
        examples=["https://acme.example/logo.png"],
    )
    brand_color: str | None = Field(
        default=None, description="The hosted checkout's accent colour (`#rrggbb`)", examples=["#1a73e8"]
    )


class Account(Profile):
    """The Account object of the API."""

    id: str = Field(description="The account's id", examples=["acct_5e8a1c3f7b2d9e4a"])
    object: Literal["account"] = Field(default="account", description="Always `account`", examples=["account"])
    status: Literal["active", "disabled"] = Field(
        default="active", description="`active`, or `disabled` (its keys no longer work)", examples=["active"]
    )
    created_at: datetime = Field(description="When it was created (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])


class AccountRecord(Account, Versioned):
    pass


class UpdateAccountRequest(Strict):
    """The body of PATCH /account: the fields given change; null clears one."""

    display_name: DisplayName | None = Field(
        default=None,
        description="The name customers see on the hosted checkout; null clears it",
        examples=["Acme Tickets"],
    )
    support_email: Email | None = Field(
        default=None, description="Where customers write for help; null clears it", examples=["help@acme.example"]
    )
    support_url: Url | None = Field(
        default=None, description="Where customers find help; null clears it", examples=["https://acme.example/help"]
    )
    website_url: Url | None = Field(
        default=None,
        description='The shop, where the page\'s "back to the shop" goes; null clears it',
        examples=["https://acme.example"],
    )
    logo_url: Annotated[str, StringConstraints(max_length=2048, pattern=r"^https://[^\s]+$")] | None = Field(
        default=None,
        description="The logo the hosted checkout shows (https only); null clears it",
        examples=["https://acme.example/logo.png"],
    )
    brand_color: BrandColor | None = Field(
        default=None,
        description="The hosted checkout's accent colour (`#rrggbb`); null clears it",
        examples=["#1a73e8"],
    )


class ApiKey(BaseModel):
    """An API key as the API shows it: never the key itself, but once, at creation (`secret`)."""

    id: str = Field(description="The key's id (not the key)", examples=["key_5d2e8f1a9b3c7d4e"])
    object: Literal["api_key"] = Field(default="api_key", description="Always `api_key`", examples=["api_key"])
    name: str | None = Field(default=None, description="What the merchant calls it", examples=["production server"])
    mode: Mode = Field(description="`test` (the sandbox's test money only) or `live`", examples=["test"])
    shown: str = Field(description="Its first characters, to tell it apart", examples=["pg_test_AbCd"])
    created_at: datetime = Field(description="When it was created (RFC 3339, UTC)", examples=["2026-01-01T12:00:00Z"])
    last_used_at: datetime | None = Field(
        default=None, description="When it was last used (to the nearest few minutes)", examples=[None]
    )
    expires_at: datetime | None = Field(
        default=None, description="When it stops working (a rolled key's overlap); null: never", examples=[None]
    )
    revoked_at: datetime | None = Field(
        default=None, description="When it was revoked; null: it was not", examples=[None]
    )
    secret: str | None = Field(
        default=None,
        description="The key itself, to send as `X-API-Key`: only in the answer that made it, never again",
        examples=["pg_test_AbCdEfGhIjKlMnOpQrStUvWxYz012345"],
    )


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

    name: KeyName | None = Field(default=None, description="What to call it", examples=["production server"])


class RollKeyRequest(BaseModel):
    """The body of POST /api-keys/{id}/roll: until when the old key keeps working (at most 7 days; now when
    omitted). Not strict: a time arrives as text."""

    model_config = ConfigDict(extra="forbid")

    expires_at: datetime | None = Field(
        default=None,
        description="Until when the old key keeps working (RFC 3339; at most 7 days from now); now when omitted",
        examples=["2026-01-02T12:00:00Z"],
    )


class ApiKeyList(BaseModel):
    """The account's API keys of one mode."""

    object: Literal["list"] = Field(default="list", description="Always `list`", examples=["list"])
    data: list[ApiKey] = Field(description="The keys, newest first", examples=[[]])
