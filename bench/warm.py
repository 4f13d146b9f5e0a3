"""Warm latency: each payment-path function invoked in this process, 2,000 times after a warm-up, with
DynamoDB Local behind it, against a floor made of the same calls made directly.

Every AWS call (botocore) and every provider call (requests) an invocation makes is recorded, and made
again, directly, right after it: the floor is what the invocation cannot avoid (its round trips), the
rest is Paygate's own work (routing, validation, models, logging, metrics). A replayed conditional write
fails its condition, which costs the same round trip and changes nothing.

- create: a new Idempotency-Key each time, so each one writes a payment and calls the sandbox provider.
- get: the sample event, the same payment each time.
- ipn: a fresh pending payment for each callback (stored beforehand), signed at the moment it is sent."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bench import cold

FUNCTIONS = ["CreatePaymentFunction", "GetPaymentFunction", "IpnCallbackFunction"]
WARM_UP = 50


class Context:
    function_version = "1"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    log_group_name = log_stream_name = "bench"

    def __init__(self, function: str) -> None:
        self.function_name = function
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


class Recorder:
    """The calls an invocation makes to AWS and to providers, to make them again without Paygate."""

    def __init__(self) -> None:
        self.calls: list[Callable[[], Any]] | None = None
        make_api_call, send = BaseClient._make_api_call, requests.Session.send

        def recording_api_call(client: BaseClient, operation: str, params: dict) -> Any:
            if self.calls is not None:
                self.calls.append(lambda: make_api_call(client, operation, params))
            return make_api_call(client, operation, params)

        def recording_send(session: requests.Session, request: requests.PreparedRequest, **options: Any) -> Any:
            if self.calls is not None:
                self.calls.append(lambda: send(session, request.copy(), **options))
            return send(session, request, **options)

        BaseClient._make_api_call = recording_api_call  # type: ignore[method-assign]
        requests.Session.send = recording_send  # type: ignore[method-assign,assignment]

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Callable[[], Any]]]:
        calls: list[Callable[[], Any]] = []
        self.calls = calls
        try:
            yield calls
        finally:
            self.calls = None


def replay(calls: list[Callable[[], Any]]) -> None:
    for call in calls:
        with contextlib.suppress(ClientError):
            call()


def load(function: str) -> Any:
    path = cold.function_dir(function) / "app.py"
    spec = importlib.util.spec_from_file_location(f"bench_{function}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def events(function: str, world: cold.World, count: int) -> Iterator[dict]:
    from paygate.providers.sandbox.signing import sign

    sample = json.loads((cold.ROOT / "events" / f"{cold.SAMPLES[function]}.json").read_text())
    if function == "GetPaymentFunction":
        world.store([cold.PAYMENT_ID], [cold.SAMPLE_PROVIDER_PAYMENT_ID])
    if function == "IpnCallbackFunction":
        ids = [f"pay_warm{uuid.uuid4().hex[:20]}" for _ in range(count)]
        world.store(ids, [f"sbx_warm_{index}" for index in range(count)])
    for index in range(count):
        event = copy.deepcopy(sample)
        if function == "CreatePaymentFunction":
            event["headers"]["Idempotency-Key"] = f"warm-{uuid.uuid4().hex}"
        if function == "IpnCallbackFunction":
            body = json.dumps(
                {"id": f"sbx_warm_{index}", "status": "succeeded", "reference": ids[index]}
                | {"amount": cold.SAMPLE_AMOUNT, "currency": "USD"}
            )
            event["body"] = body
            event["headers"]["Paygate-Signature"] = sign(cold.WEBHOOK_SECRET, int(time.time()), body.encode())
        yield event


@dataclass
class Result:
    function: str
    seconds: list[float]
    floors: list[float]

    def row(self) -> str:
        def quantiles(values: list[float]) -> tuple[float, float]:
            cuts = statistics.quantiles(values, n=100)
            return cuts[49], cuts[98]

        (p50, p99), (floor50, floor99) = quantiles(self.seconds), quantiles(self.floors)
        return (
            f"| {self.function} | {p50 * 1000:.1f} / {p99 * 1000:.1f} | {floor50 * 1000:.1f} / {floor99 * 1000:.1f} | "
            f"{p50 / floor50:.2f} | {p99 / floor99:.2f} |"
        )


def measure(dynamodb_endpoint: str, invocations: int = 2000, functions: list[str] = FUNCTIONS) -> list[Result]:
    world = cold.World(dynamodb_endpoint)
    os.environ.update(world.env)  # the functions read their settings from the environment
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    recorder = Recorder()
    results = []
    # Logs and metrics (EMF) are written to stdout, as in Lambda; here they go nowhere.
    stdout = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    try:
        for function in functions:
            app, context = load(function), Context(function)
            result = Result(function, [], [])
            for index, event in enumerate(events(function, world, WARM_UP + invocations)):
                with recorder.recording() as calls:
                    started = time.perf_counter()
                    answer = app.lambda_handler(event, context)
                    seconds = time.perf_counter() - started
                if answer["statusCode"] >= 300:
                    raise RuntimeError(f"{function} answered {answer['statusCode']}: {answer['body']}")
                started = time.perf_counter()
                replay(calls)
                floor = time.perf_counter() - started
                if index >= WARM_UP:
                    result.seconds.append(seconds)
                    result.floors.append(floor)
            results.append(result)
    finally:
        sys.stdout.flush()
        os.dup2(stdout, 1)
        world.stop()
    return results


def report(results: list[Result]) -> None:
    print(
        "## Warm latency: in-process invocations against DynamoDB Local, paired with the same calls made "
        "directly\n| function | ms p50 / p99 | floor ms p50 / p99 | x floor p50 | x floor p99 |\n|---|---|---|---|---|"
    )
    for result in results:
        print(result.row())


if __name__ == "__main__":
    from local.dynamodb_local import DynamoDBLocal

    server = DynamoDBLocal()
    try:
        report(measure(server.endpoint, int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
    finally:
        server.stop()
