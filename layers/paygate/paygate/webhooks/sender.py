"""One webhook POST to a merchant's URL, made safely: the URL is the merchant's to choose, so everything
about it is treated as hostile.

What it guards against, and why:

- **SSRF.** A merchant could register `https://169.254.169.254/...` (the cloud metadata service, which
  hands out the function's credentials), `https://10.0.3.7/` or `https://localhost:8080/` and have
  Paygate make requests inside its own network for them. `check_url` refuses any URL whose host resolves
  to an address that is not globally routable: private, loopback, link-local (the metadata address among
  them), unique-local, multicast, reserved, unspecified, shared (100.64/10), and IPv6 forms that embed
  such an IPv4 address (`::ffff:127.0.0.1`). One bad answer among several refuses the URL, since any of
  them could be the one connected to. Odd IPv4 spellings (`2130706433`, `0x7f.1`, `017700000001`) are
  resolved through `getaddrinfo`, which normalizes them, so the check sees the real address. Only
  `https` is accepted, and no credentials in the URL.
- **DNS rebinding.** A name can answer a public address when checked and `127.0.0.1` a second later.
  `send` checks again at delivery (the answer may have changed since registration) and then connects to
  the address it checked, never to the name: the name is only used for the `Host` header, TLS SNI and
  certificate verification, which stay exactly as they would be for a connection by name.
- **Redirects to internal addresses.** Nothing is followed: a 3xx is an answer like any other non-2xx,
  so a public endpoint cannot bounce the request to a private one.
- **Huge answers.** At most `MAX_BODY_BYTES` of the body are read, undecoded (no gzip bomb), then the
  connection is closed without reading the rest.
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

import contextlib
import errno
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.util.ssl_match_hostname import CertificateError

MAX_BODY_BYTES = 4096
TIMEOUT_SECONDS = 10.0

DEFAULT_PORTS = {"https": 443, "http": 80}
# Framing and routing headers are the sender's, from the URL and the body, never the caller's.
TRANSPORT_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class SendResult:
    http_status: int | None  # None when no answer arrived (refused, timeout, DNS, TLS, unsafe URL)
    latency_ms: int
    error: str | None  # None on any HTTP answer; otherwise a short, safe description
    body_excerpt: str  # at most MAX_BODY_BYTES of the answer, decoded leniently (for the delivery log)


class UnsafeUrl(ValueError):
    """The URL may not be delivered to; the message says why (shown to the merchant at registration)."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, IPv4 and IPv6, in the system's order, without duplicates."""
    answers = socket.getaddrinfo(host, port, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


# --- the check ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII (IDNA), without brackets: what is resolved, sent as SNI and verified
    port: int
    host_header: str
    path: str  # path and query, never empty


def _parse(url: str, *, allow_private: bool) -> _Target:
    if any(character <= " " or character == "\x7f" for character in url):
        raise UnsafeUrl("url contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl("url is not valid") from error
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_private and scheme == "http"):
        raise UnsafeUrl("url must use https")
    if "@" in parts.netloc:
        raise UnsafeUrl("url must not carry credentials")
    if not parts.hostname:
        raise UnsafeUrl("url has no host")
    if not (parts.path + parts.query).isascii():
        raise UnsafeUrl("url path must be ASCII (percent-encoded)")
    if port == 0:
        raise UnsafeUrl("url has an invalid port")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise UnsafeUrl("url has an invalid host") from error
    is_ipv6 = ":" in host
    host_header = f"[{host}]" if is_ipv6 else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host_header = f"{host_header}:{port}"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(scheme, host, port or DEFAULT_PORTS[scheme], host_header, path)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _is_public(address.ipv4_mapped)  # ::ffff:a.b.c.d is the IPv4 address itself
    if (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast  # is_global holds for some multicast ranges (224.0.0.1, ff0e::1)
        or address.is_reserved  # also ::/8: the IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::) forms
        or address.is_unspecified
    ):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:  # fec0::/10, deprecated but still not public
            return False
        embedded = address.sixtofour  # 2002:a.b.c.d::/48 carries an IPv4 address too
        if embedded is not None and not _is_public(embedded):
            return False
    return True


def _check(url: str, *, allow_private: bool, resolve: Callable[[str, int], list[str]]) -> tuple[_Target, list[str]]:
    target = _parse(url, allow_private=allow_private)
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(resolve(target.host, target.port))
        except (OSError, UnicodeError) as error:  # socket.gaierror is an OSError
            raise UnsafeUrl("host does not resolve") from error
    if not addresses:
        raise UnsafeUrl("host does not resolve")
    if not allow_private:
        for address in addresses:
            try:
                parsed = ipaddress.ip_address(address)
            except ValueError as error:
                raise UnsafeUrl("host resolves to an invalid address") from error
            if not _is_public(parsed):
                raise UnsafeUrl("resolves to a private address")
    return target, addresses


def check_url(url: str, *, allow_private: bool, resolve: Callable[[str, int], list[str]] = resolve_host) -> list[str]:
    """Raise UnsafeUrl unless the URL may be delivered to; return the addresses it resolves to."""
    return _check(url, allow_private=allow_private, resolve=resolve)[1]


# --- the delivery ------------------------------------------------------------------------------------


class _Expired(Exception):
    """The deadline passed."""


class _Watchdog:
    """Shuts the connection's socket down at the deadline, which wakes any blocked read or write.

    It keeps its own duplicate of the TCP socket: TLS wraps the original into a new object (detaching it),
    and shutting down the duplicate stops the one connection under both."""

    def __init__(self, seconds: float):
        self.fired = threading.Event()
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock.dup()
            if self.fired.is_set():
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired.set()
            self._shutdown()

    def _shutdown(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


class _HTTPConnection(HTTPConnection):
    def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._watchdog.watch(sock)
        return sock


class _HTTPSConnection(HTTPSConnection):
    def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # the TCP socket, before TLS wraps it
        self._watchdog.watch(sock)
        return sock


def _connection(target: _Target, address: str, timeout: float, watchdog: _Watchdog) -> HTTPConnection:
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


def _post(
    target: _Target, addresses: list[str], body: bytes, headers: Mapping[str, str], deadline: float
) -> tuple[int, bytes]:
    request_headers = {name: value for name, value in headers.items() if name.lower() not in TRANSPORT_HEADERS}
    request_headers["Host"] = target.host_header
    refused: Exception | None = None
    for address in addresses:  # the next address only when one refuses at once (e.g. no IPv6 route)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        with _Watchdog(remaining) as watchdog:
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
                excerpt = response.read(MAX_BODY_BYTES, decode_content=False)
                status = response.status
            except Exception as error:
                if watchdog.fired.is_set():
                    raise _Expired from error
                raise
            finally:
                connection.close()  # whatever is left of the answer is never read
            if watchdog.fired.is_set():  # the socket was shut down under the answer: cut short
                raise _Expired
            return status, excerpt[:MAX_BODY_BYTES]
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
    excerpt = b""
    try:
        target, addresses = _check(url, allow_private=allow_private, resolve=resolve)
        status, excerpt = _post(target, addresses, body, headers, started + timeout)
    except UnsafeUrl as refusal:
        error = f"unsafe url: {refusal}"
    except Exception as failure:
        error = _describe(failure, timeout)
    latency_ms = int((time.monotonic() - started) * 1000)
    return SendResult(status, latency_ms, error, excerpt.decode("utf-8", errors="replace"))
