"""The local merchant's webhook receiver: what it records, how it can be told to fail, and its two
interfaces (HTTP for the stack, Python for tests in the same process) seeing the same state."""

from __future__ import annotations

import threading
import time

import pytest
from werkzeug.test import Client

from local.simulators.merchant import MerchantReceiver

BODY = b'{"type":"payment.succeeded","data":{"id":"pay_1","note":"caf\xc3\xa9"}}\n'
HEADERS = {
    "webhook-id": "msg_1",
    "webhook-timestamp": "1700000000",
    "webhook-signature": "v1,c2lnbmF0dXJl",
    "Content-Type": "application/json",
}


@pytest.fixture
def receiver() -> MerchantReceiver:
    return MerchantReceiver()


@pytest.fixture
def client(receiver: MerchantReceiver) -> Client:
    return Client(receiver)


def deliver(client: Client, name: str = "shop-a") -> int:
    return client.post(f"/{name}", data=BODY, headers=HEADERS).status_code


def statuses(client: Client, count: int, name: str = "shop-a") -> list[int]:
    return [deliver(client, name) for _ in range(count)]


def test_records_exactly_what_was_posted_and_answers_200(client, receiver):
    before = time.time()
    response = client.post("/shop-a", data=BODY, headers=HEADERS)

    assert response.status_code == 200
    assert response.get_json() == {"ok": True}
    [record] = client.get("/shop-a/_received").get_json()["received"]
    assert record["body"] == BODY.decode()
    for name, value in HEADERS.items():
        assert record["headers"][name.lower()] == value  # names are kept lowercase
    assert record["headers"]["content-length"] == str(len(BODY))
    assert record["status"] == 200
    assert before <= record["at"] <= time.time()
    assert receiver.received("shop-a") == [record]  # the Python API sees the same


def test_receivers_are_kept_apart_and_in_order(client, receiver):
    client.post("/shop-a", data=b"first")
    client.post("/shop-b", data=b"other")
    client.post("/shop-a", data=b"second")

    assert [record["body"] for record in receiver.received("shop-a")] == ["first", "second"]
    assert [record["body"] for record in receiver.received("shop-b")] == ["other"]
    assert receiver.received("nobody") == []
    assert client.get("/nobody/_received").get_json() == {"received": []}


def test_a_body_that_is_not_utf8_is_kept_leniently(client, receiver):
    client.post("/shop-a", data=b"\xff{}")
    assert receiver.received("shop-a")[0]["body"] == "\ufffd{}"


def test_fail_next_fails_that_many_deliveries_then_answers_200(client, receiver):
    assert client.post("/shop-a/_configure", json={"fail_next": 2}).status_code == 200

    assert statuses(client, 4) == [500, 500, 200, 200]
    assert [record["status"] for record in receiver.received("shop-a")] == [500, 500, 200, 200]
    assert statuses(client, 1, "shop-b") == [200]  # another receiver is not affected


def test_fail_next_with_its_own_status(client):
    client.post("/shop-a/_configure", json={"fail_next": 1, "fail_status": 503})
    assert statuses(client, 2) == [503, 200]


def test_fail_rate_is_reproducible_with_a_seed(client):
    client.post("/shop-a/_configure", json={"fail_rate": 0.5, "seed": 7})
    first = statuses(client, 40)
    client.post("/shop-a/_configure", json={"fail_rate": 0.5, "seed": 7})
    second = statuses(client, 40)
    client.post("/shop-a/_configure", json={"fail_rate": 0.5, "seed": 8})
    other_seed = statuses(client, 40)

    assert first == second
    assert set(first) == {200, 500}  # it does fail some, and not all
    assert other_seed != first


def test_fail_rate_fails_about_that_share(receiver):
    receiver.configure("shop-a", fail_rate=0.3, seed=1, fail_status=502)
    client = Client(receiver)
    answers = statuses(client, 1000)

    assert set(answers) == {200, 502}
    assert 220 <= answers.count(502) <= 380


def test_status_answers_every_delivery_from_now_on(client, receiver):
    client.post("/shop-a/_configure", json={"status": 410})

    assert statuses(client, 3) == [410, 410, 410]
    assert [record["status"] for record in receiver.received("shop-a")] == [410, 410, 410]


def test_an_empty_configuration_resets_to_200(client):
    client.post("/shop-a/_configure", json={"status": 410})
    assert statuses(client, 1) == [410]
    client.post("/shop-a/_configure", json={"fail_next": 5, "fail_rate": 1.0, "seed": 1})
    assert statuses(client, 1) == [500]

    assert client.post("/shop-a/_configure", json={}).status_code == 200
    assert statuses(client, 3) == [200, 200, 200]


def test_the_python_api_configures_the_same_receiver(client, receiver):
    receiver.configure("shop-a", fail_next=1, fail_status=429)
    assert statuses(client, 2) == [429, 200]
    receiver.configure("shop-a", status=410)
    assert statuses(client, 1) == [410]
    receiver.configure("shop-a")
    assert statuses(client, 1) == [200]


@pytest.mark.parametrize(
    "options",
    [
        {"fail_next": -1},
        {"fail_next": "2"},
        {"fail_status": 99},
        {"fail_status": True},
        {"status": 600},
        {"fail_rate": 1.5},
        {"fail_rate": "0.3"},
        {"seed": 1.5},
        {"fail_nxt": 2},
    ],
)
def test_a_bad_configuration_is_refused_and_changes_nothing(client, receiver, options):
    receiver.configure("shop-a", status=410)
    response = client.post("/shop-a/_configure", json=options)

    assert response.status_code == 400
    assert response.get_json()["message"]
    assert statuses(client, 1) == [410]
    with pytest.raises(ValueError):
        receiver.configure("shop-a", **options)


def test_a_configuration_that_is_not_a_json_object_is_refused(client):
    assert client.post("/shop-a/_configure", data=b"[1]", content_type="application/json").status_code == 400
    assert client.post("/shop-a/_configure", data=b"not json").status_code == 400


def test_clear_forgets_what_was_received_but_not_the_configuration(client, receiver):
    client.post("/shop-a/_configure", json={"status": 410})
    statuses(client, 2)
    statuses(client, 1, "shop-b")

    assert client.delete("/shop-a/_received").status_code == 200
    assert client.get("/shop-a/_received").get_json() == {"received": []}
    assert len(receiver.received("shop-b")) == 1  # only that receiver
    assert statuses(client, 1) == [410]

    receiver.clear("shop-a")
    assert receiver.received("shop-a") == []


def test_what_received_returns_is_a_copy(client, receiver):
    deliver(client)
    receiver.received("shop-a")[0]["headers"]["webhook-id"] = "changed"
    receiver.received("shop-a").clear()

    assert receiver.received("shop-a")[0]["headers"]["webhook-id"] == "msg_1"


def test_other_methods_and_paths_are_refused(client, receiver):
    assert client.get("/shop-a").status_code == 405
    assert client.put("/shop-a/_received").status_code == 405
    assert client.post("/shop-a/deeper/path").status_code == 404
    assert receiver.received("shop-a") == []


def test_concurrent_deliveries_are_all_recorded_and_fail_next_is_exact(receiver: MerchantReceiver) -> None:
    receiver.configure("shop-a", fail_next=50)
    answers: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        client = Client(receiver)
        for _ in range(25):
            status = deliver(client)
            with lock:
                answers.append(status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 200
    assert answers.count(500) == 50  # no failure lost or doubled by a race
    assert len(receiver.received("shop-a")) == 200
    assert sorted(record["status"] for record in receiver.received("shop-a")) == sorted(answers)
