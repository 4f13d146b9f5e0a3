"""Paygentic: hosted payments, webhooks signed the Svix way (docs/providers/paygentic.md)."""
