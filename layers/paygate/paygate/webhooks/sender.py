"""One webhook POST to a merchant's URL, made safely: the URL is the merchant's to choose, so everything
about it is treated as hostile.

What it guards against, and why:

- **SSRF.** A merchant could register `https://169.254.169.254/...` (the cloud metadata service, which
  hands out the function's credentials), `https://10.0.3.7/` or `https://localhost:8080/` and have
  Paygate make requests inside its own network for them: the URL is checked (paygate.webhooks.addresses).
- **DNS rebinding.** A name can answer a public address when checked and `127.0.0.1` a second later.
  `send` checks again at delivery (the answer may have changed since registration) and then connects to
  the address it checked, never to the name: the name is only used for the `Host` header, TLS SNI and
  certificate verification, which stay exactly as they would be for a connection by name.
- **Redirects to internal addresses.** Nothing is followed: a 3xx is an answer like any other non-2xx,
  so a public endpoint cannot bounce the request to a private one.
- **Huge answers.** Only the status line and headers are read: the body is never read (no gzip bomb),
  the connection is closed under it.
- **Slow answers.** One deadline, `timeout` seconds from the call, covers connecting, TLS, sending and
  reading. Socket timeouts alone bound each read, not their sum, so a server sending one byte at a time
  could hold a delivery for hours; a watchdog shuts the socket down at the deadline instead. (Name
  resolution happens before the connection and is bounded by the system resolver's own timeouts.)

`send` never raises: any failure is a `SendResult` with `http_status=None` and a short error written
here, never an exception's own text, which could quote a header (the signature) or the body.

`allow_private=True` is the local development mode: `http` is allowed and so is every address (the local
stack's merchant receiver is on 127.0.0.1). A deployed stack never sets it.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import certifi
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.util.ssl_match_hostname import CertificateError

from paygate import __version__
from paygate.deadline import Watchdog
from paygate.webhooks.addresses import Target, UnsafeUrl, checked, resolve_host

TIMEOUT_SECONDS = 10.0
# An attempt is not started with less time than this left: the POST's own deadline, and recording it.
SECONDS_FOR_AN_ATTEMPT = TIMEOUT_SECONDS + 2
# Framing and routing headers are the sender's, from the URL and the body, never the caller's.
TRANSPORT_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "user-agent"})
# Who is calling, for the merchant's logs and firewall rules (urllib3 would name itself).
USER_AGENT = f"Paygate-Webhooks/{__version__}"


@dataclass(frozen=True)
class SendResult:
    http_status: int | None  # None when no answer arrived (refused, timeout, DNS, TLS, unsafe URL)
    latency_ms: int
    error: str | None  # None on any HTTP answer; otherwise a short, safe description


# --- the delivery ------------------------------------------------------------------------------------


class _Expired(Exception):
    """The deadline passed."""


class _HTTPConnection(HTTPConnection):
    def __init__(self, *args: Any, watchdog: Watchdog, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._watchdog.watch(sock)
        return sock


class _HTTPSConnection(HTTPSConnection):
    def __init__(self, *args: Any, watchdog: Watchdog, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # the TCP socket, before TLS wraps it
        self._watchdog.watch(sock)
        return sock


def _connection(target: Target, address: str, timeout: float, watchdog: Watchdog) -> HTTPConnection:
    """A connection to `address` itself; for https, SNI and certificate checks still use the URL's host."""
    if target.scheme == "https":
        return _HTTPSConnection(
            address,
            target.port,
            timeout=timeout,
            watchdog=watchdog,
            server_hostname=target.host,
            assert_hostname=target.host.rstrip("."),  # certificates name hosts without the final dot
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    return _HTTPConnection(address, target.port, timeout=timeout, watchdog=watchdog)


def _post(target: Target, addresses: list[str], body: bytes, headers: Mapping[str, str], deadline: float) -> int:
    request_headers = {name: value for name, value in headers.items() if name.lower() not in TRANSPORT_HEADERS}
    request_headers["Host"] = target.host_header
    request_headers["User-Agent"] = USER_AGENT
    refused: Exception | None = None
    for address in addresses:  # the next address only when one refuses at once (e.g. no IPv6 route)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        with Watchdog(remaining) as watchdog:
            connection = _connection(target, address, remaining, watchdog)
            try:
                try:
                    connection.connect()
                except NewConnectionError as error:
                    if watchdog.fired.is_set():
                        raise _Expired from error
                    refused = error
                    continue
                connection.request(
                    "POST",
                    target.path,
                    body=body,
                    headers=request_headers,
                    preload_content=False,
                    decode_content=False,
                )
                response = connection.getresponse()
                status = response.status
            except Exception as error:
                if watchdog.fired.is_set():
                    raise _Expired from error
                raise
            finally:
                connection.close()  # whatever is left of the answer is never read
            if watchdog.fired.is_set():  # the socket was shut down under the answer: cut short
                raise _Expired
            return status
    if refused is not None:
        raise refused
    raise _Expired


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _describe(error: BaseException, timeout: float) -> str:
    """A short description of a failure, from its type only: an exception's text may quote a header."""
    chain = _causes(error)

    def first(*types: type[BaseException]) -> BaseException | None:
        return next((cause for cause in chain if isinstance(cause, types)), None)

    if isinstance(error, _Expired) or (
        first(NewConnectionError) is None and first(ConnectTimeoutError, ReadTimeoutError, TimeoutError)
    ):
        return f"timeout after {timeout:g} s"
    if first(ConnectionRefusedError):
        return "connection refused"
    if first(CertificateError):
        return "tls error: certificate does not match the host"
    verification = first(ssl.SSLCertVerificationError)
    if isinstance(verification, ssl.SSLCertVerificationError):
        return "tls error: certificate verify failed"
    if first(ssl.SSLError):
        return "tls error"
    unreachable = first(OSError)
    if first(NewConnectionError) is not None and isinstance(unreachable, OSError):
        if unreachable.errno == errno.ENETUNREACH:
            return "network unreachable"
        if unreachable.errno == errno.EHOSTUNREACH:
            return "host unreachable"
        return "connection failed"
    if first(ConnectionError, ProtocolError, http.client.RemoteDisconnected, http.client.IncompleteRead):
        return "connection closed before a complete answer"
    if first(http.client.HTTPException):
        return "malformed answer"
    if first(ValueError, TypeError):
        return "invalid request (a header or the body could not be sent)"
    return f"delivery failed ({type(error).__name__})"


def send(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allow_private: bool,
    timeout: float = TIMEOUT_SECONDS,
    resolve: Callable[[str, int], list[str]] = resolve_host,
) -> SendResult:
    """POST `body` with `headers` to `url`, to the address just checked; never raises."""
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        target, addresses = checked(url, allow_private=allow_private, resolve=resolve)
        status = _post(target, addresses, body, headers, started + timeout)
    except UnsafeUrl as refusal:
        error = f"unsafe url: {refusal}"
    except Exception as failure:
        error = _describe(failure, timeout)
    latency_ms = int((time.monotonic() - started) * 1000)
    return SendResult(status, latency_ms, error)
