"""Shared fixtures. Unit tests run on moto with no network; integration and e2e tests run against
DynamoDB Local (Amazon's engine) and the local stack over real HTTP."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import boto3
import pytest

from local import template
from local.dynamodb_local import DynamoDBLocal
from local.stack import LocalStack
from tests import event_contract
from tests.factories import CHECKOUT_KEY, CHECKOUT_SECRET_NAME, TABLES, WEBHOOK_SECRETS_KEY, FixedClock, environment


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(autouse=True)
def fresh_circuits() -> None:
    """Powertools' circuit breaker counts failures per process, in module state that outlives a test's
    tables: each test starts with every provider's count at zero, as a new container would."""
    from aws_lambda_powertools.utilities.circuit_breaker import base

    for counts in (base._LOCAL_FAILURES, base._LOCAL_SUCCESSES, base._LAST_OBSERVED_STATE):
        counts.clear()


@pytest.fixture(autouse=True)
def no_correlation() -> None:
    """Each test starts as a new invocation would: working for no request yet."""
    from paygate import correlation

    correlation.use(None)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's fake credentials, no endpoint overrides, and the environment a deployed function has."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    for name, value in environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def dynamodb(aws_env: None) -> Iterator:
    """moto's DynamoDB with the template's tables."""
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb")
        template.create_tables(client, TABLES)
        # The key of checkout links, as the stack makes it.
        boto3.client("secretsmanager").create_secret(Name=CHECKOUT_SECRET_NAME, SecretString=CHECKOUT_KEY.decode())
        # The key that seals webhook secrets, as the stack makes it.
        kms = boto3.client("kms")
        kms.create_alias(AliasName=WEBHOOK_SECRETS_KEY, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
        yield client


# --- DynamoDB Local and the local stack ---------------------------------------------------------


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    server = DynamoDBLocal()
    yield server
    server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def stack(dynamodb_local: DynamoDBLocal) -> Iterator[LocalStack]:
    """The local stack, in this process, over real HTTP, on DynamoDB Local."""
    saved = dict(os.environ)
    local = LocalStack(
        port=_free_port(),
        db=dynamodb_local.endpoint,
        provider_timeout=1.0,
        sweep_seconds=0,
        pump_seconds=0,
        # Webhook retries at once (a dozen, so a receiver failing at random still gets each event), and a
        # worker that dies gives its delivery back after a second.
        webhook_retry_schedule=",".join(["0"] * 12),
        webhook_lease_seconds=1.0,
        # A provider's circuit opens after 3 failures in a row and is tried again 2 s later.
        circuit_failure_threshold=3,
        circuit_recovery_seconds=2,
        # The key authorizer's answers are kept 2 s (60 s when deployed): a revoked key is refused soon.
        authorizer_ttl=2.0,
    )
    local.start()
    thread = threading.Thread(target=local.serve_forever, daemon=True)
    thread.start()
    yield local
    # Every event the suite caused, on the bus and in every webhook, against the published contract.
    local.stream.pump()
    broken = [problem for event in local.events.drain() for problem in event_contract.bus_event_problems(event)]
    broken += [problem for body in local.merchant.every_body for problem in event_contract.webhook_problems(body)]
    local.stop()
    os.environ.clear()
    os.environ.update(saved)
    assert not broken, "events that break their schema:\n" + "\n".join(broken[:20])


@pytest.fixture
def faults(stack: LocalStack) -> Iterator:
    """Queue faults at a simulator, `faults("sandbox", create=["timeout"])`; all cleared after the test,
    so no fault left unconsumed reaches the next one."""
    touched = []

    def queue(provider: str, **operations: list[str]) -> None:
        simulator = stack.simulators[provider]
        simulator.queue_faults(**operations)
        touched.append(simulator)

    yield queue
    for simulator in touched:
        simulator.clear_faults()
