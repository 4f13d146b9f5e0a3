"""Reconciliation over HTTP against the local stack: the sandbox (the deployed sandbox function, served
by the stack) changed behind the gateway's back, as a provider whose callback never arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def around_now() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "provider": "sandbox",
        "created_gte": (now - timedelta(minutes=5)).isoformat(),
        "created_lt": (now + timedelta(minutes=5)).isoformat(),
    }


def test_a_payment_paid_whose_callback_was_dropped_is_found_and_succeeds_through_a_sync(api, stack):
    created = api.create(amount="10.50")
    # Paid at the sandbox; its callback is never delivered
    stack.simulators["sandbox"].update(created["provider_payment_id"], status="succeeded")
    assert api.payment(created["id"])["status"] == "pending"

    response = api.post("/reconciliations", around_now())

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["object"] == "reconciliation" and result["complete"] is True
    assert result["checked"] >= 1 and result["repaired"] >= 1
    payment = api.payment(created["id"])
    assert payment["status"] == "succeeded"
    last = payment["history"][-1]
    assert (last["status"], last["source"], last["provider_status"]) == ("succeeded", "sync", "succeeded")
    # And the sandbox's fee and net came with it: 2.9 % of 10.50, to the cent
    assert (payment["fee"], payment["net"], payment["settlement_currency"]) == ("0.30", "10.20", "USD")
    assert payment["amount_received"] == "10.50"


def test_a_success_for_another_amount_is_listed_as_a_difference_and_moves_nothing(api, stack):
    created = api.create(amount="10.50")
    stack.simulators["sandbox"].update(created["provider_payment_id"], amount="99.00", status="succeeded")

    result = api.post("/reconciliations", around_now()).json()

    assert result["differences"] >= 1
    payment = api.payment(created["id"])
    assert payment["status"] == "pending"  # the status machine cannot take a success for another price
    listed = api.get("/reconciliations/differences", limit="100")
    assert listed.status_code == 200, listed.text
    [difference] = [d for d in listed.json()["data"] if d["payment_id"] == created["id"]]
    assert difference["object"] == "reconciliation_difference"
    assert (difference["kind"], difference["provider"]) == ("amount_mismatch", "sandbox")
    assert difference["status"] == "pending"
    assert "99.00 USD" in difference["detail"] and "10.50 USD" in difference["detail"]
    # Run again: the same difference, not a second one
    api.post("/reconciliations", around_now())
    again = api.get("/reconciliations/differences", limit="100").json()["data"]
    assert [d["id"] for d in again if d["payment_id"] == created["id"]] == [difference["id"]]


def test_a_window_is_refused_when_it_is_backwards_or_longer_than_a_month(api):
    now = datetime.now(UTC)
    earlier = (now - timedelta(hours=1)).isoformat()
    backwards = {"provider": "sandbox", "created_gte": now.isoformat(), "created_lt": earlier}
    too_long = {**backwards, "created_lt": (now + timedelta(days=40)).isoformat()}
    unknown = {**around_now(), "provider": "stripe"}
    for body, param in ((backwards, "created_lt"), (too_long, "created_lt"), (unknown, "provider")):
        response = api.post("/reconciliations", body)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation_error" and param in error["message"]


def test_another_account_neither_reconciles_nor_sees_your_payments(api, other_merchant, stack):
    created = api.create(amount="10.50")
    stack.simulators["sandbox"].update(created["provider_payment_id"], amount="77.00", status="succeeded")
    # The other account's run reads only its own payments: yours is not asked about, nor recorded
    theirs = other_merchant.post("/reconciliations", around_now())
    assert theirs.status_code == 200, theirs.text
    listed = other_merchant.get("/reconciliations/differences", limit="100").json()["data"]
    assert created["id"] not in {d["payment_id"] for d in listed}
    # Your own run finds it, and only you see it
    api.post("/reconciliations", around_now())
    mine = api.get("/reconciliations/differences", limit="100").json()["data"]
    assert created["id"] in {d["payment_id"] for d in mine}
    listed = other_merchant.get("/reconciliations/differences", limit="100").json()["data"]
    assert created["id"] not in {d["payment_id"] for d in listed}
