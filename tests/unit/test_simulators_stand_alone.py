"""The simulators and the sandbox function stand apart from the gateway's adapters: each, imported alone in
a fresh interpreter, loads nothing of `paygate.providers`, even through another module. One that did
could sign with the adapter's own code, and the end-to-end tests would check the adapter against itself."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from local import simulators
from local.template import ROOT

# Every module of the simulators' package, and the sandbox's test hooks in the local stack.
MODULES = [
    "local.simulators",
    *sorted(f"local.simulators.{info.name}" for info in pkgutil.iter_modules(simulators.__path__)),
    "local.sandbox",
]
SANDBOX_FUNCTION = ROOT / "functions" / "sandbox" / "app.py"


def loaded_after(statement: str, *path: Path) -> set[str]:
    """The modules a fresh interpreter holds once it has run `statement`, with `path` first on its path."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(entry) for entry in path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def providers(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name == "paygate.providers" or name.startswith("paygate.providers."))


def test_every_simulator_is_checked():
    found = {name.rpartition(".")[2] for name in MODULES}
    assert {"base", "ivpay", "nowpayments", "paygentic", "payop", "sandbox"} <= found


@pytest.mark.parametrize("module", MODULES)
def test_a_simulator_loads_none_of_the_gateways_providers(module):
    loaded = loaded_after(f"import {module}")
    assert module in loaded
    assert providers(loaded) == []


def test_the_sandbox_function_loads_none_of_the_gateways_providers():
    # As Lambda loads it: by its file, with its own directory and then the layer on the path.
    statement = (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(SANDBOX_FUNCTION)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))"
    )
    loaded = loaded_after(statement, SANDBOX_FUNCTION.parent, ROOT / "layers" / "paygate")
    assert "paygate.wire" in loaded  # the function was loaded, with the parts of the layer it uses
    assert providers(loaded) == []
