"""CodeDeploy's traffic hooks for the payment path: before a new version takes traffic, and again once it
has it all, a synthetic payment goes through the new versions of create, read and callback, invoked
directly (no API Gateway, no key authorizer: the request carries the test merchant the authorizer would
have named). The hook then tells CodeDeploy `Succeeded` or `Failed`; a failure rolls the deploy back.

In test mode the payment is a real one at the sandbox (test mode, no money): created, paid by a callback
signed with the sandbox's webhook secret as the sandbox signs it, and read back `succeeded`. Without test
mode there is no provider to pay without money, so each function is asked something it must refuse
without calling a provider (an empty create, an unknown payment, an unsigned callback): a 4xx proves the
new version loads, routes and answers; a 5xx or a crash fails the deploy."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from paygate.config import Settings, provider_credentials
from paygate.observability import logger
from paygate.providers.sandbox.signing import sign

# The merchant the synthetic payments belong to: test mode, an account no key can reach.
ACCOUNT_ID = "acct_00000000000000de"
# An answer from a function version: its HTTP status (0: it crashed) and its body (as JSON where it is).
Invoke = Callable[[str, dict], tuple[int, Any]]


@dataclass(frozen=True)
class Targets:
    """The new versions (ARNs) the check invokes, and where the deployed API answers (the sandbox is
    reached through it, as a created payment's provider calls it)."""

    create: str
    read: str
    callback: str
    api_host: str
    stage: str
    test_mode: bool

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Targets:
        """As template.yaml gives them to the hook function."""
        return cls(
            create=env["DEPLOY_CHECK_CREATE"],
            read=env["DEPLOY_CHECK_READ"],
            callback=env["DEPLOY_CHECK_CALLBACK"],
            api_host=env["DEPLOY_CHECK_API_HOST"],
            stage=env["DEPLOY_CHECK_STAGE"],
            test_mode=env.get("DEPLOY_CHECK_TEST_MODE") == "true",
        )


def check(invoke: Invoke, targets: Targets, settings: Settings) -> list[str]:
    """The synthetic payment where the stack has the sandbox, else the refusals: what went wrong."""
    if targets.test_mode and "sandbox" in settings.enabled_providers:
        secret = provider_credentials("sandbox", settings, fresh=True).get("webhook_secret")
        if not secret:
            return ["the provider secret has no sandbox webhook_secret: the sandbox cannot be paid"]
        return synthetic_payment(invoke, targets, secret)
    return refusals(invoke, targets, settings.enabled_providers[0])


def request(method: str, path: str, targets: Targets, *, body: bytes = b"", headers: dict | None = None) -> dict:
    """An API Gateway (REST, proxy) event for `path`, as if the key authorizer had allowed the test merchant."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Host": targets.api_host, "Content-Type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "body": body.decode(),
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/{targets.stage}{path}",
            "stage": targets.stage,
            "domainName": targets.api_host,
            "requestId": "deploy-check-" + secrets.token_hex(8),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"account_id": ACCOUNT_ID, "livemode": "false", "principalId": ACCOUNT_ID},
        },
    }


def synthetic_payment(invoke: Invoke, targets: Targets, webhook_secret: str) -> list[str]:
    """Create a sandbox payment, pay it by its signed callback, read it: what went wrong (nothing: [])."""
    order = {"amount": "1.00", "currency": "USD", "provider": "sandbox", "reference": "deploy-check"}
    status, created = invoke(targets.create, request("POST", "/payments", targets, body=json.dumps(order).encode()))
    if status != 201:
        return [f"create answered {status}: {created}"]
    now = int(time.time())
    paid = {
        "event_id": "evt_" + secrets.token_hex(8),
        "id": created["provider_payment_id"],
        "reference": created["id"],
        "status": "succeeded",
        "amount": "1.00",
        "currency": "USD",
        "amount_paid": "1.00",
        "created": now,
    }
    body = json.dumps(paid).encode()
    signature = {"Paygate-Signature": sign(webhook_secret, now, body)}
    status, answer = invoke(targets.callback, request("POST", "/ipn/sandbox", targets, body=body, headers=signature))
    if status != 200:
        return [f"callback answered {status}: {answer}"]
    status, read = invoke(targets.read, request("GET", f"/payments/{created['id']}", targets))
    if status != 200 or read.get("status") != "succeeded":
        return [f"read answered {status}: {read}"]
    return []


def refusals(invoke: Invoke, targets: Targets, provider: str) -> list[str]:
    """Ask each function what it must refuse without a provider: anything but a 4xx is a problem."""
    asked = {
        "create": (targets.create, request("POST", "/payments", targets, body=b"{}")),
        "read": (targets.read, request("GET", "/payments/pay_0000000000000000", targets)),
        "callback": (targets.callback, request("POST", f"/ipn/{provider}", targets, body=b"{}")),
    }
    problems = []
    for name, (version, event) in asked.items():
        status, answer = invoke(version, event)
        if not 400 <= status < 500:
            problems.append(f"{name} answered {status}: {answer}")
    return problems


def lambda_invoker(client: Any) -> Invoke:
    """Invoke a function version and read its API Gateway answer; a crash is a status 0."""

    def invoke(version: str, event: dict) -> tuple[int, Any]:
        answer = client.invoke(FunctionName=version, Payload=json.dumps(event).encode())
        payload = answer["Payload"].read()
        if answer.get("FunctionError"):
            return 0, payload.decode(errors="replace")
        response = json.loads(payload)
        try:
            return int(response["statusCode"]), json.loads(response.get("body") or "null")
        except ValueError:
            return int(response["statusCode"]), response.get("body")

    return invoke


def run(event: dict, codedeploy: Any, check: Callable[[], list[str]]) -> str:
    """Run the check for CodeDeploy's hook `event` and report its outcome; an exception is a failure too."""
    try:
        problems = check()
    except Exception as error:  # whatever broke, CodeDeploy must hear of it, or it waits an hour
        logger.exception("deploy check crashed")
        problems = [f"the check crashed: {type(error).__name__}"]
    outcome = "Failed" if problems else "Succeeded"
    logger.info("deploy check", deployment=event["DeploymentId"], outcome=outcome, problems=problems)
    codedeploy.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=outcome,
    )
    return outcome
