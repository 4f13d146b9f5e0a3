"""Endpoint signing secrets at rest: encrypted with the stack's KMS key (customer-managed, rotated by KMS),
bound to their account and endpoint by the encryption context, so a ciphertext copied into another
endpoint's record opens nothing. Sealed where endpoints are registered and rotated (kms:Encrypt only),
opened only where deliveries are signed (kms:Decrypt only); a table read alone reveals no secret.

A secret is at most a few dozen bytes, so KMS encrypts it directly (no data key). Records written before
hold their secret in clear (`whsec_...`): they are read as they are, and sealed at their next rotation."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

SEALED = "kms:"


class SecretSealer:
    def __init__(self, client: Any, key_id: str, *, cached: int = 512):
        if not key_id:
            raise RuntimeError("Paygate is not configured: set WEBHOOK_SECRETS_KEY in the environment")
        self.client = client
        self.key_id = key_id
        # A worker signs many deliveries for the same endpoints: each ciphertext is decrypted once.
        self._decrypt = lru_cache(maxsize=cached)(self._decrypt_now)

    def seal(self, secret: str, account_id: str, endpoint_id: str) -> str:
        if is_sealed(secret):
            return secret
        answer = self.client.encrypt(
            KeyId=self.key_id, Plaintext=secret.encode(), EncryptionContext=_context(account_id, endpoint_id)
        )
        return SEALED + base64.b64encode(answer["CiphertextBlob"]).decode()

    def open(self, stored: str, account_id: str, endpoint_id: str) -> str:
        if not is_sealed(stored):
            return stored  # a record from before sealing: its secret is in clear
        return self._decrypt(stored, account_id, endpoint_id)

    def _decrypt_now(self, stored: str, account_id: str, endpoint_id: str) -> str:
        answer = self.client.decrypt(
            KeyId=self.key_id,
            CiphertextBlob=base64.b64decode(stored.removeprefix(SEALED)),
            EncryptionContext=_context(account_id, endpoint_id),
        )
        return answer["Plaintext"].decode()


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED)


def _context(account_id: str, endpoint_id: str) -> dict[str, str]:
    return {"account_id": account_id, "endpoint_id": endpoint_id}
