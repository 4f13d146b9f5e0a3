"""Paygate: one API over several payment providers.

Importing any part of it first defers the `__init__` of Powertools' event handler package, which imports
every resolver Powertools has: the AppSync one brings `asyncio` (15 to 45 ms of every cold start, for
nothing in an API Gateway function). Submodules import as usual, and the names the package shares with
`api_gateway` are served from it; any other name read from the package runs the real `__init__` then,
so nothing breaks if Powertools adds or moves a name, it only costs what it cost before."""

import importlib
import importlib.util
import sys

# The one place the version is written: pyproject.toml reads it from here, webhooks send it as their
# User-Agent (the layer ships without package metadata, so it cannot be read from there at run time).
__version__ = "0.1.0"

_EVENT_HANDLER = "aws_lambda_powertools.event_handler"
# What the package's __init__ takes from its `api_gateway` module.
_FROM_API_GATEWAY = {
    "ALBResolver",
    "APIGatewayHttpResolver",
    "ApiGatewayResolver",
    "APIGatewayRestResolver",
    "CORSConfig",
    "Response",
}


def _defer_event_handler_init() -> None:
    if _EVENT_HANDLER in sys.modules:
        return
    spec = importlib.util.find_spec(_EVENT_HANDLER)
    if spec is None or spec.loader is None:
        return
    loader = spec.loader
    package = importlib.util.module_from_spec(spec)

    def __getattr__(name: str) -> object:
        if name in _FROM_API_GATEWAY:
            return getattr(importlib.import_module(f"{_EVENT_HANDLER}.api_gateway"), name)
        if importlib.util.find_spec(f"{_EVENT_HANDLER}.{name}") is not None:
            raise AttributeError(name)  # a submodule: the import system loads it
        del package.__getattr__
        loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[_EVENT_HANDLER] = package
    setattr(sys.modules["aws_lambda_powertools"], _EVENT_HANDLER.rpartition(".")[2], package)


_defer_event_handler_init()
