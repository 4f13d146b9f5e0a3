"""Endpoint signing secrets at rest: encrypted with the stack's KMS key (customer-managed, rotated by KMS),
bound to their account and endpoint by the encryption context, so a ciphertext copied into another
endpoint's record opens nothing. Sealed where endpoints are registered and rotated (kms:Encrypt only),
opened only where deliveries are signed (kms:Decrypt only); a table read alone reveals no secret.

A secret is at most a few dozen bytes, so KMS encrypts it directly (no data key). Records written before
hold their secret in clear (`whsec_...`): they are read as they are, and sealed at their next rotation."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paygate.webhooks.models import EndpointRecord
    from paygate.webhooks.store import WebhookStore

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


def seal_in_clear(store: WebhookStore, sealer: SecretSealer, *, dry_run: bool = False) -> int:
    """Seal every secret still kept in clear (records from before sealing), each endpoint by one versioned
    write (one that changes meanwhile is read again); the number of endpoints that had one. A second run
    finds none."""

    def in_clear(endpoint: EndpointRecord) -> list[str]:
        return [name for name in ("secret", "previous_secret") if not is_sealed(getattr(endpoint, name) or SEALED)]

    def sealed(endpoint: EndpointRecord) -> EndpointRecord | None:
        names = in_clear(endpoint)
        seal = {name: sealer.seal(getattr(endpoint, name), endpoint.account_id, endpoint.id) for name in names}
        return endpoint.model_copy(update=seal) if names else None

    found = [endpoint for endpoint in store.all_endpoints() if in_clear(endpoint)]
    for endpoint in [] if dry_run else found:
        store.endpoints.change(endpoint, sealed)
    return len(found)
