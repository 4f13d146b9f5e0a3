"""Verifying a webhook the gateway sent: Standard Webhooks signatures, checked by the `standardwebhooks`
package (HMAC-SHA256 over `webhook-id.webhook-timestamp.body`, a timestamp at most 5 minutes from now)."""

from __future__ import annotations

from collections.abc import Mapping

import pydantic
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError as _Refused

from paygate_client.errors import WebhookVerificationError
from paygate_client.models import WebhookEvent


def verify_webhook(body: bytes | str, headers: Mapping[str, str], secret: str) -> WebhookEvent:
    """The event of a webhook whose signature one of the endpoint's secrets (`whsec_...`) made, sent within
    the last 5 minutes; WebhookVerificationError for a forged, altered or stale one. Pass the body exactly
    as received (the bytes: any re-encoding breaks the signature) and the request's headers."""
    # Header names compare case-insensitively; the library reads them in lower case.
    lowered = {name.lower(): value for name, value in headers.items()}
    raw = body.decode("utf-8") if isinstance(body, bytes) else body
    try:
        payload = Webhook(secret).verify(raw, lowered)
    except _Refused as refused:
        raise WebhookVerificationError(str(refused)) from refused
    except (ValueError, TypeError) as unreadable:  # a malformed secret, header or body
        raise WebhookVerificationError(f"unreadable webhook: {unreadable}") from unreadable
    try:
        return WebhookEvent.model_validate(payload)
    except pydantic.ValidationError as shape:
        raise WebhookVerificationError(f"signed, but not a Paygate event: {shape}") from shape
