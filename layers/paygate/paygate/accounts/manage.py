"""Self-service: an account's API keys (list, create, revoke, roll) and its profile, each for the merchant
a key acts for. A key manages only keys of its own account and mode (a test key never makes a live one),
and another account's keys and profile are not found, exactly as ids that do not exist. Operators open
accounts and issue their first keys with the same code (scripts/accounts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from paygate.accounts.models import (
    SHOWN_CHARACTERS,
    AccountRecord,
    ApiKeyRecord,
    CreateKeyRequest,
    Merchant,
    RollKeyRequest,
    UpdateAccountRequest,
    key_hash,
    new_account_id,
    new_key,
    new_key_id,
)
from paygate.accounts.store import AccountStore
from paygate.errors import NotFound, ValidationFailed
from paygate.models import Clock
from paygate.store.versioned import AlreadyExists

# An account has at most this many keys (revoked and expired ones included, until they are deleted).
MAX_KEYS = 20
# A rolled key keeps working at most this long, so a leaked one cannot be kept alive by rolling.
MAX_ROLL_OVERLAP = timedelta(days=7)


@dataclass
class ApiKeys:
    accounts: AccountStore
    clock: Clock

    def list(self, merchant: Merchant) -> list[ApiKeyRecord]:
        return [key for key in self.accounts.keys_of(merchant.account_id) if key.mode == merchant.mode]

    def create(self, merchant: Merchant, request: CreateKeyRequest) -> tuple[ApiKeyRecord, str]:
        """A new key of the merchant's mode, and the key itself: shown once, never stored. The limit is
        kept in the same write as the key (see AccountStore.insert_key): no race of creates passes it."""
        return self._issue(merchant, request.name, at_most=MAX_KEYS)

    def revoke(self, merchant: Merchant, key_id: str) -> ApiKeyRecord:
        """The key stops working (within the authorizer's cache, a minute at most); revoking it again
        changes nothing."""
        now = self.clock()
        return self.accounts.keys.change(
            self._own(merchant, key_id),
            lambda key: None if key.revoked_at else key.model_copy(update={"revoked_at": now}),
        )

    def roll(self, merchant: Merchant, key_id: str, request: RollKeyRequest) -> tuple[ApiKeyRecord, str]:
        """A new key in place of `key_id`, which keeps working until `expires_at` (now by default, at most
        seven days on), so the merchant can switch without a moment with no working key."""
        now = self.clock()
        until = request.expires_at or now
        if until.tzinfo is None or not now <= until <= now + MAX_ROLL_OVERLAP:
            raise ValidationFailed(
                "expires_at: a time with its zone, from now to at most 7 days on", param="expires_at"
            )
        old = self._own(merchant, key_id)
        if not old.works_at(now):
            raise ValidationFailed("This API key no longer works: create a new one", code="api_key_inactive")

        def expire(key: ApiKeyRecord) -> ApiKeyRecord:
            return key.model_copy(update={"expires_at": min(until, key.expires_at or until)})

        self.accounts.keys.change(old, expire)
        return self._issue(merchant, old.name)

    def issue(self, merchant: Merchant, name: str | None) -> tuple[ApiKeyRecord, str]:
        """A key for an operator to hand over (an account's first): no limit on how many."""
        return self._issue(merchant, name)

    def adopt(self, merchant: Merchant, secret: str, name: str | None) -> ApiKeyRecord:
        """Register a key that exists already (one a merchant was given before, the local stack's own),
        kept as every key is: hashed. Adopting it again changes nothing and answers the key as it is (one
        revoked since stays revoked), so a migration or a seed may run twice; a key that acts for another
        account or mode is refused."""
        found = self.accounts.key(key_hash(secret))
        if found is None:
            try:
                return self._issue(merchant, name, secret)[0]
            except AlreadyExists:  # adopted at this moment by another run: it is found now
                return self.adopt(merchant, secret, name)
        if (found.account_id, found.mode) != (merchant.account_id, merchant.mode):
            raise ValidationFailed("This key is a key of another account or mode", code="api_key_taken")
        return found

    def _issue(
        self, merchant: Merchant, name: str | None, secret: str | None = None, *, at_most: int | None = None
    ) -> tuple[ApiKeyRecord, str]:
        secret = secret or new_key(merchant.mode)
        now = self.clock()
        record = ApiKeyRecord(
            id=new_key_id(),
            hash=key_hash(secret),
            account_id=merchant.account_id,
            name=name,
            mode=merchant.mode,
            shown=secret[:SHOWN_CHARACTERS],
            created_at=now,
            updated_at=now,
        )
        if not self.accounts.insert_key(record, at_most=at_most):
            raise ValidationFailed(f"An account may have at most {at_most} API keys: revoke one first")
        return record, secret

    def _own(self, merchant: Merchant, key_id: str) -> ApiKeyRecord:
        found = next((key for key in self.list(merchant) if key.id == key_id), None)
        if found is None:
            raise NotFound(f"No API key with id {key_id!r}", code="api_key_not_found", param="id")
        return found


@dataclass
class Profiles:
    accounts: AccountStore
    clock: Clock

    def open(self, display_name: str | None = None, account_id: str | None = None) -> AccountRecord:
        """A new account (an operator's act; `account_id` keeps an existing merchant's id)."""
        now = self.clock()
        record = AccountRecord(
            id=account_id or new_account_id(), display_name=display_name, created_at=now, updated_at=now
        )
        return self.accounts.accounts.insert(record)

    def get(self, merchant: Merchant) -> AccountRecord:
        found = self.accounts.account(merchant.account_id)
        if found is None:
            raise NotFound("No such account", code="account_not_found")
        return found

    def update(self, merchant: Merchant, request: UpdateAccountRequest) -> AccountRecord:
        changes = request.model_dump(include=request.model_fields_set)
        return self.accounts.accounts.change(
            self.get(merchant), lambda current: current.model_copy(update=changes) if changes else None
        )
