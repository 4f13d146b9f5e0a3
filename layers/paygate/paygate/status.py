"""A payment's status: what each one means, and which may follow which (the rules that apply it are
paygate.lifecycle.status_machine). No I/O."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A payment's status, and the status machine it moves by (each accepted move is one entry of its
    `history` and one event, `payment.<status>`):

    - `pending`: created; the customer has not paid yet (or, created with `methods`, has not chosen how).
    - `processing`: the provider saw the money coming (a crypto transfer awaiting confirmations, a card
      being authorised).
    - `partially_paid`: less than the amount arrived; it may still be completed, or accepted as it is
      (`POST /payments/{payment_id}/accept`).
    - `succeeded` (final): the amount, or more, was received (`amount_received`).
    - `failed` (final): the provider refused it or could not create it (`failure_reason`).
    - `expired` (final): nothing (or not enough) arrived before `expires_at`.
    - `cancelled` (final): the merchant cancelled it (`POST /payments/{payment_id}/cancel`).

    Moves: `pending` -> `processing` -> `partially_paid` only forward (a step may be skipped), and any of
    them -> any final status. A final status never changes, except to `succeeded`: money that arrives
    after a payment failed, expired or was cancelled is never dropped (`paid_late: true`). A report that
    would move a payment backwards, or repeats its status, changes nothing."""

    PENDING = "pending"
    PROCESSING = "processing"
    PARTIALLY_PAID = "partially_paid"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.EXPIRED, Status.CANCELLED})
