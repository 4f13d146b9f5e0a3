"""What Paygate keeps: every record written through one versioned write (`versioned.py`), and the
payments table and its indexes (`payments.py`, `due_index.py`). The webhook tables are paygate.webhooks.store."""
