"""The provider simulators: `local.simulators.<name>` for each provider that has one, each defining
`SIMULATOR` (its class) and `CREDENTIALS` (development values only: stored in the local Secrets Manager
for the adapter and handed to the simulator, so that what one side signs the other verifies).

They are found in this package itself (a module without `SIMULATOR`, such as `base`, is none), and none of
them imports the gateway's adapters: each writes and signs its provider's wire format with its own code,
so the gateway's verification is tested against a signer written apart from it."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType


@cache
def modules() -> dict[str, ModuleType]:
    """Every simulator by its provider's name: the sandbox first (the stack's default provider), then the
    others in the order of their names."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "SIMULATOR"):
            found[info.name] = module
    return dict(sorted(found.items(), key=lambda item: (item[0] != "sandbox", item[0])))


def credentials() -> dict[str, dict[str, str]]:
    return {name: dict(module.CREDENTIALS) for name, module in modules().items()}
