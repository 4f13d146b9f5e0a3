"""Merchant accounts and their API keys: an account outlives its keys (several at once, rolled, revoked,
test or live), and a key only ever names its account and mode. `models` (pydantic, no I/O), `store` (the
accounts and keys tables), `authorize` (what a presented key is worth) and `manage` (the self-service key
and profile routes)."""
