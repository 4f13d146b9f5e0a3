"""What the local stack gives a developer besides the API: the events read on from a cursor, and the
embedded AWS endpoints it prints, where a rule and a queue of one's own can be attached to the bus."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import boto3

from local.stack import EVENT_BUS_NAME, LocalStack
from tests.e2e.conftest import Api


def events(api: Api, **params: str) -> dict:
    answer = api.http.get(f"{api.base}/_local/events", params=params, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def of_payment(answer: dict, payment_id: str) -> list[str]:
    return [e["detail-type"] for e in answer["events"] if e["detail"].get("payment", {}).get("id") == payment_id]


def test_the_event_log_reads_on_from_its_cursor(api: Api):
    cursor = events(api)["next"]
    # Given a payment that succeeds after the cursor was taken
    created = api.create()
    api.control("sandbox", created["provider_payment_id"], "succeeded")
    # Then reading on from the cursor gives its events and nothing older, and the next cursor
    since = events(api, after=cursor)
    assert of_payment(since, created["id"]) == ["payment.pending", "payment.succeeded"]
    assert int(since["next"]) == int(cursor) + len(since["events"])
    assert events(api, after=since["next"]) == {"events": [], "next": since["next"]}
    # The whole log, as before, ends with the same events; and from 0 it is the whole log too
    whole = events(api)
    assert whole["events"][int(cursor) :] == since["events"] and whole == events(api, after="0")


def test_a_cursor_that_is_not_one_is_refused(api: Api):
    ahead = str(int(events(api)["next"]) + 1)
    for cursor in ("-1", "x", "1.5", "²", ahead):
        answer = api.http.get(f"{api.base}/_local/events", params={"after": cursor}, timeout=30)
        assert answer.status_code == 400, cursor
        assert answer.json()["error"]["code"] == "invalid_cursor" and answer.json()["error"]["param"] == "after"


def test_the_banner_prints_the_docs_and_the_embedded_aws_endpoints(stack: LocalStack):
    banner = stack.banner()
    base = f"http://{stack.host}:{stack.port}"
    assert f"{base}/docs" in banner and f"{base}/openapi.json" in banner
    assert f"{base}/_local/events?after=0" in banner
    for service, url in stack.aws_endpoints().items():
        assert any(line.split() == [service, url] for line in banner.splitlines()), service
    assert EVENT_BUS_NAME in banner


def test_a_queue_of_ones_own_attached_to_the_bus_at_the_printed_endpoints_gets_the_events(api: Api, stack: LocalStack):
    endpoints = stack.aws_endpoints()
    # As the README says: a queue at the SQS endpoint, a rule on the bus at the EventBridge endpoint
    sqs = boto3.client("sqs", endpoint_url=endpoints["sqs"], region_name="us-east-1")
    bus = boto3.client("events", endpoint_url=endpoints["events"], region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="my-payments")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["paygate"], "detail-type": ["payment.succeeded"]}
    bus.put_rule(Name="my-payments", EventBusName=EVENT_BUS_NAME, EventPattern=json.dumps(pattern))
    bus.put_targets(Rule="my-payments", EventBusName=EVENT_BUS_NAME, Targets=[{"Id": "mine", "Arn": queue_arn}])
    try:
        created = api.create()
        api.control("sandbox", created["provider_payment_id"], "succeeded")
        stack.stream.pump()
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
        bodies = [json.loads(message["Body"]) for message in received]
        # (only what the rule matches: earlier tests' payments that succeed may be published now too)
        assert {body["detail-type"] for body in bodies} == {"payment.succeeded"}
        assert len([body for body in bodies if body["detail"]["payment"]["id"] == created["id"]]) == 1
        # and the tables are at the DynamoDB endpoint
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoints["dynamodb"], region_name="us-east-1")
        assert stack.tables["PaymentsTable"] in dynamodb.list_tables()["TableNames"]
    finally:
        bus.remove_targets(Rule="my-payments", EventBusName=EVENT_BUS_NAME, Ids=["mine"])
        bus.delete_rule(Name="my-payments", EventBusName=EVENT_BUS_NAME)
        sqs.delete_queue(QueueUrl=queue_url)


def test_requests_at_once_each_get_their_own_answer_as_lambda_would_give_them(api: Api, other_merchant: Api):
    # Given payments of two merchants
    mine = [api.create()["id"] for _ in range(6)]
    theirs = [other_merchant.create()["id"] for _ in range(6)]
    reads = [(api, payment) for payment in mine] + [(other_merchant, payment) for payment in theirs]
    # When each is read many times, all at once (one function: the stack runs several environments of it)
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda read: (read[1], read[0].get(f"/payments/{read[1]}")), reads * 4))
    # Then every answer is the payment its own request asked for, with its own key: none crossed another
    assert [(asked, answer.status_code, answer.json()["id"]) for asked, answer in answers] == [
        (asked, 200, asked) for asked, _ in answers
    ]
