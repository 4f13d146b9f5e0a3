"""What a canary deploy sees of its new version: the API's answers of 500, counted by the version that
served them, and the synthetic payment CodeDeploy's hooks send through the new versions before and after
the traffic shift (paygate.deploy_check), reported to CodeDeploy as Succeeded or Failed."""

from __future__ import annotations

import io
import json
import secrets
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from local import template
from local.emulator import lambda_context
from paygate import api, deploy_check, service
from paygate.config import settings
from paygate.errors import NotFound, PaygateError
from tests import factories

API_HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"
TARGETS = deploy_check.Targets(
    create="arn:aws:lambda:us-east-1:123456789012:function:paygate-CreatePayment:7",
    read="arn:aws:lambda:us-east-1:123456789012:function:paygate-GetPayment:4",
    callback="arn:aws:lambda:us-east-1:123456789012:function:paygate-IpnCallback:9",
    api_host=API_HOST,
    stage="v1",
    test_mode=True,
)

# --- 500s, by function and version ---------------------------------------------------------------


def emitted(output: str) -> list[dict]:
    """The CloudWatch embedded metric documents printed (one JSON object per line)."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]


def served_by(version: str) -> Any:
    context = lambda_context("paygate-CreatePayment-x1y2")
    context.function_version = version
    return context


@pytest.fixture
def metrics_on(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")


def failing_app(error: Exception):
    app = api.create_app()

    @app.get("/boom")
    def boom() -> dict:
        raise error

    return app


@pytest.mark.parametrize("error", [RuntimeError("a bug"), PaygateError("internal")])
def test_an_answer_of_500_is_counted_by_the_version_that_served_it(error, metrics_on, capsys):
    app = failing_app(error)
    answer = app.resolve(deploy_check.request("GET", "/boom", TARGETS), served_by("7"))
    assert answer["statusCode"] == 500
    [document] = [doc for doc in emitted(capsys.readouterr().out) if "ApiInternalErrors" in doc]
    assert document["ApiInternalErrors"] == [1.0]
    assert document["FunctionName"] == "paygate-CreatePayment-x1y2"
    assert document["ExecutedVersion"] == "7"  # the alarm's dimension: !GetAtt <Fn>.Version.Version
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Paygate"  # Paygate-<stage> where the template sets it
    assert sorted(directive["Dimensions"][0]) == ["ExecutedVersion", "FunctionName", "service"]


def test_a_refusal_is_not_counted(metrics_on, capsys):
    answer = failing_app(NotFound("no such payment")).resolve(
        deploy_check.request("GET", "/boom", TARGETS), served_by("7")
    )
    assert answer["statusCode"] == 404
    assert not [doc for doc in emitted(capsys.readouterr().out) if "ApiInternalErrors" in doc]


# --- the deploy check ----------------------------------------------------------------------------

HOOK_EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "eyJ0ZXN0IjoiaG9vayJ9"}
# The new versions, served here by the functions' handlers loaded as Lambda loads them.
FUNCTIONS = {TARGETS.create: "CreatePaymentFunction", TARGETS.read: "GetPaymentFunction"}
FUNCTIONS[TARGETS.callback] = "IpnCallbackFunction"


def codedeploy_expecting(status: str) -> tuple[Any, Stubber]:
    client = boto3.client("codedeploy", region_name="us-east-1")
    stubber = Stubber(client)
    expected = {
        "deploymentId": HOOK_EVENT["DeploymentId"],
        "lifecycleEventHookExecutionId": HOOK_EVENT["LifecycleEventHookExecutionId"],
        "status": status,
    }
    stubber.add_response("put_lifecycle_event_hook_execution_status", {}, expected)
    stubber.activate()
    return client, stubber


class Versions:
    """`lambda_invoker`'s Lambda client, answering each version with its function's handler in-process."""

    def __init__(self) -> None:
        self.invoked: list[str] = []

    def invoke(self, FunctionName: str, Payload: bytes) -> dict:
        self.invoked.append(FunctionName)
        function = FUNCTIONS[FunctionName]
        answer = template.handler(function)(json.loads(Payload), lambda_context(function))
        body = json.dumps(answer).encode()
        return {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body))}


@pytest.fixture
def stack(dynamodb, monkeypatch):
    """The functions with the environment a fresh test-mode deploy gives them, the sandbox's secret made as
    the README makes it, and the sandbox reached through the API, as a created payment calls it."""
    from tests.unit.test_fresh_deploy import ApiGateway, default_environment

    for name, value in {**default_environment(), **factories.environment()}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SANDBOX_TABLE", "paygate-sandbox")
    template.create_tables(dynamodb, {"SandboxTable": "paygate-sandbox"})
    webhook_secret = secrets.token_hex(32)
    credentials = {"api_key": secrets.token_hex(16), "webhook_secret": webhook_secret}
    boto3.client("secretsmanager").create_secret(Name="paygate/sandbox", SecretString=json.dumps(credentials))
    service.reset()
    gateway = ApiGateway()
    service.providers().session.mount(f"https://{API_HOST}/v1", gateway)
    sandbox = template.module("SandboxFunction")
    sandbox.dynamodb.cache_clear()
    sandbox.http.mount(f"https://{API_HOST}/v1", gateway)
    yield webhook_secret
    service.reset()


def test_the_synthetic_payment_goes_through_the_new_versions_and_succeeds(stack, dynamodb):
    versions = Versions()
    invoke = deploy_check.lambda_invoker(versions)
    codedeploy, stubber = codedeploy_expecting("Succeeded")
    outcome = deploy_check.run(HOOK_EVENT, codedeploy, lambda: deploy_check.check(invoke, TARGETS, settings()))
    assert outcome == "Succeeded"
    stubber.assert_no_pending_responses()
    assert versions.invoked == [TARGETS.create, TARGETS.callback, TARGETS.read]  # the versions, not the alias
    [item] = dynamodb.scan(TableName=factories.TABLES["PaymentsTable"])["Items"]
    assert item["status"]["S"] == "succeeded" and item["provider"]["S"] == "sandbox"
    assert item["account_id"]["S"] == f"{deploy_check.ACCOUNT_ID}:test"  # test mode: the sandbox, no money


def test_a_new_version_that_answers_500_fails_the_deploy(stack):
    def broken_read(version: str, event: dict) -> tuple[int, Any]:
        if version == TARGETS.read:
            return 500, {"error": {"code": "internal_error"}}
        return deploy_check.lambda_invoker(Versions())(version, event)

    codedeploy, stubber = codedeploy_expecting("Failed")
    outcome = deploy_check.run(HOOK_EVENT, codedeploy, lambda: deploy_check.check(broken_read, TARGETS, settings()))
    assert outcome == "Failed"
    stubber.assert_no_pending_responses()


def test_a_version_that_crashes_fails_the_deploy():
    class Crashing:
        def invoke(self, FunctionName: str, Payload: bytes) -> dict:
            body = b'{"errorMessage": "No module named paygate", "errorType": "ImportModuleError"}'
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": StreamingBody(io.BytesIO(body), len(body)),
            }

    status, answer = deploy_check.lambda_invoker(Crashing())(TARGETS.create, {})
    assert status == 0 and "ImportModuleError" in answer
    problems = deploy_check.refusals(deploy_check.lambda_invoker(Crashing()), TARGETS, "payop")
    assert len(problems) == 3 and problems[0].startswith("create answered 0")


def test_a_check_that_breaks_is_reported_failed_not_left_waiting():
    def check() -> list[str]:
        raise ConnectionError("lambda unreachable")

    codedeploy, stubber = codedeploy_expecting("Failed")
    assert deploy_check.run(HOOK_EVENT, codedeploy, check) == "Failed"
    stubber.assert_no_pending_responses()


def test_without_test_mode_each_new_version_must_refuse_without_a_provider(stack):
    live = deploy_check.Targets(**{**TARGETS.__dict__, "test_mode": False})
    versions = Versions()
    problems = deploy_check.check(deploy_check.lambda_invoker(versions), live, settings())
    assert problems == []
    assert versions.invoked == [TARGETS.create, TARGETS.read, TARGETS.callback]


def test_the_targets_are_read_as_the_template_gives_them():
    variables = template.load()["Resources"]["DeployCheckFunction"]["Properties"]["Environment"]["Variables"]
    environment = {name: "x" for name in variables} | {"DEPLOY_CHECK_TEST_MODE": "true"}
    targets = deploy_check.Targets.from_environment(environment)
    assert targets.test_mode and targets.create == targets.read == targets.callback == "x"


def test_the_hook_function_checks_the_versions_it_is_given_and_reports_to_codedeploy(stack, monkeypatch):
    sample = json.loads((template.ROOT / "events" / "deploy_check.json").read_text())
    variables = {"CREATE": TARGETS.create, "READ": TARGETS.read, "CALLBACK": TARGETS.callback}
    for name, value in {**variables, "API_HOST": API_HOST, "STAGE": "v1", "TEST_MODE": "true"}.items():
        monkeypatch.setenv(f"DEPLOY_CHECK_{name}", value)
    codedeploy = boto3.client("codedeploy", region_name="us-east-1")
    stubber = Stubber(codedeploy)
    expected = {"deploymentId": sample["DeploymentId"], "status": "Succeeded"}
    expected["lifecycleEventHookExecutionId"] = sample["LifecycleEventHookExecutionId"]
    stubber.add_response("put_lifecycle_event_hook_execution_status", {}, expected)
    stubber.activate()
    versions = Versions()
    clients = {"lambda": versions, "codedeploy": codedeploy}
    made_by_boto3 = boto3.client  # (the stack's other clients: moto's)
    monkeypatch.setattr(boto3, "client", lambda name, **kw: clients.get(name) or made_by_boto3(name, **kw))
    answer = template.handler("DeployCheckFunction")(sample, lambda_context("DeployCheckFunction", 120))
    assert answer == {"outcome": "Succeeded"}
    stubber.assert_no_pending_responses()
    assert versions.invoked == [TARGETS.create, TARGETS.callback, TARGETS.read]
