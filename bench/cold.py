"""Cold starts as Lambda has them: each function's init (loading `app.py`) plus its FIRST invocation with
its sample event, in a fresh interpreter, against a floor made in the same run: a bare `import boto3`
plus one DynamoDB GetItem.

- The code is the `sam build` output: the function's directory as built, and the layer as
  `layers/paygate/Makefile` builds it (dependencies and bytecode), for this machine's architecture when
  it is not the runtime's (the layer's native wheels must load here). `paygate` must be imported from it.
- The interpreter runs as Lambda's does: no site-packages (`-S`), no bytecode written
  (PYTHONDONTWRITEBYTECODE: /opt is read-only), the function's directory, then the layer's, then a
  runtime directory holding boto3 (installed and compiled, as in Lambda's runtime) on the path.
- AWS is a moto server and the sandbox provider the sandbox function (behind the local API emulator),
  both in this process, over HTTP.
- Each function run is paired with a floor run (floor, function, floor, function...), and the ratio is
  taken pair by pair, so a machine slowing down during the run moves both sides."""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local import template
from local.dynamodb_local import free_port

ROOT = template.ROOT
WORK = ROOT / ".bench"
# The project's own Python 3.13 (the runtime's version); with -S it sees none of the virtualenv's packages.
RUNTIME_PYTHON = sys.executable
PAYMENT_ID = "pay_3f9c2a7b1e4d5c6a8b9f0e1d"  # the one the sample events name
ACCOUNT = "a1b2c3d4e5"  # the sample events' API key id
SAMPLE_PROVIDER_PAYMENT_ID = "sbx_7d1e9a4c2b"  # and the sandbox's id for it, and its amount
SAMPLE_AMOUNT = "10.50"
WEBHOOK_SECRET = "bench-webhook-secret"
# Each function and its sample event.
SAMPLES = {
    "CreatePaymentFunction": "create_payment",
    "GetPaymentFunction": "get_payment",
    "IpnCallbackFunction": "ipn_sandbox",
    "ListPaymentsFunction": "list_payments",
    "CancelPaymentFunction": "cancel_payment",
    "PaymentMethodsFunction": "payment_methods",
    "FindDueChecksFunction": "find_due_checks",
    "CheckPaymentsFunction": "check_payments",
    "PublishEventsFunction": "publish_events",
}
PAYMENT_PATH = {"CreatePaymentFunction", "GetPaymentFunction", "IpnCallbackFunction"}

FLOOR = """
import boto3
boto3.client("dynamodb").get_item(TableName={table!r}, Key={{"id": {{"S": "nothing"}}}})
"""
FUNCTION = """
import time
started = time.perf_counter()
import importlib.util, json
spec = importlib.util.spec_from_file_location("app", {app!r})
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
loaded = time.perf_counter()


class Context:
    function_name = {name!r}
    function_version = "1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:" + {name!r}
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    log_group_name = log_stream_name = "bench"

    def get_remaining_time_in_millis(self):
        return 15000


answer = app.lambda_handler(json.load(open({event!r})), Context())
done = time.perf_counter()
import paygate
status = answer.get("statusCode") if isinstance(answer, dict) else None
print("BENCH " + json.dumps({{"init": loaded - started, "invoke": done - loaded, "status": status,
                              "paygate": paygate.__file__}}))
"""


@dataclass
class Result:
    function: str
    ratios: list[float]
    seconds: list[float]
    floors: list[float]
    init: list[float]
    invoke: list[float]
    status: Any

    def row(self) -> str:
        ratio = f"{min(self.ratios):.2f} / {statistics.median(self.ratios):.2f} / {max(self.ratios):.2f}"
        init_share = statistics.median(i / (i + v) for i, v in zip(self.init, self.invoke, strict=True))
        return (
            f"| {self.function} | {statistics.median(self.seconds):.3f} | {statistics.median(self.floors):.3f} | "
            f"{ratio} | {init_share:.0%} | {self.status} |"
        )


def layer_dir() -> Path:
    """The built layer: `sam build`'s when it was built for this machine, else the same Makefile's for it."""
    machine = platform.machine()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[machine.lower()]
    built = ROOT / ".aws-sam" / "build" / "PaygateLayer"
    if arch == "aarch64" and (built / "python" / "paygate").is_dir():
        return built / "python"
    target = WORK / f"layer-{arch}"
    shutil.rmtree(target, ignore_errors=True)
    env = {**os.environ, "ARTIFACTS_DIR": str(target), "ARCH": arch, "PYTHON": RUNTIME_PYTHON}
    subprocess.run(["make", "-s", "-C", str(ROOT / "layers" / "paygate"), "build-PaygateLayer"], check=True, env=env)
    return target / "python"


def runtime_dir() -> Path:
    """boto3 as the Lambda runtime has it (compiled), at the version the project pins."""
    pinned = next(
        line.strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines() if line.startswith("boto3==")
    )
    target = WORK / "runtime"
    marker = target / ".pinned"
    if not marker.exists() or marker.read_text() != pinned:
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(
            [
                RUNTIME_PYTHON,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--target",
                str(target),
                pinned,
            ],
            check=True,
        )
        marker.write_text(pinned)
    return target


def function_dir(function: str) -> Path:
    """The function as `sam build` made it, or its source (the same file) when nothing is built."""
    built = ROOT / ".aws-sam" / "build" / function
    return (
        built if (built / "app.py").exists() else ROOT / template.load()["Resources"][function]["Properties"]["CodeUri"]
    )


class World:
    """AWS (moto, over HTTP) and the sandbox provider (the sandbox function), with what the sample events
    need."""

    def __init__(self, dynamodb_endpoint: str | None = None) -> None:
        from moto.server import ThreadedMotoServer
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request to moto

        from local.emulator import ApiEmulator

        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
        self.moto.start()
        self.aws = f"http://127.0.0.1:{self.moto._port}"
        sandbox_port = free_port()
        credentials = {"api_key": "bench-key", "webhook_secret": WEBHOOK_SECRET}
        run = uuid.uuid4().hex[:8]  # moto servers in one process share their state: names of this run's own
        self.tables = {
            "PaymentsTable": f"bench-payments-{run}",
            "IdempotencyTable": f"bench-idempotency-{run}",
            "WebhookEndpointsTable": f"bench-webhook-endpoints-{run}",
            "WebhookDeliveriesTable": f"bench-webhook-deliveries-{run}",
            "SandboxTable": f"bench-sandbox-{run}",
            "RefundsTable": f"bench-refunds-{run}",
            "AccountsTable": f"bench-accounts-{run}",
            "ApiKeysTable": f"bench-api-keys-{run}",
        }
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.aws,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint or self.aws,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PAYMENTS_TABLE": self.tables["PaymentsTable"],
            "IDEMPOTENCY_TABLE": self.tables["IdempotencyTable"],
            "WEBHOOK_ENDPOINTS_TABLE": self.tables["WebhookEndpointsTable"],
            "WEBHOOK_DELIVERIES_TABLE": self.tables["WebhookDeliveriesTable"],
            "REFUNDS_TABLE": self.tables["RefundsTable"],
            "ACCOUNTS_TABLE": self.tables["AccountsTable"],
            "API_KEYS_TABLE": self.tables["ApiKeysTable"],
            "EVENT_BUS_NAME": f"bench-payments-{run}",
            "SECRET_NAME": f"bench/providers-{run}",
            "CHECKOUT_SECRET_NAME": f"bench/checkout-{run}",
            "ENABLED_PROVIDERS": "sandbox",
            "PROVIDER_BASE_URLS": f"sandbox=http://127.0.0.1:{sandbox_port}/_sim/sandbox",
            "SANDBOX_TABLE": self.tables["SandboxTable"],
            "POWERTOOLS_SERVICE_NAME": "paygate",
            "POWERTOOLS_METRICS_NAMESPACE": "Paygate",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
        self.dynamodb = session.client("dynamodb", endpoint_url=dynamodb_endpoint or self.aws)
        template.create_tables(self.dynamodb, self.tables)
        secrets = session.client("secretsmanager", endpoint_url=self.aws)
        secrets.create_secret(Name=self.env["SECRET_NAME"], SecretString=json.dumps({"sandbox": credentials}))
        secrets.create_secret(Name=self.env["CHECKOUT_SECRET_NAME"], SecretString="k" * 64)
        session.client("events", endpoint_url=self.aws).create_event_bus(Name=self.env["EVENT_BUS_NAME"])
        # The sandbox function answers in this process, through the API emulator, with these settings.
        os.environ.update(self.env)
        self.server = make_server(
            "127.0.0.1", sandbox_port, ApiEmulator(domain_name=f"127.0.0.1:{sandbox_port}"), threaded=True
        )
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        sqs = session.client("sqs", endpoint_url=self.aws)
        self.env["DUE_CHECKS_QUEUE_URL"] = sqs.create_queue(QueueName=f"bench-due-checks-{run}")["QueueUrl"]
        self.events = WORK / "events"
        self.events.mkdir(parents=True, exist_ok=True)

    def prepare(self, function: str) -> Path:
        """The function's sample event, ready to run again: the payment it names stored afresh, and a
        callback signed now (the sample's signature is long stale)."""
        from paygate.providers.sandbox.signing import sign

        self.store([PAYMENT_ID], [SAMPLE_PROVIDER_PAYMENT_ID])
        event = json.loads((ROOT / "events" / f"{SAMPLES[function]}.json").read_text())
        if function == "IpnCallbackFunction":
            body = event["body"].encode()
            event["headers"]["Paygate-Signature"] = sign(WEBHOOK_SECRET, int(time.time()), body)
        path = self.events / f"{function}.json"
        path.write_text(json.dumps(event))
        return path

    def store(self, ids: list[str], provider_payment_ids: list[str]) -> None:
        """Pending payments of the sample events' account and amount, at the sandbox."""
        from paygate.store.payments import PaymentStore
        from tests.factories import record

        PaymentStore(self.tables["PaymentsTable"], self.dynamodb).put_many(
            [
                record(id=id, account_id=ACCOUNT, amount=SAMPLE_AMOUNT, provider_payment_id=provider_payment_id)
                for id, provider_payment_id in zip(ids, provider_payment_ids, strict=True)
            ]
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.moto.stop()


def _run(code: str, path: list[Path], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [RUNTIME_PYTHON, "-S", "-c", code],
        env={**env, "PYTHONPATH": os.pathsep.join(map(str, path))},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return seconds, done.stdout


def measure(runs: int = 9, functions: list[str] | None = None) -> list[Result]:
    WORK.mkdir(exist_ok=True)
    layer, runtime = layer_dir(), runtime_dir()
    world = World()
    results = []
    try:
        floor = FLOOR.format(table=world.tables["PaymentsTable"])
        for function in functions or list(SAMPLES):
            directory = function_dir(function)
            code = FUNCTION.format(app=str(directory / "app.py"), name=function, event=str(world.prepare(function)))
            result = Result(function, [], [], [], [], [], None)
            for _ in range(runs):
                floor_seconds, _ = _run(floor, [runtime], world.env)
                world.prepare(function)
                seconds, out = _run(code, [directory, layer, runtime], world.env)
                found = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH "))[6:])
                if not found["paygate"].startswith(str(layer)):
                    raise RuntimeError(f"paygate was imported from {found['paygate']}, not the built layer")
                result.ratios.append(seconds / floor_seconds)
                result.seconds.append(seconds)
                result.floors.append(floor_seconds)
                result.init.append(found["init"])
                result.invoke.append(found["invoke"])
                result.status = found["status"]
            results.append(result)
    finally:
        world.stop()
    return results


def report(results: list[Result]) -> None:
    print(
        "## Cold start: init + first invocation, built layer, paired with the floor (`import boto3` + one "
        "GetItem)\n| function | seconds (median) | floor (median) | x floor min / median / max | "
        "init share | answer |\n|---|---|---|---|---|---|"
    )
    for result in results:
        print(result.row())


if __name__ == "__main__":
    report(measure(int(os.environ.get("BENCH_RUNS", 9)), sys.argv[1:] or None))
