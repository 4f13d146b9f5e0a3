"""What a new container pays for: the layer ships bytecode for the runtime's Python (Lambda's /opt is
read-only, so a module without it is compiled at every cold start), and each API function imports only
what it uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local import template
from paygate.providers.catalog import SPECS

ROOT = template.ROOT
# The runtime's Python; the layer is compiled for it.
BYTECODE_TAG = "cpython-313"
ADAPTERS = {f"paygate.providers.{name}.adapter" for name in SPECS}
REQUIRED_SETTINGS = (
    "PAYMENTS_TABLE",
    "IDEMPOTENCY_TABLE",
    "EVENT_BUS_NAME",
    "WEBHOOK_ENDPOINTS_TABLE",
    "WEBHOOK_DELIVERIES_TABLE",
    "REFUNDS_TABLE",
    "ACCOUNTS_TABLE",
    "API_KEYS_TABLE",
)


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer as `sam build` makes it (the same Makefile, for the runtime's architecture)."""
    artifacts = tmp_path_factory.mktemp("layer")
    subprocess.run(
        ["make", "-s", "-C", str(ROOT / "layers" / "paygate"), "build-PaygateLayer"],
        env={**os.environ, "ARTIFACTS_DIR": str(artifacts), "PYTHON": sys.executable},
        check=True,
    )
    return artifacts / "python"


def test_the_built_layer_holds_bytecode_for_every_module(built_layer: Path):
    sources = sorted(built_layer.rglob("*.py"))
    packages = {path.relative_to(built_layer).parts[0] for path in sources}
    assert {"paygate", "aws_lambda_powertools", "pydantic", "requests", "segno"} <= packages
    source = ROOT / "layers" / "paygate"
    shipped = {path.relative_to(source) for path in (source / "paygate").rglob("*.py")}
    assert shipped <= {path.relative_to(built_layer) for path in sources}
    missing = [
        str(path.relative_to(built_layer))
        for path in sources
        if not (path.parent / "__pycache__" / f"{path.stem}.{BYTECODE_TAG}.pyc").is_file()
    ]
    assert missing == []


def test_the_layer_bytecode_is_used_whatever_the_files_timestamps(built_layer: Path):
    """Hash-based and unchecked (PEP 552): the zip does not keep modification times exactly, and a
    timestamp-checked .pyc that disagrees with its source is compiled again, on a read-only disk."""
    for pyc in (built_layer / "paygate").rglob("*.pyc"):
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{pyc.name}: flags {flags:#b}"


def imported_by(function: str) -> set[str]:
    """The modules loaded by importing the function's app.py as Lambda does, in a fresh interpreter."""
    code_uri = template.load()["Resources"][function]["Properties"]["CodeUri"]
    app = ROOT / code_uri / "app.py"
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(app)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / code_uri), str(ROOT / "layers" / "paygate")]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **{name: "cold-start" for name in REQUIRED_SETTINGS},
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_reading_a_payment_loads_no_idempotency_and_no_provider_adapter():
    modules = imported_by("GetPaymentFunction")
    assert {"paygate.api", "paygate.service", "paygate.models"} <= modules  # the app was loaded
    assert not {m for m in modules if m.startswith("aws_lambda_powertools.utilities.idempotency")}
    assert not modules & ADAPTERS


API_FUNCTIONS = sorted(
    name
    for name, resource in template.load()["Resources"].items()
    if resource["Type"] == "AWS::Serverless::Function"
    and any(event["Type"] == "Api" for event in resource["Properties"].get("Events", {}).values())
)


OTHER_RESOLVERS = ("aws_lambda_powertools.event_handler.appsync", "aws_lambda_powertools.event_handler.bedrock")


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_api_functions_load_the_tracer_and_not_the_other_resolvers(function):
    """Powertools' event handler package imports its AppSync and Bedrock resolvers in its __init__;
    `paygate` defers that, so no API function pays for them. The tracer (and the X-Ray SDK, asyncio
    with it) is loaded on purpose where `paygate.api` serves: each request is traced with its AWS and
    provider calls (the sandbox, a provider's simulator, does not)."""
    modules = imported_by(function)
    assert "aws_lambda_powertools.event_handler.api_gateway" in modules
    assert ("aws_xray_sdk.core" in modules) == ("paygate.api" in modules) == (function != "SandboxFunction")
    assert not {m for m in modules if m.startswith(OTHER_RESOLVERS)}


@pytest.mark.parametrize("function", ["ListPaymentsFunction", "CancelPaymentFunction"])
def test_merchant_reads_load_no_provider_adapter(function):
    assert not imported_by(function) & ADAPTERS
