"""The status machine's rules, directly: every (from, to) pair, no database. Then what the store-backed
write path adds: unknown statuses change nothing, and history stays bounded."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from paygate import api
from paygate.errors import Busy, NotFound
from paygate.lifecycle.status_machine import accepts, with_note, with_status
from paygate.models import HISTORY_LIMIT, NOTES_LIMIT, Status
from paygate.providers.base import ProviderState
from tests import factories
from tests.factories import ALLOWED, PAID_LATE_FROM

PAIRS = list(itertools.product(Status, Status))


def test_the_rules_cover_all_49_pairs():
    assert len(PAIRS) == 49


@pytest.mark.parametrize(("current", "new"), PAIRS)
def test_transition(current, new):
    # Given a stored payment in `current`
    record = factories.record(status=current, version=3)
    at = record.updated_at + timedelta(seconds=5)
    # When the provider reports `new`
    moved = with_status(record, new, at=at, source="callback", provider_status=new.value, event_id="evt_1")
    # Then it moves exactly when the rules allow it, with one history entry, and never touches the version
    assert accepts(current, new) is (new in ALLOWED[current])
    if new not in ALLOWED[current]:
        assert moved is None
        return
    assert moved is not None
    assert moved.status is new
    assert [entry.status for entry in moved.history] == [current, new]
    assert (moved.history[-1].at, moved.history[-1].source, moved.history[-1].event_id) == (at, "callback", "evt_1")
    assert moved.paid_late is (new is Status.SUCCEEDED and current in PAID_LATE_FROM)
    assert (moved.version, moved.updated_at) == (record.version, record.updated_at)  # writes count versions


def test_a_failure_reason_is_kept_only_with_failed():
    record = factories.record()
    failed = with_status(record, Status.FAILED, at=record.updated_at, source="api", failure_reason="no money")
    expired = with_status(record, Status.EXPIRED, at=record.updated_at, source="expiry", failure_reason="ignored")
    assert failed is not None and failed.failure_reason == "no money"
    assert expired is not None and expired.failure_reason is None


def test_a_terminal_status_ends_the_due_checks():
    record = factories.record(due_at=factories.DEFAULT_NOW)
    assert with_status(record, Status.PROCESSING, at=record.updated_at, source="sync").due_at == record.due_at
    assert with_status(record, Status.SUCCEEDED, at=record.updated_at, source="sync").due_at is None


# --- through the store (moto) --------------------------------------------------------------------


@pytest.fixture
def gateway(dynamodb, clock):
    return factories.lifecycle(dynamodb, clock)


def test_an_applied_move_is_one_write_one_version_and_the_time_of_the_write(gateway, clock):
    record = factories.record(version=3, at=clock())
    gateway.payments.insert(record)
    clock.advance(seconds=5)
    gateway.reports.apply(
        record, ProviderState(status=Status.PROCESSING, provider_status="processing"), source="callback"
    )
    stored = gateway.payments.get(record.id)
    assert (stored.status, stored.version, stored.updated_at) == (Status.PROCESSING, 4, clock())


def test_unknown_provider_status_changes_nothing(gateway, clock):
    record = factories.record(at=clock())
    gateway.payments.insert(record)
    gateway.reports.apply(record, ProviderState(status=None, provider_status="mystery"), source="callback")
    assert gateway.payments.get(record.id) == record


def test_history_keeps_the_last_fifty_changes(gateway, clock):
    record = factories.record(at=clock())
    # 60 earlier changes, ending where the record is (pending)
    first = record.history[0]
    earlier = [first.model_copy(update={"status": (Status.PROCESSING, Status.PENDING)[n % 2]}) for n in range(60)]
    record = record.model_copy(update={"history": earlier})
    gateway.payments.insert(record)
    moved = gateway.reports.apply(record, ProviderState(Status.PROCESSING, "processing"), source="sync")
    assert len(moved.history) == HISTORY_LIMIT
    assert moved.history[-1].status is Status.PROCESSING
    assert gateway.payments.get(record.id).history == moved.history


def test_notes_are_bounded_apart_and_never_push_a_status_change_out():
    record = factories.record(status=Status.PENDING)
    at = factories.DEFAULT_NOW
    record = with_status(record, Status.PROCESSING, at=at, source="callback")
    for number in range(60):
        noted = with_note(record, f"price mismatch {number}", at=at, source="callback", provider_status="succeeded")
        assert noted is not None
        record = noted
    record = with_status(record, Status.SUCCEEDED, at=at, source="callback")
    statuses = [entry.status for entry in record.history if entry.note is None]
    assert statuses == [Status.PENDING, Status.PROCESSING, Status.SUCCEEDED]
    notes = [entry.note for entry in record.history if entry.note]
    assert notes == [f"price mismatch {number}" for number in range(50, 60)]
    assert len(notes) == NOTES_LIMIT


def test_a_note_already_kept_is_not_written_again_even_after_others():
    at = factories.DEFAULT_NOW
    record = factories.record(status=Status.PENDING)
    for note in ("currency mismatch A", "currency mismatch B"):
        record = with_note(record, note, at=at, source="callback", provider_status="succeeded") or record
    assert with_note(record, "currency mismatch A", at=at, source="callback", provider_status="succeeded") is None


def test_an_answer_that_may_be_made_again_says_when():
    answer = api.error_response(Busy("changing too fast"))
    assert (answer.status_code, answer.headers["Retry-After"]) == (409, "1")
    assert "Retry-After" not in api.error_response(NotFound("nothing")).headers
