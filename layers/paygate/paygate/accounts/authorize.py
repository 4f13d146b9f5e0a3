"""What a presented API key is worth: the merchant it acts for, or nothing (the caller answers 401).

The key is found by its SHA-256 with one consistent read, compared again in constant time, and refused if
it is revoked, past its `expires_at`, or its account is not active. Its `last_used_at` is kept coarse: at
most one write a minute, and never in the way of the answer."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from paygate.accounts.models import ApiKeyRecord, Merchant, key_hash
from paygate.accounts.store import AccountStore
from paygate.errors import PaygateError
from paygate.models import Clock

logger = Logger(service="paygate", child=True)

LAST_USED_EVERY = timedelta(minutes=1)
# A presented key longer than this is no key of ours (nothing longer is ever hashed).
MAX_KEY_LENGTH = 128


@dataclass
class Authorize:
    accounts: AccountStore
    clock: Clock

    def __call__(self, presented: str | None) -> Merchant | None:
        if not presented or len(presented) > MAX_KEY_LENGTH:
            return None
        hashed = key_hash(presented)
        record = self.accounts.key(hashed)
        now = self.clock()
        if record is None or not hmac.compare_digest(record.hash, hashed) or not record.works_at(now):
            return None
        account = self.accounts.account(record.account_id)
        if account is None or account.status != "active":
            return None
        self._touch(record)
        return Merchant(record.account_id, livemode=record.mode == "live")

    def _touch(self, record: ApiKeyRecord) -> None:
        now = self.clock()

        def used(current: ApiKeyRecord) -> ApiKeyRecord | None:
            recent = current.last_used_at and now - current.last_used_at < LAST_USED_EVERY
            return None if recent else current.model_copy(update={"last_used_at": now})

        try:
            self.accounts.keys.change(record, used)
        except (PaygateError, BotoCoreError, ClientError):  # busy or throttled: the next minute will tell
            logger.info("api key last use not recorded", key_id=record.id)
