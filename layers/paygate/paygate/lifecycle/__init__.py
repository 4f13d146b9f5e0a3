"""The payment lifecycle: one small module per use case, each with its collaborators injected (the
composition root, paygate.service, builds them), over the pure rules they share.

- The rules, pure: `status_machine` (which status may follow which), `money` (whether a report's money is
  the payment's), `next_check` (when a payment is looked at next), `reports` (what a provider's report
  does to a payment).
- The use cases: `create` (with failover, through `attempts`, the write-ahead attempts) and `idempotent`
  (its Idempotency-Key), `choose` (the customer's choice on the hosted page), `callback` (a provider's
  callback), `sync` (read, and ask the provider), `cancel`, `listing`, `methods` (ways to pay), `hosted`
  (what the hosted checkout page shows, and what a choice there does), and the due checks: `due_checks`
  (finding them) and `checks` (making them).
"""
