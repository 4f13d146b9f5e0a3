"""The provider simulators: `local.simulators.<name>` for each provider of the catalog, each defining
`SIMULATOR` (its class) and `CREDENTIALS` (development values only: stored in the local Secrets Manager
for the adapter and handed to the simulator, so that what one side signs the other verifies)."""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from types import ModuleType

from paygate.providers.catalog import SPECS


@cache
def modules() -> dict[str, ModuleType]:
    """Every catalog provider that has a simulator, in the catalog's order (sandbox first)."""
    found = {}
    for name in SPECS:
        module_name = f"local.simulators.{name}"
        if importlib.util.find_spec(module_name):
            found[name] = importlib.import_module(module_name)
    return found


def credentials() -> dict[str, dict[str, str]]:
    return {name: dict(module.CREDENTIALS) for name, module in modules().items()}
