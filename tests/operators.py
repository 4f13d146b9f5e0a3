"""What the tests of the operators' scripts (scripts/) share: a script as a module, and a deployed stack
whose outputs they read (moto's CloudFormation)."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping
from types import ModuleType

import boto3

from local.template import ROOT
from tests.factories import TABLES

SCRIPTS = ROOT / "scripts"
STACK = "paygate"
# The outputs the scripts read: the accounts and keys tables the tests' `dynamodb` fixture makes.
OUTPUTS = {"AccountsTableName": TABLES["AccountsTable"], "ApiKeysTableName": TABLES["ApiKeysTable"]}


def script(name: str) -> ModuleType:
    """scripts/<name>.py, imported as it runs: from its folder, where the scripts import one another."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    return importlib.import_module(name)


def deployed_stack(outputs: Mapping[str, str] = OUTPUTS, name: str = STACK) -> None:
    """A stack with these outputs (and a queue, as a stack has at least one resource)."""
    body = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(body))
