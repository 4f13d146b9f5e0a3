"""The provider simulators: `local.simulators.<name>` for each provider that has one, each defining
`SIMULATOR` (its class) and `CREDENTIALS` (development values only: stored in the local Secrets Manager
for the adapter and handed to the simulator, so that what one side signs the other verifies).

They are found in this package itself (a module without `SIMULATOR`, such as `base`, is none), and none of
them imports the gateway's adapters: each writes and signs its provider's wire format with its own code,
so the gateway's verification is tested against a signer written apart from it.

The sandbox has no simulator: the local stack serves the sandbox function itself (local/sandbox.py),
which reads its credentials, SANDBOX_CREDENTIALS here, from the local secret as the deployed one does."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

SANDBOX_CREDENTIALS = {"api_key": "sbx_local_api_key", "webhook_secret": "sbx_local_webhook_secret"}


@cache
def modules() -> dict[str, ModuleType]:
    """Every simulator by its provider's name, in the order of the names."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "SIMULATOR"):
            found[info.name] = module
    return found


def credentials() -> dict[str, dict[str, str]]:
    """Every provider's development credentials: the sandbox's first (the stack's default provider), then
    each simulator's."""
    simulated = {name: dict(module.CREDENTIALS) for name, module in modules().items()}
    return {"sandbox": dict(SANDBOX_CREDENTIALS), **simulated}
