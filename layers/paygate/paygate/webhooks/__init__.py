"""Merchant webhooks: every payment event, POSTed to the merchant's own HTTPS endpoints, signed as the
Standard Webhooks specification says (so any of its libraries verifies them), retried for a day,
every attempt recorded, nothing held only in memory.

- `models`: endpoints, deliveries and their attempts (pydantic, no I/O).
- `signing`: secrets and the `webhook-*` headers.
- `sealing`: secrets at rest, encrypted with the stack's KMS key.
- `addresses`: where a webhook may go (public https hosts only: no SSRF).
- `sender`: one POST to a merchant URL, to the address checked, with no redirects and one deadline.
- `store`: the endpoints and deliveries tables (the only code here that touches DynamoDB, through the
  versioned write of paygate.store).
- `endpoints`: the endpoint API: register, edit, delete, rotate, the delivery log, retries, test events.
- `service`: delivery: fanning an event out to deliveries, attempting them (its `Webhooks` is the
  endpoint API and delivery in one).

The event they carry is paygate.events.
"""
