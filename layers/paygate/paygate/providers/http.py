"""The providers' HTTP session, and one exchange with a provider held to one wall-clock budget.

`requests` passes its timeout to every socket read, so a provider that drips its answer a byte at a time
never trips it. `exchange` bounds the whole of it instead, from connecting to the last byte of the body:
the session's connections hand their sockets to the exchange's `Watchdog`, which shuts them down when
the budget is spent. Imported only when a provider is called (it loads `requests`)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from paygate.deadline import Watchdog

_watchdog: ContextVar[Watchdog | None] = ContextVar("paygate_exchange_watchdog", default=None)


def _watched(sock: socket.socket | None) -> None:
    watchdog = _watchdog.get()
    if watchdog is not None and sock is not None:
        watchdog.watch(sock)


class _Watched:
    """A connection that shows its socket to the running exchange's watchdog: a new one as soon as it is
    connected (before TLS, so a slow handshake is cut too), a kept-alive one when it is used again."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        _watched(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> Any:
        _watched(self.sock)
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _Connection(_Watched, HTTPConnection):
    pass


class _TlsConnection(_Watched, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _TlsConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}


def session() -> requests.Session:
    """A session whose connections every `exchange` can cut at its budget (connections are kept)."""
    made = requests.Session()
    adapter = _WatchedAdapter()
    made.mount("https://", adapter)
    made.mount("http://", adapter)
    return made


@contextmanager
def _watching(budget: float) -> Iterator[Watchdog]:
    with Watchdog(budget) as watchdog:
        token = _watchdog.set(watchdog)
        try:
            yield watchdog
        finally:
            _watchdog.reset(token)


def exchange(session: requests.Session, method: str, url: str, *, budget: float, **kwargs: Any) -> requests.Response:
    """`session.request`, the answer read whole, all within `budget` seconds; `requests.Timeout` past it.
    (Name resolution comes first and is bounded by the system resolver's own timeouts.)"""
    with _watching(budget) as watchdog:
        try:
            response = session.request(method, url, timeout=budget, **kwargs)
        except requests.RequestException as error:
            if watchdog.fired.is_set():  # the socket was shut down under the exchange
                raise requests.Timeout(f"no complete answer within {budget:.3g} s") from error
            raise
    if watchdog.fired.is_set():  # an answer cut short can look complete (one that ends with the connection)
        response.close()
        raise requests.Timeout(f"no complete answer within {budget:.3g} s")
    return response
