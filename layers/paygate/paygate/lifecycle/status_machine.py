"""The status machine: which status may follow which, and what one accepted change records.

Pure: no I/O and no clock (the time comes in). It never touches `version` or `updated_at`: those count
writes, and only the store's versioned write moves them."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

from paygate.lifecycle import next_check
from paygate.models import (
    HISTORY_LIMIT,
    NOTES_LIMIT,
    Attempt,
    AttemptOutcome,
    ChangeSource,
    HistoryEntry,
    PaymentRecord,
    Status,
)
from paygate.status import TERMINAL

# Non-terminal statuses only move forward, in this order.
_FORWARD = {Status.PENDING: 0, Status.PROCESSING: 1, Status.PARTIALLY_PAID: 2}
_UNPAID_ENDINGS = TERMINAL - {Status.SUCCEEDED}


def accepts(current: Status, new: Status) -> bool:
    """May a payment in `current` move to `new`?"""
    if new == current:
        return False  # a duplicate: no change, no event
    if new is Status.SUCCEEDED:
        return True  # money received is never dropped, even after a terminal status
    if current.is_terminal:
        return False
    if new.is_terminal:
        return True
    return _FORWARD[new] > _FORWARD[current]


def with_status(
    record: PaymentRecord,
    new: Status,
    *,
    at: datetime,
    source: ChangeSource,
    provider_status: str | None = None,
    event_id: str | None = None,
    failure_reason: str | None = None,
    note: str | None = None,
) -> PaymentRecord | None:
    """The record moved to `new`, with its history entry; None when the rules refuse the move."""
    if not accepts(record.status, new):
        return None
    entry = HistoryEntry(
        status=new, at=at, source=source, provider_status=provider_status, event_id=event_id, note=note
    )
    moved = record.model_copy(
        update={
            "status": new,
            "history": appended(record.history, entry),
            "paid_late": record.paid_late or (new is Status.SUCCEEDED and record.status in _UNPAID_ENDINGS),
            "failure_reason": failure_reason if new is Status.FAILED else record.failure_reason,
        }
    )
    # An open payment keeps its next check; one that ended gets the policy's (the late window, or none).
    return moved.model_copy(update={"due_at": next_check.after(moved, at)}) if new.is_terminal else moved


def with_note(
    record: PaymentRecord,
    note: str,
    *,
    at: datetime,
    source: ChangeSource,
    provider_status: str | None = None,
    event_id: str | None = None,
) -> PaymentRecord | None:
    """The record with a history entry that changes no status: a provider's report that was not believed
    (say, a success for another amount). None when a note kept already says so (a sweep re-reading the
    same answer, a provider repeating itself, adds nothing)."""
    said = {(entry.note, entry.provider_status) for entry in _notes(record.history)}
    if (note, provider_status) in said:
        return None
    entry = HistoryEntry(
        status=record.status, at=at, source=source, provider_status=provider_status, event_id=event_id, note=note
    )
    return record.model_copy(update={"history": appended(record.history, entry)})


def appended(history: list[HistoryEntry], entry: HistoryEntry) -> list[HistoryEntry]:
    """The history with `entry`, bounded: the last HISTORY_LIMIT status changes and, apart from them, the
    last NOTES_LIMIT notes, in order. Notes never push a status change out, however many arrive."""
    entries = [*history, entry]
    notes = {id(note) for note in _notes(entries)}
    changes = [item for item in entries if id(item) not in notes]
    kept = {id(item) for item in changes[-HISTORY_LIMIT:]} | {id(item) for item in _notes(entries)[-NOTES_LIMIT:]}
    return [item for item in entries if id(item) in kept]


def _notes(history: list[HistoryEntry]) -> list[HistoryEntry]:
    """The entries that changed no status (the status of the entry before them), in order."""
    return [entry for before, entry in pairwise(history) if entry.status == before.status]


def closed_attempts(attempts: list[Attempt], closing: tuple[AttemptOutcome, str | None] | None) -> list[Attempt]:
    """The attempts, the last (pending) one given its outcome."""
    if closing is None or not attempts or attempts[-1].outcome != "pending":
        return list(attempts)
    outcome, code = closing
    return [*attempts[:-1], attempts[-1].model_copy(update={"outcome": outcome, "error_code": code})]
