"""The payment lifecycle, by job:

- `status_machine`: the rules (which status may follow which, and what one accepted change records); pure.
- `gateway`: the use cases (create with write-ahead, read and sync, apply a callback) and `Gateway.change`,
  the one place a record's `version` and `updated_at` move.
- `sweeper`: due checks, expiry and the reconciliation of creates that never finished.
- `create`: idempotent create over the gateway (Powertools idempotency), for the create function.
"""
