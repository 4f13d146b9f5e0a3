"""Payop: hosted-checkout invoices (docs/providers/payop.md)."""
