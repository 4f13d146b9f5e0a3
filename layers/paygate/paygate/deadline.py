"""How long the current invocation may still run, so that every provider call gives up in time.

Lambda kills a function at its timeout; API Gateway then answers 502 on its own and the outcome is
lost. So each handler marks its invocation's deadline (`invocation(context)`), and every provider call
waits at most what remains of it, less RESERVE_SECONDS to record the outcome and answer: a slow provider
becomes our 504, and a sweep stops cleanly. Outside an invocation (tests, scripts) there is no deadline."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

RESERVE_SECONDS = 1.0
_deadline: ContextVar[float | None] = ContextVar("paygate_deadline", default=None)


@contextmanager
def invocation(context: Any) -> Iterator[None]:
    """Within this block, the deadline is the Lambda context's (none if the context tells no time)."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    token = _deadline.set(time.monotonic() + remaining_ms() / 1000 if remaining_ms else None)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left for work before the reserve; None when there is no deadline."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic() - RESERVE_SECONDS
