"""IVPAY: hosted crypto checkout for a fiat amount (docs/providers/ivpay.md)."""
