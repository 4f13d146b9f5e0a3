"""Every status change, once, in order, on the PaymentEvents bus (through the table's stream), each valid
against the published schema of its type (docs/events/)."""

from __future__ import annotations

from tests import event_contract


def events_of(api, payment_id: str) -> list[dict]:
    events = api.http.get(f"{api.base}/_local/events", timeout=30).json()["events"]
    return [
        event
        for event in events
        if payment_id in (event["detail"].get("payment", {}).get("id"), event["detail"].get("payment_id"))
    ]


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
    # The first tells the payment as the create answered it: at its provider, with its page.
    announced = mine[0]["detail"]["payment"]
    assert (announced["provider_payment_id"], announced["payment_url"]) == (
        created["provider_payment_id"],
        created["payment_url"],
    )
    assert announced["provider_payment_id"] and announced["payment_url"]
    assert all(event["detail"]["version"] == "1" for event in mine)


def test_every_kind_of_event_validates_against_its_published_schema(api, stack):
    # Given payments that end every way a payment can, a hosted one, and refunds made and failed
    paid = api.create(amount="30.00")
    api.control("sandbox", paid["provider_payment_id"], "succeeded")
    ended = [api.create() for _ in range(2)]
    for payment, status in zip(ended, ("failed", "expired"), strict=True):
        api.control("sandbox", payment["provider_payment_id"], status)
    cancelled = api.create()
    assert api.post(f"/payments/{cancelled['id']}/cancel", {}).status_code == 200
    waiting = api.create(provider=None, methods=["test"])
    refunds = [api.post(f"/payments/{paid['id']}/refunds", {"amount": amount}).json() for amount in ("10.00", "5.00")]
    for made, outcome in zip(refunds, ("succeeded", "failed"), strict=True):
        provider_id = api.get(f"/refunds/{made['id']}").json()["provider_refund_id"]
        api.http.post(f"{api.base}/_sim/sandbox/refunds/{provider_id}/status", json={"status": outcome}, timeout=30)
    # When the stream is published
    stack.stream.pump()
    ids = [paid["id"], cancelled["id"], waiting["id"], *(payment["id"] for payment in ended)]
    mine = [event for payment_id in ids for event in events_of(api, payment_id)]
    # Then each event is valid against the schema of its type, and every kind was seen
    assert [problem for event in mine for problem in event_contract.bus_event_problems(event)] == []
    kinds = {event["detail-type"] for event in mine}
    assert {"payment.pending", "payment.succeeded", "payment.failed", "payment.expired", "payment.cancelled"} <= kinds
    assert "refund.created" in kinds
    assert {"refund.succeeded", "refund.failed"} <= kinds
    waiting_events = events_of(api, waiting["id"])
    assert [event["detail"]["payment"]["provider"] for event in waiting_events] == [None]
