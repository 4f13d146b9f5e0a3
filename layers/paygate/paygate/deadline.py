"""How long the current invocation may still run, so that every provider call gives up in time.

Lambda kills a function at its timeout; API Gateway then answers 502 on its own and the outcome is
lost. So each handler marks its invocation's deadline (`invocation(context)`), and every provider call
waits at most what remains of it, less RESERVE_SECONDS to record the outcome and answer: a slow provider
becomes our 504, and a sweep stops cleanly. Outside an invocation (tests, scripts) there is no deadline.

A socket timeout bounds each read, not their sum: a peer that sends one byte a second passes any of them
for as long as it likes. So a whole exchange is held to its budget by a `Watchdog`, which shuts the
connection's socket down when the budget is spent and so wakes whatever read or write is blocked on it."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
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


class OutOfTime(Exception):
    """A batch record not started: too little of the invocation was left to finish it."""


def while_time_left[R, T](handle: Callable[[R], T], context: Any, *, needs: float) -> Callable[[R], T]:
    """`handle` for the records of a batch, each started only with `needs` seconds of the invocation
    left; after that each raises OutOfTime, so Powertools' batch processor reports the rest of the batch
    as failed (batchItemFailures) and the queue or stream hands it back, rather than Lambda cutting the
    batch off at its timeout and giving all of it back, done or not."""

    def handle_in_time(record: R) -> T:
        left = context.get_remaining_time_in_millis() / 1000
        if left < needs:
            raise OutOfTime(f"{left:.3g} s left, {needs:g} s needed: handed back")
        return handle(record)

    return handle_in_time


class Watchdog:
    """Shuts down the sockets it watches `seconds` after it is entered (and any it is given later).

    It keeps a duplicate of each socket: shutting the duplicate down stops the one connection under both,
    TLS included, and never touches the TLS object another thread is reading from."""

    def __init__(self, seconds: float):
        self.fired = threading.Event()
        self._lock = threading.Lock()
        self._sockets: dict[int, socket.socket] = {}  # by the watched socket's file number
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if sock.fileno() in self._sockets:
                return
            duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)
            self._sockets[sock.fileno()] = duplicate
            if self.fired.is_set():
                self._shutdown(duplicate)

    def _fire(self) -> None:
        with self._lock:
            self.fired.set()
            for duplicate in self._sockets.values():
                self._shutdown(duplicate)

    @staticmethod
    def _shutdown(duplicate: socket.socket) -> None:
        with contextlib.suppress(OSError):
            duplicate.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            for duplicate in self._sockets.values():
                duplicate.close()
            self._sockets.clear()
