"""Reads template.yaml: the API routes and handlers, and the tables, so the local stack and the tests
cannot drift from what `sam deploy` ships."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt...) read as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def load() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with the short tags written as CloudFormation reads them: `!Ref` as Ref, `!GetAtt A.B` as
    Fn::GetAtt [A, B], `!Condition` as Condition, every other `!X` as Fn::X."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value = _tag(loader, suffix, node)[suffix]
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def transformed(**parameters: str) -> dict:
    """The template after the SAM transform, as `sam validate` and CloudFormation see it: the functions'
    versions, aliases, CodeDeploy groups and roles made, for these parameter values (the rest at their
    defaults), in us-east-1. Made by the SAM CLI's own translator, in the SAM CLI's virtualenv (its
    pydantic is not the layer's)."""
    return _transformed(tuple(sorted(parameters.items())))


# Runs in the SAM CLI's Python: the template (as JSON) and the parameters on stdin, the result on stdout.
_TRANSFORM = """
import json, sys
import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

fragment, parameters = json.load(sys.stdin)
# The functions' policies are their own statements: no IAM call is needed to name a managed one.
translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name="us-east-1"))
json.dump(translator.translate(fragment, parameters, get_managed_policy_map=dict), sys.stdout)
"""
SAM_PYTHON = ROOT / ".tools" / "sam" / "bin" / "python"


@cache
def _transformed(parameters: tuple[tuple[str, str], ...]) -> dict:
    fragment = yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    # Local code paths as `sam validate` writes them: where `sam package` would upload them.
    for resource in fragment["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if isinstance(resource.get("Properties", {}).get(key), str):
                resource["Properties"][key] = f"s3://bucket/{resource['Properties'][key]}"
    done = subprocess.run(
        [str(SAM_PYTHON), "-c", _TRANSFORM],
        input=json.dumps([fragment, dict(parameters)]),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the SAM transform failed (make setup installs the SAM CLI):\n{done.stderr}")
    return json.loads(done.stdout)


@dataclass(frozen=True)
class Route:
    function: str  # logical id
    method: str
    path: str  # API Gateway form: /payments/{payment_id}
    # Asks the API's default authorizer (the key authorizer) first; False: `Auth: {Authorizer: NONE}`.
    authorized: bool


def resources(kind: str) -> dict[str, dict]:
    return {name: res for name, res in load()["Resources"].items() if res.get("Type") == kind}


def routes() -> list[Route]:
    found = []
    for name, function in resources("AWS::Serverless::Function").items():
        for event in function.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") != "Api":
                continue
            props = event["Properties"]
            found.append(
                Route(
                    function=name,
                    method=props["Method"].upper(),
                    path=props["Path"],
                    authorized=props.get("Auth", {}).get("Authorizer") != "NONE",
                )
            )
    return found


def module(function: str, environment: int = 0):
    """Load a function's module from its CodeUri, as Lambda does: each function is its own code root, and
    each of its execution `environment`s its own copy of the module (its own module state)."""
    props = load()["Resources"][function]["Properties"]
    module_name = props["Handler"].rpartition(".")[0]
    unique = f"paygate_function_{function}" + (f"_{environment}" if environment else "")
    # Requests arrive on many threads; a module half-executed by one must not be handed to another.
    with _LOADING:
        if unique not in sys.modules:
            spec = importlib.util.spec_from_file_location(unique, ROOT / props["CodeUri"] / f"{module_name}.py")
            assert spec and spec.loader
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[unique] = loaded  # first: pydantic resolves a model's annotations through it
            spec.loader.exec_module(loaded)
    return sys.modules[unique]


_LOADING = threading.RLock()


def handler(function: str, environment: int = 0):
    """A function's handler, loaded as Lambda loads it (in one of its execution environments)."""
    props = load()["Resources"][function]["Properties"]
    return getattr(module(function, environment), props["Handler"].rpartition(".")[2])


def table_definition(logical_id: str, table_name: str, *, stream: bool = True) -> dict:
    """create_table arguments for a table of the template (key schema, indexes, stream, on demand)."""
    props = load()["Resources"][logical_id]["Properties"]
    definition: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if props.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            for index in props["GlobalSecondaryIndexes"]
        ]
    if stream and props.get("StreamSpecification"):
        definition["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }
    return definition


def create_tables(client: Any, names: dict[str, str], *, streams: bool = True) -> None:
    """Create the template's tables under the given names (logical id -> table name). Without `streams`
    for bulk loads on DynamoDB Local: its writes slow down as its stream records pile up (to about a
    dozen a second past 100,000), which DynamoDB's do not."""
    existing = set(client.list_tables()["TableNames"])
    for logical_id, table_name in names.items():
        if table_name in existing:
            continue
        client.create_table(**table_definition(logical_id, table_name, stream=streams))
        client.get_waiter("table_exists").wait(TableName=table_name)
