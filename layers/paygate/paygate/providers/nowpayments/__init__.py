"""NOWPayments: crypto payments to a deposit address (docs/providers/nowpayments.md)."""
