"""`make run`: the whole stack on this machine, no AWS account and no Docker.

The API on 127.0.0.1:3000 (API Gateway emulated from template.yaml, the real handlers in-process),
DynamoDB embedded (moto server, the default) or DynamoDB Local (`--db dynamodb-local`), Secrets Manager
embedded, the provider simulators under /_sim/<provider>/, and the sandbox function under /_sim/sandbox/
as test mode deploys it (with the simulators' test hooks around it: local/sandbox.py)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from secrets import token_hex
from typing import Any

import boto3
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from local import simulators, template
from local.accounts import parse_api_keys, seed_accounts
from local.background import EventLog, QueuePump, Repeat, StreamPump, WebhookPump
from local.dynamodb_local import DynamoDBLocal, free_port
from local.emulator import ApiEmulator, KeepingHeaders, lambda_context
from local.s3 import MotoServer
from local.sandbox import Sandbox
from local.simulators.merchant import MerchantReceiver
from paygate.errors import InvalidRequest
from paygate.providers.catalog import SPECS

# Two merchant accounts, each with a test key, and a live key of the first (key -> account id).
DEFAULT_API_KEYS = {
    "pg_local_test_key": "local-merchant-1",
    "pg_local_test_key_2": "local-merchant-2",
    "pg_live_local_key": "local-merchant-1",
}
SECRET_NAME = "paygate/providers"
CHECKOUT_SECRET_NAME = "paygate/checkout"
WEBHOOK_SECRETS_KEY = "alias/paygate-webhook-secrets"
EVENT_BUS_NAME = "paygate-local-payments"
EXPORTS_BUCKET = "paygate-local-exports"


@dataclass
class LocalStack:
    port: int = 3000
    db: str = "moto"  # or "dynamodb-local", or an endpoint URL of a running DynamoDB
    api_keys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_API_KEYS))  # key -> account id
    provider_timeout: float = 5.0
    # How often the schedule and the stream pump run; 0: never by themselves (tests call them).
    sweep_seconds: float = 5.0
    pump_seconds: float = 1.0
    host: str = "127.0.0.1"
    # Development credentials changed for this run: {provider: {key: value}}.
    credential_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    # Logical id in template.yaml -> table name.
    tables: dict[str, str] = field(
        default_factory=lambda: {
            "PaymentsTable": "paygate-payments",
            "IdempotencyTable": "paygate-idempotency",
            "WebhookEndpointsTable": "paygate-webhook-endpoints",
            "WebhookDeliveriesTable": "paygate-webhook-deliveries",
            "ExportsTable": "paygate-exports",
            "RefundsTable": "paygate-refunds",
            "AccountsTable": "paygate-accounts",
            "ApiKeysTable": "paygate-api-keys",
            "DifferencesTable": "paygate-differences",
            "SandboxTable": "paygate-sandbox",
        }
    )
    # Seconds before each webhook retry (comma-separated; None: the production schedule), and how long
    # an attempt holds its delivery.
    webhook_retry_schedule: str | None = None
    webhook_lease_seconds: float = 60.0
    # A routed provider failing this many creates in a row is skipped for this many seconds.
    circuit_failure_threshold: int = 5
    circuit_recovery_seconds: int = 30
    simulators: dict[str, Any] = field(default_factory=dict)
    # How long the emulated API Gateway keeps an authorizer's answer (the template's ReauthorizeEvery).
    authorizer_ttl: float = 60.0

    def start(self) -> None:
        # Embedded AWS; `moto.skew` moves its clock (a pre-signed URL's expiry).
        self.moto = MotoServer(self.host, free_port())
        self.moto.start()
        self.moto_url = moto_url = f"http://{self.host}:{self.moto._port}"
        self._dynamodb_local = None
        if self.db == "moto":
            self.dynamodb_url = moto_url
        elif self.db == "dynamodb-local":
            self._dynamodb_local = DynamoDBLocal()
            self.dynamodb_url = self._dynamodb_local.endpoint
        else:
            self.dynamodb_url = self.db
        base = f"http://{self.host}:{self.port}"
        simulated = simulators.modules()
        credentials = simulators.credentials()
        # The sandbox and every simulated provider are enabled, in the catalog's order (the routing order
        # without rules), each at /_sim/<name> on this API.
        enabled = [name for name in SPECS if name in credentials]
        for provider, values in self.credential_overrides.items():
            credentials[provider].update(values)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_url,
                "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": self.dynamodb_url,
                "AWS_ENDPOINT_URL": moto_url,  # Secrets Manager, EventBridge, SQS: all embedded
                "PAYMENTS_TABLE": self.tables["PaymentsTable"],
                "IDEMPOTENCY_TABLE": self.tables["IdempotencyTable"],
                "SECRET_NAME": SECRET_NAME,
                "CHECKOUT_SECRET_NAME": CHECKOUT_SECRET_NAME,
                "WEBHOOK_SECRETS_KEY": WEBHOOK_SECRETS_KEY,
                "CIRCUIT_FAILURE_THRESHOLD": str(self.circuit_failure_threshold),
                "CIRCUIT_RECOVERY_SECONDS": str(self.circuit_recovery_seconds),
                "EVENT_BUS_NAME": EVENT_BUS_NAME,
                "ENABLED_PROVIDERS": ",".join(enabled),
                "PROVIDER_TIMEOUT_SECONDS": str(self.provider_timeout),
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
                "PROVIDER_BASE_URLS": ",".join(f"{name}={base}/_sim/{name}" for name in enabled),
                "SANDBOX_TABLE": self.tables["SandboxTable"],
                "WEBHOOK_ENDPOINTS_TABLE": self.tables["WebhookEndpointsTable"],
                "WEBHOOK_DELIVERIES_TABLE": self.tables["WebhookDeliveriesTable"],
                "EXPORTS_TABLE": self.tables["ExportsTable"],
                "EXPORTS_BUCKET": EXPORTS_BUCKET,
                "REFUNDS_TABLE": self.tables["RefundsTable"],
                "ACCOUNTS_TABLE": self.tables["AccountsTable"],
                "API_KEYS_TABLE": self.tables["ApiKeysTable"],
                "DIFFERENCES_TABLE": self.tables["DifferencesTable"],
                # The simulators take no real money: test keys reach every one of them.
                "TEST_PROVIDERS": ",".join(enabled),
                # Locally, merchants are 127.0.0.1 (the /_sim/merchant receiver), over http.
                "WEBHOOK_ALLOW_PRIVATE": "true",
                "WEBHOOK_LEASE_SECONDS": str(self.webhook_lease_seconds),
            }
        )
        if self.webhook_retry_schedule is not None:
            os.environ["WEBHOOK_RETRY_SCHEDULE"] = self.webhook_retry_schedule
        template.create_tables(boto3.client("dynamodb"), self.tables)
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps(credentials))
        # As the stack makes it: a fresh key each run, so links of an earlier run open nothing.
        secrets.create_secret(Name=CHECKOUT_SECRET_NAME, SecretString=token_hex(32))
        # The key that seals webhook secrets (moto's KMS, embedded as the rest).
        kms = boto3.client("kms")
        kms.create_alias(AliasName=WEBHOOK_SECRETS_KEY, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
        # Export files (moto's S3, embedded as the rest: its pre-signed URLs open over HTTP, until they expire).
        boto3.client("s3").create_bucket(Bucket=EXPORTS_BUCKET)
        # Its queue before the settings are first read (seeding the accounts reads them).
        self.exports = QueuePump("paygate-local-exports", "ExportWorkerFunction", timeout=900)
        os.environ["EXPORTS_QUEUE_URL"] = self.exports.queue_url

        from paygate import service

        service.reset()
        seed_accounts(self.api_keys)
        api = ApiEmulator(domain_name=f"{self.host}:{self.port}", authorizer_ttl=self.authorizer_ttl)
        self.simulators["sandbox"] = Sandbox(api, self.tables["SandboxTable"])
        for name, module in simulated.items():
            self.simulators[name] = module.SIMULATOR(
                gateway_url=base, credentials=credentials[name], public_url=f"{base}/_sim/{name}"
            )
        for simulator in self.simulators.values():
            simulator.fault_delay = self.provider_timeout + 1
        self.events = EventLog(EVENT_BUS_NAME)
        self.stream = StreamPump(self.tables["PaymentsTable"])
        self.webhooks = WebhookPump(EVENT_BUS_NAME, "paygate-local-webhooks")
        os.environ["WEBHOOK_QUEUE_URL"] = self.webhooks.queue_url
        self.checks = QueuePump("paygate-local-due-checks", "CheckPaymentsFunction", timeout=60)
        os.environ["DUE_CHECKS_QUEUE_URL"] = self.checks.queue_url
        self.merchant = MerchantReceiver()
        self._timers = [
            Repeat(seconds, action, name)
            for seconds, action, name in (
                (self.sweep_seconds, self.sweep, "schedule"),
                (self.pump_seconds, self.checks.pump, "due-checks"),
                (self.pump_seconds, self.exports.pump, "exports"),
                (self.pump_seconds, self.stream.pump, "stream"),
                (self.pump_seconds, self.webhooks.pump, "webhooks"),
                (self.sweep_seconds, self.webhooks.due, "webhook-retries"),
            )
            if seconds > 0
        ]
        mounts = {f"/_sim/{name}": simulator for name, simulator in self.simulators.items()}
        mounts["/_sim/merchant"] = self.merchant
        mounts["/_local"] = self._local_routes
        app = DispatcherMiddleware(api, mounts)
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=KeepingHeaders)

    def aws_endpoints(self) -> dict[str, str]:
        """The embedded AWS services the stack runs on, by boto3 service name: where a developer can attach
        a rule to the bus, a queue, or read a table (region us-east-1, any credentials)."""
        services = ("events", "sqs", "secretsmanager", "kms", "s3")
        return {"dynamodb": self.dynamodb_url, "dynamodbstreams": self.dynamodb_url} | dict.fromkeys(
            services, self.moto_url
        )

    def banner(self) -> str:
        """What `make run` prints: where everything is."""
        base = f"http://{self.host}:{self.port}"
        keys = ", ".join(f"{key} (account {account})" for key, account in self.api_keys.items())
        aws = "".join(f"\n    {service:<17}{url}" for service, url in self.aws_endpoints().items())
        return (
            f"Paygate is running on {base}  (database: {self.db})\n"
            f"  Docs:        {base}/docs  (the API's reference; the document: {base}/openapi.json)\n"
            f"  API keys:    {keys}   (send one as the X-API-Key header)\n"
            f"  Events:      {base}/_local/events?after=0  (read on with ?after=<the answer's next>;"
            f" sweep every {self.sweep_seconds:g} s)\n"
            f"  Accounts:    .venv/bin/python scripts/accounts.py accounts --local-url {base}\n"
            f"  Simulators:  " + ", ".join(f"{base}/_sim/{name}" for name in self.simulators) + "\n"
            f"  AWS, embedded (region us-east-1, any credentials; the bus: {EVENT_BUS_NAME}):{aws}"
        )

    @property
    def api_key(self) -> str:
        """The first merchant's key (the one the README uses)."""
        return next(iter(self.api_keys))

    def deliver_webhooks(self, rounds: int = 50) -> None:
        """Everything that happened, to the merchants: the stream to the bus, the bus to the webhook queue,
        the queue and what is due to deliver_webhooks, until nothing is left to do now."""
        for _ in range(rounds):
            moved = self.stream.pump() + self.webhooks.pump()
            moved += self.webhooks.due().get("attempted", 0)
            if not moved:
                return

    def sweep(self) -> dict:
        """What the EventBridge schedule does every minute: invoke find_due_checks, which queues the due
        checks; then the checkers' SQS trigger, until every check visible now is made."""
        function = "FindDueChecksFunction"
        counts = template.handler(function)({"source": "paygate.local"}, lambda_context(function, 60))
        counts["checked"] = self.checks.pump()
        return counts

    def events_after(self, cursor: str = "0") -> dict[str, Any]:
        """The events published after `cursor` (0: from the first; else the `next` of an earlier answer),
        and the cursor to ask with next time."""
        if not re.fullmatch(r"[0-9]{1,9}", cursor):
            raise ValueError("after: the `next` of an earlier answer")
        self.stream.pump()
        events, following = self.events.since(int(cursor))
        return {"events": events, "next": str(following)}

    def _local_routes(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        answer: dict[str, Any] = {}
        status = 200
        if request.path == "/health":
            answer = {"ok": True}
        elif request.path == "/events":  # ?after=<next of the last answer>: only what came since
            try:
                answer = self.events_after(request.args.get("after", "0"))
            except ValueError as error:
                refused = InvalidRequest(str(error), code="invalid_cursor", param="after")
                answer, status = refused.body(), refused.http_status
        elif request.path == "/dynamodb":  # where scripts/accounts.py --local finds the tables (a new port each run)
            answer = {"endpoint": self.dynamodb_url, "region": os.environ["AWS_DEFAULT_REGION"], "tables": self.tables}
        body = json.dumps(answer or {"error": "not found"})
        status = status if answer else 404
        return Response(body, status=status, content_type="application/json")(environ, start_response)

    def serve_forever(self) -> None:
        for timer in self._timers:
            timer.start()
        self._server.serve_forever()

    def stop(self) -> None:
        for timer in self._timers:
            timer.stop()
        self._server.shutdown()
        self.moto.stop()
        if self._dynamodb_local:
            self._dynamodb_local.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 3000)))
    parser.add_argument("--db", default=os.environ.get("DB", "moto"), help="moto | dynamodb-local | <endpoint URL>")
    parser.add_argument(
        "--api-keys",
        default=os.environ.get("PAYGATE_API_KEYS", ",".join(f"{i}={k}" for k, i in DEFAULT_API_KEYS.items())),
        help="the merchant accounts: comma-separated ACCOUNT_ID=API_KEY pairs (PAYGATE_API_KEYS)",
    )
    parser.add_argument(
        "--sweep-seconds",
        type=float,
        default=float(os.environ.get("SWEEP_SECONDS", 5)),
        help="how often find_due_checks runs (0: never)",
    )
    parser.add_argument("--provider-timeout", type=float, default=float(os.environ.get("PROVIDER_TIMEOUT_SECONDS", 5)))
    parser.add_argument(
        "--set-credential",
        action="append",
        default=[],
        metavar="PROVIDER.KEY=VALUE",
        help="change one development credential, e.g. payop.ipn_allowlist=192.0.2.1",
    )
    args = parser.parse_args(argv)
    overrides: dict[str, dict[str, str]] = {}
    for setting in args.set_credential:
        name, _, value = setting.partition("=")
        provider, _, key = name.partition(".")
        overrides.setdefault(provider, {})[key] = value
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stack = LocalStack(
        port=args.port,
        db=args.db,
        api_keys=parse_api_keys(args.api_keys),
        provider_timeout=args.provider_timeout,
        sweep_seconds=args.sweep_seconds,
        credential_overrides=overrides,
    )
    stack.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(stack.banner(), flush=True)
    try:
        stack.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
