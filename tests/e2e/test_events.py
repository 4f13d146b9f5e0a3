"""Every status change, once, in order, on the PaymentEvents bus (through the table's stream)."""

from __future__ import annotations


def test_one_event_per_status_change_in_order(api, stack):
    # Given a payment that goes pending -> processing -> succeeded, with duplicated callbacks on the way
    created = api.create()
    for status in ("processing", "processing", "succeeded", "succeeded", "processing"):
        api.control("sandbox", created["provider_payment_id"], status)
    # When the stream is pumped to publish_events
    stack.stream.pump()
    events = api.http.get(f"{api.base}/_local/events", timeout=30).json()["events"]
    # Then exactly three events were published for it, in increasing sequence, each with its previous status
    mine = [event for event in events if event["detail"].get("payment", {}).get("id") == created["id"]]
    assert [event["detail-type"] for event in mine] == ["payment.pending", "payment.processing", "payment.succeeded"]
    assert [event["detail"]["previous_status"] for event in mine] == [None, "pending", "processing"]
    sequences = [event["detail"]["sequence"] for event in mine]
    assert sequences == sorted(set(sequences))
    assert all(event["source"] == "paygate" for event in mine)
    assert [event["detail"]["event_id"] for event in mine] == [f"{created['id']}:{n}" for n in sequences]
    assert mine[-1]["detail"]["payment"]["status"] == "succeeded"
