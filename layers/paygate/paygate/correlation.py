"""One id that follows a change from its cause to every service it reaches.

The API request that causes a change (its `X-Correlation-Id` if the caller gave a usable one, else API
Gateway's request id) sets it; every record written while it is set carries it (`Versioned.correlation_id`,
stamped by the store), so the table's stream, the event on the bus, the webhook queue's message and the
webhook's `Paygate-Correlation-Id` header all carry the same id, and every log line on the way has it as
`correlation_id`. A worker takes the id of what it works on (an event, a delivery), or its own invocation's
when it starts the work itself (the sweep)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar

from paygate.observability import logger

HEADER = "X-Correlation-Id"
WEBHOOK_HEADER = "Paygate-Correlation-Id"
# What a caller may give: short, and nothing a log line or a header could be broken with.
_USABLE = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")

_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def use(correlation_id: str | None) -> None:
    """Work from here on belongs to `correlation_id` (None: to nothing known)."""
    _current.set(correlation_id)
    logger.set_correlation_id(correlation_id)


def current() -> str | None:
    return _current.get()


def of_request(headers: Mapping[str, str] | None, request_id: str | None) -> str | None:
    """A request's id: the caller's `X-Correlation-Id` when usable, else the gateway's request id."""
    given = next((value for name, value in (headers or {}).items() if name.lower() == HEADER.lower()), None)
    return given if given and _USABLE.fullmatch(given) else request_id
