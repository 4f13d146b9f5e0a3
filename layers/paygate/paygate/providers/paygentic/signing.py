"""Paygentic's webhook signatures, the Svix way: HMAC-SHA256 keyed with the base64-decoded secret (after
its `whsec_` prefix) over `svix-id.svix-timestamp.raw body`, base64, in `svix-signature` as space-separated
`v1,<b64>` entries; refused more than 300 s from now."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from paygate import wire
from paygate.errors import AuthenticationFailed

TOLERANCE_SECONDS = 300


def sign(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The `v1,<base64>` entry Svix puts in `svix-signature` for this message."""
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    signed = f"{msg_id}.{timestamp}.".encode() + body  # the raw bytes, never re-serialised
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify_signature(
    secrets: str | Sequence[str], msg_id: str, timestamp: str, header: str, body: bytes, now: float
) -> None:
    """Raise AuthenticationFailed unless one `v1` entry of the header signs this message, recently, with
    one of the secrets (the current one, and the previous during a rotation)."""
    secrets = [secrets] if isinstance(secrets, str) else [secret for secret in secrets if secret]
    if not any(secrets):
        raise AuthenticationFailed("No webhook secret is configured for paygentic")
    stamp = wire.unix_seconds(timestamp)
    if not msg_id or stamp is None or not header:
        raise AuthenticationFailed("Missing or malformed svix-id, svix-timestamp or svix-signature header")
    if abs(now - stamp) > TOLERANCE_SECONDS:
        raise AuthenticationFailed("The webhook's timestamp is too old or in the future")
    try:
        expected = [sign(secret, msg_id, stamp, body) for secret in secrets]
    except (binascii.Error, ValueError) as error:  # a misconfigured secret refuses everything
        raise AuthenticationFailed("The configured paygentic webhook secret is not valid base64") from error
    # Check every entry (no early exit) so the time taken says nothing about which one matched.
    matched = False
    for entry in header.split():
        for signature in expected:
            matched |= wire.same(signature, entry)
    if not matched:
        raise AuthenticationFailed("The webhook's signature does not match")
